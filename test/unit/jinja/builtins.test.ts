// Unit tests for the builtin catalogue: signatures cross-checked against the installed Python jinja2,
// the lookup helpers, signature labels and argument-count checks.
import { REFERENCE_PYTHON, referenceUnavailable } from '../../support/referencePython';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  CLUSTER_TEMPLATE_FILTERS,
  CLUSTER_TEMPLATE_FUNCTIONS,
  JINJA_FILTERS,
  JINJA_GLOBALS,
  JINJA_TESTS,
  LOOP_ATTRIBUTES,
  MACRO_VARIABLES,
  MAKEJINJA_GLOBALS,
  argumentCountProblem,
  findJinjaFilter,
  findJinjaGlobal,
  findJinjaTest,
  findLoopAttribute,
  signatureLabel,
  type BuiltinEntry,
} from '../../../server/src/services/jinja/builtins';

interface PythonParam {
  name: string;
  default: string | null;
  variadic: 'positional' | 'keyword' | null;
}

interface PythonCallable {
  function: string;
  subject: string | null;
  params: PythonParam[] | null;
  minArgs: number;
  maxArgs: number | null;
}

interface PythonCatalogue {
  version: string;
  filters: Record<string, PythonCallable>;
  tests: Record<string, PythonCallable>;
  globals: Record<string, PythonCallable>;
}

// Reads jinja2's own registries with inspect.signature. Parameters Jinja fills in itself (the
// environment or context of @pass_environment / @pass_context / @pass_eval_context) are dropped;
// for filters and tests the next parameter is the piped or tested value.
const PYTHON_SCRIPT = String.raw`
import inspect, json, jinja2
from jinja2.defaults import DEFAULT_FILTERS, DEFAULT_TESTS, DEFAULT_NAMESPACE
PASSED = {"environment", "env", "eval_ctx", "context"}
def describe(func, has_subject):
    try:
        params = list(inspect.signature(func).parameters.values())
    except (TypeError, ValueError):
        return {"function": getattr(func, "__name__", str(func)), "subject": None, "params": None, "minArgs": 0, "maxArgs": None}
    if getattr(func, "jinja_pass_arg", None) is not None and params and params[0].name in PASSED:
        params = params[1:]
    subject = None
    if has_subject:
        subject = params[0].name
        params = params[1:]
    out = []
    for p in params:
        variadic = "positional" if p.kind == p.VAR_POSITIONAL else "keyword" if p.kind == p.VAR_KEYWORD else None
        out.append({"name": p.name, "default": None if p.default is p.empty else repr(p.default), "variadic": variadic})
    plain = [p for p in out if p["variadic"] is None]
    has_rest = any(p["variadic"] == "positional" for p in out)
    return {
        "function": func.__name__,
        "subject": subject,
        "params": out,
        "minArgs": sum(1 for p in plain if p["default"] is None),
        "maxArgs": None if has_rest else len(plain),
    }
print(json.dumps({
    "version": jinja2.__version__,
    "filters": {k: describe(f, True) for k, f in DEFAULT_FILTERS.items()},
    "tests": {k: describe(f, True) for k, f in DEFAULT_TESTS.items()},
    "globals": {k: describe(f, False) for k, f in DEFAULT_NAMESPACE.items()},
}))
`;

function loadPythonCatalogue(): PythonCatalogue | string {
  const run = spawnSync(REFERENCE_PYTHON, ['-c', PYTHON_SCRIPT], { encoding: 'utf8' });
  if (run.error) return referenceUnavailable(`python3 is not available (${run.error.message})`);
  if (run.status !== 0) {
    if (/ModuleNotFoundError: No module named 'jinja2'/.test(run.stderr)) return referenceUnavailable('python3 has no jinja2 module (install python3-jinja2)');
    throw new Error(`the jinja2 inspection script failed:\n${run.stderr}`);
  }
  return JSON.parse(run.stdout) as PythonCatalogue;
}

