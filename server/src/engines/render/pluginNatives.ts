// The cluster-template plugin's functions and filters (templates/scripts/plugin.py upstream),
// reimplemented with Python's exact results and errors so templates render without Python.
// Files are read through a synchronous PluginFileAccess (a render is synchronous); never logs,
// and no error message ever holds a key, token or tunnel secret.
import * as path from 'node:path';
import type { PluginDirEntry, PluginFileAccess } from '../../host/fileReader';
import { parseJsonValue } from './dataFiles';
import {
  PyDict,
  PyError,
  PyFloat,
  PyFunction,
  Undefined,
  bindArguments,
  floatRepr,
  pyStr,
  stringOf,
  stringRepr,
  typeName,
  type FilterFunction,
  type ParameterSpec,
  type PyKwargs,
  type PyValue,
  type TestFunction,
} from './pyValues';

export type { PluginFileAccess, PluginDirEntry };

// ---------------------------------------------------------------------------------------------
// Python helpers

// Characters str.strip() removes (str.isspace()): ASCII whitespace, the separators \x1c-\x1f,
// NEL, NBSP and the Unicode spaces; JavaScript's trim() differs (it strips U+FEFF, keeps \x1c).
const PY_WHITESPACE = '\\t\\n\\x0b\\x0c\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const PY_STRIP = new RegExp(`^[${PY_WHITESPACE}]+|[${PY_WHITESPACE}]+$`, 'g');

/** Python's str.strip() without arguments. */
export function pyStrip(text: string): string {
  return text.replace(PY_STRIP, '');
}

/** The parts of a PurePosixPath: `a//b/./c/` → ['a', 'b', 'c']; a leading '/' (or exactly '//') kept as the root. */
function pyPathParts(text: string): { root: string; parts: string[] } {
  const root = text.startsWith('//') && !text.startsWith('///') ? '//' : text.startsWith('/') ? '/' : '';
  return { root, parts: text.split('/').filter((part) => part !== '' && part !== '.') };
}

/** str(Path(text)). */
export function pyPathString(text: string): string {
  const { root, parts } = pyPathParts(text);
  return root + parts.join('/') || '.';
}

/** Path(text).stem: the last part without its last suffix. */
export function pyPathStem(text: string): string {
  const { parts } = pyPathParts(text);
  const name = parts[parts.length - 1] ?? '';
  const dot = name.lastIndexOf('.');
  return dot > 0 && dot < name.length - 1 ? name.slice(0, dot) : name;
}

/** os.fspath: only str (and Markup, a str) is a path here; Python 3.11's TypeError otherwise. */
function fsPath(value: PyValue): string {
  const text = stringOf(value);
  if (text === undefined) throw new PyError('TypeError', `expected str, bytes or os.PathLike object, not ${typeName(value)}`);
  return text;
}

/** Python's open(path).read(): text mode turns \r\n and \r into \n. */
function readLikePython(text: string): string {
  return text.replace(/\r\n?/g, '\n');
}

/**
 * json.dumps(value, separators=(',', ':')) with the default ensure_ascii: every character outside
 * printable ASCII as \uXXXX (lowercase hex, surrogate pairs above U+FFFF).
 */
export function pyJsonDumpsCompact(value: PyValue): string {
  if (value === null) return 'null';
  if (value === true) return 'true';
  if (value === false) return 'false';
  if (typeof value === 'number') return pyStr(value);
  if (value instanceof PyFloat) {
    if (Number.isNaN(value.value)) return 'NaN';
    if (value.value === Infinity) return 'Infinity';
    if (value.value === -Infinity) return '-Infinity';
    return floatRepr(value.value);
  }
  const text = stringOf(value);
  if (text !== undefined) return jsonString(text);
  if (Array.isArray(value)) return `[${value.map(pyJsonDumpsCompact).join(',')}]`;
  if (value instanceof PyDict) {
    const parts: string[] = [];
    for (const [key, item] of value) {
      const keyText = typeof key === 'string' ? key : key === null ? 'null' : typeof key === 'boolean' ? String(key) : pyStr(key);
      parts.push(`${jsonString(keyText)}:${pyJsonDumpsCompact(item)}`);
    }
    return `{${parts.join(',')}}`;
  }
  throw new PyError('TypeError', `Object of type ${typeName(value)} is not JSON serializable`);
}

