// Derived data: plugin.py's data() run for real by /usr/bin/python3 through our helper script
// (with a stand-in makejinja module), the static evaluation compared with that real run, and the
// fallbacks (no interpreter, a failing plugin, a timeout) that say why values are approximate.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseJsonValue, parseYamlData } from '../../../server/src/engines/render/dataFiles';
import { makejinjaDefaults, type MakejinjaConfig } from '../../../server/src/engines/render/makejinjaConfig';
import { computeDerivedData, decodeFromPython, deriveStatically, encodeForPython, evaluatePluginData, type DerivedDataRequest } from '../../../server/src/engines/render/pluginData';
import { memoryPluginFileAccess } from '../../../server/src/engines/render/pluginNatives';
import { PyDict, PyFloat, pyRepr, tuple } from '../../../server/src/engines/render/pyValues';
import { nodePluginFileAccess } from '../../../server/src/host/fileReader';
import { findPluginDataScript, nodeProcessRunner, type ProcessRequest, type ProcessResult, type ProcessRunner } from '../../../server/src/host/processRunner';
import { REFERENCE_PYTHON, referenceUnavailable } from '../../support/referencePython';

const REPO_ROOT = join(__dirname, '..', '..', '..', '..');
const UPSTREAM_PLUGIN = readFileSync(join(REPO_ROOT, 'test', 'fixtures', 'render-unit', 'upstream-plugin', 'plugin.py'), 'utf8');
const SCRIPT = join(REPO_ROOT, 'server', 'python', 'plugin_data.py');
const EXAMPLE_PLUGIN = readFileSync(join(REPO_ROOT, 'example', 'templates', 'scripts', 'plugin.py'), 'utf8');

function pythonUnavailable(): string | undefined {
  const probe = spawnSync(REFERENCE_PYTHON, ['-c', 'import sys; assert sys.version_info >= (3, 9)'], { encoding: 'utf8' });
  if (probe.error) return referenceUnavailable(`python could not be started (${probe.error.message})`);
  if (probe.status !== 0) return referenceUnavailable('Python 3.9+ is needed');
  return undefined;
}

function configWith(plugin = 'plugin:Plugin'): MakejinjaConfig {
  return { ...makejinjaDefaults(), inputs: ['./templates'], output: './', import_paths: ['./scripts'], loaders: [plugin] };
}

/** A workspace with scripts/plugin.py holding `text`. */
function workspaceWith(parent: string, name: string, text: string): string {
  const root = join(parent, name);
  mkdirSync(join(root, 'scripts'), { recursive: true });
  writeFileSync(join(root, 'scripts', 'plugin.py'), text);
  return root;
}

function request(root: string, data: PyDict, mode: DerivedDataRequest['mode'], text?: string): DerivedDataRequest {
  const pluginText = text ?? readFileSync(join(root, 'scripts', 'plugin.py'), 'utf8');
  return { root, config: configWith(), data, plugins: [{ spec: 'plugin:Plugin', filePath: join(root, 'scripts', 'plugin.py'), text: pluginText }], mode, files: nodePluginFileAccess };
}

const DATASETS: Record<string, string> = {
  'three nodes with BGP': 'node_cidr: 10.10.0.0/24\nnodes: [{name: a}, {name: b}, {name: c}]\ncilium_bgp_router_addr: 10.10.0.1\ncilium_bgp_router_asn: "64513"\ncilium_bgp_node_asn: "64514"\nrepository_branch: dev\n',
  'one node, an empty BGP key': 'node_cidr: 192.168.1.0/24\nnodes: [{name: only}]\ncilium_bgp_router_addr: ""\nnode_dns_servers: [9.9.9.9]\n',
  'IPv6 node network, floats and dates kept': 'node_cidr: "fd00:10::/64"\nnodes: [{name: a}, {name: b}]\nratio: 1.0\nwhen: 2024-05-01\n',
};