const python = loadPythonCatalogue();
const skipReason = typeof python === 'string' ? python : undefined;
if (skipReason) console.log(`# skipping the jinja2 cross-check: ${skipReason}`);

/** Compares one of our entries with the Python callable of the same name. */
function assertMatches(ours: BuiltinEntry, theirs: PythonCallable, where: string): void {
  const label = `${where} ${ours.name}`;
  assert.ok(ours.signature, `${label} has a signature`);
  // Some builds implement a filter in C (Debian's markupsafe `escape`): nothing to compare but the name.
  if (!theirs.params) return;
  assert.equal(ours.subject, theirs.subject ?? undefined, `${label}: subject`);
  assert.deepEqual(
    ours.signature.params.map((p) => ({ name: p.name, default: p.defaultText ?? null, variadic: p.variadic ?? null })),
    theirs.params,
    `${label}: parameters`,
  );
  if (theirs.maxArgs === null) {
    // *args: Jinja's code may require some of them (selectattr needs the attribute); never fewer.
    assert.equal(ours.signature.maxArgs, null, `${label}: maxArgs`);
    assert.ok(ours.signature.minArgs >= theirs.minArgs, `${label}: minArgs`);
  } else {
    assert.equal(ours.signature.minArgs, theirs.minArgs, `${label}: minArgs`);
    assert.equal(ours.signature.maxArgs, theirs.maxArgs, `${label}: maxArgs`);
  }
  const hasKeywords = theirs.params.some((p) => p.variadic === 'keyword');
  assert.equal(ours.signature.keywords, hasKeywords ? 'any' : 'named', `${label}: keywords`);
}

/** Our aliases must point at the entry whose Python function is the same object. */
function assertAliases(ours: readonly BuiltinEntry[], theirs: Record<string, PythonCallable>, where: string): void {
  for (const entry of ours) {
    const main = entry.aliasOf ?? entry.name;
    assert.equal(theirs[entry.name].function, theirs[main].function, `${where} ${entry.name} is an alias of ${main}`);
  }
  const mains = ours.filter((entry) => !entry.aliasOf);
  assert.equal(new Set(mains.map((entry) => theirs[entry.name].function)).size, mains.length, `${where}: one main entry per Python function`);
}

test('our builtin filters are exactly jinja2\'s, with the same parameters and argument counts', { skip: skipReason }, () => {
  const catalogue = python as PythonCatalogue;
  assert.deepEqual(JINJA_FILTERS.map((entry) => entry.name), Object.keys(catalogue.filters).sort(), `filters of jinja2 ${catalogue.version}`);
  for (const entry of JINJA_FILTERS) assertMatches(entry, catalogue.filters[entry.name], 'filter');
  assertAliases(JINJA_FILTERS, catalogue.filters, 'filter');
});

test('our builtin tests are exactly jinja2\'s, with the same parameters and argument counts', { skip: skipReason }, () => {
  const catalogue = python as PythonCatalogue;
  assert.deepEqual(JINJA_TESTS.map((entry) => entry.name), Object.keys(catalogue.tests).sort(), `tests of jinja2 ${catalogue.version}`);
  for (const entry of JINJA_TESTS) assertMatches(entry, catalogue.tests[entry.name], 'test');
  assertAliases(JINJA_TESTS, catalogue.tests, 'test');
  for (const entry of JINJA_TESTS) assert.equal(entry.isOperatorName === true, !/^[a-z]+$/.test(entry.name), `${entry.name}: operator name`);
});

