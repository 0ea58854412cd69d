// The JSON and binary stores as sops' stores/json has them: JSON read token by token (key order
// and duplicate keys kept, integers within int64 as ints, other numbers as floats) and written
// with encoding/json's escaping and json.Indent (a tab per level unless an indent is set); a
// binary file is a JSON document whose single "data" leaf holds the file's text.
import { formatJsonFloat, GoBytes, GoTime, parseGoInt, TreeComment, TreeList, TreeMap, type TreeScalar, type TreeValue } from './goValues';
import { SopsError } from './sopsError';

// ---------------------------------------------------------------------------------------------
// Reading

class JsonReader {
  private pos = 0;

  constructor(private readonly text: string) {}

  private fail(what: string): never {
    throw new SopsError('parse', `invalid JSON: ${what} at offset ${this.pos}`);
  }

  private skipSpace(): void {
    const text = this.text;
    while (this.pos < text.length) {
      const c = text.charCodeAt(this.pos);
      if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) break;
      this.pos++;
    }
  }

  readDocument(): TreeMap {
    if (this.text.charCodeAt(0) === 0xfeff) this.pos = 1;
    this.skipSpace();
    if (this.text[this.pos] !== '{') {
      throw new SopsError('unsupported', 'sops only supports JSON files whose top level is an object');
    }
    // Like Go's json.Decoder, text after the top-level object is not read.
    return this.readObject();
  }

  private readValue(): TreeValue {
    this.skipSpace();
    const c = this.text[this.pos];
    if (c === '{') return this.readObject();
    if (c === '[') return this.readArray();
    if (c === '"') return this.readString();
    if (this.text.startsWith('true', this.pos)) {
      this.pos += 4;
      return true;
    }
    if (this.text.startsWith('false', this.pos)) {
      this.pos += 5;
      return false;
    }
    if (this.text.startsWith('null', this.pos)) {
      this.pos += 4;
      return null;
    }
    return this.readNumber();
  }

  private readObject(): TreeMap {
    this.pos++;
    const entries: Array<{ key: string; value: TreeValue }> = [];
    this.skipSpace();
    if (this.text[this.pos] === '}') {
      this.pos++;
      return new TreeMap(entries);
    }
    for (;;) {
      this.skipSpace();
      if (this.text[this.pos] !== '"') this.fail('expected a key');
      const key = this.readString();
      this.skipSpace();
      if (this.text[this.pos] !== ':') this.fail("expected ':'");
      this.pos++;
      entries.push({ key, value: this.readValue() });
      this.skipSpace();
      const next = this.text[this.pos++];
      if (next === '}') return new TreeMap(entries);
      if (next !== ',') this.fail("expected ',' or '}'");
    }
  }

  private readArray(): TreeList {
    this.pos++;
    const items: TreeValue[] = [];
    this.skipSpace();
    if (this.text[this.pos] === ']') {
      this.pos++;
      return new TreeList(items);
    }
    for (;;) {
      items.push(this.readValue());
      this.skipSpace();
      const next = this.text[this.pos++];
      if (next === ']') return new TreeList(items);
      if (next !== ',') this.fail("expected ',' or ']'");
    }
  }

  private readString(): string {
    const start = this.pos;
    let i = start + 1;
    const text = this.text;
    for (;;) {
      const c = text.charCodeAt(i);
      if (Number.isNaN(c)) this.fail('unterminated string');
      if (c === 0x22) break;
      if (c === 0x5c) i++;
      else if (c < 0x20) this.fail('control character in string');
      i++;
    }
    this.pos = i + 1;
    try {
      return JSON.parse(text.slice(start, i + 1)) as string;
    } catch {
      this.pos = start;
      return this.fail('bad escape in string');
    }
  }

  private readNumber(): TreeScalar {
    const match = /-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/y;
    match.lastIndex = this.pos;
    const found = match.exec(this.text);
    if (!found || found[0].length === 0) this.fail('unexpected character');
    this.pos += found[0].length;
    // json.Number: Int64 when it reads as one, else Float64.
    const asInt = parseGoInt(found[0]);
    if (asInt !== undefined) return asInt;
    const value = Number(found[0]);
    if (!Number.isFinite(value)) this.fail('number out of range');
    return value;
  }
}

/** Reads a JSON document into the sops tree (one branch). */
export function readJsonTree(text: string): TreeMap[] {
  return [new JsonReader(text).readDocument()];
}

