// Unit tests for the static plugin.py reader: every way a plugin adds data, registers filters and
// functions, and tolerance of broken or unusual Python.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readPluginPy, type PluginCallable, type PluginParam } from '../../../server/src/services/jinja/pluginPy';
import { CLUSTER_TEMPLATE_FILTERS, CLUSTER_TEMPLATE_FUNCTIONS } from '../../../server/src/services/jinja/builtins';

const REPO_ROOT = join(__dirname, '..', '..', '..', '..');

function positional(name: string, hasDefault = false): PluginParam {
  return { name, hasDefault, kind: 'positional' };
}

function names(callables: PluginCallable[]): string[] {
  return callables.map((callable) => callable.name);
}

// Shaped like the upstream cluster-template plugin (module-level helpers, a Plugin subclass that
// keeps the data from __init__, setdefault defaults, computed flags), written for this test.
const UPSTREAM_SHAPED = `from pathlib import Path
from typing import Any

import makejinja


# strips the last suffix
def stem(value: str) -> str:
    return Path(value).stem


def pick(value: str, n: int) -> str:
    return value.split(",")[n]


def read_key(kind: str, file_path: str = 'key.txt') -> str:
    with open(file_path) as handle:
        return handle.read()


class Plugin(makejinja.plugin.Plugin):
    def __init__(self, data: dict[str, Any]):
        self._data = data


    def data(self) -> makejinja.plugin.Data:
        data = self._data

        # defaults
        data.setdefault('gateway', pick(data.get('cidr'), 1))
        data.setdefault('dns', ['9.9.9.9', '149.112.112.112'])

        keys = ['a_addr', 'b_asn']
        has_all = all(data.get(key) for key in keys)
        data.setdefault('feature_enabled', has_all)

        return data


    def filters(self) -> makejinja.plugin.Filters:
        return [
            stem,
            pick
        ]


    def functions(self) -> makejinja.plugin.Functions:
        return [
            read_key
        ]
`;

test('a plugin shaped like the upstream one: setdefault variables, list-returned filters and functions', () => {
  assert.deepEqual(readPluginPy(UPSTREAM_SHAPED), {
    className: 'Plugin',
    variables: [
      { name: 'gateway', line: 29, valueText: "pick(data.get('cidr'), 1)", isConditional: false, how: 'setdefault', otherLines: [] },
      { name: 'dns', line: 30, valueText: "['9.9.9.9', '149.112.112.112']", isConditional: false, how: 'setdefault', otherLines: [] },
      { name: 'feature_enabled', line: 34, valueText: 'all(data.get(key) for key in keys)', isConditional: false, how: 'setdefault', otherLines: [] },
    ],
    filters: [
      { name: 'stem', line: 7, params: [positional('value')], isResolved: true, listedAtLine: 41 },
      { name: 'pick', line: 11, params: [positional('value'), positional('n')], isResolved: true, listedAtLine: 42 },
    ],
    functions: [{ name: 'read_key', line: 15, params: [positional('kind'), positional('file_path', true)], isResolved: true, listedAtLine: 48 }],
    tests: [],
    notes: [],
  });
});

