// The sops document tree (what sops calls TreeBranch) and the Go value rules it depends on: how
// go-yaml v3 types a plain scalar, how Go prints ints, floats and times (strconv, encoding/json,
// time.RFC3339Nano). Pure functions; no I/O, no crypto.

/** A Go time.Time, kept as its canonical RFC 3339 text with nanoseconds (time.RFC3339Nano). */
export class GoTime {
  constructor(readonly text: string) {}
}

/** Raw bytes of a binary file (a Go string that need not be UTF-8); only the binary store has one. */
export class GoBytes {
  constructor(readonly bytes: Buffer) {}
}

/** A comment line of a YAML, INI or dotenv file: the text after '#' or ';' (sops.Comment). */
export class TreeComment {
  constructor(
    public value: string,
    /** Written on the same line as the value it follows (a YAML line comment). */
    readonly inline = false,
  ) {}
}

/** Leaf values as sops holds them: string, Go int (bigint), float64 (number), bool, nil, time. */
export type TreeScalar = string | bigint | number | boolean | null | GoTime | GoBytes;
export type TreeValue = TreeScalar | TreeMap | TreeList;

export interface TreeEntry {
  key: string;
  value: TreeValue;
}

/** An ordered mapping with its comments in document order (sops.TreeBranch). */
export class TreeMap {
  constructor(readonly entries: Array<TreeEntry | TreeComment> = []) {}
}

/** A sequence; comments sit between the items they precede or follow. */
export class TreeList {
  constructor(readonly items: Array<TreeValue | TreeComment> = []) {}
}

// ---------------------------------------------------------------------------------------------
// Numbers as Go prints them

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

/** Shortest round-trip decimal digits of a finite non-zero |x| and the decimal point position. */
function shortestDigits(x: number): { digits: string; point: number } {
  // toExponential() without an argument gives the shortest digits that read back as x, which
  // is what strconv's shortest formatting produces too.
  const text = Math.abs(x).toExponential();
  const e = text.indexOf('e');
  const digits = text.slice(0, e).replace('.', '');
  return { digits, point: Number(text.slice(e + 1)) + 1 };
}

function fixedFromDigits(digits: string, point: number): string {
  if (point <= 0) return '0.' + '0'.repeat(-point) + digits;
  if (point >= digits.length) return digits + '0'.repeat(point - digits.length);
  return digits.slice(0, point) + '.' + digits.slice(point);
}

function exponentFromDigits(digits: string, point: number): string {
  const exp = point - 1;
  const mantissa = digits.length > 1 ? digits[0] + '.' + digits.slice(1) : digits;
  const magnitude = String(Math.abs(exp)).padStart(2, '0');
  return `${mantissa}e${exp < 0 ? '-' : '+'}${magnitude}`;
}

/** strconv.FormatFloat(x, 'f', -1, 64): the bytes sops hashes and encrypts for a float. */
export function formatFloatF(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? '+Inf' : '-Inf';
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  const { digits, point } = shortestDigits(x);
  return (x < 0 ? '-' : '') + fixedFromDigits(digits, point);
}

/** strconv.FormatFloat(x, 'g', -1, 64): how go-yaml writes a float (1e+06, 0.5, 1.5e-07). */
export function formatFloatG(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? '+Inf' : '-Inf';
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  const { digits, point } = shortestDigits(x);
  const exp = point - 1;
  // Shortest %g switches to the exponent form below 1e-4 and from 1e6 on (strconv's eprec 6).
  const body = exp < -4 || exp >= 6 ? exponentFromDigits(digits, point) : fixedFromDigits(digits, point);
  return (x < 0 ? '-' : '') + body;
}

/** encoding/json's float64 text ('f' between 1e-6 and 1e21, else 'e' with e-7 not e-07). */
export function formatJsonFloat(x: number): string {
  if (!Number.isFinite(x)) throw new RangeError('JSON cannot encode NaN or Inf');
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  const abs = Math.abs(x);
  const { digits, point } = shortestDigits(x);
  if (abs >= 1e-6 && abs < 1e21) return (x < 0 ? '-' : '') + fixedFromDigits(digits, point);
  let text = exponentFromDigits(digits, point);
  text = text.replace(/e-0(\d)$/, 'e-$1');
  return (x < 0 ? '-' : '') + text;
}

/** strconv.Atoi: optional sign and decimal digits, within int64. */
export function parseGoInt(text: string): bigint | undefined {
  if (!/^[+-]?[0-9]+$/.test(text)) return undefined;
  const value = BigInt(text);
  return value < INT64_MIN || value > INT64_MAX ? undefined : value;
}

