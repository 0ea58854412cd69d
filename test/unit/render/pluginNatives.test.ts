// The native plugin functions against upstream cluster-template's plugin.py itself, run by
// /usr/bin/python3 in the same temporary workspace (age.key from age-keygen, tunnel JSON, keys,
// talos patches): the same results and the same exception types and messages. Secret results are
// compared by hash, so a failure never prints them.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { memoryPluginFileAccess, nativePluginCallables, pyJsonDumpsCompact, pyStrip } from '../../../server/src/engines/render/pluginNatives';
import { PyDict, PyError, PyFloat, Undefined, pyRepr, tuple, type PyValue, type RuntimeContext } from '../../../server/src/engines/render/pyValues';
import { nodePluginFileAccess } from '../../../server/src/host/fileReader';
import { REFERENCE_PYTHON, referenceUnavailable } from '../../support/referencePython';

const REPO_ROOT = join(__dirname, '..', '..', '..', '..');
const UPSTREAM_PLUGIN_DIR = join(REPO_ROOT, 'test', 'fixtures', 'render-unit', 'upstream-plugin');

type Arg = string | number | boolean | null | Arg[] | { $float: number } | { $undefined: string } | { $tuple: Arg[] };

interface Call {
  fn: string;
  args: Arg[];
  kwargs?: Record<string, Arg>;
  /** Compare by hash only: the result is key material. */
  isSecret?: boolean;
}

interface Outcome {
  ok: boolean;
  repr?: string;
  type?: string;
  message?: string;
}

const FILTERS = new Set(['basename', 'nthhost']);

const DRIVER = String.raw`
import hashlib, json, os, sys, types
sys.dont_write_bytecode = True
package = types.ModuleType("makejinja")
plugin_module = types.ModuleType("makejinja.plugin")
class Plugin:
    pass
plugin_module.Plugin = Plugin
for name in ("Data", "Filters", "Functions"):
    setattr(plugin_module, name, object)
package.plugin = plugin_module
sys.modules["makejinja"] = package
sys.modules["makejinja.plugin"] = plugin_module
request = json.load(sys.stdin)
sys.path.insert(0, request["plugin_dir"])
import plugin
from jinja2 import ChainableUndefined
os.chdir(request["cwd"])

def decode(value):
    if isinstance(value, list):
        return [decode(v) for v in value]
    if isinstance(value, dict):
        if "$float" in value:
            return float(value["$float"])
        if "$undefined" in value:
            return ChainableUndefined(name=value["$undefined"])
        if "$tuple" in value:
            return tuple(decode(v) for v in value["$tuple"])
    return value

out = []
for call in request["calls"]:
    try:
        result = getattr(plugin, call["fn"])(*[decode(a) for a in call["args"]], **{k: decode(v) for k, v in call.get("kwargs", {}).items()})
        text = repr(result)
        if call.get("isSecret"):
            text = hashlib.sha256(text.encode()).hexdigest()
        out.append({"ok": True, "repr": text})
    except Exception as error:
        out.append({"ok": False, "type": type(error).__name__, "message": error.args[0] if len(error.args) == 1 else str(error)})
print(json.dumps(out))
`;

function toPy(arg: Arg): PyValue {
  if (Array.isArray(arg)) return arg.map(toPy);
  if (arg !== null && typeof arg === 'object') {
    if ('$float' in arg) return new PyFloat(arg.$float);
    if ('$undefined' in arg) return new Undefined('chainable', `'${arg.$undefined}' is undefined`, arg.$undefined);
    return tuple(arg.$tuple.map(toPy));
  }
  return arg;
}

const NO_CONTEXT = undefined as unknown as RuntimeContext;

function callNative(root: string, call: Call): Outcome {
  const callables = nativePluginCallables(root, nodePluginFileAccess);
  const args = call.args.map(toPy);
  const kwargs = new Map(Object.entries(call.kwargs ?? {}).map(([k, v]) => [k, toPy(v)]));
  try {
    const result = FILTERS.has(call.fn) ? callables.filters.get(call.fn)!(NO_CONTEXT, args[0], args.slice(1), kwargs) : callables.functions.get(call.fn)!.impl(NO_CONTEXT, args, kwargs);
    const text = pyRepr(result);
    return { ok: true, repr: call.isSecret ? createHash('sha256').update(text).digest('hex') : text };
  } catch (error) {
    if (!(error instanceof PyError)) throw error;
    return { ok: false, type: error.pyType, message: error.message };
  }
}

