// Parses YAML into a small tree that keeps exact source offsets on every key and value.
// Owns nothing about cluster-template semantics; never reads files.
import { Composer, isAlias, isMap, isPair, isScalar, isSeq, LineCounter, Parser, Scalar } from 'yaml';
import type { Node as YamlLibNode } from 'yaml';

export type YamlPath = (string | number)[];

/** Offsets are UTF-16 code units into the document text; `end` is exclusive. */
export interface Span {
  start: number;
  end: number;
}

export interface MapEntry {
  key: string;
  keySpan: Span;
  /** null when the key has no value at all (`key:` with nothing after it). */
  value: YamlNode | null;
  /** From the start of the key to the end of the value (or of the key). */
  span: Span;
}

export type YamlNode =
  | { kind: 'map'; span: Span; entries: MapEntry[]; flow: boolean }
  | { kind: 'seq'; span: Span; items: YamlNode[]; flow: boolean }
  | { kind: 'scalar'; span: Span; value: unknown; quoted: boolean; source: string }
  | { kind: 'alias'; span: Span; name: string };

export interface YamlProblem {
  span: Span;
  message: string;
  code: 'yaml-syntax' | 'duplicate-key';
}

export interface YamlComment {
  /** Text after the `#`. */
  text: string;
  span: Span;
}

export interface ParsedYaml {
  /** The first document's root, or null for an empty document. */
  root: YamlNode | null;
  problems: YamlProblem[];
  /** Number of YAML documents in the file (a config file should have one). */
  documentCount: number;
}

/**
 * Parses `text` and returns a tree with offsets plus every syntax problem.
 * Example: `parseYaml('a: 1\n').root` is a map with one entry `a` whose value is the scalar 1.
 */
export function parseYaml(text: string): ParsedYaml {
  const problems: YamlProblem[] = [];
  const lineCounter = new LineCounter();
  const parser = new Parser(lineCounter.addNewLine);
  // uniqueKeys off: duplicates are reported by us with both ends known, instead of by the library.
  const composer = new Composer({ uniqueKeys: false, prettyErrors: false, strict: true });
  const documents = [...composer.compose(parser.parse(text), true, text.length)];
  for (const doc of documents) {
    for (const error of doc.errors) {
      const [start, end] = error.pos;
      problems.push({ span: { start, end: Math.max(end, start + 1) }, message: cleanYamlMessage(error.message), code: 'yaml-syntax' });
    }
  }
  const first = documents[0];
  const root = first?.contents ? convert(first.contents as YamlLibNode, text, problems) : null;
  return { root, problems, documentCount: documents.length };
}

function convert(node: YamlLibNode, text: string, problems: YamlProblem[]): YamlNode {
  const [start, valueEnd] = node.range ?? [0, 0, 0];
  const span = { start, end: valueEnd };
  if (isMap(node)) {
    const entries: MapEntry[] = [];
    const seen = new Map<string, MapEntry>();
    for (const pair of node.items) {
      if (!isPair(pair)) continue;
      const keyNode = pair.key as YamlLibNode | null;
      const keySpan = keyNode?.range ? { start: keyNode.range[0], end: keyNode.range[1] } : { start, end: start };
      const key = isScalar(keyNode) ? String(keyNode.value) : keyNode ? text.slice(keySpan.start, keySpan.end) : '';
      const value = pair.value ? convert(pair.value as YamlLibNode, text, problems) : null;
      const entry: MapEntry = { key, keySpan, value, span: { start: keySpan.start, end: value ? value.span.end : keySpan.end } };
      const earlier = seen.get(key);
      if (earlier) {
        problems.push(duplicateKeyProblem(entry, earlier, text));
      } else {
        seen.set(key, entry);
      }
      entries.push(entry);
    }
    return { kind: 'map', span, entries, flow: node.flow === true };
  }
  if (isSeq(node)) {
    const items = node.items.map((item) => convert(item as YamlLibNode, text, problems));
    return { kind: 'seq', span, items, flow: node.flow === true };
  }
  if (isAlias(node)) {
    return { kind: 'alias', span, name: node.source };
  }
  const scalar = node as Scalar;
  const quoted = scalar.type === Scalar.QUOTE_DOUBLE || scalar.type === Scalar.QUOTE_SINGLE;
  return { kind: 'scalar', span, value: scalar.value, quoted, source: text.slice(start, valueEnd) };
}

