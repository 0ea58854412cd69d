// Data files load as makejinja loads them: YAML as PyYAML's safe_load (compared with Debian's
// python3-yaml), JSON as Python's json, TOML as tomllib (both compared with /usr/bin/python3),
// folders sorted with dotfiles skipped, data_vars, file_data and makejinja's TypeError messages.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import {
  DataFileError,
  PyDateTime,
  loadFileData,
  loadMakejinjaData,
  parseJsonValue,
  parseTomlData,
  parseYamlData,
  parseYamlDocuments,
  setDottedKey,
} from '../../../server/src/engines/render/dataFiles';
import { makejinjaDefaults } from '../../../server/src/engines/render/makejinjaConfig';
import { PyDict, PyError, pyRepr, pyStr, type PyValue } from '../../../server/src/engines/render/pyValues';
import { memoryFileReader } from '../../../server/src/host/fileReader';
import { REFERENCE_PYTHON, referenceUnavailable } from '../../support/referencePython';

/** Python's repr(), with datetime objects as Python shows them inside containers. */
function fullRepr(value: PyValue): string {
  if (value instanceof PyDateTime) return value.toPyRepr();
  if (Array.isArray(value)) return `[${value.map(fullRepr).join(', ')}]`;
  if (value instanceof PyDict) return `{${[...value].map(([k, v]) => `${pyRepr(k)}: ${fullRepr(v)}`).join(', ')}}`;
  return pyRepr(value);
}

interface ReferenceAnswer {
  ok: boolean;
  repr?: string;
  str?: string[];
  type?: string;
}

const REFERENCE = String.raw`
import datetime, json, sys, tomllib, yaml
out = []
for case in json.load(sys.stdin):
    try:
        if case["kind"] == "yaml":
            docs = list(yaml.safe_load_all(case["text"]))
        elif case["kind"] == "json":
            docs = [json.loads(case["text"])]
        else:
            docs = [tomllib.loads(case["text"])]
        out.append({"ok": True, "repr": repr(docs), "str": [str(d) for d in docs]})
    except Exception as error:
        out.append({"ok": False, "type": type(error).__name__})
print(json.dumps(out))
`;

function reference(cases: { kind: 'yaml' | 'json' | 'toml'; text: string }[]): ReferenceAnswer[] | string {
  const result = spawnSync(REFERENCE_PYTHON, ['-c', REFERENCE], { input: JSON.stringify(cases), encoding: 'utf8' });
  if (result.error) return referenceUnavailable(`python could not be started (${result.error.message})`);
  if (result.status !== 0) return referenceUnavailable(`the reference needs python3-yaml and Python 3.11+: ${result.stderr.trim()}`);
  return JSON.parse(result.stdout) as ReferenceAnswer[];
}

function ours(kind: 'yaml' | 'json' | 'toml', text: string): ReferenceAnswer {
  try {
    const docs = kind === 'yaml' ? parseYamlDocuments(text, 'case.yaml') : kind === 'json' ? [parseJsonValue(text)] : [parseTomlData(text, 'case.toml')];
    // str() of a container shows its items' repr: datetime objects need fullRepr (pyStr gives their str()).
    return { ok: true, repr: `[${docs.map(fullRepr).join(', ')}]`, str: docs.map((doc) => (Array.isArray(doc) || doc instanceof PyDict ? fullRepr(doc) : pyStr(doc))) };
  } catch (error) {
    if (error instanceof DataFileError || error instanceof PyError) return { ok: false };
    throw error;
  }
}

