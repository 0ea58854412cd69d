// Writing cluster.yaml keys as text edits: golden cases (before.yaml + assignments.json →
// after.yaml, byte for byte), value formatting that survives a YAML parser, and refusals.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { parse } from 'yaml';
import { formatYamlEntry, formatYamlValue, planVariableEdits, type VariableAssignment } from '../../../server/src/services/cluster/variableEdits';

const FIXTURES = join(__dirname, '../../../../test/fixtures/tasks/cluster-edits');

function applyPlan(text: string, assignments: VariableAssignment[]): { text: string; problems: string[] } {
  const result = planVariableEdits(text, assignments);
  const document = TextDocument.create('file:///ws/cluster.yaml', 'yaml', 1, text);
  // applyEdits throws on overlapping edits, so this also checks the plan is a valid WorkspaceEdit.
  return { text: TextDocument.applyEdits(document, result.edits), problems: result.problems };
}

describe('planVariableEdits golden cases', () => {
  const cases = readdirSync(FIXTURES).sort();

  it('has the cases the brief asks for', () => {
    assert.deepEqual(cases, [
      'active-and-commented',
      'append-after-blank-line',
      'append-at-end',
      'block-to-scalar',
      'crlf',
      'empty-file',
      'insert-after-prefix-group',
      'list-values',
      'multiple-assignments',
      'replace',
      'replace-keeps-trailing-comment',
      'uncomment-commented-list',
      'uncomment-in-place',
      'value-needing-escapes',
    ]);
  });

  for (const name of cases) {
    it(name, () => {
      const before = readFileSync(join(FIXTURES, name, 'before.yaml'), 'utf8');
      const expected = readFileSync(join(FIXTURES, name, 'after.yaml'), 'utf8');
      const assignments = JSON.parse(readFileSync(join(FIXTURES, name, 'assignments.json'), 'utf8')) as VariableAssignment[];

      const result = applyPlan(before, assignments);
      assert.deepEqual(result.problems, []);
      assert.equal(result.text, expected);

      // The written values read back as exactly what was assigned.
      const data = (parse(result.text) ?? {}) as Record<string, unknown>;
      for (const { key, value } of assignments) assert.deepEqual(data[key], value, key);

      // Setting the same values again changes nothing further.
      assert.equal(applyPlan(result.text, assignments).text, expected);
    });
  }

  it('keeps CRLF line endings everywhere in the CRLF case', () => {
    const after = readFileSync(join(FIXTURES, 'crlf', 'after.yaml'), 'utf8');
    assert.equal(after.split('\n').length - 1, after.split('\r\n').length - 1);
  });
});

