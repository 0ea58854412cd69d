// Every real sops-made file in test/fixtures/sops: its data key unwraps (age with the shipped
// identities, PGP with Debian's gpg), it decrypts with the right MAC verdict, its structure and
// leaf count survive, known plaintexts match, and sops' own output is reproduced byte for byte
// (YAML re-emission for sops ≥ 3.7, re-encryption of sops 3.13 files). Values never reach
// assertion messages.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { readYamlTree, writeYamlTree } from '../../../server/src/engines/sops/yamlStore';
import {
  DATA_KEY_SIZE,
  decryptSops,
  encryptSops,
  readSopsMetadata,
  SopsError,
  storeOfPath,
  type SopsStore,
} from '../../../server/src/engines/sops/sopsFormat';
import { countLeaves, FIXTURE_CASES, fixtureDataKey, fixtureText, keyPaths, parseDotenv, parseIni, sameValue, type FixtureCase } from './sopsTestKit';

const TEST_RECIPIENT = 'age1yt3tfqlfrwdwx0z0ynwplcr6qxcxfaqycuprpmy89nr83ltx74tqdpszlw';

function parsePlain(text: string, store: SopsStore): unknown {
  switch (store) {
    case 'yaml':
      return parseAllDocuments(text).map((document) => document.toJS());
    case 'json':
      return JSON.parse(text);
    case 'dotenv':
      return parseDotenv(text);
    case 'ini':
      return parseIni(text);
    case 'binary':
      return { data: text };
  }
}

/** The data part of an encrypted file, parsed, without the sops metadata. */
function parseEncryptedData(text: string, store: SopsStore): unknown {
  if (store === 'yaml') {
    return parseAllDocuments(text).map((document) => {
      const { sops: _metadata, ...data } = document.toJS() as Record<string, unknown>;
      return data;
    });
  }
  if (store === 'dotenv') return Object.fromEntries(Object.entries(parseDotenv(text)).filter(([key]) => !key.startsWith('sops_')));
  const { sops: _metadata, ...data } = (store === 'ini' ? parseIni(text) : JSON.parse(text)) as Record<string, unknown>;
  return data;
}

function codeOf(action: () => unknown): string | undefined {
  try {
    action();
    return undefined;
  } catch (error) {
    assert.ok(error instanceof SopsError, 'a SopsError is thrown');
    return error.code;
  }
}

/** The plaintext values of a decrypted document, to check that messages never contain one. */
function plainValues(text: string, store: SopsStore): string[] {
  const values: string[] = [];
  const collect = (value: unknown): void => {
    if (value === null || value === undefined) return;
    if (typeof value === 'object') Object.values(value as object).forEach(collect);
    else values.push(String(value));
  };
  collect(parsePlain(text, store));
  return values.filter((value) => value.length >= 4);
}

async function keyOf(fixture: FixtureCase): Promise<Uint8Array> {
  const key = await fixtureDataKey(fixture);
  assert.ok(key, `the data key of ${fixture.file} unwraps with its shipped key`);
  return key;
}

describe('sops fixtures: metadata, data key and decryption', () => {
  for (const fixture of FIXTURE_CASES) {
    const store = storeOfPath(fixture.file);
    it(`${fixture.file} (${store}, sops ${fixture.version}) → ${fixture.verdict}`, async () => {
      const text = fixtureText(fixture.file);
      const metadata = readSopsMetadata(text, store);
      assert.ok(metadata, 'the metadata is found');
      assert.equal(metadata.version, fixture.version);
      assert.ok(metadata.age.length + metadata.pgp.length > 0, 'the file lists recipients');
      const key = await keyOf(fixture);
      assert.equal(key.length, DATA_KEY_SIZE);

      const encryptedData = parseEncryptedData(text, store);
      assert.equal(countLeaves(encryptedData), fixture.leaves, 'leaf count of the encrypted document');

      if (fixture.verdict !== 'ok') {
        assert.equal(codeOf(() => decryptSops(text, store, key)), fixture.verdict);
        return;
      }
      const { plaintext, bytes, metadata: returned } = decryptSops(text, store, key);
      assert.equal(returned.mac, metadata.mac);
      if (store !== 'binary') assert.equal(Buffer.from(bytes).toString('utf8'), plaintext);
      assert.ok(!plaintext.includes('ENC[AES256_GCM'), 'no value or comment is left encrypted');
      const decrypted = parsePlain(plaintext, store);
      assert.equal(countLeaves(decrypted), fixture.leaves, 'leaf count of the decrypted document');
      if (store !== 'binary') assert.deepEqual(keyPaths(decrypted), keyPaths(encryptedData), 'same key paths in the same order');
    });
  }
});