describe('derived data by running plugin.py (real Python)', () => {
  let parent: string;
  let missing: string | undefined;
  before(() => {
    parent = mkdtempSync(join(tmpdir(), 'ctt-plugin-data-'));
    missing = pythonUnavailable();
  });
  after(() => rmSync(parent, { recursive: true, force: true }));

  it('finds its helper script in the source tree', () => {
    assert.equal(findPluginDataScript(), join(REPO_ROOT, 'server', 'python', 'plugin_data.py'));
  });

  for (const [pluginName, pluginText] of [
    ['upstream cluster-template', UPSTREAM_PLUGIN],
    ['the example workspace', EXAMPLE_PLUGIN],
  ]) {
    it(`runs ${pluginName}'s data() with a stand-in makejinja, and the static evaluation agrees`, async (t) => {
      if (missing) return t.skip(missing);
      const root = workspaceWith(parent, pluginName.replace(/\W/g, '-'), pluginText);
      for (const [dataset, yaml] of Object.entries(DATASETS)) {
        const data = parseYamlData(yaml, 'cluster.yaml');
        const run = await computeDerivedData(request(root, data, { python: REFERENCE_PYTHON, runner: nodeProcessRunner, scriptPath: SCRIPT }));
        assert.equal(run.source, 'python', `${dataset}: ${run.notes.join('; ')}`);
        assert.equal(run.isApproximate, false);
        assert.ok(run.notes.some((note) => note.includes('stand-in makejinja')), dataset);
        assert.deepEqual(run.declared, {
          functions: ['age_key', 'cloudflare_tunnel_id', 'cloudflare_tunnel_secret', 'github_deploy_key', 'github_push_token', 'talos_patches'],
          filters: ['basename', 'nthhost'],
          tests: [],
        });
        const statically = await computeDerivedData(request(root, data, 'static'));
        assert.equal(statically.source, 'static');
        assert.equal(pyRepr(statically.derived), pyRepr(run.derived), `${pluginName}, ${dataset}`);
        assert.ok(statically.notes[0].startsWith('derived values approximate: '));
        // The input data is not changed by either.
        assert.equal(pyRepr(data), pyRepr(parseYamlData(yaml, 'cluster.yaml')));
      }
    });
  }

  it('passes and returns values JSON cannot tell apart: floats, tuples, int keys, dates, other objects', async (t) => {
    if (missing) return t.skip(missing);
    const root = workspaceWith(
      parent,
      'types',
      [
        'import datetime',
        'from pathlib import Path',
        'import makejinja',
        'class Plugin(makejinja.plugin.Plugin):',
        '    def __init__(self, data, config, env=None):',
        '        self._data = data',
        '        self._config = config',
        '    def data(self):',
        '        d = self._data',
        '        return {',
        '            "echo": d,',
        '            "types": [type(v).__name__ for v in d.values()],',
        '            "made": (1.0, 2, {3: "three", None: True}),',
        '            "when": datetime.date(2024, 2, 29),',
        '            "path": Path("a") / "b",',
        '            "outputs": str(self._config.output),',
        '            "tricky": {"$tuple": [1]},',
        '        }',
        '    def filters(self):',
        '        return [len]',
      ].join('\n'),
    );
    const data = PyDict.of([
      ['f', new PyFloat(2)],
      ['t', tuple([1, 'x'])],
      ['k', PyDict.of([[1, 'one']])],
      ['s', 'text'],
      ['nan', new PyFloat(NaN)],
      ['when', parseYamlData('d: 2024-01-01 10:00:00\n', 'x').get('d')!],
    ]);
    const run = await computeDerivedData(request(root, data, { python: REFERENCE_PYTHON, runner: nodeProcessRunner, scriptPath: SCRIPT }));
    assert.equal(run.source, 'python', run.notes.join('; '));
    assert.equal(pyRepr(run.derived.get('types')!), "['float', 'tuple', 'dict', 'str', 'float', 'datetime']");
    assert.equal(pyRepr(run.derived.get('made')!), "(1.0, 2, {3: 'three', None: True})");
    assert.equal(pyRepr((run.derived.get('echo') as PyDict).get('t')!), "(1, 'x')");
    assert.equal(String(run.derived.get('when') && (run.derived.get('when') as { toPyString(): string }).toPyString()), '2024-02-29');
    assert.equal((run.derived.get('path') as { toPyString(): string }).toPyString(), 'a/b');
    assert.equal(run.derived.get('outputs'), '.');
    assert.equal(pyRepr(run.derived.get('tricky')!), "{'$tuple': [1]}");
    assert.deepEqual(run.declared?.filters, ['len']);
  });

  it('falls back to the static reading when the plugin fails, saying why', async (t) => {
    if (missing) return t.skip(missing);
    const root = workspaceWith(parent, 'failing', 'class Plugin:\n    def __init__(self, data):\n        self.d = data\n    def data(self):\n        self.d.setdefault("x", 1)\n        raise RuntimeError("boom")\n');
    const result = await computeDerivedData(request(root, new PyDict(), { python: REFERENCE_PYTHON, runner: nodeProcessRunner, scriptPath: SCRIPT }));
    assert.equal(result.source, 'static');
    assert.match(result.notes[0], /^derived values approximate: running plugin\.py failed \(RuntimeError: boom\)/);
    assert.equal(pyRepr(result.derived), "{'x': 1}");
    assert.ok(result.notes.some((note) => note.includes('data() would raise RuntimeError: boom')));
  });
});

