// Loads makejinja's data files into Python values exactly as makejinja 2.8.2 does (app.py:
// load_data, collect_files, from_yaml/from_toml/from_json, dict_nested_set, load_file_data):
// YAML the way PyYAML's safe_load reads it (YAML 1.1), TOML as tomllib, JSON as Python's json.
// Reads files only through a FileReader; the parsers take text.
import * as path from 'node:path';
import { isMap, isScalar, isSeq, isAlias, parseAllDocuments, type Document, type Node as YamlNode, type Pair, type Scalar } from 'yaml';
import type { FileReader } from '../../host/fileReader';
import { parseToml, type MakejinjaConfig } from './makejinjaConfig';
import { PyDict, PyError, PyFloat, PyObject, typeName, type PyErrorType, type PyValue } from './pyValues';

type DictKey = string | number | boolean | null;

/** A data file makejinja would refuse (or crash on): the render cannot start. */
export class DataFileError extends Error {
  constructor(
    /** Absolute path of the file. */
    readonly filePath: string,
    message: string,
    readonly pyType: PyErrorType = 'TypeError',
    /** 1-based line of the problem in the file, when known. */
    readonly line?: number,
  ) {
    super(message);
  }
}

// ---------------------------------------------------------------------------------------------
// Dates and times (PyYAML timestamps, TOML dates)

/** Python's datetime.date / datetime.datetime / datetime.time, printed as Python's str() prints them. */
export class PyDateTime extends PyObject {
  readonly typeName: string;
  constructor(
    readonly kind: 'date' | 'datetime' | 'time',
    readonly parts: {
      year: number;
      month: number;
      day: number;
      hour: number;
      minute: number;
      second: number;
      microsecond: number;
      /** UTC offset in minutes; undefined for a naive value. */
      offsetMinutes?: number;
    },
  ) {
    super();
    this.typeName = kind;
  }

  override getAttribute(name: string): PyValue | undefined {
    const fields: Record<string, (keyof PyDateTime['parts'])[]> = {
      date: ['year', 'month', 'day'],
      datetime: ['year', 'month', 'day', 'hour', 'minute', 'second', 'microsecond'],
      time: ['hour', 'minute', 'second', 'microsecond'],
    };
    return fields[this.kind].includes(name as keyof PyDateTime['parts']) ? (this.parts[name as keyof PyDateTime['parts']] ?? null) : undefined;
  }

  /** str(): `2024-01-01`, `2024-01-01 10:00:00.500000+01:00`, `10:00:00`. */
  override toPyString(): string {
    const two = (n: number): string => String(n).padStart(2, '0');
    const p = this.parts;
    const date = `${String(p.year).padStart(4, '0')}-${two(p.month)}-${two(p.day)}`;
    let time = `${two(p.hour)}:${two(p.minute)}:${two(p.second)}`;
    if (p.microsecond) time += '.' + String(p.microsecond).padStart(6, '0');
    if (p.offsetMinutes !== undefined) {
      const sign = p.offsetMinutes < 0 ? '-' : '+';
      const abs = Math.abs(p.offsetMinutes);
      time += `${sign}${two(Math.floor(abs / 60))}:${two(abs % 60)}`;
    }
    if (this.kind === 'date') return date;
    if (this.kind === 'time') return time;
    return `${date} ${time}`;
  }

  /** repr(): `datetime.date(2024, 1, 1)`; what a list or dict holding it prints. */
  override toPyRepr(): string {
    const p = this.parts;
    const trimmed = (values: number[], keep: number): number[] => {
      const out = [...values];
      while (out.length > keep && out[out.length - 1] === 0) out.pop();
      return out;
    };
    let tz = '';
    if (p.offsetMinutes === 0) tz = ', tzinfo=datetime.timezone.utc';
    else if (p.offsetMinutes !== undefined) {
      tz = `, tzinfo=datetime.timezone(${offsetRepr(p.offsetMinutes)})`;
    }
    if (this.kind === 'date') return `datetime.date(${p.year}, ${p.month}, ${p.day})`;
    if (this.kind === 'time') return `datetime.time(${trimmed([p.hour, p.minute, p.second, p.microsecond], 2).join(', ')}${tz})`;
    return `datetime.datetime(${trimmed([p.year, p.month, p.day, p.hour, p.minute, p.second, p.microsecond], 5).join(', ')}${tz})`;
  }

