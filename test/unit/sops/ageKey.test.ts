// age X25519 keys made natively, checked against Debian's age 1.1.1 as the independent
// implementation: `age-keygen -y` derives the same recipient, and `age` encrypts to our recipient
// and decrypts with our key file. Keys reach age through standard input only (no key files on disk).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  ageKeyFileText,
  bech32Decode,
  bech32Encode,
  decodeAgeIdentity,
  decodeAgeRecipient,
  formatRfc3339,
  generateAgeKeyPair,
  isAgeRecipient,
  publicKeyOf,
} from '../../../server/src/engines/sops/ageKey';

const ROOT = join(__dirname, '../../../..');
/** A stuck child fails its test instead of stalling the suite. */
const SPAWN_TIMEOUT_MS = 30_000;
const FIXTURES = join(ROOT, 'test/fixtures/sops');
const work = mkdtempSync(join(tmpdir(), 'ctt-agekey-'));
after(() => rmSync(work, { recursive: true, force: true }));

function run(command: string, args: string[], input?: string): { code: number | null; stdout: string } {
  const result = spawnSync(command, args, { input, encoding: 'utf8', timeout: SPAWN_TIMEOUT_MS });
  return { code: result.status, stdout: result.stdout };
}

describe('age keys', () => {
  it('derives the recipient age-keygen -y derives, for fresh keys', () => {
    for (let i = 0; i < 5; i++) {
      const pair = generateAgeKeyPair();
      const reference = run('age-keygen', ['-y'], `${pair.identity}\n`);
      assert.equal(reference.code, 0, 'age-keygen -y rejected the identity');
      assert.equal(reference.stdout.trim(), pair.recipient);
      assert.equal(publicKeyOf(pair.identity), pair.recipient);
      assert.match(pair.identity, /^AGE-SECRET-KEY-1[02-9AC-HJ-NP-Z]{58}$/);
      assert.match(pair.recipient, /^age1[02-9ac-hj-np-z]{58}$/);
    }
  });

  it('derives the published public keys of the fixture keys', () => {
    const keyFiles = [
      'fluxcd-kustomize-controller/internal/controller/testdata/sops/keys/age.txt',
      'isindir-sops-secrets-operator/config/age-test-key/key-file.txt',
      'nobbs-terraform-provider-sops/test/age.key',
      'getsops-sops/at-7ebee3dc/age/keys.txt',
    ];
    for (const relative of keyFiles) {
      const text = readFileSync(join(FIXTURES, relative), 'utf8');
      const identities = text.split('\n').filter((line) => line.startsWith('AGE-SECRET-KEY-1'));
      const published = [...text.matchAll(/^# public key: (age1\S+)$/gm)].map((match) => match[1]);
      assert.ok(identities.length > 0, `${relative} has an identity`);
      assert.deepEqual(identities.map((identity) => publicKeyOf(identity)), published, relative);
    }
  });

  it('writes the key file age-keygen writes, and age decrypts with it what it encrypted to our recipient', () => {
    const pair = generateAgeKeyPair();
    const text = ageKeyFileText(pair, new Date('2026-03-04T05:06:07.890Z'), 60);
    const lines = text.split('\n');
    assert.equal(lines[0], '# created: 2026-03-04T06:06:07+01:00');
    assert.equal(lines[1], `# public key: ${pair.recipient}`);
    assert.equal(lines[2], pair.identity);
    assert.equal(lines[3], '');
    assert.equal(lines.length, 4);
    // age-keygen -y reads a whole key file, comments included.
    assert.equal(run('age-keygen', ['-y'], text).stdout.trim(), pair.recipient);
    const ciphertext = join(work, 'message.age');
    const encrypted = spawnSync('age', ['-r', pair.recipient, '-o', ciphertext], { input: 'not a secret: a test message\n', timeout: SPAWN_TIMEOUT_MS });
    assert.equal(encrypted.status, 0);
    const decrypted = run('age', ['-d', '-i', '-', ciphertext], text);
    assert.equal(decrypted.code, 0, 'age -d could not use our key file');
    assert.equal(decrypted.stdout, 'not a secret: a test message\n');
  });

  it('gives different keys every time', () => {
    const identities = new Set(Array.from({ length: 20 }, () => generateAgeKeyPair().identity));
    assert.equal(identities.size, 20);
  });

  it('formats the creation time as Go RFC 3339 in local time', () => {
    const moment = new Date('2026-01-01T00:30:00.999Z');
    assert.equal(formatRfc3339(moment, 0), '2026-01-01T00:30:00Z');
    assert.equal(formatRfc3339(moment, 120), '2026-01-01T02:30:00+02:00');
    assert.equal(formatRfc3339(moment, -330), '2025-12-31T19:00:00-05:30');
    assert.equal(formatRfc3339(moment, 345), '2026-01-01T06:15:00+05:45');
    assert.match(formatRfc3339(moment), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$/);
  });

  it('reads and rejects bech32 text as age does', () => {
    const pair = generateAgeKeyPair();
    assert.equal(decodeAgeIdentity(pair.identity)?.length, 32);
    assert.equal(decodeAgeRecipient(pair.recipient)?.length, 32);
    // age takes identities in upper case only and recipients in lower case only.
    assert.equal(decodeAgeIdentity(pair.identity.toLowerCase()), undefined);
    assert.equal(publicKeyOf(pair.identity.toLowerCase()), undefined);
    assert.equal(isAgeRecipient(pair.recipient.toUpperCase()), false);
    assert.equal(isAgeRecipient(pair.recipient), true);
    // A changed character breaks the checksum; mixed case is refused.
    const last = pair.recipient.at(-1) === 'q' ? 'p' : 'q';
    assert.equal(isAgeRecipient(pair.recipient.slice(0, -1) + last), false);
    assert.equal(bech32Decode(pair.recipient.slice(0, 10) + pair.recipient.slice(10).toUpperCase()), undefined);
    assert.equal(isAgeRecipient(pair.recipient.slice(0, -2)), false);
    assert.equal(publicKeyOf('AGE-SECRET-KEY-1'), undefined);
    assert.equal(publicKeyOf('age1' + 'q'.repeat(58)), undefined);
    // The BIP-173 test vector for an empty payload.
    assert.equal(bech32Encode('a', new Uint8Array()), 'a12uel5l');
    assert.deepEqual(bech32Decode('A12UEL5L'), { hrp: 'A', data: new Uint8Array() });
  });
});
