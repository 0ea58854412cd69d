// What encryptSops writes: it decrypts with our engine, with sops-age (an independent
// implementation) and its data key with Debian's `age` CLI; every store and every partial-
// encryption option round-trips; the cluster-template Secret case (encrypted_regex
// ^(data|stringData)$, mac_only_encrypted, indent 2) is laid out as sops lays it out; tampering
// is caught. Values are compared in memory and never printed.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { ageRecipientOf } from '../../../server/src/engines/sops/dataKey';
import {
  decryptSops,
  encryptSops,
  isSopsEncrypted,
  readSopsMetadata,
  SopsError,
  storeOfPath,
  unwrapDataKey,
  wrapDataKey,
  type CryptRule,
  type SopsStore,
} from '../../../server/src/engines/sops/sopsFormat';
import { parseDotenv, parseIni, sameValue } from './sopsTestKit';

type AgeModule = typeof import('age-encryption', { with: { 'resolution-mode': 'import' } });
type SopsAgeModule = typeof import('sops-age', { with: { 'resolution-mode': 'import' } });

let age: AgeModule;
let sopsAge: SopsAgeModule;
let identity: string;
let recipient: string;
let otherIdentity: string;
let work: string;

before(async () => {
  age = await import('age-encryption');
  sopsAge = await import('sops-age');
  identity = await age.generateX25519Identity();
  recipient = await age.identityToRecipient(identity);
  otherIdentity = await age.generateX25519Identity();
  work = mkdtempSync(join(tmpdir(), 'ctt-sops-encrypt-'));
});
after(() => rmSync(work, { recursive: true, force: true }));