describe('derived data fallbacks without Python', () => {
  const data = parseYamlData(DATASETS['three nodes with BGP'], 'cluster.yaml');
  const root = '/ws';
  const upstream = (mode: DerivedDataRequest['mode']): DerivedDataRequest => ({
    root,
    config: configWith(),
    data,
    plugins: [{ spec: 'plugin:Plugin', filePath: '/ws/scripts/plugin.py', text: UPSTREAM_PLUGIN }],
    mode,
    files: memoryPluginFileAccess(new Map()),
  });

  it('uses the static reading when the interpreter is missing', async () => {
    const result = await computeDerivedData(upstream({ python: '/nonexistent/python3', runner: nodeProcessRunner, scriptPath: SCRIPT }));
    assert.equal(result.source, 'static');
    assert.equal(result.isApproximate, true);
    assert.match(result.notes[0], /^derived values approximate: Python \(\/nonexistent\/python3\) could not be started/);
    assert.equal(result.derived.get('node_default_gateway'), '10.10.0.1');
    assert.equal(result.derived.get('spegel_enabled'), true);
    assert.equal(result.derived.get('cilium_bgp_enabled'), true);
  });

  it('says when the helper timed out, and sends the data as JSON on stdin with the plugins to load', async () => {
    const requests: ProcessRequest[] = [];
    const timingOut: ProcessRunner = {
      run: async (req): Promise<ProcessResult> => {
        requests.push(req);
        return { exitCode: null, stdout: '', stderr: '', isTimedOut: true };
      },
    };
    const result = await computeDerivedData(upstream({ python: 'python3', runner: timingOut, timeoutMs: 5000, scriptPath: SCRIPT }));
    assert.match(result.notes[0], /^derived values approximate: plugin\.py did not finish within 5 s/);
    assert.equal(requests.length, 1);
    assert.equal(requests[0].command, 'python3');
    assert.equal(requests[0].cwd, '/ws');
    assert.deepEqual(requests[0].args, ['-B', SCRIPT]);
    const sent = JSON.parse(requests[0].stdin!) as { plugins: string[]; import_paths: string[]; data: Record<string, unknown> };
    assert.deepEqual(sent.plugins, ['plugin:Plugin']);
    assert.deepEqual(sent.import_paths, ['/ws/scripts']);
    assert.equal(sent.data.node_cidr, '10.10.0.0/24');
  });

  it('does not run Python without the helper script', async () => {
    const result = await computeDerivedData(upstream({ python: 'python3', runner: nodeProcessRunner }));
    assert.equal(result.notes[0], 'derived values approximate: the helper script plugin_data.py is missing from this installation');
  });

  it('static mode says that plugins are not run', async () => {
    const result = await computeDerivedData(upstream('static'));
    assert.equal(result.notes[0], 'derived values approximate: Python plugins are not run (static reading of plugin.py)');
    assert.deepEqual(result.declared?.filters, ['basename', 'nthhost']);
  });

  it('has nothing to derive without plugins', async () => {
    const result = await computeDerivedData({ ...upstream('static'), plugins: [] });
    assert.deepEqual([result.source, result.isApproximate, result.notes, result.derived.size], ['none', false, [], 0]);
  });
});