function jsonString(text: string): string {
  const simple: Record<string, string> = { '"': '\\"', '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\b': '\\b', '\f': '\\f' };
  let out = '"';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    const code = text.charCodeAt(i);
    if (simple[c]) out += simple[c];
    else if (code < 0x20 || code > 0x7e) out += '\\u' + code.toString(16).padStart(4, '0');
    else out += c;
  }
  return out + '"';
}

function base64OfUtf8(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}

// ---------------------------------------------------------------------------------------------
// ipaddress (Python 3.11)

interface IpNetwork {
  version: 4 | 6;
  network: bigint;
  prefix: number;
}

class AddressError extends Error {}

const DECIMAL = /^[0-9]+$/;

function parseIPv4(text: string): bigint {
  if (!text) throw new AddressError('Address cannot be empty');
  const octets = text.split('.');
  if (octets.length !== 4) throw new AddressError('Expected 4 octets');
  let value = 0n;
  for (const octet of octets) {
    if (!DECIMAL.test(octet) || octet.length > 3) throw new AddressError('bad octet');
    if (octet.length > 1 && octet.startsWith('0')) throw new AddressError('Leading zeros are not permitted');
    const n = Number(octet);
    if (n > 255) throw new AddressError('Octet exceeded 255');
    value = (value << 8n) | BigInt(n);
  }
  return value;
}

function parseIPv6(full: string): bigint {
  const percent = full.indexOf('%');
  let text = full;
  if (percent >= 0) {
    const scope = full.slice(percent + 1);
    if (!scope || scope.includes('%')) throw new AddressError('Invalid IPv6 address');
    text = full.slice(0, percent);
  }
  if (!text) throw new AddressError('Address cannot be empty');
  const parts = text.split(':');
  if (parts.length < 3) throw new AddressError('At least 3 parts expected');
  if (parts[parts.length - 1].includes('.')) {
    const v4 = parseIPv4(parts.pop()!);
    parts.push(((v4 >> 16n) & 0xffffn).toString(16), (v4 & 0xffffn).toString(16));
  }
  if (parts.length > 9) throw new AddressError('At most 8 colons permitted');
  let skipIndex: number | undefined;
  for (let i = 1; i < parts.length - 1; i++) {
    if (!parts[i]) {
      if (skipIndex !== undefined) throw new AddressError("At most one '::' permitted");
      skipIndex = i;
    }
  }
  let hi: number;
  let lo: number;
  let skipped: number;
  if (skipIndex !== undefined) {
    hi = skipIndex;
    lo = parts.length - skipIndex - 1;
    if (!parts[0] && --hi) throw new AddressError("Leading ':' only permitted as part of '::'");
    if (!parts[parts.length - 1] && --lo) throw new AddressError("Trailing ':' only permitted as part of '::'");
    skipped = 8 - (hi + lo);
    if (skipped < 1) throw new AddressError("Expected at most 7 other parts with '::'");
  } else {
    if (parts.length !== 8) throw new AddressError('Exactly 8 parts expected without');
    if (!parts[0] || !parts[parts.length - 1]) throw new AddressError("Leading or trailing ':' only permitted as part of '::'");
    hi = parts.length;
    lo = 0;
    skipped = 0;
  }
  const hextet = (part: string): bigint => {
    if (!/^[0-9a-fA-F]{1,4}$/.test(part)) throw new AddressError('Only hex digits permitted');
    return BigInt(parseInt(part, 16));
  };
  let value = 0n;
  for (let i = 0; i < hi; i++) value = (value << 16n) | hextet(parts[i]);
  value <<= 16n * BigInt(skipped);
  for (let i = parts.length - lo; i < parts.length; i++) value = (value << 16n) | hextet(parts[i]);
  return value;
}