describe('sops fixtures: negative files', () => {
  const find = (suffix: string) => FIXTURE_CASES.find((fixture) => fixture.file.endsWith(suffix))!;

  it('basic-mac-mismatch (keys swapped) is refused, and opens with ignoreMac; the message holds no value', async () => {
    const fixture = find('basic-mac-mismatch.sops.yaml');
    const text = fixtureText(fixture.file);
    const key = await keyOf(fixture);
    let message = '';
    try {
      decryptSops(text, 'yaml', key);
    } catch (error) {
      assert.ok(error instanceof SopsError && error.code === 'mac-mismatch', 'refused as mac-mismatch');
      message = error.message;
    }
    const { plaintext } = decryptSops(text, 'yaml', key, { ignoreMac: true });
    for (const value of plainValues(plaintext, 'yaml')) assert.ok(!message.includes(value), 'the error message does not contain a decrypted value');
    // The same ciphertexts in their original order verify.
    const basic = find('fixtures/basic.sops.yaml');
    const reference = decryptSops(fixtureText(basic.file), 'yaml', key).plaintext;
    assert.ok(sameValue(parsePlain(plaintext, 'yaml'), parsePlain(reference, 'yaml')), 'every value still decrypts to the same data');
  });

  it('no_mac is refused as no-mac, and opens with ignoreMac', async () => {
    const fixture = find('no_mac.yaml');
    const text = fixtureText(fixture.file);
    const key = await keyOf(fixture);
    assert.equal(codeOf(() => decryptSops(text, 'yaml', key)), 'no-mac');
    const { plaintext } = decryptSops(text, 'yaml', key, { ignoreMac: true });
    assert.equal(countLeaves(parsePlain(plaintext, 'yaml')), fixture.leaves);
  });

  it('isindir 01 (one value fails GCM) is refused as value-auth, even with ignoreMac', async () => {
    const fixture = find('01-test-secrets.yaml');
    const text = fixtureText(fixture.file);
    const key = await keyOf(fixture);
    assert.equal(codeOf(() => decryptSops(text, 'yaml', key)), 'value-auth');
    assert.equal(codeOf(() => decryptSops(text, 'yaml', key, { ignoreMac: true })), 'value-auth');
    try {
      decryptSops(text, 'yaml', key);
    } catch (error) {
      assert.match((error as Error).message, /spec:secretTemplates:stringData:username/, 'the message names the key path');
    }
  });

  it('a wrong data key fails authentication, not the MAC', async () => {
    const fixture = find('fixtures/basic.sops.yaml');
    assert.equal(codeOf(() => decryptSops(fixtureText(fixture.file), 'yaml', new Uint8Array(32).fill(7))), 'value-auth');
  });

  it('a plaintext file is not-encrypted; a short data key is refused', () => {
    assert.equal(codeOf(() => decryptSops('a: 1\n', 'yaml', new Uint8Array(32))), 'not-encrypted');
    assert.equal(codeOf(() => decryptSops('A=1\n', 'dotenv', new Uint8Array(32))), 'not-encrypted');
    assert.equal(codeOf(() => decryptSops('raw bytes', 'binary', new Uint8Array(32))), 'not-encrypted');
    assert.equal(codeOf(() => decryptSops('a: 1\n', 'yaml', new Uint8Array(16))), 'parse');
  });
});