/** A workspace with the files upstream's functions read. */
function makeWorkspace(root: string): void {
  const keygen = spawnSync('age-keygen', ['-o', join(root, 'age.key')], { encoding: 'utf8' });
  if (keygen.error || keygen.status !== 0) {
    // Without age-keygen (not installed): a key file of the same shape.
    writeFileSync(join(root, 'age.key'), `# created: 2024-01-01T00:00:00Z\n# public key: age1${'q'.repeat(58)}\nAGE-SECRET-KEY-1${'Q'.repeat(58)}\n`);
  }
  writeFileSync(join(root, 'age-public-only.key'), '# public key: age1abc\n');
  writeFileSync(join(root, 'cloudflare-tunnel.json'), JSON.stringify({ AccountTag: 'acct-ü', TunnelSecret: 'c2VjcmV0\u2603/+=', TunnelID: '6ff42ae2-765d-4adf-8112-31c55c1551ef', Extra: 1.5 }));
  writeFileSync(join(root, 'tunnel-numbers.json'), '{"AccountTag": 12, "TunnelID": 3.0, "TunnelSecret": [true, null, {"k": "\\u0001\\u007f"}]}');
  writeFileSync(join(root, 'tunnel-list.json'), '[1, 2]');
  writeFileSync(join(root, 'tunnel-string.json'), '"text"');
  writeFileSync(join(root, 'tunnel-bad.json'), '{"TunnelID": ');
  writeFileSync(join(root, 'tunnel-no-secret.json'), '{"AccountTag": "a", "TunnelID": "t"}');
  writeFileSync(join(root, 'tunnel-null-id.json'), '{"TunnelID": null}');
  writeFileSync(join(root, 'github-deploy.key'), '-----BEGIN OPENSSH PRIVATE KEY-----\r\nabc\r\n-----END OPENSSH PRIVATE KEY-----\r\n\t \n');
  writeFileSync(join(root, 'github-push-token.txt'), '\u00a0 ghp_token\u001c\n');
  mkdirSync(join(root, 'a-folder'));
  const patches = join(root, 'templates', 'config', 'talos', 'patches');
  mkdirSync(join(patches, 'global', 'sub.yaml.j2'), { recursive: true });
  mkdirSync(join(patches, 'controller'), { recursive: true });
  for (const name of ['machine-time.yaml.j2', 'Machine-b.yaml.j2', 'a.yaml.j2', '.hidden.yaml.j2', 'notes.yaml', 'ä.yaml.j2', '.yaml.j2']) writeFileSync(join(patches, 'global', name), '');
  writeFileSync(join(patches, 'top.yaml.j2'), '');
}

