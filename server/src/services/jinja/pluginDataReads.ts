// The keys of the template data that plugin.py names literally (`data["x"]`, `data.get("x")`,
// `"x" in data`, `data.setdefault("x", …)`), each with the exact span of the name inside its quotes,
// for references, unused-key hints and rename. Pure text analysis; never runs Python.
import type { Span } from '../yaml/parse';

export type PluginDataAccess = 'subscript' | 'get' | 'pop' | 'in' | 'setdefault' | 'assign';

export interface PluginDataKey {
  name: string;
  /** The name inside the quotes of its string literal: replacing this text renames the key. */
  span: Span;
  access: PluginDataAccess;
  /** False when the plugin only writes the key (`data["x"] = v`, `data.setdefault("x", v)`). */
  isRead: boolean;
}

interface Token {
  kind: 'name' | 'string' | 'number' | 'op';
  text: string;
  start: number;
  end: number;
  /** For a plain string literal whose content has no escapes: the content, and where it lies. */
  value?: string;
  valueSpan?: Span;
}

const NAME = /[\p{L}\p{Nl}_][\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}]*/uy;
const NUMBER = /(?:\d[\d_]*\.?[\d_]*|\.\d[\d_]*)(?:[eE][+-]?\d[\d_]*)?[jJ]?|0[xXoObB][0-9a-fA-F_]+/y;
const STRING_START = /([rRbBuUfFtT]{0,2})('''|"""|'|")/y;
const TWO_CHARACTER_OPERATORS = new Set(['==', '!=', '<=', '>=', '+=', '-=', '*=', '/=', '%=', '|=', '&=', '**', '//', '->', ':=']);

function sticky(pattern: RegExp, text: string, at: number): RegExpExecArray | null {
  pattern.lastIndex = at;
  return pattern.exec(text);
}

/** Python tokens without comments; string literals keep their content when it reads as written. */
function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f' || c === '\\') {
      i++;
      continue;
    }
    if (c === '#') {
      while (i < text.length && text[i] !== '\n') i++;
      continue;
    }
    const string = sticky(STRING_START, text, i);
    if (string) {
      const [opening, prefix, quote] = string;
      const contentStart = i + opening.length;
      let j = contentStart;
      let hasEscape = false;
      while (j < text.length && !text.startsWith(quote, j)) {
        if (text[j] === '\\') {
          hasEscape = true;
          j += 2;
          continue;
        }
        // An unterminated one-line string ends at its line, as Python's error recovery would have it.
        if (text[j] === '\n' && quote.length === 1) break;
        j++;
      }
      const contentEnd = Math.min(j, text.length);
      const end = text.startsWith(quote, j) ? j + quote.length : contentEnd;
      const token: Token = { kind: 'string', text: text.slice(i, end), start: i, end };
      // f-strings and bytes are never data keys; escapes would make the span differ from the name.
      if (!/[fFbBtT]/.test(prefix) && !hasEscape) {
        token.value = text.slice(contentStart, contentEnd);
        token.valueSpan = { start: contentStart, end: contentEnd };
      }
      tokens.push(token);
      i = end;
      continue;
    }
    const name = sticky(NAME, text, i);
    if (name) {
      tokens.push({ kind: 'name', text: name[0], start: i, end: i + name[0].length });
      i += name[0].length;
      continue;
    }
    const number = c >= '0' && c <= '9' ? sticky(NUMBER, text, i) : null;
    if (number && number[0]) {
      tokens.push({ kind: 'number', text: number[0], start: i, end: i + number[0].length });
      i += number[0].length;
      continue;
    }
    const operator = TWO_CHARACTER_OPERATORS.has(text.slice(i, i + 2)) ? text.slice(i, i + 2) : c;
    tokens.push({ kind: 'op', text: operator, start: i, end: i + operator.length });
    i += operator.length;
  }
  return tokens;
}

function isOp(token: Token | undefined, text: string): boolean {
  return token?.kind === 'op' && token.text === text;
}

function isName(token: Token | undefined, text?: string): boolean {
  return token?.kind === 'name' && (text === undefined || token.text === text);
}

/** Length of the receiver expression starting at `i` (`data`, `self._data`), or 0. */
function receiverLength(tokens: Token[], i: number, receivers: Set<string>): number {
  if (isOp(tokens[i - 1], '.')) return 0;
  if (isName(tokens[i]) && isOp(tokens[i + 1], '.') && isName(tokens[i + 2]) && receivers.has(`${tokens[i].text}.${tokens[i + 2].text}`)) return 3;
  if (isName(tokens[i]) && receivers.has(tokens[i].text)) return 1;
  return 0;
}

/**
 * The names that hold the template data: makejinja passes it to the plugin as the argument `data`,
 * and the plugin may keep it under other names (`self._data = data`, `d = self._data`).
 */
function dataReceivers(tokens: Token[]): Set<string> {
  const receivers = new Set(['data']);
  for (let changed = true; changed; ) {
    changed = false;
    for (let i = 0; i < tokens.length; i++) {
      if (!isOp(tokens[i], '=')) continue;
      const valueLength = receiverLength(tokens, i + 1, receivers);
      // Only a plain `target = receiver` statement aliases: `x = data.get(...)` does not.
      if (valueLength === 0 || isOp(tokens[i + 1 + valueLength], '.') || isOp(tokens[i + 1 + valueLength], '[') || isOp(tokens[i + 1 + valueLength], '(')) continue;
      const target =
        isName(tokens[i - 3]) && isOp(tokens[i - 2], '.') && isName(tokens[i - 1]) ? `${tokens[i - 3].text}.${tokens[i - 1].text}` : isName(tokens[i - 1]) && !isOp(tokens[i - 2], '.') ? tokens[i - 1].text : undefined;
      if (target && !receivers.has(target)) {
        receivers.add(target);
        changed = true;
      }
    }
  }
  return receivers;
}

function closingBracket(tokens: Token[], open: number): number {
  let depth = 0;
  for (let i = open; i < tokens.length; i++) {
    if (tokens[i].kind !== 'op') continue;
    if ('([{'.includes(tokens[i].text)) depth++;
    else if (')]}'.includes(tokens[i].text) && --depth === 0) return i;
  }
  return tokens.length;
}

/** The string literals of a bracketed sequence made only of strings and commas, else undefined. */
function literalStrings(tokens: Token[], open: number): Token[] | undefined {
  if (!isOp(tokens[open], '(') && !isOp(tokens[open], '[')) return undefined;
  const close = closingBracket(tokens, open);
  const items = tokens.slice(open + 1, close);
  if (items.length === 0 || !items.every((token) => token.kind === 'string' || isOp(token, ','))) return undefined;
  const strings = items.filter((token) => token.kind === 'string');
  return strings.every((token) => token.value !== undefined) ? strings : undefined;
}

/**
 * `data.get(key) for key in bgp_keys` with `bgp_keys = ("a", "b")`: the strings the loop variable
 * takes, when they are written out as a tuple or list (directly or through one name).
 */
function loopValues(tokens: Token[], variable: string): Token[] {
  for (let i = 0; i < tokens.length; i++) {
    if (!isName(tokens[i], 'for') || !isName(tokens[i + 1], variable) || !isName(tokens[i + 2], 'in')) continue;
    const direct = literalStrings(tokens, i + 3);
    if (direct) return direct;
    if (!isName(tokens[i + 3])) continue;
    const source = tokens[i + 3].text;
    for (let j = i - 1; j >= 1; j--) {
      if (isOp(tokens[j], '=') && isName(tokens[j - 1], source) && !isOp(tokens[j - 2], '.')) {
        const strings = literalStrings(tokens, j + 1);
        if (strings) return strings;
        break;
      }
    }
  }
  return [];
}

/**
 * Example: `d = self._data\nif "x" in d: d["y"] = d.get("z")` gives `x` (in, read), `y` (assign,
 * not read) and `z` (get, read), each spanning the name between its quotes.
 */
export function readPluginDataKeys(text: string): PluginDataKey[] {
  const tokens = tokenize(text);
  const receivers = dataReceivers(tokens);
  const keys: PluginDataKey[] = [];
  const add = (keyTokens: Token[], access: PluginDataAccess, isRead: boolean): void => {
    for (const token of keyTokens) if (token.value !== undefined && token.valueSpan) keys.push({ name: token.value, span: token.valueSpan, access, isRead });
  };
  /** The key tokens an argument stands for: a literal, or the literal values of a loop variable. */
  const keyTokens = (argument: Token[]): Token[] => {
    if (argument.length === 1 && argument[0].kind === 'string') return [argument[0]];
    if (argument.length === 1 && isName(argument[0])) return loopValues(tokens, argument[0].text);
    return [];
  };

  for (let i = 0; i < tokens.length; i++) {
    // `"x" in data`, `"x" not in data`
    if (tokens[i].kind === 'string' && (isName(tokens[i + 1], 'in') || (isName(tokens[i + 1], 'not') && isName(tokens[i + 2], 'in')))) {
      const at = isName(tokens[i + 1], 'in') ? i + 2 : i + 3;
      const length = receiverLength(tokens, at, receivers);
      if (length > 0 && !isOp(tokens[at + length], '.') && !isOp(tokens[at + length], '[')) add([tokens[i]], 'in', true);
      continue;
    }
    const length = receiverLength(tokens, i, receivers);
    if (length === 0) continue;
    const after = i + length;
    if (isOp(tokens[after], '[')) {
      const close = closingBracket(tokens, after);
      const argument = tokens.slice(after + 1, close);
      // A plain `=` after the subscript writes; `+=` and the like read first.
      const isWrite = isOp(tokens[close + 1], '=');
      add(keyTokens(argument), isWrite ? 'assign' : 'subscript', !isWrite);
      continue;
    }
    if (isOp(tokens[after], '.') && isName(tokens[after + 1]) && isOp(tokens[after + 2], '(')) {
      const method = tokens[after + 1].text;
      if (method !== 'get' && method !== 'pop' && method !== 'setdefault') continue;
      // The first argument ends at the first comma outside brackets.
      const close = closingBracket(tokens, after + 2);
      let end = after + 3;
      let depth = 0;
      while (end < close && !(depth === 0 && isOp(tokens[end], ','))) {
        if (tokens[end].kind === 'op' && '([{'.includes(tokens[end].text)) depth++;
        else if (tokens[end].kind === 'op' && ')]}'.includes(tokens[end].text)) depth--;
        end++;
      }
      add(keyTokens(tokens.slice(after + 3, end)), method, method !== 'setdefault');
    }
  }
  return keys.sort((a, b) => a.span.start - b.span.start);
}
