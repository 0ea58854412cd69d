// The Go rules the SOPS engine imitates, one table each: strconv/encoding/json number text, go-yaml
// v3 scalar typing and quoting, Go times, the MAC seed, and the flat stores' readers and writers.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { readDotenvTree, valueToString, writeDotenvTree } from '../../../server/src/engines/sops/dotenvStore';
import {
  formatFloatF,
  formatFloatG,
  formatJsonFloat,
  GoTime,
  normalizeLastModified,
  parseYamlTimestamp,
  resolvePlainScalar,
  TreeComment,
  TreeList,
  TreeMap,
  type TreeValue,
} from '../../../server/src/engines/sops/goValues';
import { readIniTree, writeIniTree } from '../../../server/src/engines/sops/iniStore';
import { goJsonString, readJsonTree, writeJsonTree } from '../../../server/src/engines/sops/jsonStore';
import { flattenTree, unflattenTree } from '../../../server/src/engines/sops/metadata';
import { isSopsEncrypted, MAC_ONLY_ENCRYPTED_SEED, storeOfPath } from '../../../server/src/engines/sops/sopsFormat';
import { effectiveRule, goRegExp } from '../../../server/src/engines/sops/treeCrypt';
import { decryptLeaf, encryptLeaf } from '../../../server/src/engines/sops/valueCipher';
import { readYamlTree, writeYamlTree } from '../../../server/src/engines/sops/yamlStore';

describe('Go number text', () => {
  it("strconv 'f' -1 (what sops hashes and encrypts for a float)", () => {
    const cases: Array<[number, string]> = [
      [3.14, '3.14'],
      [1e21, '1000000000000000000000'],
      [1e-7, '0.0000001'],
      [1, '1'],
      [-2.5, '-2.5'],
      [Infinity, '+Inf'],
      [-Infinity, '-Inf'],
      [NaN, 'NaN'],
      [0, '0'],
    ];
    for (const [value, text] of cases) assert.equal(formatFloatF(value), text, String(value));
  });

  it("strconv 'g' -1 (how go-yaml writes a float)", () => {
    const cases: Array<[number, string]> = [
      [1e6, '1e+06'],
      [123456, '123456'],
      [1234567, '1.234567e+06'],
      [0.0001, '0.0001'],
      [0.00001, '1e-05'],
      [-2.5e-7, '-2.5e-07'],
      [1.5, '1.5'],
      [1, '1'],
      [1e21, '1e+21'],
      [1e100, '1e+100'],
    ];
    for (const [value, text] of cases) assert.equal(formatFloatG(value), text, String(value));
  });

  it('encoding/json float text', () => {
    const cases: Array<[number, string]> = [
      [1e-7, '1e-7'],
      [1e21, '1e+21'],
      [0.000001, '0.000001'],
      [123, '123'],
      [25.4, '25.4'],
      [1e20, '100000000000000000000'],
    ];
    for (const [value, text] of cases) assert.equal(formatJsonFloat(value), text, String(value));
  });
});