const CALLS: Call[] = [
  // basename: Path(value).stem
  ...['templates/config/talos/patches/global/a.yaml.j2', 'a.yaml', 'noext', '.hidden', 'dir/', '/', '', 'a/..', 'x.', 'a//b/./c.tar.gz', '//x/y.z'].map((value) => ({ fn: 'basename', args: [value] })),
  { fn: 'basename', args: [5] },
  { fn: 'basename', args: [null] },
  { fn: 'basename', args: [{ $undefined: 'missing' }] },
  // nthhost: IPv4 and IPv6, prefixes, masks, ints, out of range, invalid
  ...(
    [
      ['10.0.0.0/24', 1],
      ['10.0.0.0/24', 0],
      ['10.0.0.0/24', 255],
      ['10.0.0.0/24', 256],
      ['10.0.0.0/24', -1],
      ['10.0.0.7/24', 1],
      ['192.168.1.10/32', 0],
      ['192.168.1.10', 0],
      ['10.0.0.0/255.255.255.0', 2],
      ['10.0.0.0/0.0.0.255', 3],
      ['10.0.0.0/255.0.255.0', 1],
      ['10.0.0.0/33', 1],
      ['10.0.0.0/-1', 1],
      ['10.0.0.0/ 24', 1],
      ['010.0.0.0/24', 1],
      ['10.0.0.256/24', 1],
      ['10.0.0/24', 1],
      ['0.0.0.0/0', 4294967295],
      ['0.0.0.0/0', 4294967296],
      ['2001:db8::/64', 1],
      ['2001:db8::/64', 0],
      ['2001:DB8:0:0:1::/80', 65536],
      ['fd00::/8', 9007199254740991],
      ['::/0', 9007199254740992],
      ['ffff:ffff:ffff:ffff:ffff:ffff:fff0::/108', 1048575],
      ['::/0', 1],
      ['::/128', 1],
      ['2001:db8::1/129', 1],
      ['fe80::1%eth0/64', 2],
      ['::ffff:10.0.0.0/120', 5],
      ['2001:0db8:0000:0000:0000:0000:0000:0000/126', 3],
      ['1:0:0:1:0:0:0:0/128', 0],
      ['1:0:0:1:0:0:1:0/128', 0],
      ['2001:db8:::/64', 1],
      ['2001:db8::1::/64', 1],
      ['12345::/64', 1],
      ['not an ip', 1],
      ['', 1],
      ['10.0.0.0/24/1', 1],
    ] as [string, number][]
  ).map(([value, n]) => ({ fn: 'nthhost', args: [value, n] })),
  { fn: 'nthhost', args: [167772160, 1] },
  { fn: 'nthhost', args: [4294967296, 1] },
  { fn: 'nthhost', args: [-1, 0] },
  { fn: 'nthhost', args: [true, 0] },
  { fn: 'nthhost', args: [null, 1] },
  { fn: 'nthhost', args: [{ $float: 1.5 }, 0] },
  { fn: 'nthhost', args: [['10.0.0.0/24'], 1] },
  { fn: 'nthhost', args: ['10.0.0.0/24', true] },
  { fn: 'nthhost', args: ['10.0.0.0/24', { $float: 1 }] },
  { fn: 'nthhost', args: ['10.0.0.0/24', '1'] },
  { fn: 'nthhost', args: ['10.0.0.0/24', null] },
  { fn: 'nthhost', args: ['10.0.0.0/24', { $undefined: 'n' }] },
  { fn: 'nthhost', args: [{ $undefined: 'cidr' }, 1] },
  { fn: 'nthhost', args: ['bad', '1'] },
  { fn: 'nthhost', args: ['10.0.0.0/24'] },
  { fn: 'nthhost', args: ['10.0.0.0/24'], kwargs: { query: 3 } },
  // age_key
  { fn: 'age_key', args: ['public'], isSecret: true },
  { fn: 'age_key', args: ['private'], isSecret: true },
  { fn: 'age_key', args: ['other'] },
  { fn: 'age_key', args: ['private', 'age-public-only.key'] },
  { fn: 'age_key', args: ['public', 'missing.key'] },
  { fn: 'age_key', args: ['nonsense', 'missing.key'] },
  { fn: 'age_key', args: ['public', 'a-folder'] },
  { fn: 'age_key', args: ['public', null] },
  { fn: 'age_key', args: ['public'], kwargs: { file_path: 'age.key' }, isSecret: true },
  { fn: 'age_key', args: [] },
  // cloudflare tunnel
  { fn: 'cloudflare_tunnel_id', args: [] },
  { fn: 'cloudflare_tunnel_id', args: ['tunnel-numbers.json'] },
  { fn: 'cloudflare_tunnel_id', args: ['tunnel-list.json'] },
  { fn: 'cloudflare_tunnel_id', args: ['tunnel-bad.json'] },
  { fn: 'cloudflare_tunnel_id', args: ['tunnel-null-id.json'] },
  { fn: 'cloudflare_tunnel_id', args: ['tunnel-no-secret.json'] },
  { fn: 'cloudflare_tunnel_id', args: ['gone.json'] },
  { fn: 'cloudflare_tunnel_secret', args: [], isSecret: true },
  { fn: 'cloudflare_tunnel_secret', args: ['tunnel-numbers.json'], isSecret: true },
  { fn: 'cloudflare_tunnel_secret', args: ['tunnel-no-secret.json'] },
  { fn: 'cloudflare_tunnel_secret', args: ['tunnel-list.json'] },
  { fn: 'cloudflare_tunnel_secret', args: ['tunnel-string.json'] },
  { fn: 'cloudflare_tunnel_secret', args: ['tunnel-bad.json'] },
  { fn: 'cloudflare_tunnel_secret', args: ['gone.json'] },
  { fn: 'cloudflare_tunnel_secret', args: ['a-folder'] },
  // GitHub files
  { fn: 'github_deploy_key', args: [], isSecret: true },
  { fn: 'github_deploy_key', args: ['gone.key'] },
  { fn: 'github_deploy_key', args: ['a-folder'] },
  { fn: 'github_push_token', args: [], isSecret: true },
  { fn: 'github_push_token', args: ['gone.txt'] },
  // talos_patches
  { fn: 'talos_patches', args: ['global'] },
  { fn: 'talos_patches', args: ['controller'] },
  { fn: 'talos_patches', args: ['worker'] },
  { fn: 'talos_patches', args: [''] },
  { fn: 'talos_patches', args: ['global/'] },
  { fn: 'talos_patches', args: ['./global'] },
  { fn: 'talos_patches', args: [{ $undefined: 'node' }] },
  { fn: 'talos_patches', args: [1] },
];