test('the example workspace plugin.py: its variables, and filters and functions that match our builtin catalogue', () => {
  const text = readFileSync(join(REPO_ROOT, 'example', 'templates', 'scripts', 'plugin.py'), 'utf8');
  const result = readPluginPy(text);
  assert.deepEqual(result.notes, []);
  assert.deepEqual(
    result.variables.map((variable) => [variable.name, variable.how, variable.isConditional]),
    [
      ['node_default_gateway', 'setdefault', false],
      ['node_dns_servers', 'setdefault', false],
      ['node_ntp_servers', 'setdefault', false],
      ['cluster_pod_cidr', 'setdefault', false],
      ['cluster_svc_cidr', 'setdefault', false],
      ['repository_branch', 'setdefault', false],
      ['repository_visibility', 'setdefault', false],
      ['cilium_loadbalancer_mode', 'setdefault', false],
      ['cluster_name', 'setdefault', false],
      ['rustfs_enabled', 'setdefault', false],
      ['volsync_enabled', 'setdefault', false],
      ['cilium_bgp_enabled', 'setdefault', false],
      ['spegel_enabled', 'setdefault', false],
      ['talos_backup_enabled', 'assign', false],
      ['backup_s3_internal', 'assign', false],
      ['backup_s3_region', 'setdefault', false],
      ['oidc_provider_name', 'setdefault', false],
      ['oidc_enabled', 'assign', false],
    ],
  );
  const lines = text.split('\n');
  for (const variable of result.variables) assert.ok(lines[variable.line].includes(`"${variable.name}"`), `${variable.name} is on line ${variable.line}`);
  for (const callable of [...result.filters, ...result.functions]) assert.ok(lines[callable.line].startsWith(`def ${callable.name}(`), `${callable.name} def line`);

  // The static reading agrees with the catalogue's argument counts (the piped value is not an argument).
  assert.deepEqual(names(result.filters), CLUSTER_TEMPLATE_FILTERS.map((entry) => entry.name));
  assert.deepEqual(names(result.functions), CLUSTER_TEMPLATE_FUNCTIONS.map((entry) => entry.name));
  const counts = (params: PluginParam[]) => ({ min: params.filter((p) => !p.hasDefault).length, max: params.length });
  result.filters.forEach((callable, index) => {
    const signature = CLUSTER_TEMPLATE_FILTERS[index].signature;
    assert.deepEqual(counts(callable.params.slice(1)), { min: signature?.minArgs, max: signature?.maxArgs }, callable.name);
  });
  result.functions.forEach((callable, index) => {
    const signature = CLUSTER_TEMPLATE_FUNCTIONS[index].signature;
    assert.deepEqual(counts(callable.params), { min: signature?.minArgs, max: signature?.maxArgs }, callable.name);
  });
});

test('subscript assignments, with either quote, conditional or not, and repeated', () => {
  const text = `class Plugin:
    def __init__(self, data):
        self._data = data

    def data(self):
        data = self._data
        data["plain"] = 1
        data['single'] = "x"
        if data.get("flag"):
            data["flagged"] = True
        else:
            data["flagged"] = False
            data["only_else"] = 2
        for node in data.get("nodes", []):
            data["per_node"] = node
        try:
            data["in_try"] = 3
        except KeyError:
            data["in_except"] = 4
        with open("f") as handle:
            data["in_with"] = handle.read()
        if data.get("x"): data["one_line"] = 5; data["one_line_too"] = 6
        data["plain"] += 1
        enabled = bool(data.get("a") and data.get("b"))
        data["from_local"] = enabled
        data["chain_a"] = data["chain_b"] = 7
        data["outer"]["inner"] = 8
        return data
`;
  assert.deepEqual(readPluginPy(text).variables, [
    { name: 'plain', line: 6, valueText: '1', isConditional: false, how: 'assign', otherLines: [22] },
    { name: 'single', line: 7, valueText: '"x"', isConditional: false, how: 'assign', otherLines: [] },
    { name: 'flagged', line: 9, valueText: 'True', isConditional: true, how: 'assign', otherLines: [11] },
    { name: 'only_else', line: 12, valueText: '2', isConditional: true, how: 'assign', otherLines: [] },
    { name: 'per_node', line: 14, valueText: 'node', isConditional: true, how: 'assign', otherLines: [] },
    { name: 'in_try', line: 16, valueText: '3', isConditional: false, how: 'assign', otherLines: [] },
    { name: 'in_except', line: 18, valueText: '4', isConditional: true, how: 'assign', otherLines: [] },
    { name: 'in_with', line: 20, valueText: 'handle.read()', isConditional: false, how: 'assign', otherLines: [] },
    { name: 'one_line', line: 21, valueText: '5', isConditional: true, how: 'assign', otherLines: [] },
    { name: 'one_line_too', line: 21, valueText: '6', isConditional: true, how: 'assign', otherLines: [] },
    { name: 'from_local', line: 24, valueText: 'bool(data.get("a") and data.get("b"))', isConditional: false, how: 'assign', otherLines: [] },
    { name: 'chain_a', line: 25, valueText: '7', isConditional: false, how: 'assign', otherLines: [] },
    { name: 'chain_b', line: 25, valueText: '7', isConditional: false, how: 'assign', otherLines: [] },
  ]);
});