  /** ISO 8601 text (Python's isoformat()), for passing the value to Python. */
  isoFormat(): string {
    return this.kind === 'datetime' ? this.toPyString().replace(' ', 'T') : this.toPyString();
  }
}

function offsetRepr(minutes: number): string {
  // Python: datetime.timedelta(seconds=3600) or timedelta(days=-1, seconds=82800) for negative offsets.
  const seconds = minutes * 60;
  if (seconds >= 0) return `datetime.timedelta(seconds=${seconds})`;
  return `datetime.timedelta(days=-1, seconds=${86400 + seconds})`;
}

const ISO_DATE_TIME = /^(\d{4})-(\d\d)-(\d\d)(?:[Tt ](\d\d):(\d\d):(\d\d)(?:\.(\d+))?)?(Z|z|[+-]\d\d:\d\d)?$/;
const ISO_TIME = /^(\d\d):(\d\d):(\d\d)(?:\.(\d+))?$/;

/** A date, datetime or time from ISO text (TOML's forms, Python's isoformat()). */
export function dateTimeFromIso(text: string): PyDateTime | undefined {
  const time = ISO_TIME.exec(text);
  if (time) {
    return new PyDateTime('time', { year: 1900, month: 1, day: 1, hour: +time[1], minute: +time[2], second: +time[3], microsecond: microseconds(time[4]) });
  }
  const m = ISO_DATE_TIME.exec(text);
  if (!m) return undefined;
  if (m[4] === undefined) return new PyDateTime('date', { year: +m[1], month: +m[2], day: +m[3], hour: 0, minute: 0, second: 0, microsecond: 0 });
  const parts: PyDateTime['parts'] = { year: +m[1], month: +m[2], day: +m[3], hour: +m[4], minute: +m[5], second: +m[6], microsecond: microseconds(m[7]) };
  if (m[8] !== undefined) parts.offsetMinutes = offsetMinutesOf(m[8]);
  return new PyDateTime('datetime', parts);
}

function microseconds(fraction: string | undefined): number {
  return fraction ? Number(fraction.slice(0, 6).padEnd(6, '0')) : 0;
}

function offsetMinutesOf(text: string): number {
  if (text === 'Z' || text === 'z') return 0;
  const sign = text.startsWith('-') ? -1 : 1;
  const [hours, minutes = '0'] = text.slice(1).split(':');
  return sign * (Number(hours) * 60 + Number(minutes));
}

// ---------------------------------------------------------------------------------------------
// YAML (PyYAML SafeLoader, YAML 1.1)

// PyYAML's implicit resolvers (yaml/resolver.py), applied to plain scalars only. Not YAML 1.1 as
// the spec has it: no y/n booleans, no 0o octal, floats need a dot and a signed exponent.
const YAML_BOOL = /^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/;
const YAML_FLOAT =
  /^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/;
const YAML_INT = /^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$/;
const YAML_NULL = /^(?:~|null|Null|NULL|)$/;
const YAML_TIMESTAMP =
  /^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$/;
const YAML_TIMESTAMP_PARTS =
  /^([0-9][0-9][0-9][0-9])-([0-9][0-9]?)-([0-9][0-9]?)(?:(?:[Tt]|[ \t]+)([0-9][0-9]?):([0-9][0-9]):([0-9][0-9])(?:\.([0-9]*))?(?:[ \t]*(Z|([-+])([0-9][0-9]?)(?::([0-9][0-9]))?))?)?$/;

const TAG = 'tag:yaml.org,2002:';