test('our global functions are exactly jinja2\'s and never accept more than Python does', { skip: skipReason }, () => {
  const catalogue = python as PythonCatalogue;
  assert.deepEqual(JINJA_GLOBALS.map((entry) => entry.name), Object.keys(catalogue.globals).sort());
  for (const entry of JINJA_GLOBALS) {
    const theirs = catalogue.globals[entry.name];
    if (!theirs.params) continue; // range and dict are C types without an introspectable signature.
    assert.ok(entry.signature);
    assert.ok(entry.signature.minArgs >= theirs.minArgs, `${entry.name}: minArgs`);
    if (theirs.maxArgs !== null) assert.ok(entry.signature.maxArgs !== null && entry.signature.maxArgs <= theirs.maxArgs, `${entry.name}: maxArgs`);
  }
});

test('range, dict, cycler and namespace have the limits Python enforces at call time', () => {
  const counts = (entry: BuiltinEntry | undefined) => ({ min: entry?.signature?.minArgs, max: entry?.signature?.maxArgs, keywords: entry?.signature?.keywords });
  assert.deepEqual(counts(findJinjaGlobal('range')), { min: 1, max: 3, keywords: 'none' });
  assert.deepEqual(counts(findJinjaGlobal('dict')), { min: 0, max: 1, keywords: 'any' });
  assert.deepEqual(counts(findJinjaGlobal('cycler')), { min: 1, max: null, keywords: 'none' });
  assert.deepEqual(counts(findJinjaGlobal('namespace')), { min: 0, max: 1, keywords: 'any' });
  assert.deepEqual(counts(findJinjaGlobal('joiner')), { min: 0, max: 1, keywords: 'named' });
  assert.deepEqual(counts(findJinjaGlobal('lipsum')), { min: 0, max: 4, keywords: 'named' });
});

test('loop offers the attributes Jinja documents, with cycle and changed callable', () => {
  assert.deepEqual(
    LOOP_ATTRIBUTES.map((entry) => entry.name),
    ['index', 'index0', 'revindex', 'revindex0', 'first', 'last', 'length', 'cycle', 'depth', 'depth0', 'previtem', 'nextitem', 'changed'],
  );
  assert.deepEqual(
    LOOP_ATTRIBUTES.filter((entry) => entry.signature).map((entry) => signatureLabel(entry)),
    ['cycle(*args)', 'changed(*value)'],
  );
  assert.equal(findLoopAttribute('index0')?.returns, 'int');
  assert.equal(findLoopAttribute('missing'), undefined);
});

test('the cluster-template plugin entries carry the upstream signatures', () => {
  assert.deepEqual(CLUSTER_TEMPLATE_FILTERS.map(signatureLabel), ['basename()', 'nthhost(query)']);
  assert.deepEqual(CLUSTER_TEMPLATE_FUNCTIONS.map(signatureLabel), [
    "age_key(key_type, file_path='age.key')",
    "cloudflare_tunnel_id(file_path='cloudflare-tunnel.json')",
    "cloudflare_tunnel_secret(file_path='cloudflare-tunnel.json')",
    "github_deploy_key(file_path='github-deploy.key')",
    "github_push_token(file_path='github-push-token.txt')",
    'talos_patches(value)',
  ]);
  assert.deepEqual(
    CLUSTER_TEMPLATE_FUNCTIONS.filter((entry) => entry.isSecretResult).map((entry) => entry.name),
    ['age_key', 'cloudflare_tunnel_secret', 'github_deploy_key', 'github_push_token'],
  );
});

test('every entry has a one-line summary, a doc and a result type, and names are unique per list', () => {
  const lists = { JINJA_FILTERS, JINJA_TESTS, JINJA_GLOBALS, LOOP_ATTRIBUTES, MACRO_VARIABLES, MAKEJINJA_GLOBALS, CLUSTER_TEMPLATE_FILTERS, CLUSTER_TEMPLATE_FUNCTIONS };
  for (const [listName, list] of Object.entries(lists)) {
    assert.equal(new Set(list.map((entry) => entry.name)).size, list.length, `${listName}: unique names`);
    for (const entry of list) {
      assert.ok(entry.summary.length > 0 && !entry.summary.includes('\n'), `${listName} ${entry.name}: summary`);
      assert.ok(entry.doc.length > 0, `${listName} ${entry.name}: doc`);
      assert.ok(entry.returns.length > 0, `${listName} ${entry.name}: returns`);
    }
  }
});