async function codeOfAsync(action: () => Promise<unknown>): Promise<string | undefined> {
  try {
    await action();
    return undefined;
  } catch (error) {
    assert.ok(error instanceof SopsError, 'a SopsError is thrown');
    return error.code;
  }
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

async function keyOf(text: string, store: SopsStore): Promise<Uint8Array> {
  const metadata = readSopsMetadata(text, store);
  assert.ok(metadata, 'the encrypted file has metadata');
  const key = await unwrapDataKey(metadata, [identity]);
  assert.ok(key, 'our identity unwraps the data key');
  return key;
}

/** The lines of an encrypted YAML file whose value is encrypted, by key. */
function encryptedKeys(text: string): string[] {
  const data = text.slice(0, text.indexOf('\nsops:\n'));
  return [...data.matchAll(/^\s*(?:- )?([^:\s#]+): ENC\[AES256_GCM,/gm)].map((match) => match[1]);
}

// The cluster-template case: a rendered *.sops.yaml Secret, in sops' own YAML style (indent 2).
const CLUSTER_SECRET = `---
apiVersion: v1
kind: Secret
metadata:
  name: cluster-secrets
  namespace: flux-system
type: Opaque
stringData:
  SECRET_DOMAIN: example.com
  SECRET_ACME_EMAIL: admin@example.com
  SECRET_CLOUDFLARE_TUNNEL_ID: 00000000-0000-0000-0000-000000000000
  CLUSTER_TOKEN: "12345"
`.replace('---\n', '');

const CLUSTER_RULE: CryptRule = { encrypted_regex: '^(data|stringData)$', mac_only_encrypted: true };

describe('the cluster-template Secret (encrypted_regex, mac_only_encrypted, indent 2)', () => {
  let encrypted: string;
  let key: Uint8Array;
  before(async () => {
    encrypted = await encryptSops(CLUSTER_SECRET, 'yaml', { rule: CLUSTER_RULE, ageRecipients: [recipient], indent: 2, now: new Date('2026-01-02T03:04:05.678Z') });
    key = await keyOf(encrypted, 'yaml');
  });

  it('encrypts only data/stringData values and lays the metadata out as sops 3.13 does', () => {
    assert.deepEqual(encryptedKeys(encrypted), ['SECRET_DOMAIN', 'SECRET_ACME_EMAIL', 'SECRET_CLOUDFLARE_TUNNEL_ID', 'CLUSTER_TOKEN']);
    assert.ok(encrypted.startsWith('apiVersion: v1\nkind: Secret\nmetadata:\n  name: cluster-secrets\n  namespace: flux-system\ntype: Opaque\nstringData:\n  SECRET_DOMAIN: ENC['), 'clear parts unchanged');
    const metadataBlock = encrypted.slice(encrypted.indexOf('\nsops:\n') + 1);
    const layout = metadataBlock.replace(/ENC\[[^\]]+\]/g, 'ENC').replace(/age1[0-9a-z]+/g, 'RECIPIENT').replace(/-----BEGIN AGE ENCRYPTED FILE-----\n(?: {8}[A-Za-z0-9+/=]+\n)+ {8}-----END/, '-----BEGIN AGE ENCRYPTED FILE-----\n        BODY\n        -----END');
    assert.equal(
      layout,
      [
        'sops:',
        '  age:',
        '    - enc: |',
        '        -----BEGIN AGE ENCRYPTED FILE-----',
        '        BODY',
        '        -----END AGE ENCRYPTED FILE-----',
        '      recipient: RECIPIENT',
        '  encrypted_regex: ^(data|stringData)$',
        '  lastmodified: "2026-01-02T03:04:05Z"',
        '  mac: ENC',
        '  mac_only_encrypted: true',
        '  version: 3.13.2',
        '',
      ].join('\n'),
    );
    assert.ok(/CLUSTER_TOKEN: ENC\[AES256_GCM,data:[^,]+,iv:[A-Za-z0-9+/]{43}=,tag:[A-Za-z0-9+/]{22}==,type:str\]/.test(encrypted), '32-byte IV, 16-byte tag, string type');
  });

  it('decrypts to the exact input with our engine', () => {
    assert.ok(decryptSops(encrypted, 'yaml', key, { indent: 2 }).plaintext === CLUSTER_SECRET, 'round trip');
  });

  it('decrypts with sops-age (independent implementation) to the same data', async () => {
    const data: unknown = await sopsAge.decryptSops(encrypted, { secretKey: identity, fileType: 'yaml' });
    assert.ok(sameValue(data, parseYaml(CLUSTER_SECRET)), 'sops-age sees the same document');
  });

  it("its data key unwraps with Debian's age CLI", () => {
    const metadata = readSopsMetadata(encrypted, 'yaml')!;
    const identityFile = join(work, 'identity.txt');
    const encFile = join(work, 'enc.age');
    writeFileSync(identityFile, `# test key\n${identity}\n`, { mode: 0o600 });
    writeFileSync(encFile, metadata.age[0].enc);
    const result = spawnSync('age', ['-d', '-i', identityFile, encFile], { timeout: 30_000 });
    assert.equal(result.status, 0, 'age -d succeeds');
    assert.ok(Buffer.from(result.stdout).equals(Buffer.from(key)), 'age gives the same 32-byte data key');
  });

  it('is tamper-evident where sops is: reordering or dropping encrypted values, or the mac_only flag', () => {
    const swapped = encrypted.replace(/( {2}SECRET_DOMAIN: .*\n)( {2}SECRET_ACME_EMAIL: .*\n)/, '$2$1');
    assert.notEqual(swapped, encrypted);
    assert.equal(codeOf(() => decryptSops(swapped, 'yaml', key)), 'mac-mismatch');
    const dropped = encrypted.replace(/ {2}CLUSTER_TOKEN: .*\n/, '');
    assert.equal(codeOf(() => decryptSops(dropped, 'yaml', key)), 'mac-mismatch');
    const flagless = encrypted.replace('  mac_only_encrypted: true\n', '');
    assert.equal(codeOf(() => decryptSops(flagless, 'yaml', key)), 'mac-mismatch');
    const moved = encrypted.replace(/ {2}SECRET_DOMAIN: (ENC\[[^\]]+\])\n {2}SECRET_ACME_EMAIL: (ENC\[[^\]]+\])\n/, '  SECRET_DOMAIN: $2\n  SECRET_ACME_EMAIL: $1\n');
    assert.equal(codeOf(() => decryptSops(moved, 'yaml', key)), 'value-auth');
    const otherTime = encrypted.replace(/lastmodified: "[^"]+"/, 'lastmodified: "2026-01-02T03:04:06Z"');
    assert.equal(codeOf(() => decryptSops(otherTime, 'yaml', key)), 'mac-mismatch');
    // With mac_only_encrypted, clear values are outside the MAC (as in sops).
    const renamed = encrypted.replace('name: cluster-secrets', 'name: renamed');
    assert.ok(decryptSops(renamed, 'yaml', key).plaintext.includes('name: renamed'), 'clear values are not covered');
  });

  it('is never encrypted twice', async () => {
    assert.equal(await codeOfAsync(() => encryptSops(encrypted, 'yaml', { rule: CLUSTER_RULE, ageRecipients: [recipient] })), 'already-encrypted');
  });
});

// One plaintext per store, written the way sops writes it so that decryption gives it back exactly.
const PLAINTEXTS: Record<Exclude<SopsStore, 'binary'>, string> = {
  yaml: [
    '# head comment',
    'string: value # inline note',
    'int: 42',
    'negative: -7',
    'float: 3.5',
    'big_float: 1.5e+07',
    'bool: true',
    'nothing: null',
    'empty: ""',
    'quoted_number: "0123"',
    'yes_string: "yes"',
    'colon: \'a: b\'',
    'unicode: héllo wörld',
    'emoji: "\\U0001F600"',
    'date: 2024-01-02T03:04:05Z',
    'multiline: |',
    '    line one',
    '    line two',
    'nested:',
    '    # about the list',
    '    list:',
    '        - a',
    '        - 2',
    '        - inner: x',
    '          other: "y"',
    '        - - deep',
    '    map_unencrypted:',
    '        kept: clear',
    '    empty_map: {}',
    '    empty_list: []',
    'key_secret: s3cr3t',
    '# foot comment',
    '',
  ].join('\n'),
  json: `{\n\t"string": "value \\u003c\\u0026\\u003e",\n\t"int": 42,\n\t"float": 3.5,\n\t"tiny": 1e-7,\n\t"bool": false,\n\t"nothing": null,\n\t"empty": "",\n\t"list": [\n\t\t1,\n\t\t"two",\n\t\t{\n\t\t\t"three": true\n\t\t}\n\t],\n\t"obj_unencrypted": {\n\t\t"kept": "clear"\n\t},\n\t"key_secret": "s3cr3t",\n\t"empty_obj": {}\n}\n`,
  dotenv: '# comment\nSTRING=value\nMULTI=line one\\nline two\nEMPTY=\nSPACED=a b c\nCLEAR_unencrypted=visible\nkey_secret=s3cr3t\n',
  ini: 'top = level\n\n[section]\n; about key\nkey        = value\nkey_secret = s3cr3t\n\n[other]\nCLEAR_unencrypted = visible\nempty             = \n',
};

const RULES: Array<{ name: string; rule: CryptRule; encrypted: Record<Exclude<SopsStore, 'binary'>, string[]>; clear: Record<Exclude<SopsStore, 'binary'>, string[]> }> = [
  {
    name: 'default (unencrypted_suffix _unencrypted)',
    rule: {},
    encrypted: { yaml: ['string', 'int', 'key_secret', 'inner'], json: ['"string"', '"int"', '"key_secret"', '"three"'], dotenv: ['STRING', 'key_secret'], ini: ['key', 'key_secret', 'top'] },
    clear: { yaml: ['kept'], json: ['"kept"'], dotenv: ['CLEAR_unencrypted'], ini: ['CLEAR_unencrypted'] },
  },
  {
    name: 'encrypted_suffix _secret',
    rule: { encrypted_suffix: '_secret' },
    encrypted: { yaml: ['key_secret'], json: ['"key_secret"'], dotenv: ['key_secret'], ini: ['key_secret'] },
    clear: { yaml: ['string', 'int', 'inner', 'kept'], json: ['"string"', '"three"'], dotenv: ['STRING', 'CLEAR_unencrypted'], ini: ['top', 'CLEAR_unencrypted'] },
  },
  {
    name: 'unencrypted_regex ^(string|nested|obj_unencrypted|STRING|section)$',
    rule: { unencrypted_regex: '^(string|nested|obj_unencrypted|STRING|section)$' },
    encrypted: { yaml: ['int', 'key_secret'], json: ['"int"', '"key_secret"'], dotenv: ['key_secret'], ini: ['top', 'CLEAR_unencrypted'] },
    clear: { yaml: ['string', 'inner', 'kept'], json: ['"string"', '"kept"'], dotenv: ['STRING'], ini: ['key', 'key_secret'] },
  },
  {
    name: 'encrypted_regex ^(key_secret|list)$ with mac_only_encrypted',
    rule: { encrypted_regex: '^(key_secret|list)$', mac_only_encrypted: true },
    encrypted: { yaml: ['key_secret', 'inner'], json: ['"key_secret"', '"three"'], dotenv: ['key_secret'], ini: ['key_secret'] },
    clear: { yaml: ['string', 'int', 'kept'], json: ['"string"', '"int"'], dotenv: ['STRING'], ini: ['top', 'key'] },
  },
  {
    name: 'unencrypted_suffix _secret',
    rule: { unencrypted_suffix: '_secret' },
    encrypted: { yaml: ['string', 'kept'], json: ['"string"', '"kept"'], dotenv: ['STRING', 'CLEAR_unencrypted'], ini: ['key', 'top'] },
    clear: { yaml: ['key_secret'], json: ['"key_secret"'], dotenv: ['key_secret'], ini: ['key_secret'] },
  },
];

function valueLine(text: string, store: SopsStore, key: string): string | undefined {
  const pattern =
    store === 'json'
      ? new RegExp(`^\\s*${key.replace(/"/g, '"')}: (.*)$`, 'm')
      : store === 'yaml'
        ? new RegExp(`^\\s*(?:- )?${key}: (.*?)(?: #.*)?$`, 'm')
        : store === 'dotenv'
          ? new RegExp(`^${key}=(.*)$`, 'm')
          : new RegExp(`^${key} *= (.*)$`, 'm');
  return pattern.exec(text)?.[1];
}

describe('round trips: every store × every rule', () => {
  for (const { name, rule, encrypted, clear } of RULES) {
    for (const store of ['yaml', 'json', 'dotenv', 'ini'] as const) {
      it(`${store}, ${name}`, async () => {
        const plaintext = PLAINTEXTS[store];
        const text = await encryptSops(plaintext, store, { rule, ageRecipients: [recipient] });
        assert.ok(isSopsEncrypted(text, store), 'the output is recognised as encrypted');
        assert.ok(!isSopsEncrypted(plaintext, store), 'the input is not');
        for (const key of encrypted[store]) assert.ok(/^"?ENC\[AES256_GCM,/.test(valueLine(text, store, key) ?? ''), `${key} is encrypted`);
        for (const key of clear[store]) assert.ok(!/ENC\[|missing/.test(valueLine(text, store, key) ?? 'missing'), `${key} stays clear`);
        const key = await keyOf(text, store);
        const decrypted = decryptSops(text, store, key).plaintext;
        assert.ok(decrypted === plaintext, 'decrypts to the exact plaintext');
      });
    }
  }

  it('YAML comments are encrypted with the path of their mapping and come back in place', async () => {
    const text = await encryptSops(PLAINTEXTS.yaml, 'yaml', { rule: {}, ageRecipients: [recipient] });
    assert.ok(!text.includes('head comment') && !text.includes('inline note') && !text.includes('about the list'), 'comments are encrypted by default');
    assert.ok(/^#ENC\[AES256_GCM,[^\]]+type:comment\]\nstring: ENC\[[^\]]+\] #ENC\[[^\]]+type:comment\]$/m.test(text), 'head and inline comments stay where they were');
  });

  it('types are tagged as sops tags them', async () => {
    const text = await encryptSops(PLAINTEXTS.yaml, 'yaml', { rule: {}, ageRecipients: [recipient] });
    const typeOf = (key: string) => /type:([a-z]+)\]/.exec(valueLine(text, 'yaml', key) ?? '')?.[1];
    assert.deepEqual(
      ['string', 'int', 'float', 'bool', 'date', 'quoted_number', 'multiline'].map(typeOf),
      ['str', 'int', 'float', 'bool', 'time', 'str', 'str'],
    );
    assert.ok(valueLine(text, 'yaml', 'empty') === '""', 'empty strings stay empty and clear');
    assert.ok(valueLine(text, 'yaml', 'nothing') === 'null', 'nulls stay null');
  });

  it('encrypted_comment_regex encrypts what follows a matching comment; unencrypted_comment_regex the opposite', async () => {
    const plaintext = 'a: one\n# sops:enc\nb: two\nc: three\n# plain comment\nd: four\n';
    const marked = await encryptSops(plaintext, 'yaml', { rule: { encrypted_comment_regex: 'sops:enc' }, ageRecipients: [recipient] });
    assert.deepEqual(encryptedKeys(marked), ['b']);
    assert.ok(marked.includes('# sops:enc\n'), 'the marker comment itself stays readable');
    assert.ok(decryptSops(marked, 'yaml', await keyOf(marked, 'yaml'), { indent: 4 }).plaintext === plaintext, 'round trip');

    const kept = await encryptSops('a: one\n# sops:plain\nb: two\nc: three\n', 'yaml', { rule: { unencrypted_comment_regex: 'sops:plain' }, ageRecipients: [recipient] });
    assert.deepEqual(encryptedKeys(kept), ['a', 'c']);
    assert.ok(kept.includes('# sops:plain\n'), 'the marker comment stays readable');
  });

  it('the binary store keeps arbitrary bytes', async () => {
    const bytes = Buffer.from([0, 1, 2, 0xff, 0xfe, 0x80, 0x0a, 0x41]);
    const text = await encryptSops(bytes, 'binary', { rule: {}, ageRecipients: [recipient] });
    assert.ok(/^\{\n\t"data": "ENC\[AES256_GCM,[^\]]+type:str\]",\n\t"sops": \{\n/.test(text), 'binary files are JSON with a data leaf');
    const result = decryptSops(text, 'binary', await keyOf(text, 'binary'));
    assert.ok(Buffer.from(result.bytes).equals(bytes), 'bytes round-trip');
    assert.equal(storeOfPath('secret.txt'), 'binary');
  });

  it('multi-document YAML: each document is encrypted and carries the metadata (sops 3.13)', async () => {
    const plaintext = 'a: 1\n---\nb: two\n';
    const text = await encryptSops(plaintext, 'yaml', { rule: {}, ageRecipients: [recipient] });
    assert.equal(parseAllDocuments(text).filter((document) => (document.toJS() as Record<string, unknown>).sops !== undefined).length, 2);
    assert.ok(decryptSops(text, 'yaml', await keyOf(text, 'yaml')).plaintext === plaintext, 'round trip');
  });

  it('sops-age decrypts our JSON and dotenv files too', async () => {
    const json = await encryptSops(PLAINTEXTS.json, 'json', { rule: {}, ageRecipients: [recipient] });
    const fromJson: unknown = await sopsAge.decryptSops(json, { secretKey: identity, fileType: 'json' });
    assert.ok(sameValue(fromJson, JSON.parse(PLAINTEXTS.json)), 'JSON data equal');
    const env = await encryptSops('ONE=first\nTWO=second value\n', 'dotenv', { rule: {}, ageRecipients: [recipient] });
    const fromEnv = (await sopsAge.decryptSops(env, { secretKey: identity, fileType: 'env' })) as Record<string, unknown>;
    assert.ok(fromEnv.ONE === 'first' && fromEnv.TWO === 'second value', 'dotenv values equal');
  });

  it('INI: DEFAULT keys and sections come back; the [sops] section holds the flattened metadata', async () => {
    const text = await encryptSops(PLAINTEXTS.ini, 'ini', { rule: {}, ageRecipients: [recipient] });
    const sections = parseIni(text);
    assert.ok(sections.sops.age__list_0__map_enc.startsWith('-----BEGIN AGE ENCRYPTED FILE-----\\n'), 'newlines escaped as \\n');
    assert.equal(sections.sops.age__list_0__map_recipient, recipient);
    assert.equal(sections.sops.version, '3.13.2');
    const env = await encryptSops('A=b\n', 'dotenv', { rule: { mac_only_encrypted: true }, ageRecipients: [recipient] });
    const flat = parseDotenv(env);
    assert.deepEqual(Object.keys(flat), ['A', 'sops_age__list_0__map_enc', 'sops_age__list_0__map_recipient', 'sops_lastmodified', 'sops_mac', 'sops_mac_only_encrypted', 'sops_unencrypted_suffix', 'sops_version']);
    assert.equal(flat.sops_mac_only_encrypted, 'true');
  });
});

describe('refusals', () => {
  it('already-encrypted in every store', async () => {
    const options = { rule: {}, ageRecipients: [] as string[] };
    assert.equal(await codeOfAsync(() => encryptSops('a: 1\nsops:\n  version: x\n', 'yaml', options)), 'already-encrypted');
    assert.equal(await codeOfAsync(() => encryptSops('{"sops": {}}', 'json', options)), 'already-encrypted');
    assert.equal(await codeOfAsync(() => encryptSops('A=1\nsops_version=3\n', 'dotenv', options)), 'already-encrypted');
    assert.equal(await codeOfAsync(() => encryptSops('[sops]\nversion = 3\n', 'ini', options)), 'already-encrypted');
    const binary = await encryptSops('raw', 'binary', { rule: {}, ageRecipients: [recipient] });
    assert.equal(await codeOfAsync(() => encryptSops(binary, 'binary', options)), 'already-encrypted');
  });

  it('invalid rules and missing recipients', async () => {
    assert.equal(await codeOfAsync(() => encryptSops('a: 1\n', 'yaml', { rule: { encrypted_regex: 'a', unencrypted_suffix: '_x' }, ageRecipients: [recipient] })), 'invalid-rule');
    assert.equal(await codeOfAsync(() => encryptSops('a: 1\n', 'yaml', { rule: { encrypted_regex: '(' }, ageRecipients: [recipient] })), 'invalid-rule');
    assert.equal(await codeOfAsync(() => encryptSops('a: 1\n', 'yaml', { rule: {}, ageRecipients: [] })), 'invalid-rule');
    assert.equal(await codeOfAsync(() => encryptSops('a: 1\n', 'yaml', { rule: {}, ageRecipients: ['age1notvalid'] })), 'invalid-rule');
    assert.equal(await codeOfAsync(() => encryptSops('a: 1\n', 'yaml', { rule: {}, ageRecipients: ['ssh-ed25519 AAAA'] })), 'unsupported');
  });

  it('what sops refuses in YAML: lists or scalars as documents, non-string keys, empty files', async () => {
    const options = { rule: {}, ageRecipients: [recipient] };
    assert.equal(await codeOfAsync(() => encryptSops('- a\n', 'yaml', options)), 'unsupported');
    assert.equal(await codeOfAsync(() => encryptSops('just text\n', 'yaml', options)), 'unsupported');
    assert.equal(await codeOfAsync(() => encryptSops('80: http\n', 'yaml', options)), 'unsupported');
    assert.equal(await codeOfAsync(() => encryptSops('', 'yaml', options)), 'parse');
    assert.equal(await codeOfAsync(() => encryptSops('a: [\n', 'yaml', options)), 'parse');
    assert.equal(await codeOfAsync(() => encryptSops('[1]', 'json', options)), 'unsupported');
  });

  it('parse errors never quote the text', async () => {
    try {
      await encryptSops('password: hunter2\n  bad: [indent\n', 'yaml', { rule: {}, ageRecipients: [recipient] });
      assert.fail('expected a parse error');
    } catch (error) {
      assert.ok(error instanceof SopsError && error.code === 'parse', 'parse error');
      assert.ok(!error.message.includes('hunter2') && !error.message.includes('password'), 'the message holds no source text');
    }
  });
});

describe('data keys', () => {
  it('wraps for X25519 and post-quantum recipients; only the right identity unwraps', async () => {
    const pqIdentity = await age.generateHybridIdentity();
    const pqRecipient = await age.identityToRecipient(pqIdentity);
    const dataKey = new Uint8Array(32).map((_, index) => index);
    const entries = await wrapDataKey(dataKey, [recipient, pqRecipient]);
    assert.deepEqual(
      entries.map((entry) => entry.recipient),
      [recipient, pqRecipient],
    );
    for (const entry of entries) assert.ok(/^-----BEGIN AGE ENCRYPTED FILE-----\n([A-Za-z0-9+/=]{64}\n)*[A-Za-z0-9+/=]{1,64}\n-----END AGE ENCRYPTED FILE-----\n$/.test(entry.enc), 'armored like age writes it');
    const viaX25519 = await unwrapDataKey({ age: entries }, [identity]);
    const viaPq = await unwrapDataKey({ age: entries }, [`# created: today\n# public key: ${pqRecipient}\n${pqIdentity}\n`]);
    assert.ok(viaX25519 && Buffer.from(viaX25519).equals(Buffer.from(dataKey)), 'X25519 identity unwraps');
    assert.ok(viaPq && Buffer.from(viaPq).equals(Buffer.from(dataKey)), 'PQ identity (in key-file text) unwraps');
    assert.equal(await unwrapDataKey({ age: entries }, [otherIdentity]), undefined);
    assert.equal(await unwrapDataKey({ age: entries }, []), undefined);
    assert.equal(ageRecipientOf(identity), recipient);
  });

  it('Shamir key groups are left to the sops binary', async () => {
    await assert.rejects(
      () => unwrapDataKey({ age: [], key_groups: [{}, {}] }, [identity]),
      (error: unknown) => error instanceof SopsError && error.code === 'unsupported',
    );
  });

  it('a given data key is used, and decryption with another key fails authentication', async () => {
    const dataKey = new Uint8Array(32).fill(9);
    const text = await encryptSops('a: b\n', 'yaml', { rule: {}, ageRecipients: [recipient], dataKey });
    assert.ok(Buffer.from(await keyOf(text, 'yaml')).equals(Buffer.from(dataKey)), 'the wrapped key is the given one');
    assert.equal(codeOf(() => decryptSops(text, 'yaml', new Uint8Array(32).fill(8))), 'value-auth');
  });
});

describe('re-encrypting an edited file (previous version)', () => {
  it('keeps the data key, the wrapped keys and the ciphertext of unchanged values', async () => {
    const first = await encryptSops('a: one\nb: two\n', 'yaml', { rule: {}, ageRecipients: [recipient] });
    const key = await keyOf(first, 'yaml');
    const second = await encryptSops('a: one\nb: changed\nc: new\n', 'yaml', { rule: {}, ageRecipients: [recipient], previous: { text: first, dataKey: key } });
    assert.ok(valueLine(second, 'yaml', 'a') === valueLine(first, 'yaml', 'a'), 'unchanged value keeps its ciphertext');
    assert.ok(valueLine(second, 'yaml', 'b') !== valueLine(first, 'yaml', 'b'), 'changed value gets a new one');
    assert.equal(readSopsMetadata(second, 'yaml')!.age[0].enc, readSopsMetadata(first, 'yaml')!.age[0].enc, 'the wrapped data key is kept');
    assert.ok(decryptSops(second, 'yaml', key).plaintext === 'a: one\nb: changed\nc: new\n', 'round trip');
  });

  it('refuses a previous version that does not verify', async () => {
    const first = await encryptSops('a: one\n', 'yaml', { rule: {}, ageRecipients: [recipient] });
    const key = await keyOf(first, 'yaml');
    const tampered = first.replace(/mac: ENC\[AES256_GCM,data:./, (match) => match.slice(0, -1) + (match.endsWith('A') ? 'B' : 'A'));
    assert.equal(await codeOfAsync(() => encryptSops('a: two\n', 'yaml', { rule: {}, ageRecipients: [recipient], previous: { text: tampered, dataKey: key } })), 'mac-mismatch');
  });
});