/** strconv.ParseFloat(text, 64) for the forms sops and YAML produce; undefined when Go errs. */
export function parseGoFloat(text: string): number | undefined {
  const special = /^([+-]?)(inf|infinity|nan)$/i.exec(text);
  if (special) {
    if (special[2].toLowerCase() === 'nan') return special[1] ? undefined : NaN;
    return special[1] === '-' ? -Infinity : Infinity;
  }
  if (!/^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$/.test(text)) return undefined;
  const value = Number(text);
  // Go reports overflow as an error (ErrRange) where JavaScript gives Infinity.
  return Number.isFinite(value) ? value : undefined;
}

/** strconv.ParseBool. */
export function parseGoBool(text: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(text)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(text)) return false;
  return undefined;
}

/** strconv.ParseInt(text, 0, 64) and ParseUint(text, 0, 64): base prefixes 0x, 0o, 0b and 0. */
function parseGoIntBase0(text: string, unsigned: boolean): bigint | undefined {
  const match = /^([+-]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$/.exec(text);
  if (!match || (unsigned && match[1] !== '')) return undefined;
  const body = match[2];
  let magnitude: bigint;
  if (/^0[oO]/.test(body)) magnitude = BigInt('0o' + body.slice(2));
  else if (/^0[0-7]+$/.test(body)) magnitude = BigInt('0o' + body.slice(1));
  else magnitude = BigInt(body);
  const value = match[1] === '-' ? -magnitude : magnitude;
  if (unsigned) return value > UINT64_MAX ? undefined : value;
  return value < INT64_MIN || value > INT64_MAX ? undefined : value;
}

// ---------------------------------------------------------------------------------------------
// Times

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysIn(month: number, year: number): number {
  if (month === 2 && (year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0))) return 29;
  return DAYS_IN_MONTH[month - 1];
}

interface TimeParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  /** Fraction digits as written (up to 9 kept). */
  fraction: string;
  /** Offset from UTC in minutes. */
  offset: number;
}

function validTime(p: TimeParts): boolean {
  return p.month >= 1 && p.month <= 12 && p.day >= 1 && p.day <= daysIn(p.month, p.year) && p.hour < 24 && p.minute < 60 && p.second < 60;
}

function offsetMinutes(zone: string | undefined): number {
  if (zone === undefined || zone === 'Z') return 0;
  const sign = zone[0] === '-' ? -1 : 1;
  return sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6)));
}

/** time.Format(time.RFC3339Nano): 2006-01-02T15:04:05.999999999Z07:00 (trailing zeros dropped). */
function formatRfc3339Nano(p: TimeParts, withFraction: boolean): string {
  const two = (n: number) => String(n).padStart(2, '0');
  let text = `${String(p.year).padStart(4, '0')}-${two(p.month)}-${two(p.day)}T${two(p.hour)}:${two(p.minute)}:${two(p.second)}`;
  if (withFraction) {
    const fraction = p.fraction.slice(0, 9).replace(/0+$/, '');
    if (fraction) text += '.' + fraction;
  }
  if (p.offset === 0) return text + 'Z';
  const abs = Math.abs(p.offset);
  return `${text}${p.offset < 0 ? '-' : '+'}${two(Math.floor(abs / 60))}:${two(abs % 60)}`;
}

/**
 * go-yaml v3's timestamp forms (2006-1-2T15:4:5.999999999Z07:00, the same with 't' or a space and
 * no zone, and 2006-1-2): the canonical RFC3339Nano text, or undefined when not a timestamp.
 */
export function parseYamlTimestamp(text: string): GoTime | undefined {
  if (!/^[0-9]{4}-/.test(text)) return undefined;
  const match =
    /^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})(?:(?:[Tt]([0-9]{1,2}):([0-9]{1,2}):([0-9]{1,2})(?:[.,]([0-9]+))?(Z|[+-][0-9]{2}:[0-9]{2}))|(?: ([0-9]{1,2}):([0-9]{1,2}):([0-9]{1,2})(?:[.,]([0-9]+))?))?$/.exec(
      text,
    );
  if (!match) return undefined;
  const zoned = match[4] !== undefined;
  const spaced = match[9] !== undefined;
  const parts: TimeParts = {
    year: Number(match[1]),
    month: Number(match[2]),
    day: Number(match[3]),
    hour: Number(zoned ? match[4] : spaced ? match[9] : 0),
    minute: Number(zoned ? match[5] : spaced ? match[10] : 0),
    second: Number(zoned ? match[6] : spaced ? match[11] : 0),
    fraction: (zoned ? match[7] : spaced ? match[12] : '') ?? '',
    offset: zoned ? offsetMinutes(match[8]) : 0,
  };
  return validTime(parts) ? new GoTime(formatRfc3339Nano(parts, true)) : undefined;
}