/** The tag PyYAML gives a plain scalar. */
function resolvePlainTag(text: string): string {
  if (YAML_BOOL.test(text)) return TAG + 'bool';
  if (YAML_INT.test(text)) return TAG + 'int';
  if (YAML_FLOAT.test(text)) return TAG + 'float';
  if (YAML_NULL.test(text)) return TAG + 'null';
  if (YAML_TIMESTAMP.test(text)) return TAG + 'timestamp';
  if (text === '<<') return TAG + 'merge';
  if (text === '=') return TAG + 'value';
  return TAG + 'str';
}

/** PyYAML's construct_yaml_int. */
function yamlInt(text: string): number | undefined {
  let value = text.replace(/_/g, '');
  let sign = 1;
  if (value.startsWith('-')) sign = -1;
  if (value.startsWith('-') || value.startsWith('+')) value = value.slice(1);
  let result: number;
  if (value === '0') return 0;
  if (value.startsWith('0b')) result = parseDigits(value.slice(2), 2);
  else if (value.startsWith('0x')) result = parseDigits(value.slice(2), 16);
  else if (value.startsWith('0')) result = parseDigits(value, 8);
  else if (value.includes(':')) {
    result = 0;
    for (const part of value.split(':')) result = result * 60 + parseDigits(part, 10);
  } else result = parseDigits(value, 10);
  return Number.isNaN(result) ? undefined : sign * result;
}

function parseDigits(text: string, base: number): number {
  const valid = { 2: /^[01]+$/, 8: /^[0-7]+$/, 10: /^[0-9]+$/, 16: /^[0-9a-fA-F]+$/ }[base as 2 | 8 | 10 | 16];
  if (!valid.test(text)) return NaN;
  if (base === 10) return Number(text);
  return Number(BigInt((base === 2 ? '0b' : base === 8 ? '0o' : '0x') + text));
}