const YAML_CASES = [
  // YAML 1.1 booleans as PyYAML has them (no y/n), nulls
  'a: yes\nb: No\nc: on\nd: OFF\ne: y\nf: n\ng: True\nh: ~\ni: null\nj:\nk: Null\n',
  // integers: octal with a leading zero, hex, binary, underscores, sexagesimal; 0o is a string
  'a: 017\nb: 0x1F\nc: 0b101\nd: 1_000\ne: 1:30\nf: 0o17\ng: +12\nh: -0\ni: 09\nj: 0\nk: 12345678901\n',
  // floats: need a dot; the exponent needs a sign; integral floats stay floats
  'a: 1.0\nb: 1.\nc: .5\nd: 1e5\ne: 1.0e5\nf: 1.0e+5\ng: 1_0.5_0\nh: .inf\ni: -.Inf\nj: .NaN\nk: 0.0\nl: -0.0\nm: 190:20:30.15\nn: 1.5e-7\n',
  // strings: quoted scalars never resolve, block scalars, folding
  'a: "1"\nb: \'yes\'\nc: |\n  line 1\n  line 2\nd: >\n  folded\n  text\ne: "\\u00e9\\t"\nf: plain text # comment\ng: "it\'s"\n',
  // timestamps: date, naive datetime, UTC, offsets, fractions
  'a: 2024-01-01\nb: 2024-01-01 10:00:00\nc: 2024-01-01T10:00:00.5Z\nd: 2024-1-1 1:02:03 +01:00\ne: 2024-06-30t23:59:59.123456789-05:30\nf: [2001-12-14]\n',
  // keys of other types, anchors and aliases, merge keys in PyYAML's order
  '1: int\ntrue: bool\n~: none\n1.5: float\nbase: &base {x: 1, y: 2}\nother: &other {y: 3, z: 4}\nm:\n  <<: [*base, *other]\n  w: 0\nn:\n  <<: *base\n  x: 9\nalias: *base\n',
  // several documents, explicit tags, sequences
  '---\na: !!str 1\nb: !!float 2\nc: !!int "7"\nd: !!bool "on"\n---\nlist: [1, two, 3.0, [nested], {k: v}]\n...\n---\n- not a mapping\n',
  // a document that is only a comment, an empty document
  '# nothing\n',
  '---\n',
  // what PyYAML refuses: unknown tags, the `=` value key, unhashable keys
  'a: !custom x\n',
  'a: =\n',
  '? [1, 2]\n: x\n',
  // duplicate keys: the last wins, in the first one's place
  'a: 1\nb: 2\na: 3\n',
  // unicode, long strings, numbers as strings with spaces
  'name: "Ünïcödé ✓"\nspaced: 1 2\nurl: https://example.com:8443/x\nver: 1.2.3\nip: 10.0.0.1\ncidr: 10.0.0.0/24\n',
];

const JSON_CASES = [
  '{"b": 1, "1": 2.0, "a": [1e5, -0.0, 1E-7, 10, 2.50]}',
  '{"x": NaN, "y": Infinity, "z": -Infinity, "n": null, "t": true, "f": false}',
  '{"s": "\\u00e9\\n\\ud83d\\ude00\\"", "nested": {"k": [[]]}}',
  '{"dup": 1, "other": 2, "dup": 3}',
  '[1, 2]',
  '{"a": 1,}',
  '{"a": 01}',
  '  {"a" : 12345678901234}  ',
];

const TOML_CASES = [
  'a = 1\nb = 1.0\nc = 1e5\nd = 0x1F\ne = inf\nf = nan\ng = "s"\nh = true\n[t]\nx = [1, 2.5, "three"]\n',
  'date = 2024-01-01\ndt = 2024-01-01T10:00:00Z\noff = 2024-01-01T10:00:00.5+01:00\nlocal = 2024-01-01T10:00:00\ntime = 10:00:00\n',
  '[a.b]\nc = 1\n[[list]]\nn = 1\n[[list]]\nn = 2\n',
  'a = [1, 2\n',
];

describe('data files compared with Python', () => {
  const cases = [
    ...YAML_CASES.map((text) => ({ kind: 'yaml' as const, text })),
    ...JSON_CASES.map((text) => ({ kind: 'json' as const, text })),
    ...TOML_CASES.map((text) => ({ kind: 'toml' as const, text })),
  ];
  const expected = reference(cases);

  it('loads every case as Python does (repr and str of each document, or an error)', (t) => {
    if (typeof expected === 'string') return t.skip(expected);
    const mismatches: string[] = [];
    cases.forEach((testCase, i) => {
      const want = expected[i];
      const got = ours(testCase.kind, testCase.text);
      if (want.ok !== got.ok) mismatches.push(`${testCase.kind} ${JSON.stringify(testCase.text)}: Python ${want.ok ? 'loads it' : `raises ${want.type}`}, we ${got.ok ? 'load it' : 'raise'}`);
      else if (want.ok && (want.repr !== got.repr || JSON.stringify(want.str) !== JSON.stringify(got.str))) {
        mismatches.push(`${testCase.kind} ${JSON.stringify(testCase.text)}:\n  Python ${want.repr}\n  ours   ${got.repr}\n  Python str ${JSON.stringify(want.str)}\n  ours   str ${JSON.stringify(got.str)}`);
      }
    });
    assert.deepEqual(mismatches, []);
  });
});