describe('go-yaml v3 typing of plain scalars', () => {
  it('resolves as go-yaml does', () => {
    const cases: Array<[string, unknown]> = [
      ['123', 123n],
      ['-7', -7n],
      ['+5', 5n],
      ['0x1F', 31n],
      ['0o17', 15n],
      ['017', 15n],
      ['1_000', 1000n],
      ['08', 8],
      ['1.5', 1.5],
      ['.5', 0.5],
      ['1e3', 1000],
      ['1.0', 1],
      ['true', true],
      ['False', false],
      ['yes', 'yes'],
      ['on', 'on'],
      ['~', null],
      ['null', null],
      ['', null],
      ['.inf', Infinity],
      ['-.Inf', -Infinity],
      ['1e999', '1e999'],
      ['99999999999999999999', 1e20],
      ['1.2.3', '1.2.3'],
      ['<<', '<<'],
      ['-', '-'],
    ];
    for (const [text, expected] of cases) assert.deepEqual(resolvePlainScalar(text), expected, text);
    assert.ok(Number.isNaN(resolvePlainScalar('.nan') as number));
    assert.deepEqual(resolvePlainScalar('18446744073709551615'), { unsupported: 'uint64' });
  });

  it('timestamps become Go times in RFC 3339 with nanoseconds', () => {
    const cases: Array<[string, string | undefined]> = [
      ['2024-1-2', '2024-01-02T00:00:00Z'],
      ['2001-12-14t21:59:43.10-05:00', '2001-12-14T21:59:43.1-05:00'],
      ['2001-12-14 21:59:43.10', '2001-12-14T21:59:43.1Z'],
      ['2024-01-01T00:00:00+00:00', '2024-01-01T00:00:00Z'],
      ['2024-02-29', '2024-02-29T00:00:00Z'],
      ['2023-02-29', undefined],
      ['2024-13-01', undefined],
      ['2001-12-14 21:59:43.10 -5', undefined],
      ['24-01-01', undefined],
    ];
    for (const [text, expected] of cases) assert.equal(parseYamlTimestamp(text)?.text, expected, text);
  });

  it('lastmodified becomes the MAC additional data as time.RFC3339 formats it', () => {
    assert.equal(normalizeLastModified('2026-06-20T08:09:02Z'), '2026-06-20T08:09:02Z');
    assert.equal(normalizeLastModified('2026-06-20T08:09:02.123456Z'), '2026-06-20T08:09:02Z');
    assert.equal(normalizeLastModified('2026-06-20T08:09:02+00:00'), '2026-06-20T08:09:02Z');
    assert.equal(normalizeLastModified('2026-06-20T08:09:02+02:00'), '2026-06-20T08:09:02+02:00');
    assert.equal(normalizeLastModified('yesterday'), undefined);
  });
});

describe('go-yaml v3 output', () => {
  const emit = (value: TreeValue, indent = 4) => writeYamlTree([new TreeMap([{ key: 'k', value }])], indent);

  it('quotes strings as go-yaml does', () => {
    const cases: Array<[string, string]> = [
      ['plain words', 'k: plain words\n'],
      ['yes', 'k: "yes"\n'],
      ['Off', 'k: "Off"\n'],
      ['123', 'k: "123"\n'],
      ['1.5', 'k: "1.5"\n'],
      ['', 'k: ""\n'],
      ['null', 'k: "null"\n'],
      ['2024-01-01', 'k: "2024-01-01"\n'],
      ['1:30', 'k: "1:30"\n'],
      ['a: b', "k: 'a: b'\n"],
      [' leading', "k: ' leading'\n"],
      ['trailing ', "k: 'trailing '\n"],
      ['#hash', "k: '#hash'\n"],
      ['a #b', "k: 'a #b'\n"],
      ['a#b', 'k: a#b\n'],
      ['- dash', "k: '- dash'\n"],
      ['-dash', 'k: -dash\n'],
      ["it's", "k: it's\n"],
      ["'q'", "k: '''q'''\n"],
      ['key:', "k: 'key:'\n"],
      ['tab\there', 'k: "tab\\there"\n'],
      ['\u{1F600}', 'k: "\\U0001F600"\n'],
      ['café', 'k: café\n'],
      ['bell\u0007', 'k: "bell\\a"\n'],
      ['two\nlines', 'k: |-\n    two\n    lines\n'],
      ['ends\n', 'k: |\n    ends\n'],
      ['keeps\n\n', 'k: |+\n    keeps\n\n'],
      ['trailing space \nline', 'k: "trailing space \\nline"\n'],
    ];
    for (const [value, text] of cases) assert.equal(emit(value), text, JSON.stringify(value));
  });

  it('writes other scalars, empty collections and nested lists as go-yaml does', () => {
    assert.equal(emit(42n), 'k: 42\n');
    assert.equal(emit(1e6), 'k: 1e+06\n');
    assert.equal(emit(1), 'k: 1\n');
    assert.equal(emit(NaN), 'k: .nan\n');
    assert.equal(emit(-Infinity), 'k: -.inf\n');
    assert.equal(emit(true), 'k: true\n');
    assert.equal(emit(null), 'k: null\n');
    assert.equal(emit(new GoTime('2024-01-02T03:04:05Z')), 'k: 2024-01-02T03:04:05Z\n');
    assert.equal(emit(new TreeMap()), 'k: {}\n');
    assert.equal(emit(new TreeList()), 'k: []\n');
    assert.equal(emit(new TreeList([new TreeList(['a', 'b']), 'c']), 2), 'k:\n  - - a\n    - b\n  - c\n');
    // Mappings inside list items: two columns past the dash, then multiples of the indent.
    const nested = new TreeList([new TreeMap([{ key: 'name', value: 'x' }, { key: 'data', value: new TreeMap([{ key: 'token', value: 'y' }]) }])]);
    assert.equal(emit(nested, 4), 'k:\n    - name: x\n      data:\n        token: "y"\n');
    assert.equal(emit(nested, 2), 'k:\n  - name: x\n    data:\n      token: "y"\n');
  });

  it('places comments as sops does: head, inline, and trailing ones', () => {
    const text = '# top\na: 1 # inline\nb:\n    # inner\n    c: 2\n    # after c\n# before d\nd: 3\n# end\n';
    assert.equal(writeYamlTree(readYamlTree(text), 4), text);
    const tree = readYamlTree(text)[0];
    const kinds = tree.entries.map((entry) => (entry instanceof TreeComment ? `#${entry.inline ? 'inline' : 'own'}` : entry.key));
    assert.deepEqual(kinds, ['#own', '#inline', 'a', 'b', '#own', 'd', '#own']);
  });

  it('reads YAML values with go-yaml typing and expands aliases', () => {
    const [tree] = readYamlTree('a: &x\n  b: 1\nc: *x\nd: !!str 12\ne: "12"\nf: 2024-01-02\n');
    const values = Object.fromEntries(tree.entries.filter((entry) => !(entry instanceof TreeComment)).map((entry) => [(entry as { key: string }).key, (entry as { value: TreeValue }).value]));
    assert.ok(values.c instanceof TreeMap && values.c.entries.length === 1);
    assert.equal(values.d, '12');
    assert.equal(values.e, '12');
    assert.ok(values.f instanceof GoTime && values.f.text === '2024-01-02T00:00:00Z');
  });
});