function cleanYamlMessage(message: string): string {
  // The library appends " at line X, column Y" plus a code frame; our range already says where.
  const firstLine = message.split('\n')[0];
  return 'YAML syntax error: ' + firstLine.replace(/ at line \d+, column \d+:?$/, '');
}

/** The problem for a key set twice in one mapping, reported at the later one. */
export function duplicateKeyProblem(later: MapEntry, earlier: MapEntry, text: string): YamlProblem {
  const line = lineOf(text, earlier.keySpan.start);
  return {
    span: later.keySpan,
    code: 'duplicate-key',
    message: `Duplicate key "${later.key}": it is already set on line ${line}. YAML allows a key only once per mapping.`,
  };
}

function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/** The plain JavaScript value of a node (aliases resolve to null: configs do not use them). */
export function toValue(node: YamlNode | null): unknown {
  if (!node) return null;
  switch (node.kind) {
    case 'scalar':
      return node.value;
    case 'seq':
      return node.items.map(toValue);
    case 'map': {
      const out: Record<string, unknown> = {};
      for (const entry of node.entries) if (!(entry.key in out)) out[entry.key] = toValue(entry.value);
      return out;
    }
    case 'alias':
      return null;
  }
}

/** The node at `path`, or undefined when the path does not exist. */
export function nodeAt(root: YamlNode | null, path: YamlPath): YamlNode | null | undefined {
  let node: YamlNode | null = root;
  for (const segment of path) {
    if (!node) return undefined;
    if (typeof segment === 'number') {
      if (node.kind !== 'seq' || segment >= node.items.length) return undefined;
      node = node.items[segment];
    } else {
      if (node.kind !== 'map') return undefined;
      const entry: MapEntry | undefined = node.entries.find((e) => e.key === segment);
      if (!entry) return undefined;
      node = entry.value;
    }
  }
  return node;
}

/** The map entry that holds the last segment of `path` (a string key). */
export function entryAt(root: YamlNode | null, path: YamlPath): MapEntry | undefined {
  if (path.length === 0) return undefined;
  const parent = nodeAt(root, path.slice(0, -1));
  const last = path[path.length - 1];
  if (!parent || parent.kind !== 'map' || typeof last !== 'string') return undefined;
  return parent.entries.find((e) => e.key === last);
}

/**
 * Where a problem about `path` should be shown: the key for a bad value of a key, the item for a
 * list element, the whole node for the document root.
 */
export function spanForPath(root: YamlNode | null, path: YamlPath): Span | undefined {
  if (path.length === 0) return root ? firstLineSpan(root) : undefined;
  const last = path[path.length - 1];
  if (typeof last === 'string') return entryAt(root, path)?.keySpan;
  const item = nodeAt(root, path);
  return item ? item.span : undefined;
}

function firstLineSpan(node: YamlNode): Span {
  if (node.kind === 'map' && node.entries.length > 0) return node.entries[0].keySpan;
  return { start: node.span.start, end: Math.min(node.span.end, node.span.start + 1) };
}

/** Where the cursor is, from the outside in: the path of keys and indexes whose span holds `offset`. */
export function pathAtOffset(root: YamlNode | null, offset: number): { path: YamlPath; onKey: boolean } {
  const path: YamlPath = [];
  let node: YamlNode | null = root;
  let onKey = false;
  while (node) {
    if (node.kind === 'map') {
      const entry: MapEntry | undefined = node.entries.find((e) => offset >= e.span.start && offset <= e.span.end);
      if (!entry) break;
      path.push(entry.key);
      if (offset <= entry.keySpan.end) {
        onKey = true;
        break;
      }
      node = entry.value;
    } else if (node.kind === 'seq') {
      const index = node.items.findIndex((item) => offset >= item.span.start && offset <= item.span.end);
      if (index < 0) break;
      path.push(index);
      node = node.items[index];
    } else {
      break;
    }
  }
  return { path, onKey };
}