describe('makejinja from_yaml / from_json', () => {
  it('merges YAML documents in order, top-level keys only', () => {
    const data = parseYamlData('a: 1\nb: {x: 1}\n---\nb: {y: 2}\nc: 3\n', '/ws/data.yaml');
    assert.equal(pyRepr(data), "{'a': 1, 'b': {'y': 2}, 'c': 3}");
  });

  it('raises makejinja TypeError for a document that is not a mapping', () => {
    assert.throws(
      () => parseYamlData('a: 1\n---\n- x\n', '/ws/data.yaml', 'data.yaml'),
      (error: unknown) => error instanceof DataFileError && error.pyType === 'TypeError' && error.message === "Expected YAML documents in 'data.yaml' to be mappings but found list",
    );
    assert.throws(() => parseYamlData('---\n', '/ws/x.yaml', 'x.yaml'), /Expected YAML documents in 'x.yaml' to be mappings but found NoneType/);
  });

  it('reports a YAML syntax error with its line', () => {
    assert.throws(
      () => parseYamlData('a: 1\nb: [1\nc: 2\n', '/ws/bad.yaml'),
      (error: unknown) => error instanceof DataFileError && error.filePath === '/ws/bad.yaml' && error.line === 3,
    );
  });
});

describe('loadMakejinjaData', () => {
  const config = (changes: Partial<ReturnType<typeof makejinjaDefaults>>) => ({ ...makejinjaDefaults(), inputs: ['t'], output: '.', ...changes });

  it('merges files in order; a folder gives its files sorted like pathlib, dotfiles skipped', async () => {
    const reader = memoryFileReader({
      '/ws/cluster.yaml': 'a: cluster\nshared: cluster\n',
      '/ws/more/b.json': '{"b": 1.0, "shared": "json"}',
      '/ws/more/a.toml': 'a2 = 2\nshared = "toml"\n',
      '/ws/more/.hidden.yaml': 'hidden: true\n',
      '/ws/more/sub/c.yml': 'c: 3\n',
      '/ws/more/notes.txt': 'ignored',
    });
    const loaded = await loadMakejinjaData('/ws', config({ data: ['./cluster.yaml', './more', './missing.yaml'] }), reader);
    assert.equal(loaded.error, undefined);
    assert.equal(pyRepr(loaded.data), "{'a': 'cluster', 'shared': 'json', 'a2': 2, 'b': 1.0, 'c': 3}");
    assert.deepEqual(
      loaded.files.map((file) => file.displayPath),
      ['cluster.yaml', 'more/a.toml', 'more/b.json', 'more/sub/c.yml'],
    );
    assert.ok(loaded.notes.some((note) => note.includes('more/notes.txt') && note.includes('skips')));
    assert.ok(loaded.notes.some((note) => note.includes('./missing.yaml') && note.includes('does not exist')));
  });

  it('sets data_vars by dotted key after the files, creating dicts on the way', async () => {
    const reader = memoryFileReader({ '/ws/d.yaml': 'cluster: {name: old, keep: 1}\n' });
    const loaded = await loadMakejinjaData('/ws', config({ data: ['d.yaml'], data_vars: { 'cluster.name': 'new', 'a.b.c': 'deep', top: 'x' } }), reader);
    assert.equal(pyRepr(loaded.data), "{'cluster': {'name': 'new', 'keep': 1}, 'a': {'b': {'c': 'deep'}}, 'top': 'x'}");
  });

  it('stops at the first broken file with its error', async () => {
    const reader = memoryFileReader({ '/ws/a.yaml': 'a: 1\n', '/ws/b.json': '[1]' });
    const loaded = await loadMakejinjaData('/ws', config({ data: ['a.yaml', 'b.json'] }), reader);
    assert.equal(loaded.error?.message, "Expected JSON documents in 'b.json' to be mappings but found list");
    assert.equal(loaded.error?.filePath, '/ws/b.json');
  });

  it('loads file_data per template, skipping missing files', async () => {
    const reader = memoryFileReader({ '/ws/f1.yaml': 'x: 1\ny: 1\n', '/ws/f2.yaml': 'y: 2\n' });
    const loaded = await loadFileData('/ws', config({ file_data: { 'page.yaml.j2': ['f1.yaml', 'gone.yaml', 'f2.yaml'] } }), reader);
    assert.equal(pyRepr(loaded.byTemplate.get('page.yaml.j2')!), "{'x': 1, 'y': 2}");
    assert.ok(loaded.notes.some((note) => note.includes('gone.yaml')));
  });
});

describe('setDottedKey', () => {
  it('fails like dict_nested_set when a step is not a dict', () => {
    const data = PyDict.of([['a', 'text']]);
    assert.throws(() => setDottedKey(data, 'a.b', 'x'), (error: unknown) => error instanceof PyError && error.pyType === 'TypeError' && error.message === "'str' object does not support item assignment");
    assert.throws(() => setDottedKey(data, 'a.b.c', 'x'), (error: unknown) => error instanceof PyError && error.pyType === 'AttributeError' && error.message === "'str' object has no attribute 'setdefault'");
  });
});