describe('sops fixtures: known plaintexts', () => {
  const reference = JSON.parse(fixtureText('humphd-sops-age/tests/data/secret.json')) as Record<string, unknown>;
  const humphd = (suffix: string) => FIXTURE_CASES.find((fixture) => fixture.file.endsWith(suffix))!;

  it('humphd secret.enc.json decrypts to secret.json exactly', async () => {
    const fixture = humphd('secret.enc.json');
    const { plaintext } = decryptSops(fixtureText(fixture.file), 'json', await keyOf(fixture));
    assert.ok(sameValue(JSON.parse(plaintext), reference), 'decrypted JSON equals the reference');
  });

  it('humphd secret.enc.yaml, .env and .ini hold the reference values', async () => {
    const yaml = humphd('secret.enc.yaml');
    const yamlData = (parsePlain(decryptSops(fixtureText(yaml.file), 'yaml', await keyOf(yaml)).plaintext, 'yaml') as unknown[])[0] as Record<string, unknown>;
    const { ['0word']: _notInYaml, ...withoutZeroWord } = reference;
    assert.ok(sameValue(yamlData, withoutZeroWord), 'decrypted YAML equals the reference (which adds 0word)');

    const env = humphd('secret.enc.env');
    const envData = parseDotenv(decryptSops(fixtureText(env.file), 'dotenv', await keyOf(env)).plaintext);
    assert.ok(envData.secret === reference.secret, 'dotenv secret matches');

    const ini = humphd('secret.enc.ini');
    const iniData = parseIni(decryptSops(fixtureText(ini.file), 'ini', await keyOf(ini)).plaintext);
    assert.ok(iniData.DEFAULT.secret === reference.secret, 'INI default-section secret matches');
    assert.ok(iniData.complex.string === reference.string, 'INI [complex] string matches');
  });

  it('isindir 04 (mac_only_encrypted) decrypts with indent 2 to the byte-exact raw file', async () => {
    const fixture = FIXTURE_CASES.find((item) => item.file.endsWith('04-test-secrets-mac-only.yaml'))!;
    const raw = fixtureText('isindir-sops-secrets-operator/config/age-test-key/04-raw-test-secrets-mac-only.yaml');
    const { plaintext } = decryptSops(fixtureText(fixture.file), 'yaml', await keyOf(fixture), { indent: 2 });
    assert.ok(plaintext === raw, 'decrypted text equals 04-raw-test-secrets-mac-only.yaml');
  });

  it('ignoring mac_only_encrypted would break 04: the flag (and its seed) matter', async () => {
    const fixture = FIXTURE_CASES.find((item) => item.file.endsWith('04-test-secrets-mac-only.yaml'))!;
    const key = await keyOf(fixture);
    const without = fixtureText(fixture.file).replace('    mac_only_encrypted: true\n', '');
    assert.equal(codeOf(() => decryptSops(without, 'yaml', key)), 'mac-mismatch');
  });
});

describe('sops fixtures: round trips', () => {
  for (const fixture of FIXTURE_CASES.filter((item) => item.verdict === 'ok')) {
    const store = storeOfPath(fixture.file);
    it(`${fixture.file}: decrypt → encrypt (same rule, new key) → decrypt gives the same plaintext`, async () => {
      const text = fixtureText(fixture.file);
      const { plaintext, bytes, metadata } = decryptSops(text, store, await keyOf(fixture));
      const { age: _age, pgp: _pgp, otherKeys: _other, lastmodified: _time, mac: _mac, version: _version, key_groups: _groups, shamir_threshold: _threshold, ...rule } = metadata;
      const dataKey = new Uint8Array(32).fill(3);
      const encrypted = await encryptSops(store === 'binary' ? bytes : plaintext, store, { rule, ageRecipients: [TEST_RECIPIENT], dataKey });
      const again = decryptSops(encrypted, store, dataKey);
      assert.ok(again.plaintext === plaintext, 'the plaintext survives a re-encryption');
      assert.ok(Buffer.from(again.bytes).equals(Buffer.from(bytes)), 'the bytes survive a re-encryption');
    });
  }
});