test('a variable set unconditionally anywhere is not conditional', () => {
  const text = `class Plugin:
    def data(self):
        result = {}
        if self.x:
            result["mode"] = "a"
        result["mode"] = "b"
        return result
`;
  assert.deepEqual(readPluginPy(text).variables, [{ name: 'mode', line: 4, valueText: '"a"', isConditional: false, how: 'assign', otherLines: [5] }]);
});

test('setdefault without a value, update with a dict or keywords, |= and merged dicts', () => {
  const text = `class Plugin:
    def __init__(self, env, data, config):
        self.values = dict(data)

    def data(self):
        d = self.values
        d.setdefault("nothing")
        d.update({"from_dict": 1, 'other': [1, 2]})
        d.update(from_kw="k", second=2)
        d |= {"from_or": None}
        merged = {**d, "from_spread": 3}
        return merged | {"from_return_or": 4}
`;
  assert.deepEqual(readPluginPy(text), {
    className: 'Plugin',
    variables: [
      { name: 'nothing', line: 6, isConditional: false, how: 'setdefault', otherLines: [] },
      { name: 'from_dict', line: 7, valueText: '1', isConditional: false, how: 'update', otherLines: [] },
      { name: 'other', line: 7, valueText: '[1, 2]', isConditional: false, how: 'update', otherLines: [] },
      { name: 'from_kw', line: 8, valueText: '"k"', isConditional: false, how: 'update', otherLines: [] },
      { name: 'second', line: 8, valueText: '2', isConditional: false, how: 'update', otherLines: [] },
      { name: 'from_or', line: 9, valueText: 'None', isConditional: false, how: 'update', otherLines: [] },
      { name: 'from_spread', line: 10, valueText: '3', isConditional: false, how: 'update', otherLines: [] },
      { name: 'from_return_or', line: 11, valueText: '4', isConditional: false, how: 'return', otherLines: [] },
    ],
    filters: [],
    functions: [],
    tests: [],
    notes: [],
  });
});

test('a data() that returns a dict literal or dict(...) gives its keys', () => {
  const literal = `class Plugin:
    def data(self) -> dict:
        return {
            "answer": 42,
            "names": ["a", "b"],
        }
`;
  assert.deepEqual(readPluginPy(literal).variables, [
    { name: 'answer', line: 3, valueText: '42', isConditional: false, how: 'return', otherLines: [] },
    { name: 'names', line: 4, valueText: '["a", "b"]', isConditional: false, how: 'return', otherLines: [] },
  ]);
  const call = 'class Plugin:\n    def data(self):\n        return dict(self._data, region="eu")\n';
  assert.deepEqual(readPluginPy(call).variables, [{ name: 'region', line: 2, valueText: '"eu"', isConditional: false, how: 'return', otherLines: [] }]);
});

test('helpers that receive the data, as functions or methods, add variables too', () => {
  const text = `def derive(values, extra=None):
    values["derived"] = 1
    if extra:
        values.setdefault("from_extra", extra)


class Plugin:
    def __init__(self, data):
        self._data = data

    def _more(self):
        self._data["from_method"] = True

    def data(self):
        data = self._data
        if data.get("x"):
            derive(values=data, extra=2)
        derive(data)
        self._more()
        return data
`;
  assert.deepEqual(readPluginPy(text).variables, [
    { name: 'derived', line: 1, valueText: '1', isConditional: false, how: 'assign', otherLines: [] },
    { name: 'from_extra', line: 3, valueText: 'extra', isConditional: true, how: 'setdefault', otherLines: [] },
    { name: 'from_method', line: 11, valueText: 'True', isConditional: false, how: 'assign', otherLines: [] },
  ]);
});

test('writes to other dicts, strings and comments are not variables', () => {
  const text = `import json

def tunnel(file_path):
    data = json.load(open(file_path))
    data["not_template_data"] = 1
    return data["TunnelID"]


class Plugin:
    def __init__(self, data):
        self._data = data

    def data(self):
        data = self._data
        doc = """data["in_string"] = 1"""
        # data["in_comment"] = 1
        other = {}
        other["elsewhere"] = 1
        data["before_rebinding"] = 1
        data = {}
        data["after_rebinding"] = 1
        return self._data
`;
  assert.deepEqual(readPluginPy(text).variables, [{ name: 'before_rebinding', line: 18, valueText: '1', isConditional: false, how: 'assign', otherLines: [] }]);
});