/** PyYAML's construct_yaml_float. */
function yamlFloat(text: string): number | undefined {
  let value = text.replace(/_/g, '').toLowerCase();
  let sign = 1;
  if (value.startsWith('-')) sign = -1;
  if (value.startsWith('-') || value.startsWith('+')) value = value.slice(1);
  if (value === '.inf') return sign * Infinity;
  if (value === '.nan') return NaN;
  if (value.includes(':')) {
    let result = 0;
    for (const part of value.split(':')) result = result * 60 + Number(part);
    return Number.isNaN(result) ? undefined : sign * result;
  }
  if (!/^(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?$/.test(value) && value !== 'inf' && value !== 'nan' && value !== 'infinity') return undefined;
  return sign * Number(value === 'infinity' || value === 'inf' ? Infinity : value);
}

/** PyYAML's construct_yaml_timestamp. */
function yamlTimestamp(text: string): PyDateTime | undefined {
  const m = YAML_TIMESTAMP_PARTS.exec(text);
  if (!m) return undefined;
  const base = { year: +m[1], month: +m[2], day: +m[3], hour: 0, minute: 0, second: 0, microsecond: 0 };
  if (m[4] === undefined) return new PyDateTime('date', base);
  const parts: PyDateTime['parts'] = { ...base, hour: +m[4], minute: +m[5], second: +m[6], microsecond: microseconds(m[7]) };
  if (m[8] === 'Z') parts.offsetMinutes = 0;
  else if (m[8] !== undefined) parts.offsetMinutes = (m[9] === '-' ? -1 : 1) * (Number(m[10]) * 60 + Number(m[11] ?? 0));
  return new PyDateTime('datetime', parts);
}

const YAML_BOOL_VALUES: Record<string, boolean> = { yes: true, no: false, true: true, false: false, on: true, off: false };

/** Builds Python values from one YAML document's nodes, as PyYAML's SafeConstructor does. */
class YamlConstructor {
  // PyYAML builds one object per node: an alias yields the very object its anchor made.
  private readonly built = new Map<YamlNode, PyValue>();

  constructor(
    private readonly document: Document.Parsed,
    private readonly text: string,
    private readonly filePath: string,
  ) {}

  construct(node: unknown): PyValue {
    if (node === null || node === undefined) return null;
    if (isAlias(node)) {
      const target = node.resolve(this.document);
      if (!target) throw this.error(`found undefined alias '${node.source}'`, node);
      return this.construct(target);
    }
    const yamlNode = node as YamlNode;
    const cached = this.built.get(yamlNode);
    if (cached !== undefined) return cached;
    let value: PyValue;
    if (isScalar(yamlNode)) value = this.scalar(yamlNode);
    else if (isSeq(yamlNode)) {
      this.checkCollectionTag(yamlNode.tag, 'seq', yamlNode);
      const list: PyValue[] = [];
      this.built.set(yamlNode, list);
      for (const item of yamlNode.items) list.push(this.construct(item));
      value = list;
    } else if (isMap(yamlNode)) {
      this.checkCollectionTag(yamlNode.tag, 'map', yamlNode);
      const dict = new PyDict();
      this.built.set(yamlNode, dict);
      for (const [keyNode, valueNode] of this.flatten(yamlNode.items as Pair[])) {
        const key = this.construct(keyNode);
        setPythonKey(dict, this.hashable(key, keyNode), this.construct(valueNode));
      }
      value = dict;
    } else throw this.error('unexpected YAML node', undefined);
    this.built.set(yamlNode, value);
    return value;
  }

  private checkCollectionTag(tag: string | undefined, expected: 'seq' | 'map', node: YamlNode): void {
    if (tag === undefined || tag === '!' || tag === TAG + expected) return;
    throw this.error(`could not determine a constructor for the tag '${tag}'`, node);
  }

  /** A mapping's pairs with `<<` merge keys expanded, as PyYAML's flatten_mapping orders them. */
  private flatten(pairs: Pair[]): [unknown, unknown][] {
    const merged: [unknown, unknown][] = [];
    const own: [unknown, unknown][] = [];
    for (const pair of pairs) {
      const key = pair.key as YamlNode | null;
      if (key && isScalar(key) && key.type === 'PLAIN' && key.tag === undefined && key.value === '<<') {
        const target = isAlias(pair.value) ? pair.value.resolve(this.document) : (pair.value as YamlNode | null);
        if (target && isMap(target)) merged.push(...this.flatten(target.items as Pair[]));
        else if (target && isSeq(target)) {
          const groups: [unknown, unknown][][] = [];
          for (const item of target.items) {
            const sub = isAlias(item) ? item.resolve(this.document) : (item as YamlNode);
            if (!sub || !isMap(sub)) throw this.error('expected a mapping for merging', item as YamlNode);
            groups.push(this.flatten(sub.items as Pair[]));
          }
          for (const group of groups.reverse()) merged.push(...group);
        } else throw this.error('expected a mapping or list of mappings for merging', target ?? undefined);
        continue;
      }
      own.push([pair.key, pair.value]);
    }
    return [...merged, ...own];
  }

  private hashable(key: PyValue, node: unknown): DictKey {
    if (key === null || typeof key === 'string' || typeof key === 'number' || typeof key === 'boolean') return key;
    if (key instanceof PyFloat) return key.value;
    if (Array.isArray(key) || key instanceof PyDict) throw this.error('found unhashable key', node as YamlNode);
    throw this.error(`mapping keys of type ${typeName(key)} are not supported by this renderer`, node as YamlNode);
  }

  private scalar(node: Scalar): PyValue {
    const text = node.value === null || node.value === undefined ? '' : String(node.value);
    let tag = node.tag;
    if (tag === undefined) tag = node.type === 'PLAIN' ? resolvePlainTag(text) : TAG + 'str';
    else if (tag === '!') tag = TAG + 'str';
    switch (tag) {
      case TAG + 'str':
        return text;
      case TAG + 'null':
        return null;
      case TAG + 'bool': {
        const value = YAML_BOOL_VALUES[text.toLowerCase()];
        if (value === undefined) throw this.error(`invalid boolean: '${text}'`, node, 'KeyError');
        return value;
      }
      case TAG + 'int': {
        const value = yamlInt(text);
        if (value === undefined) throw this.error(`invalid literal for int() with base 10: '${text}'`, node, 'ValueError');
        return value;
      }
      case TAG + 'float': {
        const value = yamlFloat(text);
        if (value === undefined) throw this.error(`could not convert string to float: '${text}'`, node, 'ValueError');
        return new PyFloat(value);
      }
      case TAG + 'timestamp': {
        const value = yamlTimestamp(text);
        if (!value) throw this.error(`invalid timestamp: '${text}'`, node, 'ValueError');
        return value;
      }
      default:
        // `=` (the YAML 1.1 value key) and every custom tag: PyYAML's SafeLoader has no constructor.
        throw this.error(`could not determine a constructor for the tag '${tag}'`, node);
    }
  }

  private error(message: string, node: YamlNode | undefined, pyType: PyErrorType = 'ValueError'): DataFileError {
    const offset = node?.range?.[0];
    const line = offset === undefined ? undefined : lineAt(this.text, offset);
    return new DataFileError(this.filePath, message, pyType, line);
  }
}

/**
 * dict[key] = value with Python's key equality: True and 1 (False and 0) are the same key, and the
 * key first written stays.
 */
function setPythonKey(dict: PyDict, key: DictKey, value: PyValue): void {
  let existing = key;
  if (typeof key === 'boolean' && dict.has(key ? 1 : 0)) existing = key ? 1 : 0;
  else if ((key === 1 || key === 0) && dict.has(key === 1)) existing = key === 1;
  dict.set(existing, value);
}

function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text[i] === '\n') line++;
  return line;
}