describe('planVariableEdits details', () => {
  it('replaces only the value of a key, as one edit with a range on that line', () => {
    const result = planVariableEdits('a: 1\nnode_cidr: "" # required\n', [{ key: 'node_cidr', value: '10.0.0.0/24' }]);
    assert.deepEqual(result, {
      edits: [{ range: { start: { line: 1, character: 11 }, end: { line: 1, character: 13 } }, newText: '"10.0.0.0/24"' }],
      problems: [],
    });
  });

  it('does not take a commented nested key for a top-level one', () => {
    const text = '# parent:\n#   node_cidr: "x"\nother: 1\n';
    assert.equal(applyPlan(text, [{ key: 'node_cidr', value: 'y' }]).text, text + '\nnode_cidr: "y"\n');
  });

  it('does not see keys inside a block scalar as comments', () => {
    const text = 'script: |\n  # node_cidr: ""\n  echo\n';
    assert.equal(applyPlan(text, [{ key: 'node_cidr', value: 'z' }]).text, text + '\nnode_cidr: "z"\n');
  });

  it('writes the last value of a key given twice, and says so', () => {
    const result = applyPlan('node_cidr: ""\n', [
      { key: 'node_cidr', value: 'first' },
      { key: 'node_cidr', value: 'second' },
    ]);
    assert.deepEqual(result, { text: 'node_cidr: "second"\n', problems: ['node_cidr was given more than once; the last value is written'] });
  });

  it('refuses a document that does not parse, without quoting the file or the values', () => {
    const text = 'cloudflare_token: "hunter2-file-secret"\n  bad: [\n';
    const result = planVariableEdits(text, [{ key: 'cloudflare_token', value: 'assigned-secret' }]);
    assert.deepEqual(result.edits, []);
    assert.equal(result.problems.length, 1);
    assert.match(result.problems[0], /^the file is not valid YAML \(line \d+, [A-Z_]+\); nothing was changed$/);
    assert.doesNotMatch(result.problems[0], /hunter2|assigned-secret/);
  });

  it('refuses a top level that is not a block mapping, and more than one document', () => {
    assert.deepEqual(planVariableEdits('- a\n- b\n', [{ key: 'k', value: 'v' }]), {
      edits: [],
      problems: ['the top level of the file is not a block mapping of keys; nothing was changed'],
    });
    assert.deepEqual(planVariableEdits('a: 1\n---\nb: 2\n', [{ key: 'k', value: 'v' }]), {
      edits: [],
      problems: ['the file holds more than one YAML document; nothing was changed'],
    });
  });

  it('skips bad keys and unsupported values by name, writing the rest', () => {
    const result = applyPlan('a: 1\n', [
      { key: 'bad key', value: 'secret-1' },
      { key: 'nested', value: [{ a: { b: 'secret-2' } }] as unknown as Record<string, string>[] },
      { key: 'infinite', value: Number.POSITIVE_INFINITY },
      { key: 'a', value: 2 },
    ]);
    assert.deepEqual(result, {
      text: 'a: 2\n',
      problems: [
        '"bad key" is not a cluster.yaml key name; it was not written',
        'nested: a list value must hold only strings, or only mappings of strings; it was not written',
        'infinite: the value is not a finite number; it was not written',
      ],
    });
    assert.doesNotMatch(result.problems.join('\n'), /secret-/);
  });

  it('fills an empty key and adds a new key of its group after it, in that order', () => {
    const text = 'backup_s3_endpoint: # where\nother: 1\n';
    const result = applyPlan(text, [
      { key: 'backup_s3_bucket', value: 'etcd' },
      { key: 'backup_s3_endpoint', value: 'https://s3' },
    ]);
    assert.deepEqual(result, { text: 'backup_s3_endpoint: "https://s3" # where\nbackup_s3_bucket: "etcd"\nother: 1\n', problems: [] });
    assert.deepEqual(
      applyPlan('a_x:\n', [
        { key: 'a_x', value: ['1'] },
        { key: 'a_y', value: 2 },
      ]).text,
      'a_x:\n  - "1"\na_y: 2\n',
    );
  });

  it('adds a line break before appending to a file whose last line has none', () => {
    assert.equal(applyPlan('a: 1', [{ key: 'b', value: true }]).text, 'a: 1\n\nb: true\n');
  });
});

describe('formatYamlValue', () => {
  it('formats each kind of value as cluster.yaml writes it', () => {
    assert.equal(formatYamlValue('192.168.1.0/24'), '"192.168.1.0/24"');
    assert.equal(formatYamlValue(''), '""');
    assert.equal(formatYamlValue(64513), '64513');
    assert.equal(formatYamlValue(-1.5), '-1.5');
    assert.equal(formatYamlValue(false), 'false');
    assert.equal(formatYamlValue([]), '[]');
    assert.equal(formatYamlValue(['1.1.1.1', '1.0.0.1']), '  - "1.1.1.1"\n  - "1.0.0.1"');
    assert.equal(formatYamlValue([{ name: 'a', 'x y': 'b' }]), '  - name: "a"\n    "x y": "b"');
    assert.equal(formatYamlEntry('k', ['a'], '\r\n'), 'k:\r\n  - "a"');
    assert.equal(formatYamlEntry('k', 'v'), 'k: "v"');
  });

  it('round-trips control, C1, separator, surrogate and other tricky code units through a YAML parser', () => {
    const samples: string[] = [
      '',
      ' ',
      'null',
      'true',
      '~',
      '- x',
      ': x',
      '# x',
      'a: b',
      "it's",
      '"',
      '\\',
      '\\n',
      '${X}',
      '{{ .X }}',
      '😀',
      'é\u0301',
      '\uFEFFbom',
      'a\u2028b\u2029c',
      '\r\n',
      '\t lead',
    ];
    // Every code unit up to U+2100 (controls, C1, NEL, Latin-1), then the special ones above it.
    const codes: number[] = [];
    for (let code = 0; code <= 0x2100; code++) codes.push(code);
    codes.push(0x2028, 0x2029, 0x3000, 0xd7ff, 0xd800, 0xdbff, 0xdc00, 0xdfff, 0xe000, 0xfeff, 0xfffd, 0xfffe, 0xffff);
    for (const code of codes) samples.push('x' + String.fromCharCode(code) + 'y');
    // All samples as one block list: one parse keeps this fast (a key per sample would be quadratic).
    const parsed = (parse(formatYamlEntry('k', samples) + '\n') as { k: string[] }).k;
    assert.equal(parsed.length, samples.length);
    samples.forEach((sample, index) => assert.equal(parsed[index], sample, JSON.stringify(sample)));
    for (const sample of samples.slice(0, 30)) assert.deepEqual(parse(formatYamlEntry('k', sample)), { k: sample }, JSON.stringify(sample));
  });
});