describe('sops fixtures: byte-level compatibility', () => {
  it('YAML written by sops ≥ 3.7 (go-yaml v3) is re-emitted byte for byte, comments included', () => {
    const yamlFixtures = FIXTURE_CASES.filter((fixture) => storeOfPath(fixture.file) === 'yaml' && Number(fixture.version.split('.')[1]) >= 7);
    assert.ok(yamlFixtures.length >= 20, 'enough files checked');
    for (const fixture of yamlFixtures) {
      const text = fixtureText(fixture.file);
      const indent = /\n( +)\S/.exec(text)?.[1].length ?? 4;
      assert.ok(writeYamlTree(readYamlTree(text), indent) === text, `${fixture.file} is re-emitted unchanged`);
    }
  });

  it('older sops (yaml.v2 era) files are re-emitted in go-yaml v3 style with the same data', () => {
    for (const fixture of FIXTURE_CASES.filter((item) => storeOfPath(item.file) === 'yaml' && Number(item.version.split('.')[1]) < 7)) {
      const text = fixtureText(fixture.file);
      const out = writeYamlTree(readYamlTree(text), 4);
      assert.ok(sameValue(parsePlain(out, 'yaml'), parsePlain(text, 'yaml')), `${fixture.file} keeps its data`);
    }
    const out = writeYamlTree(readYamlTree(fixtureText('getsops-sops/functional-tests/res/comments.enc.yaml')), 4);
    assert.ok(out.includes('    lastmodified: "2020-10-07T15:49:13Z"\n'), 'timestamp-like strings are double-quoted, as go-yaml v3 does');
    assert.ok(out.includes('    pgp:\n        - created_at: "2019-08-29T21:52:32Z"\n          enc: |\n'), 'sequences are indented, as go-yaml v3 does');
  });

  const REENCRYPT = [
    'nobbs-terraform-provider-sops/test/fixtures/post-quantum.sops.yaml',
    'isindir-sops-secrets-operator/config/age-test-key/04-test-secrets-mac-only.yaml',
    'getsops-sops/functional-tests/res/format.enc.yaml',
    'getsops-sops/functional-tests/res/format.enc.json',
    'getsops-sops/functional-tests/res/format.enc.env',
    'getsops-sops/functional-tests/res/format.enc.ini',
    'jkroepke-helm-secrets/tests/assets/values/sops/secrets.trailing-newline.yaml',
  ];
  for (const file of REENCRYPT) {
    it(`re-encrypting ${file} as sops edit would (same key, IVs, time) reproduces it byte for byte`, async () => {
      const fixture = FIXTURE_CASES.find((item) => item.file === file)!;
      const store = storeOfPath(file);
      const text = fixtureText(file);
      const key = await keyOf(fixture);
      const indent = store === 'yaml' ? (/\n( +)\S/.exec(text)?.[1].length ?? 4) : undefined;
      const { plaintext, metadata } = decryptSops(text, store, key, { indent });
      const { age, pgp: _pgp, otherKeys: _other, lastmodified, mac: _mac, version: _version, key_groups: _groups, shamir_threshold: _threshold, ...rule } = metadata;
      const again = await encryptSops(plaintext, store, {
        rule,
        ageRecipients: age.map((entry) => entry.recipient),
        indent,
        now: new Date(lastmodified),
        previous: { text, dataKey: key },
      });
      // Only the version differs: we write 3.13.2's layout and say so.
      const expected = text.replace(/version(["\s:=]+)3\.13\.[0-9]/, 'version$13.13.2');
      assert.ok(again === expected, `${file} is reproduced exactly`);
    });
  }

  it('format-2.enc.ini (sops 3.13.1 wrote the armored key with go-ini """ quoting) differs only there', async () => {
    const file = 'getsops-sops/functional-tests/res/format-2.enc.ini';
    const fixture = FIXTURE_CASES.find((item) => item.file === file)!;
    const text = fixtureText(file);
    const key = await keyOf(fixture);
    const { plaintext, metadata } = decryptSops(text, 'ini', key);
    assert.ok(metadata.pgp[0].enc.startsWith('-----BEGIN PGP MESSAGE-----\n\n'), 'the multi-line quoted value is read with its newlines');
    const { age: _age, pgp: _pgp, otherKeys: _other, lastmodified, mac: _mac, version: _version, key_groups: _groups, shamir_threshold: _threshold, ...rule } = metadata;
    const again = await encryptSops(plaintext, 'ini', { rule, ageRecipients: [], now: new Date(lastmodified), previous: { text, dataKey: key } });
    const escaped = text.replace(/"""([^"]*)"""/, (_all, body: string) => body.replace(/\n/g, '\\n')).replace('3.13.1', '3.13.2');
    assert.ok(again === escaped, 'the same file with the newlines escaped, as sops 3.13.2 writes it');
  });
});