function prefixFromInt(mask: bigint, bits: number): number | undefined {
  let trailing = 0;
  while (trailing < bits && ((mask >> BigInt(trailing)) & 1n) === 0n) trailing++;
  const prefix = bits - trailing;
  const leadingOnes = mask >> BigInt(trailing);
  return leadingOnes === (1n << BigInt(prefix)) - 1n ? prefix : undefined;
}

function parsePrefix(text: string, version: 4 | 6): number {
  const bits = version === 4 ? 32 : 128;
  if (DECIMAL.test(text)) {
    const prefix = Number(text);
    if (prefix <= bits) return prefix;
    throw new AddressError('not a valid netmask');
  }
  if (version === 6) throw new AddressError('not a valid netmask');
  // IPv4 also takes a netmask (255.255.255.0) or a host mask (0.0.0.255).
  const mask = parseIPv4(text);
  const asNetmask = prefixFromInt(mask, 32);
  if (asNetmask !== undefined) return asNetmask;
  const asHostmask = prefixFromInt(mask ^ 0xffffffffn, 32);
  if (asHostmask !== undefined) return asHostmask;
  throw new AddressError('not a valid netmask');
}

/** ipaddress.ip_network(value, strict=False); undefined where Python raises ValueError. */
function ipNetwork(value: PyValue): IpNetwork | undefined {
  const bitsOf = (version: 4 | 6): number => (version === 4 ? 32 : 128);
  const build = (version: 4 | 6, address: bigint, prefix: number): IpNetwork => {
    const bits = bitsOf(version);
    const mask = ((1n << BigInt(prefix)) - 1n) << BigInt(bits - prefix);
    return { version, network: address & mask, prefix };
  };
  if (typeof value === 'number' || typeof value === 'boolean') {
    // An int is an address with a full-length prefix: IPv4 when it fits in 32 bits.
    if (typeof value === 'number' && !Number.isInteger(value)) return undefined;
    const n = BigInt(typeof value === 'boolean' ? Number(value) : value);
    if (n < 0n) return undefined;
    if (n < 1n << 32n) return build(4, n, 32);
    if (n < 1n << 128n) return build(6, n, 128);
    return undefined;
  }
  const text = pyStr(value);
  const pieces = text.split('/');
  if (pieces.length > 2) return undefined;
  for (const version of [4, 6] as const) {
    try {
      const address = version === 4 ? parseIPv4(pieces[0]) : parseIPv6(pieces[0]);
      const prefix = pieces.length > 1 ? parsePrefix(pieces[1], version) : bitsOf(version);
      return build(version, address, prefix);
    } catch (error) {
      if (!(error instanceof AddressError)) throw error;
    }
  }
  return undefined;
}

function ipv4String(value: bigint): string {
  return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 0xffn)).join('.');
}

/** str(IPv6Address): lowercase hextets, the longest run of two or more zero groups (the first of equals) as '::'. */
function ipv6String(value: bigint): string {
  const hextets: string[] = [];
  for (let shift = 112n; shift >= 0n; shift -= 16n) hextets.push(((value >> shift) & 0xffffn).toString(16));
  let bestStart = -1;
  let bestLength = 0;
  let start = -1;
  let length = 0;
  hextets.forEach((hextet, index) => {
    if (hextet === '0') {
      length++;
      if (start === -1) start = index;
      if (length > bestLength) {
        bestLength = length;
        bestStart = start;
      }
    } else {
      length = 0;
      start = -1;
    }
  });
  if (bestLength > 1) {
    const end = bestStart + bestLength;
    const head = hextets.slice(0, bestStart);
    const tail = hextets.slice(end);
    return `${head.join(':')}::${tail.join(':')}`;
  }
  return hextets.join(':');
}

// ---------------------------------------------------------------------------------------------
// The plugin's callables