test('what cannot be read statically is said in notes', () => {
  const text = `class Plugin:
    def data(self):
        data = self._data
        key = "x"
        data[key] = 1
        data[f"{key}_y"] = 2
        data.setdefault(key + "z", 3)
        data.update(compute())
        data.update({k: v for k, v in pairs})
        return data

    def filters(self):
        return load_filters()

    def functions(self):
        return [os.path.basename, imported, partial(f, 1)]
`;
  const result = readPluginPy(text);
  assert.deepEqual(result.variables, []);
  assert.deepEqual(result.notes, [
    'data[...] with a computed name at line 5 cannot be read statically',
    'data[...] with a computed name at line 6 cannot be read statically',
    'data.setdefault() with a computed name at line 7 cannot be read statically',
    'the data is merged with `compute()` at line 8, which cannot be read without running Python',
    'part of what data adds at line 8 cannot be read without running Python',
    'the data is merged with `{k: v for k, v in pairs}` at line 9, which cannot be read without running Python',
    'part of what data adds at line 9 cannot be read without running Python',
    'filters() returns `load_filters()` (line 13), which cannot be read without running Python',
    'basename in functions() (line 16) is not defined in plugin.py; its parameters are unknown',
    'imported in functions() (line 16) is not defined in plugin.py; its parameters are unknown',
    'partial(f, 1) in functions() (line 16) is not defined in plugin.py; its parameters are unknown',
  ]);
  assert.deepEqual(result.functions, [
    { name: 'basename', line: 15, params: [], isResolved: false, listedAtLine: 15 },
    { name: 'imported', line: 15, params: [], isResolved: false, listedAtLine: 15 },
    { name: 'partial(f, 1)', line: 15, params: [], isResolved: false, listedAtLine: 15 },
  ]);
});

test('a data() returning something unreadable is noted', () => {
  const result = readPluginPy('class Plugin:\n    def data(self):\n        return build(self._data)\n');
  assert.deepEqual(result.variables, []);
  assert.deepEqual(result.notes, ['data() returns `build(self._data)` (line 3), which cannot be read without running Python']);
});

test('filters, functions and tests in every form makejinja can be given', () => {
  const text = `import makejinja

def module_filter(value, *args, sep=", ", **options):
    return value

short = module_filter

def positional_only(a, b, /, c=1, *, d, e=2):
    return a


class Plugin(makejinja.plugin.Plugin):
    def __init__(self, env, data):
        env.filters["registered"] = module_filter
        self.env = env
        self.env.globals["registered_global"] = self.helper

    @staticmethod
    def static_filter(value, width: dict[str, int] = {"a": 1, "b": 2}):
        return value

    @classmethod
    def class_filter(cls, value):
        return value

    def helper(self, value, n=0):
        return value

    def filters(self):
        result = [module_filter]
        result.append(self.static_filter)
        result += [self.class_filter]
        result.extend([short])
        return result

    def functions(self):
        return (positional_only, self.helper)

    def globals(self):
        return [lambda x: x]

    def tests(self):
        return {"is_thing": self.helper}
`;
  const result = readPluginPy(text);
  const variadic: PluginParam[] = [
    positional('value'),
    { name: 'args', hasDefault: false, kind: 'varargs' },
    { name: 'sep', hasDefault: true, kind: 'keywordOnly' },
    { name: 'options', hasDefault: false, kind: 'kwargs' },
  ];
  assert.deepEqual(result.filters, [
    { name: 'module_filter', line: 2, params: variadic, isResolved: true, listedAtLine: 29 },
    { name: 'static_filter', line: 18, params: [positional('value'), positional('width', true)], isResolved: true, listedAtLine: 30 },
    { name: 'class_filter', line: 22, params: [positional('value')], isResolved: true, listedAtLine: 31 },
    { name: 'module_filter', line: 2, params: variadic, isResolved: true, listedAtLine: 32 },
    { name: 'registered', line: 2, params: variadic, isResolved: true, listedAtLine: 13 },
  ]);
  assert.deepEqual(result.functions, [
    {
      name: 'positional_only',
      line: 7,
      params: [
        { name: 'a', hasDefault: false, kind: 'positionalOnly' },
        { name: 'b', hasDefault: false, kind: 'positionalOnly' },
        positional('c', true),
        { name: 'd', hasDefault: false, kind: 'keywordOnly' },
        { name: 'e', hasDefault: true, kind: 'keywordOnly' },
      ],
      isResolved: true,
      listedAtLine: 36,
    },
    { name: 'helper', line: 25, params: [positional('value'), positional('n', true)], isResolved: true, listedAtLine: 36 },
    { name: '<lambda>', line: 39, params: [positional('x')], isResolved: true, listedAtLine: 39 },
    { name: 'registered_global', line: 25, params: [positional('value'), positional('n', true)], isResolved: true, listedAtLine: 15 },
  ]);
  assert.deepEqual(result.tests, [{ name: 'is_thing', line: 25, params: [positional('value'), positional('n', true)], isResolved: true, listedAtLine: 42 }]);
  assert.deepEqual(result.notes, [
    'a lambda in globals() (line 40) is registered by makejinja under the name "<lambda>"',
    'tests() returns a dict (line 43); makejinja 2.8.2 registers each callable by its __name__ and fails on a dict',
  ]);
});