const RFC3339 = /^([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:[.,]([0-9]+))?(Z|[+-][0-9]{2}:[0-9]{2})$/;

function parseRfc3339Parts(text: string): TimeParts | undefined {
  const match = RFC3339.exec(text);
  if (!match) return undefined;
  const parts: TimeParts = {
    year: Number(match[1]),
    month: Number(match[2]),
    day: Number(match[3]),
    hour: Number(match[4]),
    minute: Number(match[5]),
    second: Number(match[6]),
    fraction: match[7] ?? '',
    offset: offsetMinutes(match[8]),
  };
  return validTime(parts) ? parts : undefined;
}

/** time.Time.UnmarshalText (RFC 3339 with optional fraction), canonicalised; undefined if invalid. */
export function parseRfc3339Time(text: string): GoTime | undefined {
  const parts = parseRfc3339Parts(text);
  return parts ? new GoTime(formatRfc3339Nano(parts, true)) : undefined;
}

/**
 * time.Parse(time.RFC3339, s).Format(time.RFC3339): how sops turns the stored `lastmodified` into
 * the additional data of the MAC (fraction dropped, a zero offset written as Z).
 */
export function normalizeLastModified(text: string): string | undefined {
  const parts = parseRfc3339Parts(text);
  return parts ? formatRfc3339Nano(parts, false) : undefined;
}

/** A Date as sops writes lastmodified and created_at: UTC, seconds, time.RFC3339. */
export function formatRfc3339Utc(date: Date): string {
  return date.toISOString().replace(/\.[0-9]+Z$/, 'Z');
}

// ---------------------------------------------------------------------------------------------
// go-yaml v3 scalar resolution (resolve.go), for plain (unquoted) scalars

/** What go-yaml decodes a plain scalar into: a tree scalar, or a type sops cannot hold. */
export type ResolvedPlain = TreeScalar | { readonly unsupported: 'uint64' };

const NULLS = new Set(['', '~', 'null', 'Null', 'NULL']);
const TRUES = new Set(['true', 'True', 'TRUE']);
const FALSES = new Set(['false', 'False', 'FALSE']);
const YAML_STYLE_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;

/** The Go value go-yaml v3 decodes an untagged plain scalar into when the target is interface{}. */
export function resolvePlainScalar(text: string): ResolvedPlain {
  if (NULLS.has(text)) return null;
  if (TRUES.has(text)) return true;
  if (FALSES.has(text)) return false;
  switch (text) {
    case '.nan':
    case '.NaN':
    case '.NAN':
      return NaN;
    case '.inf':
    case '.Inf':
    case '.INF':
    case '+.inf':
    case '+.Inf':
    case '+.INF':
      return Infinity;
    case '-.inf':
    case '-.Inf':
    case '-.INF':
      return -Infinity;
  }
  const first = text[0];
  if (first === '.') {
    const value = parseGoFloat(text);
    return value === undefined ? text : value;
  }
  if (first === '+' || first === '-' || (first >= '0' && first <= '9')) {
    const time = parseYamlTimestamp(text);
    if (time) return time;
    const plain = text.replace(/_/g, '');
    const asInt = parseGoIntBase0(plain, false);
    if (asInt !== undefined) return asInt;
    if (parseGoIntBase0(plain, true) !== undefined) return { unsupported: 'uint64' };
    if (YAML_STYLE_FLOAT.test(plain)) {
      const value = parseGoFloat(plain);
      if (value !== undefined) return value;
    }
  }
  return text;
}

/** The tag go-yaml would give a plain scalar: used to decide whether a string needs quotes. */
export function plainResolvesToString(text: string): boolean {
  return typeof resolvePlainScalar(text) === 'string';
}

const BASE60_FLOAT = /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$/;
const OLD_BOOLS = new Set(['y', 'Y', 'yes', 'Yes', 'YES', 'on', 'On', 'ON', 'n', 'N', 'no', 'No', 'NO', 'off', 'Off', 'OFF']);

/** YAML 1.1 forms go-yaml still quotes on output (base-60 numbers, yes/no/on/off). */
export function isYaml11Special(text: string): boolean {
  return OLD_BOOLS.has(text) || (text.includes(':') && BASE60_FLOAT.test(text));
}