/** Every document of a YAML text as PyYAML's safe_load_all gives them. Throws DataFileError. */
export function parseYamlDocuments(text: string, filePath: string): PyValue[] {
  const documents = parseAllDocuments(text, { version: '1.1', schema: 'failsafe', uniqueKeys: false, merge: false, prettyErrors: false });
  if (!Array.isArray(documents)) return [];
  return documents.map((document) => {
    const problem = document.errors[0];
    if (problem) throw new DataFileError(filePath, problem.message.split('\n')[0], 'ValueError', lineAt(text, problem.pos[0]));
    return new YamlConstructor(document, text, filePath).construct(document.contents);
  });
}

/** makejinja's from_yaml: the documents, each a mapping, merged in order. */
export function parseYamlData(text: string, filePath: string, displayPath = filePath): PyDict {
  const data = new PyDict();
  for (const document of parseYamlDocuments(text, filePath)) {
    if (!(document instanceof PyDict)) {
      throw new DataFileError(filePath, `Expected YAML documents in '${displayPath}' to be mappings but found ${typeName(document)}`);
    }
    for (const [key, value] of document) data.set(key, value);
  }
  return data;
}

// ---------------------------------------------------------------------------------------------
// JSON (Python's json module)

/**
 * Parses JSON as Python's json.loads does: `1.0` stays a float, keys keep their order (JSON.parse
 * would move integer-like keys first), NaN and Infinity are accepted, the last duplicate key wins.
 * Throws PyError('ValueError') with Python's message. @example parseJsonValue('{"a": 1.0}') → {'a': 1.0}
 */
