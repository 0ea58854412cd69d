// The settings defaults are written once in server/src/settings.ts; package.json must declare the same.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DEFAULT_SETTINGS, readSettings } from '../../server/src/settings';

const manifest = JSON.parse(readFileSync(join(__dirname, '../../../package.json'), 'utf8'));
const declared: Record<string, { default: unknown; markdownDescription?: string; description?: string }> = manifest.contributes.configuration.properties;

function flatten(value: object, prefix: string): [string, unknown][] {
  return Object.entries(value).flatMap(([k, v]) => (v && typeof v === 'object' ? flatten(v, `${prefix}.${k}`) : [[`${prefix}.${k}`, v] as [string, unknown]]));
}

describe('settings', () => {
  it('declares every server setting in package.json with the same default and a description', () => {
    for (const [key, value] of flatten(DEFAULT_SETTINGS, 'clusterTemplate')) {
      assert.ok(declared[key], `${key} missing from package.json`);
      assert.equal(declared[key].default, value, key);
    }
    for (const [key, property] of Object.entries(declared)) assert.ok(property.markdownDescription ?? property.description, `${key} has no description`);
  });
  it('falls back to defaults for missing or mistyped values', () => {
    assert.deepEqual(readSettings(undefined), DEFAULT_SETTINGS);
    assert.deepEqual(readSettings({ validation: { enable: 'no' }, schema: { useWorkspaceSchema: false } }), {
      validation: { enable: true },
      schema: { useWorkspaceSchema: false },
      render: { pythonPath: 'python3' },
      sops: { engine: 'native', ageKeyFile: '' },
    });
    assert.equal(readSettings({ render: { pythonPath: ' /usr/bin/python3 ' } }).render.pythonPath, '/usr/bin/python3');
    assert.equal(readSettings({ render: { pythonPath: '' } }).render.pythonPath, 'python3');
    assert.equal(readSettings({ render: { pythonPath: 3 } }).render.pythonPath, 'python3');
    assert.deepEqual(readSettings({ sops: { engine: 'cli', ageKeyFile: ' ~/keys/age.key ' } }).sops, { engine: 'cli', ageKeyFile: '~/keys/age.key' });
    assert.equal(readSettings({ sops: { engine: 'gpg' } }).sops.engine, 'native');
    assert.equal(readSettings({ sops: { ageKeyFile: 7 } }).sops.ageKeyFile, '');
  });
  it('keeps the SOPS key file setting out of untrusted workspaces', () => {
    // A workspace could otherwise point the engine at any file on the machine.
    assert.ok(manifest.capabilities.untrustedWorkspaces.restrictedConfigurations.includes('clusterTemplate.sops.ageKeyFile'));
    assert.deepEqual(declared['clusterTemplate.sops.engine'] && (declared['clusterTemplate.sops.engine'] as { enum?: unknown }).enum, ['native', 'cli']);
  });
});