/** The plaintext of a decrypted binary file: its "data" string. */
export function binaryText(branches: readonly TreeMap[]): string {
  for (const entry of branches[0]?.entries ?? []) {
    if (!(entry instanceof TreeComment) && entry.key === 'data') {
      if (typeof entry.value !== 'string') throw new SopsError('parse', "the binary file's 'data' entry is not a string");
      return entry.value;
    }
  }
  throw new SopsError('parse', "the binary file has no 'data' entry");
}

// ---------------------------------------------------------------------------------------------
// Writing

const HEX = '0123456789abcdef';

/** encoding/json's string escaping (HTML-safe: <, > and & are escaped too). */
export function goJsonString(value: string): string {
  let out = '"';
  let start = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    let escape: string | undefined;
    if (c < 0x20 || c === 0x22 || c === 0x5c || c === 0x3c || c === 0x3e || c === 0x26 || c === 0x2028 || c === 0x2029) {
      switch (c) {
        case 0x22:
          escape = '\\"';
          break;
        case 0x5c:
          escape = '\\\\';
          break;
        case 0x08:
          escape = '\\b';
          break;
        case 0x0c:
          escape = '\\f';
          break;
        case 0x0a:
          escape = '\\n';
          break;
        case 0x0d:
          escape = '\\r';
          break;
        case 0x09:
          escape = '\\t';
          break;
        default:
          escape = c === 0x2028 ? '\\u2028' : c === 0x2029 ? '\\u2029' : '\\u00' + HEX[c >> 4] + HEX[c & 0xf];
      }
    } else if (c >= 0xd800 && c <= 0xdfff) {
      // Go replaces an invalid UTF-8 sequence (a lone surrogate here) with U+FFFD.
      const pair = c <= 0xdbff && i + 1 < value.length && value.charCodeAt(i + 1) >= 0xdc00 && value.charCodeAt(i + 1) <= 0xdfff;
      if (pair) {
        i++;
        continue;
      }
      escape = '\ufffd';
    }
    if (escape !== undefined) {
      out += value.slice(start, i) + escape;
      start = i + 1;
    }
  }
  return out + value.slice(start) + '"';
}

function scalarJson(value: TreeScalar): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return goJsonString(value);
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (value instanceof GoTime) return goJsonString(value.text);
  if (value instanceof GoBytes) return goJsonString(value.bytes.toString('utf8'));
  if (!Number.isFinite(value)) throw new SopsError('unsupported', 'JSON cannot hold NaN or infinite numbers');
  return formatJsonFloat(value);
}

/** sops' encodeTree / encodeArray followed by json.Indent (comments are dropped). */
function writeValue(value: TreeValue, indent: string, depth: number, out: string[]): void {
  if (value instanceof TreeMap) {
    const entries = value.entries.filter((entry): entry is { key: string; value: TreeValue } => !(entry instanceof TreeComment));
    if (entries.length === 0) {
      out.push('{}');
      return;
    }
    out.push('{');
    entries.forEach((entry, index) => {
      out.push(index === 0 ? '\n' : ',\n', indent.repeat(depth + 1), goJsonString(entry.key), ': ');
      writeValue(entry.value, indent, depth + 1, out);
    });
    out.push('\n', indent.repeat(depth), '}');
    return;
  }
  if (value instanceof TreeList) {
    const items = value.items.filter((item): item is TreeValue => !(item instanceof TreeComment));
    if (items.length === 0) {
      out.push('[]');
      return;
    }
    out.push('[');
    items.forEach((item, index) => {
      out.push(index === 0 ? '\n' : ',\n', indent.repeat(depth + 1));
      writeValue(item, indent, depth + 1, out);
    });
    out.push('\n', indent.repeat(depth), ']');
    return;
  }
  out.push(scalarJson(value));
}

/** The indentation string for sops' stores.json.indent (-1, the default, is a tab). */
export function jsonIndentString(indent: number | undefined): string {
  if (indent === undefined || indent === -1) return '\t';
  if (indent < -1) throw new SopsError('invalid-rule', 'a JSON indentation below -1 is not accepted');
  return ' '.repeat(indent);
}

/** Writes the first branch as sops' JSON store does (a trailing newline included). */
export function writeJsonTree(branches: readonly TreeMap[], indent?: number): string {
  const out: string[] = [];
  writeValue(branches[0] ?? new TreeMap(), jsonIndentString(indent), 0, out);
  out.push('\n');
  return out.join('');
}