test('lookups find main names and aliases, and nothing else', () => {
  assert.equal(findJinjaFilter('indent')?.aliasOf, undefined);
  assert.equal(findJinjaFilter('d')?.aliasOf, 'default');
  assert.equal(findJinjaFilter('count')?.aliasOf, 'length');
  assert.equal(findJinjaFilter('basename'), undefined, 'plugin filters are not Jinja builtins');
  assert.equal(findJinjaTest('equalto')?.aliasOf, 'eq');
  assert.equal(findJinjaTest('==')?.isOperatorName, true);
  assert.equal(findJinjaTest('divisible'), undefined);
  assert.equal(findJinjaGlobal('namespace')?.kind, 'function');
  assert.equal(findJinjaGlobal('env'), undefined, 'env comes from makejinja');
});

test('signature labels show defaults as Python writes them and optional builtin arguments in brackets', () => {
  const label = (entry: BuiltinEntry | undefined) => (entry ? signatureLabel(entry) : 'missing');
  assert.equal(label(findJinjaFilter('indent')), 'indent(width=4, first=False, blank=False)');
  assert.equal(label(findJinjaFilter('default')), "default(default_value='', boolean=False)");
  assert.equal(label(findJinjaFilter('map')), 'map(*args, **kwargs)');
  assert.equal(label(findJinjaFilter('lower')), 'lower()');
  assert.equal(label(findJinjaTest('divisibleby')), 'divisibleby(num)');
  assert.equal(label(findJinjaGlobal('range')), 'range(start, [stop], [step])');
  assert.equal(label(findLoopAttribute('index')), 'index');
});

test('argumentCountProblem accepts fitting calls and explains the others', () => {
  const sig = (entry: BuiltinEntry | undefined) => {
    assert.ok(entry?.signature);
    return entry.signature;
  };
  const replace = sig(findJinjaFilter('replace'));
  const cases: [string, ReturnType<typeof sig>, number, string[], string | undefined][] = [
    ['replace', replace, 2, [], undefined],
    ['replace', replace, 3, [], undefined],
    ['replace', replace, 1, [], 'replace needs at least 2 arguments, got 1'],
    ['replace', replace, 1, ['new'], undefined],
    ['replace', replace, 4, [], 'replace takes at most 3 arguments, got 4'],
    ['replace', replace, 2, ['old'], 'replace got old both by position and by name'],
    ['replace', replace, 2, ['colour'], 'replace has no parameter named colour'],
    ['indent', sig(findJinjaFilter('indent')), 0, ['width', 'first'], undefined],
    ['range', sig(findJinjaGlobal('range')), 0, [], 'range needs at least 1 argument, got 0'],
    ['range', sig(findJinjaGlobal('range')), 1, ['step'], 'range takes no keyword arguments'],
    ['selectattr', sig(findJinjaFilter('selectattr')), 0, [], 'selectattr needs at least 1 argument, got 0'],
    ['selectattr', sig(findJinjaFilter('selectattr')), 3, [], undefined],
    ['map', sig(findJinjaFilter('map')), 0, ['attribute', 'default'], undefined],
    ['dict', sig(findJinjaGlobal('dict')), 0, ['anything'], undefined],
    ['nthhost', sig(CLUSTER_TEMPLATE_FILTERS[1]), 0, [], 'nthhost needs at least 1 argument, got 0'],
    ['age_key', sig(CLUSTER_TEMPLATE_FUNCTIONS[0]), 1, [], undefined],
  ];
  for (const [name, signature, positional, keywords, expected] of cases) {
    assert.equal(argumentCountProblem(name, signature, positional, keywords), expected, `${name} ${positional} ${keywords.join(',')}`);
  }
});