export function parseJsonValue(text: string): PyValue {
  let position = 0;
  const fail = (message: string, at = position): never => {
    const before = text.slice(0, at);
    const line = before.split('\n').length;
    const column = at - before.lastIndexOf('\n');
    throw new PyError('ValueError', `${message}: line ${line} column ${column} (char ${at})`);
  };
  const skipSpace = (): void => {
    while (position < text.length && ' \t\n\r'.includes(text[position])) position++;
  };
  const NUMBER = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?/y;
  const parseString = (): string => {
    const start = position;
    position++;
    let out = '';
    for (;;) {
      if (position >= text.length) fail('Unterminated string starting at', start);
      const c = text[position];
      if (c === '"') {
        position++;
        return out;
      }
      if (c === '\\') {
        const next = text[position + 1];
        const simple: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
        if (next === 'u') {
          const hex = text.slice(position + 2, position + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail('Invalid \\uXXXX escape', position + 1);
          out += String.fromCharCode(parseInt(hex, 16));
          position += 6;
        } else if (next !== undefined && simple[next] !== undefined) {
          out += simple[next];
          position += 2;
        } else fail('Invalid \\escape', position);
        continue;
      }
      if (c < ' ') fail('Invalid control character at', position);
      out += c;
      position++;
    }
  };
  const parseValue = (): PyValue => {
    skipSpace();
    const c = text[position];
    if (c === '"') return parseString();
    if (c === '{') {
      position++;
      const dict = new PyDict();
      skipSpace();
      if (text[position] === '}') {
        position++;
        return dict;
      }
      for (;;) {
        skipSpace();
        if (text[position] !== '"') fail('Expecting property name enclosed in double quotes');
        const key = parseString();
        skipSpace();
        if (text[position] !== ':') fail("Expecting ':' delimiter");
        position++;
        dict.set(key, parseValue());
        skipSpace();
        if (text[position] === '}') {
          position++;
          return dict;
        }
        if (text[position] !== ',') fail("Expecting ',' delimiter");
        position++;
      }
    }
    if (c === '[') {
      position++;
      const list: PyValue[] = [];
      skipSpace();
      if (text[position] === ']') {
        position++;
        return list;
      }
      for (;;) {
        list.push(parseValue());
        skipSpace();
        if (text[position] === ']') {
          position++;
          return list;
        }
        if (text[position] !== ',') fail("Expecting ',' delimiter");
        position++;
      }
    }
    for (const [word, value] of [
      ['null', null],
      ['true', true],
      ['false', false],
      ['NaN', new PyFloat(NaN)],
      ['Infinity', new PyFloat(Infinity)],
      ['-Infinity', new PyFloat(-Infinity)],
    ] as [string, PyValue][]) {
      if (text.startsWith(word, position)) {
        position += word.length;
        return value;
      }
    }
    NUMBER.lastIndex = position;
    const match = NUMBER.exec(text);
    if (!match) return fail('Expecting value');
    position += match[0].length;
    const isFloat = match[1] !== undefined || match[2] !== undefined;
    return isFloat ? new PyFloat(Number(match[0])) : Number(match[0]);
  };
  const value = parseValue();
  skipSpace();
  if (position < text.length) fail('Extra data');
  return value;
}

/** makejinja's from_json. */
export function parseJsonData(text: string, filePath: string, displayPath = filePath): PyDict {
  let value: PyValue;
  try {
    value = parseJsonValue(text);
  } catch (error) {
    if (error instanceof PyError) throw new DataFileError(filePath, error.message, 'ValueError');
    throw error;
  }
  if (!(value instanceof PyDict)) throw new DataFileError(filePath, `Expected JSON documents in '${displayPath}' to be mappings but found ${typeName(value)}`);
  return value;
}

// ---------------------------------------------------------------------------------------------
// TOML (tomllib)

/** makejinja's from_toml: integers stay ints and floats floats (smol-toml returns integers as bigints here). */
export function parseTomlData(text: string, filePath: string): PyDict {
  let table: unknown;
  try {
    table = parseToml(text, { integersAsBigInt: true });
  } catch (error) {
    const line = (error as { line?: number }).line;
    throw new DataFileError(filePath, String((error as Error).message ?? error).split('\n')[0], 'ValueError', line);
  }
  return tomlValue(table) as PyDict;
}

function tomlValue(value: unknown): PyValue {
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'number') return new PyFloat(value);
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (value instanceof Date) {
    return dateTimeFromIso((value as Date & { toISOString(): string }).toISOString()) ?? value.toISOString();
  }
  if (Array.isArray(value)) return value.map(tomlValue);
  const dict = new PyDict();
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) dict.set(key, tomlValue(item));
  return dict;
}

// ---------------------------------------------------------------------------------------------
// makejinja's loading

export type DataFormat = 'yaml' | 'toml' | 'json';

