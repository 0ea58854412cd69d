// Adding a scaffold's keys to the workspace's closed CUE schema: only the missing ones, inside
// #Config, in the file's indentation, everything else byte for byte; the result still reads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { addCueSchemaKeys, SCHEMA_KEYS_BY_SCAFFOLD } from '../../../server/src/engines/tasks/cueSchemaEdits';
import { readCueSchema } from '../../../server/src/services/cluster/cueSchema';

const REPO_ROOT = join(__dirname, '..', '..', '..', '..');
const EXAMPLE_CUE = readFileSync(join(REPO_ROOT, 'example', '.taskfiles', 'template', 'resources', 'cluster.schema.cue'), 'utf8');

test('the example schema (seed shape) gets the four guide-only VolSync keys, nothing else', () => {
  const updated = addCueSchemaKeys(EXAMPLE_CUE, SCHEMA_KEYS_BY_SCAFFOLD.volsync)!;
  assert.ok(updated !== undefined);
  const added = updated.split('\n').filter((line) => !EXAMPLE_CUE.split('\n').includes(line));
  assert.deepEqual(added, [
    '\t// VolSync PVC backups (restic to S3)',
    '\tvolsync_s3_access_key?: string & !=""',
    '\tvolsync_s3_secret_key?: string & !=""',
    '\tvolsync_retain_hourly?: *6 | int & >=0 & <=168',
    '\tvolsync_retain_yearly?: *1 | int & >=0 & <=10',
  ]);
  // Inserted inside #Config: the text before the closing brace is unchanged, and the file still ends as it did.
  assert.ok(updated.endsWith('}\n\n#Config\n'), updated.slice(-40));
  assert.equal(updated.startsWith(EXAMPLE_CUE.slice(0, EXAMPLE_CUE.lastIndexOf('\n}\n'))), true);
  // Our reader of the workspace schema now knows the new keys.
  const read = readCueSchema(updated, 'cluster.schema.cue');
  assert.deepEqual(read.notes, readCueSchema(EXAMPLE_CUE, 'cluster.schema.cue').notes, 'the added lines raise notes');
  const properties = read.schema.properties ?? {};
  for (const key of ['volsync_s3_access_key', 'volsync_s3_secret_key', 'volsync_retain_hourly', 'volsync_retain_yearly']) assert.ok(key in properties, `${key} not read back`);
});

test('applying twice adds nothing the second time', () => {
  const once = addCueSchemaKeys(EXAMPLE_CUE, SCHEMA_KEYS_BY_SCAFFOLD.volsync)!;
  assert.equal(addCueSchemaKeys(once, SCHEMA_KEYS_BY_SCAFFOLD.volsync), undefined);
});

test('braces inside strings and comments do not end #Config early; strings is imported when needed', () => {
  const text = 'package config\n\n#Config: {\n  // a } in a comment\n  name: string & =~"^[a-z}]+$"\n}\n';
  const updated = addCueSchemaKeys(text, SCHEMA_KEYS_BY_SCAFFOLD.keycloak)!;
  assert.match(updated, /^import "strings"$/m);
  const closing = updated.lastIndexOf('\n}\n');
  assert.ok(updated.indexOf('keycloak_admin_password?:') < closing && updated.indexOf('keycloak_admin_password?:') > updated.indexOf('name: string'));
  assert.match(updated, /^ {2}keycloak_admin_password\?: +string & strings\.MinRunes\(8\)$/m);
});

test('no #Config block: no edit', () => {
  assert.equal(addCueSchemaKeys('package config\n\nConfig: {}\n', SCHEMA_KEYS_BY_SCAFFOLD.volsync), undefined);
});