/** A native plugin callable: Python parameters and an implementation over bound arguments. */
interface NativeCallable {
  params: ParameterSpec[];
  call(args: PyValue[], env: NativeEnvironment): PyValue;
}

interface NativeEnvironment {
  root: string;
  files: PluginFileAccess;
}

/** open(file_path).read() relative to makejinja's working directory, with Python's errors. */
function readFile(env: NativeEnvironment, filePath: PyValue, onMissing: (shown: string) => PyError, wrap: (shown: string, message: string) => PyError): string {
  let text: string;
  try {
    text = fsPath(filePath);
  } catch (error) {
    throw wrap(pyStr(filePath), (error as Error).message);
  }
  const absolute = path.resolve(env.root, text);
  const content = env.files.readText(absolute);
  if (content !== undefined) return readLikePython(content);
  if (env.files.listDir(absolute) !== undefined) throw wrap(text, `[Errno 21] Is a directory: ${stringRepr(text)}`);
  throw onMissing(text);
}

const notFound = (shown: string): PyError => new PyError('FileNotFoundError', `File not found: ${shown}`);
const unexpected =
  (verb: 'processing' | 'reading') =>
  (shown: string, message: string): PyError =>
    new PyError('RuntimeError', `Unexpected error while ${verb} ${shown}: ${message}`);

// Python's \w in a str pattern: letters, digits (Unicode) and the underscore.
const AGE_PUBLIC = /# public key: (age1[\p{L}\p{N}_]+)/u;
const AGE_PRIVATE = /(AGE-SECRET-KEY-[\p{L}\p{N}_]+)/u;

/** json.load of a file: the value, or ValueError("Could not decode JSON file: ...") as the plugin raises it. */
function loadJsonFile(env: NativeEnvironment, filePath: PyValue): { value: PyValue; shown: string } {
  const content = readFile(env, filePath, notFound, unexpected('processing'));
  const shown = pyStr(filePath);
  try {
    return { value: parseJsonValue(content), shown };
  } catch (error) {
    if (error instanceof PyError) throw new PyError('ValueError', `Could not decode JSON file: ${shown}`);
    throw error;
  }
}

/** data[key] on a json value, with Python's TypeError for non-dicts (wrapped by the caller). */
function subscript(data: PyValue, key: string): PyValue | undefined {
  if (data instanceof PyDict) return data.has(key) ? data.get(key)! : undefined;
  if (Array.isArray(data)) throw new Error('list indices must be integers or slices, not str');
  if (typeof data === 'string') throw new Error("string indices must be integers, not 'str'");
  throw new Error(`'${typeName(data)}' object is not subscriptable`);
}