/** Python's PurePath.suffix: the last dotted part of the name, '' for `.hidden` and `name.`. */
export function pySuffix(filePath: string): string {
  let end = filePath.length;
  while (end > 0 && filePath[end - 1] === '/') end--;
  const start = filePath.lastIndexOf('/', end - 1) + 1;
  const dot = filePath.lastIndexOf('.', end - 1);
  // The dot must be inside the name, neither its first nor its last character.
  return dot > start && dot < end - 1 ? filePath.slice(dot, end) : '';
}

/** DATA_LOADERS: by suffix, case-sensitive (`.YAML` is skipped by makejinja). */
export function dataFormatOf(filePath: string): DataFormat | undefined {
  return ({ '.yaml': 'yaml', '.yml': 'yaml', '.toml': 'toml', '.json': 'json' } as Record<string, DataFormat>)[pySuffix(filePath)];
}

/** The mapping a data file holds, by its suffix. Throws DataFileError. */
export function parseDataFile(filePath: string, text: string, displayPath = filePath): PyDict {
  switch (dataFormatOf(filePath)) {
    case 'yaml':
      return parseYamlData(text, filePath, displayPath);
    case 'toml':
      return parseTomlData(text, filePath);
    case 'json':
      return parseJsonData(text, filePath, displayPath);
    default:
      throw new DataFileError(filePath, `unsupported data file '${displayPath}'`, 'ValueError');
  }
}

/**
 * makejinja's dict_nested_set: `a.b.c` sets data['a']['b']['c'], creating dicts on the way.
 * @example setDottedKey(data, 'cluster.name', 'home') → data.cluster.name == 'home'
 */
export function setDottedKey(data: PyDict, dottedKey: string, value: PyValue): void {
  const keys = dottedKey.split('.');
  let here: PyValue = data;
  for (const key of keys.slice(0, -1)) {
    if (!(here instanceof PyDict)) throw new PyError('AttributeError', `'${typeName(here)}' object has no attribute 'setdefault'`);
    if (!here.has(key)) here.set(key, new PyDict());
    here = here.get(key)!;
  }
  if (!(here instanceof PyDict)) throw new PyError('TypeError', `'${typeName(here)}' object does not support item assignment`);
  here.set(keys[keys.length - 1], value);
}

/** Python's pathlib normalisation of a path as written: `./a//b/` → `a/b`, `.` for nothing. */
export function pyPathText(written: string): string {
  const isAbsolute = written.startsWith('/');
  const parts = written.split('/').filter((part) => part !== '' && part !== '.');
  const joined = parts.join('/');
  return isAbsolute ? '/' + joined : joined || '.';
}

/** Python's Path ordering: part by part, each by code point. */
export function comparePyPaths(a: string, b: string): number {
  const x = a.split('/');
  const y = b.split('/');
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    if (x[i] !== y[i]) return compareCodePoints(x[i], y[i]);
  }
  return x.length - y.length;
}

function compareCodePoints(a: string, b: string): number {
  const x = Array.from(a, (c) => c.codePointAt(0)!);
  const y = Array.from(b, (c) => c.codePointAt(0)!);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i];
  return x.length - y.length;
}

export interface DataFileRead {
  /** Absolute path. */
  filePath: string;
  /** The path as makejinja names it in messages (relative as written in makejinja.toml). */
  displayPath: string;
}

export interface LoadedData {
  data: PyDict;
  /** The data files read, in order (the renderer watches them). */
  files: DataFileRead[];
  /** Paths makejinja skips (missing, unsupported suffix), in words. */
  notes: string[];
  /** The first file makejinja would stop on; `data` then holds what was merged before it. */
  error?: DataFileError;
}

/**
 * makejinja's collect_files: a folder gives its files (recursively, sorted, names starting with
 * a dot skipped), a file itself, a missing path nothing.
 */