describe('native plugin functions compared with upstream plugin.py', () => {
  let root: string;
  let expected: Outcome[] | string;

  before(() => {
    root = mkdtempSync(join(tmpdir(), 'ctt-natives-'));
    makeWorkspace(root);
    const result = spawnSync(REFERENCE_PYTHON, ['-c', DRIVER], { input: JSON.stringify({ plugin_dir: UPSTREAM_PLUGIN_DIR, cwd: root, calls: CALLS }), encoding: 'utf8' });
    if (result.error) expected = referenceUnavailable(`python could not be started (${result.error.message})`);
    else if (result.status !== 0) expected = referenceUnavailable(`the driver failed (it needs python3-jinja2): ${result.stderr.trim().split('\n').pop()}`);
    else expected = JSON.parse(result.stdout) as Outcome[];
  });

  after(() => rmSync(root, { recursive: true, force: true }));

  it('gives the same results, exception types and messages for every call', (t) => {
    if (typeof expected === 'string') return t.skip(expected);
    const reference = expected;
    const mismatches = CALLS.flatMap((call, i) => {
      const ours = callNative(root, call);
      const want = reference[i];
      return JSON.stringify(ours) === JSON.stringify(want) ? [] : [`${call.fn}(${JSON.stringify(call.args)}${call.kwargs ? `, ${JSON.stringify(call.kwargs)}` : ''}):\n  Python ${JSON.stringify(want)}\n  ours   ${JSON.stringify(ours)}`];
    });
    assert.deepEqual(mismatches, []);
  });

  it('never puts key material into an error message', () => {
    const secretFiles = new Map([
      ['/ws/age.key', '# public key: nope\nAGE-SECRET-KEY-1SECRETSECRET\n'],
      ['/ws/cloudflare-tunnel.json', '{"AccountTag": "a", "TunnelSecret": "TOPSECRET"'],
    ]);
    const callables = nativePluginCallables('/ws', memoryPluginFileAccess(secretFiles));
    const messages: string[] = [];
    for (const [name, args] of [
      ['age_key', ['public']],
      ['cloudflare_tunnel_secret', []],
      ['cloudflare_tunnel_id', []],
    ] as [string, PyValue[]][]) {
      try {
        callables.functions.get(name)!.impl(NO_CONTEXT, args, new Map());
      } catch (error) {
        messages.push((error as Error).message);
      }
    }
    assert.equal(messages.length, 3);
    for (const message of messages) assert.ok(!/SECRET/.test(message), message);
  });
});

describe('declared plugin callables', () => {
  it('registers exactly what plugin.py declares; one without a native version raises naming it', () => {
    const callables = nativePluginCallables('/ws', memoryPluginFileAccess(new Map()), { functions: ['age_key', 'my_helper'], filters: ['nthhost', 'to_upper'], tests: ['is_cool'] });
    assert.deepEqual([...callables.functions.keys()], ['age_key', 'my_helper']);
    assert.deepEqual([...callables.filters.keys()], ['nthhost', 'to_upper']);
    assert.deepEqual(callables.missing, ['my_helper', 'to_upper', 'is_cool']);
    assert.throws(
      () => callables.functions.get('my_helper')!.impl(NO_CONTEXT, [], new Map()),
      (error: unknown) =>
        error instanceof PyError && error.pyType === 'NotImplementedError' && error.message === "plugin function 'my_helper' is defined in plugin.py but not implemented natively by Cluster Template Tools",
    );
    assert.throws(() => callables.filters.get('to_upper')!(NO_CONTEXT, 'x', [], new Map()), /plugin filter 'to_upper' is defined in plugin.py/);
    assert.throws(() => callables.tests.get('is_cool')!(NO_CONTEXT, 'x', [], new Map()), /plugin test 'is_cool' is defined in plugin.py/);
    assert.equal(callables.filters.get('nthhost')!(NO_CONTEXT, '10.1.0.0/16', [2], new Map()), '10.1.0.2');
  });

  it('without a declaration gives upstream cluster-template set', () => {
    const callables = nativePluginCallables('/ws', memoryPluginFileAccess(new Map()));
    assert.deepEqual([...callables.filters.keys()], ['basename', 'nthhost']);
    assert.deepEqual([...callables.functions.keys()], ['age_key', 'cloudflare_tunnel_id', 'cloudflare_tunnel_secret', 'github_deploy_key', 'github_push_token', 'talos_patches']);
  });
});

describe('Python helpers', () => {
  it('json.dumps(separators=(",", ":")) escapes like ensure_ascii', () => {
    const value = PyDict.of([
      ['s', 'é\u2603\ud83d\ude00"\\\n\u007f'],
      ['n', [1, new PyFloat(2), new PyFloat(1e16), null, true]],
      [1, 'int key'],
    ]);
    assert.equal(pyJsonDumpsCompact(value), '{"s":"\\u00e9\\u2603\\ud83d\\ude00\\"\\\\\\n\\u007f","n":[1,2.0,1e+16,null,true],"1":"int key"}');
  });

  it('str.strip() removes what Python counts as whitespace, not what JavaScript does', () => {
    assert.equal(pyStrip('\u001c\u0085 x \u00a0\t'), 'x');
    assert.equal(pyStrip('\ufeffx'), '\ufeffx');
  });
});