describe('static evaluation of data()', () => {
  const evaluate = (body: string, data = new PyDict()) =>
    evaluatePluginData(`import re\n${body}`, 'Plugin', data, { root: '/ws', files: memoryPluginFileAccess(new Map([['/ws/age.key', '# public key: age1xyz\n']])) });

  it('stops at a library call it cannot evaluate, naming it', () => {
    const result = evaluate(['class Plugin:', '    def __init__(self, data):', '        self.d = data', '    def data(self):', '        self.d["x"] = re.sub("a", "b", "abc")', '        return self.d'].join('\n'));
    assert.match(result.problem ?? '', /from line 6 on \(re\.sub \(a library\)\)/);
  });

  it('notes plugin methods the renderer does not apply', () => {
    const result = deriveStatically({
      root: '/ws',
      config: configWith(),
      data: new PyDict(),
      plugins: [{ spec: 'plugin:Plugin', filePath: '/ws/scripts/plugin.py', text: 'class Plugin:\n    def path_filters(self):\n        return [lambda p: True]\n' }],
      mode: 'static',
      files: memoryPluginFileAccess(new Map()),
    });
    assert.deepEqual(result.notes, ['scripts/plugin.py: path_filters() is defined; the editor renderer does not apply it']);
  });

  it('gives the data built before a statement it cannot evaluate, and names the line', () => {
    const data = new PyDict();
    const result = evaluate(
      ['class Plugin:', '    def __init__(self, data):', '        self.d = data', '    def data(self):', '        self.d["before"] = 1', '        while True:', '            break', '        self.d["after"] = 2', '        return self.d'].join('\n'),
      data,
    );
    assert.match(result.problem ?? '', /from line 7 on \('while' statements\)/);
    assert.equal(pyRepr(data), "{'before': 1}");
  });

  it('evaluates a whole data() with the supported forms', () => {
    const result = evaluate(
      [
        'def _double(x, factor=2):',
        '    return x * factor',
        'class Plugin:',
        '    def __init__(self, data):',
        '        self._data = data',
        '    def _names(self):',
        '        return [n["name"] for n in self._data.get("nodes", []) if n.get("controller")]',
        '    def data(self):',
        '        data = dict(self._data)',
        '        data["controllers"] = self._names()',
        '        data["label"] = f"{data[\'controllers\'][0]}!" if data["controllers"] else "none"',
        '        try:',
        '            data["missing"] = data["nope"]',
        '        except KeyError:',
        '            data["missing"] = "fallback"',
        '        total = 0',
        '        for n in range(4):',
        '            if n == 2:',
        '                continue',
        '            total += _double(n)',
        '        data["total"] = total',
        '        data["gw"] = nthhost("10.0.0.0/8", 1)',
        '        data["key"] = age_key("public")',
        '        data["sorted"] = sorted(data["controllers"], reverse=True)',
        '        data["joined"] = ",".join(n.upper() for n in data["controllers"])',
        '        return {k: v for k, v in data.items() if k != "nodes"}',
        'def nthhost(value, query):',
        '    raise NotImplementedError("the native version is used")',
        'def age_key(key_type, file_path="age.key"):',
        '    raise NotImplementedError("the native version is used")',
      ].join('\n'),
      parseYamlData('nodes: [{name: a, controller: true}, {name: b}, {name: c, controller: yes}]\n', 'x'),
    );
    assert.equal(result.problem, undefined);
    assert.equal(
      pyRepr(result.result!),
      "{'controllers': ['a', 'c'], 'label': 'a!', 'missing': 'fallback', 'total': 8, 'gw': '10.0.0.1', 'key': 'age1xyz', 'sorted': ['c', 'a'], 'joined': 'A,C'}",
    );
  });
});

describe('the JSON exchanged with plugin_data.py', () => {
  it('tags floats, tuples, dicts with other keys and dates so they come back as they went', () => {
    const value = PyDict.of([
      ['f', new PyFloat(1)],
      ['inf', new PyFloat(-Infinity)],
      ['t', tuple([1, tuple([])])],
      ['k', PyDict.of([[2, 'two'], [true, 'yes'], [null, 'none']])],
      ['$tuple', 'a key that looks like a tag'],
      ['d', parseYamlData('d: 2024-01-01T10:00:00+01:00\n', 'x').get('d')!],
    ]);
    const encoded = encodeForPython(value);
    assert.equal(pyRepr(decodeFromPython(parseJsonForTest(encoded))), pyRepr(value));
  });
});

/** The same parser the renderer uses for the helper's answer (keeps 1.0 a float, keeps key order). */
function parseJsonForTest(text: string): PyDict {
  return parseJsonValue(text) as PyDict;
}
