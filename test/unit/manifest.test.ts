// package.json and the client agree on the template language ids, and every contributed
// grammar, snippet and language configuration file exists.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

const ROOT = join(__dirname, '../../..');
const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));

describe('manifest', () => {
  it('lets the client select every template language the manifest declares', () => {
    const declared = manifest.contributes.languages.map((l: { id: string }) => l.id).sort();
    const client = readFileSync(join(ROOT, 'client/src/context.ts'), 'utf8');
    const listed = JSON.parse(/TEMPLATE_LANGUAGES = (\[[^\]]*\])/.exec(client)![1].replace(/'/g, '"')).sort();
    assert.deepEqual(listed, declared);
    for (const id of declared) assert.ok(manifest.activationEvents.includes(`onLanguage:${id}`), `no activation for ${id}`);
  });
  it('points only at files that exist', () => {
    const paths = [
      ...manifest.contributes.languages.map((l: { configuration?: string }) => l.configuration).filter(Boolean),
      ...manifest.contributes.grammars.map((g: { path: string }) => g.path),
      ...manifest.contributes.snippets.map((s: { path: string }) => s.path),
      manifest.icon,
    ];
    for (const path of paths) assert.ok(existsSync(join(ROOT, path)), path);
  });
});