export async function collectDataFiles(root: string, written: string[], reader: FileReader): Promise<{ files: DataFileRead[]; missing: string[] }> {
  const files: DataFileRead[] = [];
  const missing: string[] = [];
  for (const entry of written) {
    const filePath = path.resolve(root, entry);
    const displayPath = pyPathText(entry);
    const stat = reader.stat ? await reader.stat(filePath) : (await reader.readText(filePath)) !== undefined ? { kind: 'file' as const, mode: 0o644 } : undefined;
    if (stat?.kind === 'file') files.push({ filePath, displayPath });
    else if (stat?.kind === 'directory') {
      const entries = (await reader.listEntries?.(filePath)) ?? ((await reader.listFiles?.(filePath)) ?? []).map((p) => ({ path: p, kind: 'file' as const }));
      const found = entries
        .filter((e) => e.kind === 'file' && !path.basename(e.path).startsWith('.'))
        .map((e) => path.relative(filePath, e.path).split(path.sep).join('/'))
        .sort(comparePyPaths);
      for (const relative of found) files.push({ filePath: path.join(filePath, relative), displayPath: displayPath === '.' ? relative : `${displayPath}/${relative}` });
    } else missing.push(entry);
  }
  return { files, missing };
}

/**
 * makejinja's load_data: every data file merged in order (top-level keys only), then data_vars.
 * Example: data = ["./cluster.yaml", "./nodes.yaml"] gives the keys of both, nodes.yaml winning.
 */
export async function loadMakejinjaData(root: string, config: MakejinjaConfig, reader: FileReader): Promise<LoadedData> {
  const data = new PyDict();
  const notes: string[] = [];
  const { files, missing } = await collectDataFiles(root, config.data, reader);
  for (const entry of missing) notes.push(`The data path ${entry} does not exist; makejinja skips it.`);
  const read: DataFileRead[] = [];
  for (const file of files) {
    if (!dataFormatOf(file.filePath)) {
      notes.push(`The data file ${file.displayPath} is not YAML, TOML or JSON (by its suffix); makejinja skips it.`);
      continue;
    }
    read.push(file);
    const text = await reader.readText(file.filePath);
    if (text === undefined) return { data, files: read, notes, error: new DataFileError(file.filePath, `could not read '${file.displayPath}'`, 'FileNotFoundError') };
    try {
      for (const [key, value] of parseDataFile(file.filePath, text, file.displayPath)) data.set(key, value);
    } catch (error) {
      if (error instanceof DataFileError) return { data, files: read, notes, error };
      throw error;
    }
  }
  for (const [key, value] of Object.entries(config.data_vars)) {
    try {
      setDottedKey(data, key, value);
    } catch (error) {
      if (!(error instanceof PyError)) throw error;
      return { data, files: read, notes, error: new DataFileError(path.join(root, 'makejinja.toml'), `data_vars ${key}: ${error.message}`, error.pyType) };
    }
  }
  return { data, files: read, notes };
}

export interface LoadedFileData {
  /** Template name → the data merged for it. */
  byTemplate: Map<string, PyDict>;
  files: DataFileRead[];
  notes: string[];
  error?: DataFileError;
}

/** makejinja's load_file_data for every template named in file_data; missing or unsupported files are skipped. */
export async function loadFileData(root: string, config: MakejinjaConfig, reader: FileReader): Promise<LoadedFileData> {
  const byTemplate = new Map<string, PyDict>();
  const files: DataFileRead[] = [];
  const notes: string[] = [];
  for (const [templateName, entries] of Object.entries(config.file_data)) {
    const data = new PyDict();
    for (const entry of entries) {
      const filePath = path.resolve(root, entry);
      const displayPath = pyPathText(entry);
      const text = dataFormatOf(filePath) ? await reader.readText(filePath) : undefined;
      if (text === undefined) {
        notes.push(`The file data ${entry} for ${templateName} is missing or not YAML, TOML or JSON; makejinja skips it.`);
        continue;
      }
      files.push({ filePath, displayPath });
      try {
        for (const [key, value] of parseDataFile(filePath, text, displayPath)) data.set(key, value);
      } catch (error) {
        if (error instanceof DataFileError) return { byTemplate, files, notes, error };
        throw error;
      }
    }
    byTemplate.set(templateName, data);
  }
  return { byTemplate, files, notes };
}