const NATIVES: Record<string, NativeCallable> = {
  basename: {
    params: [{ name: 'value' }],
    call: ([value]) => pyPathStem(fsPath(value)),
  },
  nthhost: {
    params: [{ name: 'value' }, { name: 'query' }],
    call: ([value, query]) => {
      const network = ipNetwork(value);
      if (!network) return false;
      const count = 1n << BigInt((network.version === 4 ? 32 : 128) - network.prefix);
      const n = comparableInt(query);
      if (n === 'float') {
        // network[float] builds an address from a float, which ipaddress refuses (ValueError → False).
        return false;
      }
      if (n < 0n || n >= count) return false;
      const address = network.network + n;
      return network.version === 4 ? ipv4String(address) : ipv6String(address);
    },
  },
  age_key: {
    params: [{ name: 'key_type' }, { name: 'file_path', default: 'age.key' }],
    call: ([keyType, filePath], env) => {
      const content = pyStrip(readFile(env, filePath, notFound, unexpected('processing')));
      const shown = pyStr(filePath);
      // ValueErrors raised inside the plugin's try are re-raised as RuntimeError by its `except Exception`.
      const fail = (message: string): PyError => unexpected('processing')(shown, message);
      if (stringOf(keyType) === 'public') {
        const match = AGE_PUBLIC.exec(content);
        if (!match) throw fail('Could not find public key in the age key file.');
        return match[1];
      }
      if (stringOf(keyType) === 'private') {
        const match = AGE_PRIVATE.exec(content);
        if (!match) throw fail('Could not find private key in the age key file.');
        return match[1];
      }
      throw fail("Invalid key type. Use 'public' or 'private'.");
    },
  },
  cloudflare_tunnel_id: {
    params: [{ name: 'file_path', default: 'cloudflare-tunnel.json' }],
    call: ([filePath], env) => {
      const { value, shown } = loadJsonFile(env, filePath);
      if (!(value instanceof PyDict)) throw unexpected('processing')(shown, `'${typeName(value)}' object has no attribute 'get'`);
      const tunnelId = value.get('TunnelID') ?? null;
      if (tunnelId === null) {
        // KeyError(f"Missing 'TunnelID' key in {file_path}") caught and re-raised as KeyError(f"Error in JSON structure: {e}"),
        // where str(e) of a KeyError is the repr of its message.
        throw new PyError('KeyError', `Error in JSON structure: ${stringRepr(`Missing 'TunnelID' key in ${shown}`)}`);
      }
      return tunnelId;
    },
  },
  cloudflare_tunnel_secret: {
    params: [{ name: 'file_path', default: 'cloudflare-tunnel.json' }],
    call: ([filePath], env) => {
      const { value, shown } = loadJsonFile(env, filePath);
      const token = new PyDict();
      for (const [short, key] of [
        ['a', 'AccountTag'],
        ['t', 'TunnelID'],
        ['s', 'TunnelSecret'],
      ]) {
        let item: PyValue | undefined;
        try {
          item = subscript(value, key);
        } catch (error) {
          throw unexpected('processing')(shown, (error as Error).message);
        }
        if (item === undefined) throw new PyError('KeyError', `Missing key in JSON file ${shown}: ${stringRepr(key)}`);
        token.set(short, item);
      }
      return base64OfUtf8(pyJsonDumpsCompact(token));
    },
  },
  github_deploy_key: {
    params: [{ name: 'file_path', default: 'github-deploy.key' }],
    call: ([filePath], env) => pyStrip(readFile(env, filePath, notFound, unexpected('reading'))),
  },
  github_push_token: {
    params: [{ name: 'file_path', default: 'github-push-token.txt' }],
    call: ([filePath], env) => pyStrip(readFile(env, filePath, notFound, unexpected('reading'))),
  },
  talos_patches: {
    params: [{ name: 'value' }],
    call: ([value], env) => {
      // Path(f'templates/config/talos/patches/{value}'), relative to makejinja's working directory.
      const folder = pyPathString(`templates/config/talos/patches/${pyStr(value)}`);
      const entries = env.files.listDir(path.resolve(env.root, folder));
      if (!entries) return [];
      return entries
        .filter((entry) => entry.isFile && entry.name.endsWith('.yaml.j2'))
        .map((entry) => entry.name)
        .sort(compareCodePoints)
        .map((name) => (folder === '.' ? name : `${folder}/${name}`));
    },
  },
};

/** `0 <= query < n` needs a number; Python's TypeError (or Jinja's UndefinedError) otherwise. */
function comparableInt(query: PyValue): bigint | 'float' {
  if (typeof query === 'boolean') return query ? 1n : 0n;
  if (typeof query === 'number') return BigInt(query);
  if (query instanceof PyFloat) return 'float';
  if (query instanceof Undefined) throw new PyError('UndefinedError', query.hint);
  throw new PyError('TypeError', `'<=' not supported between instances of 'int' and '${typeName(query)}'`);
}

function compareCodePoints(a: string, b: string): number {
  const x = Array.from(a, (c) => c.codePointAt(0)!);
  const y = Array.from(b, (c) => c.codePointAt(0)!);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i];
  return x.length - y.length;
}

/** The names upstream's plugin registers: its filters() and functions(). */
export const NATIVE_FILTER_NAMES: readonly string[] = ['basename', 'nthhost'];
export const NATIVE_FUNCTION_NAMES: readonly string[] = ['age_key', 'cloudflare_tunnel_id', 'cloudflare_tunnel_secret', 'github_deploy_key', 'github_push_token', 'talos_patches'];

