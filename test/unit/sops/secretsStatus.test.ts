// Classifying *.sops.* files without a key (encrypted, plaintext, broken) on the real sops
// fixtures and on damaged copies made in memory; and finding the secret files of a repository.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { memoryFileReader } from '../../../server/src/host/fileReader';
import { classifySecretText, findSecretFiles, isSecretFileName } from '../../../server/src/engines/sops/secretsStatus';

const FIXTURES = join(__dirname, '../../../../test/fixtures/sops');
const read = (path: string): string => readFileSync(join(FIXTURES, path), 'utf8');

function fixtureFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => (entry.isDirectory() ? fixtureFiles(join(dir, entry.name)) : [join(dir, entry.name)]));
}

const BASIC = 'nobbs-terraform-provider-sops/test/fixtures/basic.sops.yaml';

describe('classifySecretText', () => {
  it('calls every sops-made fixture encrypted, except the one without a MAC', () => {
    const encryptedFiles = fixtureFiles(FIXTURES).filter((file) => /\.(ya?ml|json|env|ini|txt|bin|raw)$/.test(file) && !/(keys?|age|age-global|age-pq|key-file)\.txt$|raw-test|tests\/data\/secret\.json$/.test(file));
    assert.ok(encryptedFiles.length >= 50, `found only ${encryptedFiles.length} fixtures`);
    for (const file of encryptedFiles) {
      const name = relative(FIXTURES, file);
      const status = classifySecretText(readFileSync(file, 'utf8'), file);
      if (name.endsWith('no_mac.yaml')) assert.deepEqual(status, { state: 'broken', reason: 'the sops metadata has no MAC; sops refuses such a file' });
      else assert.deepEqual(status, { state: 'encrypted' }, name);
    }
  });

  it('cannot see a MAC mismatch without the key: that file still looks encrypted', () => {
    assert.equal(classifySecretText(read('nobbs-terraform-provider-sops/test/fixtures/basic-mac-mismatch.sops.yaml'), '/r/x.sops.yaml').state, 'encrypted');
  });

  it('calls the plaintext references plaintext', () => {
    for (const file of ['humphd-sops-age/tests/data/secret.json', 'isindir-sops-secrets-operator/config/age-test-key/04-raw-test-secrets-mac-only.yaml']) {
      assert.deepEqual(classifySecretText(read(file), join('/r', file.replace(/\.(json|yaml)$/, '.sops.$1'))), { state: 'plaintext', reason: 'plaintext secret: encrypt it before committing' });
    }
    assert.equal(classifySecretText('TOKEN=abc\n', '/r/cluster.sops.env').state, 'plaintext');
    assert.equal(classifySecretText('[s]\nk = v\n', '/r/x.sops.ini').state, 'plaintext');
    assert.equal(classifySecretText('raw bytes', '/r/x.sops.txt').state, 'plaintext');
  });

  it('calls damaged files broken, with a reason that quotes nothing from the file', () => {
    const basic = read(BASIC);
    const withoutMac = basic.replace(/^ {2}mac: .*\n/m, '');
    assert.notEqual(withoutMac, basic);
    const damagedValue = basic.replace(/(ENC\[AES256_GCM,data:[^,]+),iv:/, '$1,iv=');
    assert.notEqual(damagedValue, basic);
    const withoutMetadata = basic.slice(0, basic.indexOf('\nsops:') + 1);
    const withoutKeys = basic.replace(/^ {2}age:\n(?: {4,}.*\n)+/m, '');
    assert.notEqual(withoutKeys, basic);
    const table: [string, string, string][] = [
      [withoutMac, '/r/a.sops.yaml', 'the sops metadata has no MAC; sops refuses such a file'],
      [damagedValue, '/r/a.sops.yaml', "1 encrypted value(s) are damaged (ENC[…] not in sops' format)"],
      [withoutMetadata, '/r/a.sops.yaml', 'it has encrypted values but no sops metadata (was the sops block removed?)'],
      [withoutKeys, '/r/a.sops.yaml', 'the sops metadata lists no key, so nobody can decrypt it'],
      ['', '/r/a.sops.yaml', 'the file is empty'],
      ['  \n', '/r/a.sops.yaml', 'the file is empty'],
    ];
    for (const [text, path, reason] of table) assert.deepEqual(classifySecretText(text, path), { state: 'broken', reason });
    const invalid = classifySecretText('stringData:\n  token: "secret-value\n  other: [\n', '/r/a.sops.yaml');
    assert.equal(invalid.state, 'broken');
    assert.ok(!invalid.reason?.includes('secret-value'), 'the reason quotes the file');
    assert.equal(classifySecretText('{"token": "secret-value", ', '/r/a.sops.json').state, 'broken');
  });
});

describe('findSecretFiles', () => {
  it('lists *.sops.* files outside templates/, .git and node_modules, sorted', async () => {
    const reader = memoryFileReader({
      '/repo/.sops.yaml': '',
      '/repo/kubernetes/apps/b/secret.sops.yaml': '',
      '/repo/kubernetes/apps/a/secret.sops.yaml': '',
      '/repo/kubernetes/templates/x.sops.yaml': '',
      '/repo/talos/talsecret.sops.yaml': '',
      '/repo/bootstrap/secrets.sops.env': '',
      '/repo/templates/config/kubernetes/secret.sops.yaml.j2': '',
      '/repo/templates/config/kubernetes/secret.sops.yaml': '',
      '/repo/.git/objects/secret.sops.yaml': '',
      '/repo/node_modules/pkg/secret.sops.json': '',
      '/repo/kubernetes/apps/a/kustomization.yaml': '',
      '/repo/kubernetes/apps/a/helmrelease.yaml': '',
      '/elsewhere/x.sops.yaml': '',
    });
    assert.deepEqual(await findSecretFiles('/repo', reader), [
      '/repo/bootstrap/secrets.sops.env',
      '/repo/kubernetes/apps/a/secret.sops.yaml',
      '/repo/kubernetes/apps/b/secret.sops.yaml',
      '/repo/kubernetes/templates/x.sops.yaml',
      '/repo/talos/talsecret.sops.yaml',
    ]);
    assert.deepEqual(await findSecretFiles('/missing', reader), []);
  });

  it('knows a secret file name', () => {
    assert.equal(isSecretFileName('secret.sops.yaml'), true);
    assert.equal(isSecretFileName('cluster-secrets.sops.env'), true);
    assert.equal(isSecretFileName('.sops.yaml'), false);
    assert.equal(isSecretFileName('secret.sops.'), false);
    assert.equal(isSecretFileName('secret.sops.yaml.j2'), false);
    assert.equal(isSecretFileName('secret.yaml'), false);
  });
});
