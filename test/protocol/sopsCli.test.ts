// The sops commands of the bundled command-line tool (dist/cli.js) on temporary copies of the
// fixtures: decrypt with each key source, refuse a MAC mismatch, encrypt with a cluster-template
// .sops.yaml and decrypt back, never encrypt twice, and sops-status as a pre-commit check.
// Generated keys reach the tool through SOPS_AGE_KEY only; decrypted values are compared in
// memory and never printed.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { isDeepStrictEqual } from 'node:util';
import { parse } from 'yaml';
import { generateAgeKeyPair } from '../../server/src/engines/sops/ageKey';

const ROOT = join(__dirname, '../../..');
const CLI = join(ROOT, 'dist/cli.js');
const FIXTURES = join(ROOT, 'test/fixtures/sops');
const NOBBS = join(FIXTURES, 'nobbs-terraform-provider-sops/test');
const work = mkdtempSync(join(tmpdir(), 'ctt-sops-cli-'));
after(() => rmSync(work, { recursive: true, force: true }));

/** An empty folder as PATH: no sops program can be found, whatever the machine has. */
const emptyPath = join(work, 'empty-path');
mkdirSync(emptyPath);

interface RunOptions {
  env?: Record<string, string>;
  cwd?: string;
}

/** Runs the tool with a clean environment: no SOPS_* variables or HOME keys leak in from the machine. */
function run(args: string[], options: RunOptions = {}) {
  const home = join(work, 'home');
  mkdirSync(home, { recursive: true });
  const result = spawnSync(process.execPath, [CLI, ...args], {
    cwd: options.cwd ?? work,
    env: { PATH: emptyPath, HOME: home, ...options.env },
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr.toString('utf8') };
}

function copyFixture(from: string, to: string): string {
  const target = join(work, to);
  mkdirSync(dirname(target), { recursive: true });
  copyFileSync(from, target);
  return target;
}

/** Decrypted YAML output as data (compared in memory, never printed). */
function parsedBasic(stdout: Buffer): Record<string, unknown> {
  return parse(stdout.toString('utf8')) as Record<string, unknown>;
}

const SECRET = `---
apiVersion: v1
kind: Secret
metadata:
  name: cloudflare-tunnel-secret
  namespace: network
stringData:
  credentials.json: |
    {"AccountTag": "test-account", "TunnelSecret": "test-value"}
  token: "test-token"
`;

function clusterTemplateConfig(recipient: string): string {
  return `---
creation_rules:
  - path_regex: talos/.*\\.sops\\.ya?ml
    mac_only_encrypted: true
    age: "${recipient}"
  - path_regex: (bootstrap|kubernetes)/.*\\.sops\\.ya?ml
    encrypted_regex: "^(data|stringData)$"
    mac_only_encrypted: true
    age: "${recipient}"
stores:
  yaml:
    indent: 2
`;
}

describe('cli decrypt', () => {
  it('decrypts an age fixture with the key from SOPS_AGE_KEY_FILE, printing only the plaintext', () => {
    const file = copyFixture(join(NOBBS, 'fixtures/basic.sops.yaml'), 'decrypt/basic.sops.yaml');
    const result = run(['decrypt', file], { env: { SOPS_AGE_KEY_FILE: join(NOBBS, 'age.key') } });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stderr, '');
    const values = parsedBasic(result.stdout);
    assert.deepEqual(Object.keys(values), ['abc', 'integers', 'truthy', 'floats']);
    assert.ok(!result.stdout.toString('utf8').includes('ENC['), 'the output still holds encrypted values');
    assert.ok(!result.stdout.toString('utf8').includes('sops:'), 'the output still holds the metadata');
    // The same values as the JSON fixture made from the same plaintext.
    const json = run(['decrypt', copyFixture(join(NOBBS, 'fixtures/basic.sops.json'), 'decrypt/basic.sops.json')], { env: { SOPS_AGE_KEY_FILE: join(NOBBS, 'age.key') } });
    assert.equal(json.code, 0, json.stderr);
    assert.ok(JSON.stringify(JSON.parse(json.stdout.toString('utf8'))) === JSON.stringify(values), 'the YAML and JSON fixtures decrypt to different values');
  });

  it('finds the key as age.key in the workspace (here the current folder, there being no .sops.yaml)', () => {
    const file = copyFixture(join(NOBBS, 'fixtures/dot.sops.env'), 'decrypt-workspace/dot.sops.env');
    const result = run(['decrypt', file], { cwd: NOBBS });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout.toString('utf8'), /^[A-Za-z_]+=/m);
  });

  it('finds the key through the workspace setting in .vscode/settings.json', () => {
    const folder = join(work, 'decrypt-setting');
    copyFixture(join(NOBBS, 'fixtures/sample.sops.ini'), 'decrypt-setting/sample.sops.ini');
    writeFileSync(join(folder, '.sops.yaml'), 'creation_rules: []\n');
    mkdirSync(join(folder, '.vscode'));
    writeFileSync(join(folder, '.vscode/settings.json'), `{\n  // the key of the test fixtures\n  "sops.defaults.ageKeyFile": ${JSON.stringify(join(NOBBS, 'age.key'))},\n}\n`);
    const result = run(['decrypt', join(folder, 'sample.sops.ini')]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout.toString('utf8'), /^\[/m);
  });

  it('refuses the MAC-mismatch fixture with exit 1 and prints nothing on stdout', () => {
    const file = copyFixture(join(NOBBS, 'fixtures/basic-mac-mismatch.sops.yaml'), 'decrypt/basic-mac-mismatch.sops.yaml');
    const result = run(['decrypt', file], { env: { SOPS_AGE_KEY_FILE: join(NOBBS, 'age.key') } });
    assert.equal(result.code, 1);
    assert.equal(result.stdout.length, 0);
    assert.match(result.stderr, /MAC mismatch.*\[mac-mismatch\]/);
  });

  it('exits 1 when no key opens the file, saying where it looked and for whom the file is', () => {
    const file = copyFixture(join(NOBBS, 'fixtures/basic.sops.yaml'), 'decrypt-nokey/basic.sops.yaml');
    const result = run(['decrypt', file], { env: { SOPS_AGE_KEY: generateAgeKeyPair().identity } });
    assert.equal(result.code, 1);
    assert.equal(result.stdout.length, 0);
    assert.match(result.stderr, /No age key that can open this file was found\. The file is encrypted for age1cxgy6y5vctq5vy6dn4s3/);
    assert.match(result.stderr, /SOPS_AGE_KEY \(a key for age1/);
    assert.ok(!result.stderr.includes('AGE-SECRET-KEY'), 'stderr holds a secret key');
  });

  it('refuses a plaintext file, and says plainly that a PGP-only file needs the missing sops program', () => {
    const plain = join(work, 'decrypt-plain/secret.sops.yaml');
    mkdirSync(dirname(plain), { recursive: true });
    writeFileSync(plain, SECRET);
    const result = run(['decrypt', plain]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /is not encrypted with sops/);
    assert.equal(result.stdout.length, 0);
    const pgp = copyFixture(join(FIXTURES, 'fluxcd-kustomize-controller/internal/controller/testdata/sops/algorithms/pgp.yaml'), 'decrypt-pgp/pgp.sops.yaml');
    const pgpResult = run(['decrypt', pgp]);
    assert.equal(pgpResult.code, 1);
    assert.match(pgpResult.stderr, /no data key wrapped for an age recipient.*The sops program \(sops\) is not installed or not on PATH\./);
  });
});

describe('cli encrypt', () => {
  it('encrypts a Secret in place with cluster-template\'s rules, and decrypt gives it back', () => {
    const pair = generateAgeKeyPair();
    const folder = join(work, 'encrypt');
    mkdirSync(join(folder, 'kubernetes/apps/network'), { recursive: true });
    writeFileSync(join(folder, '.sops.yaml'), clusterTemplateConfig(pair.recipient));
    const file = join(folder, 'kubernetes/apps/network/secret.sops.yaml');
    writeFileSync(file, SECRET, { mode: 0o640 });

    // Without --in-place: printed, the file untouched.
    const printed = run(['encrypt', file]);
    assert.equal(printed.code, 0, printed.stderr);
    assert.equal(readFileSync(file, 'utf8'), SECRET);

    const result = run(['encrypt', file, '--in-place']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout.length, 0);
    assert.match(result.stderr, /encrypted .*secret\.sops\.yaml in place \(creation rule 2 of/);
    const encrypted = readFileSync(file, 'utf8');
    assert.equal(statSync(file).mode & 0o777, 0o640, 'the file kept its mode');
    const document = parse(encrypted) as { metadata: { name: string }; stringData: Record<string, string>; sops: Record<string, unknown> };
    // Only data/stringData are encrypted; the rest stays readable for Flux and kustomize.
    assert.equal(document.metadata.name, 'cloudflare-tunnel-secret');
    for (const value of Object.values(document.stringData)) assert.match(value, /^ENC\[AES256_GCM,data:/);
    assert.equal(document.sops.encrypted_regex, '^(data|stringData)$');
    assert.equal(document.sops.mac_only_encrypted, true);
    assert.deepEqual((document.sops.age as { recipient: string }[]).map((entry) => entry.recipient), [pair.recipient]);
    // stores.yaml.indent: 2.
    assert.match(encrypted, /^stringData:\n {2}credentials\.json: ENC\[/m);
    assert.ok(!encrypted.includes('test-token') && !encrypted.includes('test-value'), 'a value was left in plaintext');
    // Both runs used fresh data keys and IVs.
    assert.notEqual(printed.stdout.toString('utf8'), encrypted);

    // The data key unwraps with Debian's age (the identity through standard input).
    const armored = join(work, 'encrypt-datakey.age');
    writeFileSync(armored, (document.sops.age as { enc: string }[])[0].enc);
    const unwrapped = spawnSync('age', ['-d', '-i', '-', armored], { input: `${pair.identity}\n` });
    assert.equal(unwrapped.status, 0, 'age could not unwrap the data key');
    assert.equal(unwrapped.stdout.length, 32);

    const decrypted = run(['decrypt', file], { env: { SOPS_AGE_KEY: pair.identity } });
    assert.equal(decrypted.code, 0, decrypted.stderr);
    // sops re-emits the YAML (quotes go where go-yaml puts them), so values are compared, not text.
    assert.ok(isDeepStrictEqual(parse(decrypted.stdout.toString('utf8')), parse(SECRET)), 'the decrypted Secret differs from the original');
    assert.match(decrypted.stdout.toString('utf8'), /^stringData:\n {2}credentials\.json: \|\n {4}\{/m, 'the plaintext is not indented as stores.yaml.indent says');

    // Never twice: the encrypted file is refused and left as it was.
    const again = run(['encrypt', file, '--in-place']);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /is already encrypted; nothing was written/);
    assert.equal(readFileSync(file, 'utf8'), encrypted);
  });

  it('refuses a file no rule matches, a folder without .sops.yaml, and a PGP rule without the sops program', () => {
    const pair = generateAgeKeyPair();
    const folder = join(work, 'encrypt-refusals');
    mkdirSync(join(folder, 'infrastructure'), { recursive: true });
    writeFileSync(join(folder, '.sops.yaml'), clusterTemplateConfig(pair.recipient));
    writeFileSync(join(folder, 'infrastructure/secret.sops.yaml'), SECRET);
    const unmatched = run(['encrypt', join(folder, 'infrastructure/secret.sops.yaml')]);
    assert.equal(unmatched.code, 1);
    assert.match(unmatched.stderr, /no creation rule in .*\.sops\.yaml matches infrastructure\/secret\.sops\.yaml/);

    const lonely = join(work, 'encrypt-lonely/secret.sops.yaml');
    mkdirSync(dirname(lonely), { recursive: true });
    writeFileSync(lonely, SECRET);
    const noConfig = run(['encrypt', lonely]);
    assert.equal(noConfig.code, 1);
    assert.match(noConfig.stderr, /no \.sops\.yaml in .* or any folder above it/);

    const pgpFolder = join(work, 'encrypt-pgp');
    mkdirSync(pgpFolder, { recursive: true });
    writeFileSync(join(pgpFolder, '.sops.yaml'), 'creation_rules:\n  - pgp: FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4\n');
    writeFileSync(join(pgpFolder, 'secret.sops.yaml'), SECRET);
    const pgp = run(['encrypt', join(pgpFolder, 'secret.sops.yaml'), '--in-place']);
    assert.equal(pgp.code, 1);
    assert.match(pgp.stderr, /the creation rule uses PGP, which only the sops program implements\. The sops program \(sops\) is not installed or not on PATH\./);
    assert.equal(readFileSync(join(pgpFolder, 'secret.sops.yaml'), 'utf8'), SECRET);
  });

  it('checks its arguments', () => {
    assert.equal(run(['encrypt']).code, 2);
    assert.equal(run(['encrypt', 'a', '--force']).code, 2);
    assert.equal(run(['decrypt']).code, 2);
    assert.equal(run(['sops-status', 'a', 'b']).code, 2);
    assert.equal(run(['sops-status', join(work, 'no-such-folder')]).code, 2);
    const help = run(['help']);
    assert.match(help.stdout.toString('utf8'), /decrypt <file>.*\n[\s\S]*encrypt <file> \[--in-place\][\s\S]*sops-status <folder>/);
  });
});

describe('cli sops-status', () => {
  it('lists every secret and exits 1 while one is plaintext or broken, 0 once all are encrypted', () => {
    const pair = generateAgeKeyPair();
    const folder = join(work, 'status');
    mkdirSync(join(folder, 'kubernetes/apps'), { recursive: true });
    mkdirSync(join(folder, 'templates/config/kubernetes'), { recursive: true });
    mkdirSync(join(folder, 'talos'), { recursive: true });
    writeFileSync(join(folder, '.sops.yaml'), clusterTemplateConfig(pair.recipient));
    writeFileSync(join(folder, 'kubernetes/apps/secret.sops.yaml'), SECRET);
    writeFileSync(join(folder, 'templates/config/kubernetes/secret.sops.yaml'), SECRET);
    copyFileSync(join(FIXTURES, 'getsops-sops/functional-tests/res/no_mac.yaml'), join(folder, 'talos/broken.sops.yaml'));
    copyFileSync(join(NOBBS, 'fixtures/basic.sops.yaml'), join(folder, 'talos/basic.sops.yaml'));

    const before = run(['sops-status', folder]);
    assert.equal(before.code, 1);
    assert.equal(
      before.stdout.toString('utf8'),
      [
        'plaintext kubernetes/apps/secret.sops.yaml: plaintext secret: encrypt it before committing',
        'encrypted talos/basic.sops.yaml',
        'broken    talos/broken.sops.yaml: the sops metadata has no MAC; sops refuses such a file',
        '',
      ].join('\n'),
    );
    assert.equal(before.stderr, '3 secret file(s): 1 encrypted, 1 plaintext, 1 broken\n');

    assert.equal(run(['encrypt', join(folder, 'kubernetes/apps/secret.sops.yaml'), '--in-place']).code, 0);
    rmSync(join(folder, 'talos/broken.sops.yaml'));
    const after = run(['sops-status', folder]);
    assert.equal(after.code, 0, after.stdout.toString('utf8'));
    assert.equal(after.stderr, '2 secret file(s): 2 encrypted, 0 plaintext, 0 broken\n');

    const empty = join(work, 'status-empty');
    mkdirSync(empty);
    const none = run(['sops-status', empty]);
    assert.equal(none.code, 0);
    assert.equal(none.stderr, '0 secret file(s): 0 encrypted, 0 plaintext, 0 broken\n');
  });
});