describe('values, rules and stores', () => {
  it('the mac_only_encrypted seed is the SHA-256 of "sops"', () => {
    assert.ok(MAC_ONLY_ENCRYPTED_SEED.equals(createHash('sha256').update('sops').digest()));
  });

  it('an encrypted leaf opens only with its key path', () => {
    const key = new Uint8Array(32).fill(1);
    const text = encryptLeaf(42n, key, 'a:b:');
    assert.ok(/^ENC\[AES256_GCM,data:[^,]+,iv:[^,]{44},tag:[^,]{24},type:int\]$/.test(text), 'sops value format');
    assert.equal(decryptLeaf(text, key, 'a:b:', 'a:b').value, 42n);
    assert.throws(() => decryptLeaf(text, key, 'a:c:', 'a:c'), (error: unknown) => (error as { code?: string }).code === 'value-auth');
    assert.equal(encryptLeaf('', key, 'a:'), '', 'empty strings are not encrypted');
    assert.equal(encryptLeaf(true, key, 'a:').endsWith('type:bool]'), true);
    assert.equal(decryptLeaf(encryptLeaf(false, key, 'x:'), key, 'x:', 'x').macBytes.toString(), 'False', 'booleans hash as False/True');
  });

  it('rules: one option at most, the default suffix otherwise; Go regexps', () => {
    assert.deepEqual(effectiveRule({}), { unencrypted_suffix: '_unencrypted' });
    assert.deepEqual(effectiveRule({ encrypted_regex: '^data$', mac_only_encrypted: true }), { encrypted_regex: '^data$', mac_only_encrypted: true });
    assert.throws(() => effectiveRule({ encrypted_regex: 'a', encrypted_suffix: 'b' }), (error: unknown) => (error as { code?: string }).code === 'invalid-rule');
    assert.ok(goRegExp('(?i)^DATA$', 'encrypted_regex').test('data'));
    assert.ok(goRegExp('\\Astring\\z', 'encrypted_regex').test('string'));
  });

  it('storeOfPath and isSopsEncrypted', () => {
    assert.equal(storeOfPath('a/b.sops.yaml'), 'yaml');
    assert.equal(storeOfPath('b.yml'), 'yaml');
    assert.equal(storeOfPath('b.json'), 'json');
    assert.equal(storeOfPath('.env'), 'dotenv');
    assert.equal(storeOfPath('b.ini'), 'ini');
    assert.equal(storeOfPath('b.YAML'), 'binary');
    assert.equal(storeOfPath('talosconfig'), 'binary');
    assert.ok(isSopsEncrypted('a: 1\nsops:\n    mac: x\n', 'yaml'));
    assert.ok(!isSopsEncrypted('a:\n  sops: 1\n', 'yaml'));
    assert.ok(isSopsEncrypted('{\n\t"sops": {\n', 'json'));
    assert.ok(isSopsEncrypted('A=1\nsops_version=3.9.0\n', 'dotenv'));
    assert.ok(isSopsEncrypted('[sops]\nmac = x\n', 'ini'));
    assert.ok(!isSopsEncrypted('[main]\nsops = x\n', 'ini'));
  });

  it('JSON: Go escaping, key order and duplicates kept, ints and floats told apart', () => {
    assert.equal(goJsonString('<a&b>\u2028\t"\\\u0001'), '"\\u003ca\\u0026b\\u003e\\u2028\\t\\"\\\\\\u0001"');
    const [tree] = readJsonTree('{"b": 1, "a": 1.0, "b": 12345678901234567890, "c": [], "d": {}}');
    assert.deepEqual(
      tree.entries.map((entry) => (entry as { value: TreeValue }).value),
      [1n, 1, 12345678901234567000, new TreeList(), new TreeMap()],
    );
    assert.equal(writeJsonTree([tree]), '{\n\t"b": 1,\n\t"a": 1,\n\t"b": 12345678901234567000,\n\t"c": [],\n\t"d": {}\n}\n');
    assert.equal(writeJsonTree([tree], 2).split('\n')[1], '  "b": 1,');
  });

  it('dotenv: keys up to the first =, \\n escapes, non-strings as sops prints them', () => {
    const [tree] = readDotenvTree('# c\nA=x=y\nB=one\\ntwo\n\nC =\n');
    assert.deepEqual(
      tree.entries.map((entry) => (entry instanceof TreeComment ? ['#', entry.value] : [entry.key, entry.value])),
      [['#', ' c'], ['A', 'x=y'], ['B', 'one\ntwo'], ['C ', '']],
    );
    assert.equal(writeDotenvTree([tree]), '# c\nA=x=y\nB=one\\ntwo\nC =\n');
    assert.deepEqual([1.5, 2, 1e6, true, 7n].map(valueToString), ['1.5', '2.0', '1E+06', 'true', '7']);
  });

  it("INI: go-ini's quoting, inline comments, DEFAULT keys, aligned output", () => {
    const text = 'top = 1\n[s]\n; about a\na = "quoted"\nb = `with # hash`\nc = x ; inline\nmulti = """one\ntwo"""\nlong = con\\\n  tinued\n';
    const [tree] = readIniTree(text);
    const sections = tree.entries.map((entry) => (entry as { key: string }).key);
    assert.deepEqual(sections, ['DEFAULT', 's']);
    const section = (tree.entries[1] as { value: TreeMap }).value.entries.map((entry) => (entry instanceof TreeComment ? ['#', entry.value] : [entry.key, entry.value]));
    // sops puts a key's comment after the key; go-ini writes it back above the key.
    assert.deepEqual(section, [
      ['a', 'quoted'],
      ['#', 'about a'],
      ['b', 'with # hash'],
      ['c', 'x'],
      ['#', 'inline'],
      ['multi', 'one\ntwo'],
      ['long', 'continued'],
    ]);
    assert.equal(writeIniTree([tree]), 'top = 1\n\n[s]\n; about a\na     = quoted\nb     = `with # hash`\n; inline\nc     = x\nmulti = """one\ntwo"""\nlong  = continued\n');
  });

  it('flattened metadata round-trips (sops_age__list_0__map_enc)', () => {
    const nested = new TreeMap([
      { key: 'age', value: new TreeList([new TreeMap([{ key: 'enc', value: 'E' }, { key: 'recipient', value: 'R' }])]) },
      { key: 'version', value: '3.13.2' },
    ]);
    const flat = flattenTree(nested, 'sops_');
    assert.deepEqual(
      flat.entries.map((entry) => (entry as { key: string }).key),
      ['sops_age__list_0__map_enc', 'sops_age__list_0__map_recipient', 'sops_version'],
    );
    assert.deepEqual(unflattenTree(flattenTree(nested, '')), nested);
  });
});