test('the plugin class is the one makejinja.toml names, else the one that looks like a plugin', () => {
  const text = `class Helper:
    pass

class Custom:
    def filters(self):
        return [f]

class Other:
    def data(self):
        return {"other": 1}

def f(value):
    return value
`;
  assert.equal(readPluginPy(text).className, 'Custom');
  assert.deepEqual(readPluginPy(text, { className: 'Other' }).variables, [{ name: 'other', line: 9, valueText: '1', isConditional: false, how: 'return', otherLines: [] }]);
  assert.deepEqual(readPluginPy(text, { className: 'Missing' }), { variables: [], filters: [], functions: [], tests: [], notes: ['plugin.py has no class Missing'] });
  assert.deepEqual(readPluginPy('import os\n').notes, ['plugin.py has no plugin class (a class with data(), filters() or functions())']);
  assert.deepEqual(readPluginPy('class Plugin:\n    def filters(self):\n        pass\n').notes, ['filters() has no return statement; makejinja expects it to return a list of functions']);
});

test('strings, continuations and f-strings do not confuse the tokenizer', () => {
  const text = `class Plugin:
    def data(self):
        data = self._data
        data["long"] = "a" \\
            "b"
        data["fmt"] = f"{data["long"]}-{'}'}" + rb'\\x' + '''
data["not_a_key"] = 1
'''
        data["after"] = 'it\\'s'
        return data
`;
  assert.deepEqual(
    readPluginPy(text).variables.map((variable) => [variable.name, variable.line]),
    [
      ['long', 3],
      ['fmt', 5],
      ['after', 8],
    ],
  );
});

test('broken or truncated Python never throws and keeps what it could read', () => {
  const whole = readFileSync(join(REPO_ROOT, 'example', 'templates', 'scripts', 'plugin.py'), 'utf8');
  for (let end = 0; end <= whole.length; end += 7) {
    const result = readPluginPy(whole.slice(0, end));
    assert.ok(!result.notes.some((note) => note.includes('could not be read completely')), `prefix of ${end} characters: ${result.notes.join('; ')}`);
  }
  const garbage = ['def (', 'class :', '"""unterminated', "x = '", 'if x:\n  data[', ')))(((', '\tclass Plugin:\n\t\tdef data(self): return {', '@\n@\ndef'];
  for (const text of garbage) assert.doesNotThrow(() => readPluginPy(text), text);
  const partial = readPluginPy('class Plugin:\n    def data(self):\n        data = {}\n        data["ok"] = 1\n        data["broken" = \n        return data\n');
  assert.deepEqual(partial.variables, [{ name: 'ok', line: 3, valueText: '1', isConditional: false, how: 'assign', otherLines: [] }]);
});
