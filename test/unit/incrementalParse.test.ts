// The incremental parser must give exactly what a whole parse gives, edit after edit, including
// broken and unusual documents (it falls back to the whole parse for those).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { IncrementalYamlParser } from '../../server/src/services/yaml/incrementalParse';
import { parseYaml } from '../../server/src/services/yaml/parse';
import { VALID_CLUSTER } from './support/config';

const BASE = `---
# leading comment
${VALID_CLUSTER}
node_dns_servers:
  - "1.1.1.1"   # primary
  - "1.0.0.1"
description: |
  a block scalar
  over two lines
nested:
  inner: { a: 1, b: [1, 2] }
"quoted key": 'x'
`;

/** A small deterministic pseudo-random sequence, so failures replay. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    return state / 0x7fffffff;
  };
}

const SNIPPETS = ['x', '\n', ': ', '"', '- ', '  ', '#', 'node_cidr: "1.2.3.0/24"\n', '---\n', '&a ', '*a', '[', '\n\n', 'key', "'"];

describe('incremental YAML parse', () => {
  it('equals a whole parse over a thousand random edits', () => {
    const next = random(42);
    const parser = new IncrementalYamlParser();
    let text = BASE;
    const modes = { segments: 0, whole: 0 };
    for (let step = 0; step < 1000; step++) {
      const at = Math.floor(next() * (text.length + 1));
      if (next() < 0.5 && text.length > 0) {
        text = text.slice(0, at) + text.slice(at + 1 + Math.floor(next() * 3));
      } else {
        text = text.slice(0, at) + SNIPPETS[Math.floor(next() * SNIPPETS.length)] + text.slice(at);
      }
      if (step % 4 === 0) text = BASE; // back to a healthy document now and then
      assert.deepEqual(parser.parse(text), parseYaml(text), `step ${step}: ${JSON.stringify(text)}`);
      modes[parser.lastMode]++;
    }
    // Both paths must have been exercised, or the comparison proves nothing.
    assert.ok(modes.segments > 200 && modes.whole > 100, JSON.stringify(modes));
  });

  it('finds a key set twice in two segments', () => {
    const text = VALID_CLUSTER + 'node_cidr: "10.0.0.0/24"\n';
    const parsed = new IncrementalYamlParser().parse(text);
    assert.deepEqual(parsed.problems.map((p) => p.code), ['duplicate-key']);
    assert.deepEqual(parsed, parseYaml(text));
  });

  it('handles empty and comment-only texts', () => {
    const parser = new IncrementalYamlParser();
    for (const text of ['', '\n', '# only a comment\n', '#a\n\n#b', '---\n', '---\na: 1\n', '---\n# c\na: 1\n---\nb: 2\n']) assert.deepEqual(parser.parse(text), parseYaml(text));
  });
});