/** What a workspace's plugin registers (read statically from plugin.py, or reported by running it). */
export interface DeclaredPluginCallables {
  functions: readonly string[];
  filters: readonly string[];
  tests: readonly string[];
}

export interface PluginCallables {
  /** Template globals (makejinja registers functions() as globals). */
  functions: Map<string, PyFunction>;
  filters: Map<string, FilterFunction>;
  tests: Map<string, TestFunction>;
  /** Declared callables we have no native version of (each raises when used). */
  missing: string[];
}

function invoke(name: string, native: NativeCallable, env: NativeEnvironment, args: PyValue[], kwargs: PyKwargs | undefined): PyValue {
  return native.call(bindArguments(name, native.params, args, kwargs), env);
}

function notImplemented(kind: 'function' | 'filter' | 'test', name: string): PyError {
  return new PyError('NotImplementedError', `plugin ${kind} '${name}' is defined in plugin.py but not implemented natively by Cluster Template Tools`);
}

/**
 * The plugin's callables for a render. With `declared`, exactly the names the workspace's plugin
 * registers (a declared name without a native version raises NotImplementedError when called);
 * without it, upstream cluster-template's set.
 * @example nativePluginCallables('/ws', files).filters.get('nthhost') renders `'10.0.0.0/24' | nthhost(1)` as 10.0.0.1
 */
export function nativePluginCallables(workspaceRoot: string, files: PluginFileAccess, declared?: DeclaredPluginCallables): PluginCallables {
  const env: NativeEnvironment = { root: workspaceRoot, files };
  const functions = new Map<string, PyFunction>();
  const filters = new Map<string, FilterFunction>();
  const tests = new Map<string, TestFunction>();
  const missing: string[] = [];
  const functionNames = declared?.functions ?? NATIVE_FUNCTION_NAMES;
  const filterNames = declared?.filters ?? NATIVE_FILTER_NAMES;
  for (const name of functionNames) {
    const native = NATIVES[name];
    if (!native) missing.push(name);
    functions.set(
      name,
      new PyFunction(name, (_ctx, args, kwargs) => {
        if (!native) throw notImplemented('function', name);
        return invoke(name, native, env, args, kwargs);
      }),
    );
  }
  for (const name of filterNames) {
    const native = NATIVES[name];
    if (!native) missing.push(name);
    filters.set(name, (_ctx, value, args, kwargs) => {
      if (!native) throw notImplemented('filter', name);
      return invoke(name, native, env, [value, ...args], kwargs);
    });
  }
  for (const name of declared?.tests ?? []) {
    missing.push(name);
    tests.set(name, () => {
      throw notImplemented('test', name);
    });
  }
  return { functions, filters, tests, missing };
}

/** A PluginFileAccess over files held in memory (the renderer's snapshot; tests). */
export function memoryPluginFileAccess(files: ReadonlyMap<string, string>, directories: Iterable<string> = []): PluginFileAccess {
  const folders = new Set<string>(directories);
  for (const filePath of files.keys()) {
    for (let dir = path.dirname(filePath); !folders.has(dir) && dir !== path.dirname(dir); dir = path.dirname(dir)) folders.add(dir);
  }
  folders.add('/');
  return {
    readText: (filePath) => files.get(filePath),
    listDir: (folder) => {
      if (!folders.has(folder)) return undefined;
      const names = new Map<string, PluginDirEntry>();
      const prefix = folder.endsWith('/') ? folder : folder + '/';
      for (const candidate of [...files.keys(), ...folders]) {
        if (!candidate.startsWith(prefix) || candidate === folder) continue;
        const rest = candidate.slice(prefix.length);
        const name = rest.split('/')[0];
        const isFile = files.has(prefix + name);
        names.set(name, { name, isFile, isDirectory: !isFile });
      }
      return [...names.values()];
    },
  };
}
