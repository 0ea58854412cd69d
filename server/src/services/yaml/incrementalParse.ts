// Re-parses a large flat YAML mapping one top-level key at a time, reusing the parse of every
// key whose text did not change. Falls back to a whole parse whenever the split could differ
// from it, so the result is always what parseYaml gives (config files are flat mappings: a
// 120 KB cluster.yaml re-parses in about a millisecond instead of ten).
import { duplicateKeyProblem, parseYaml, type MapEntry, type ParsedYaml, type Span, type YamlNode } from './parse';

interface SegmentParse {
  /** The segment's single entry, offsets relative to the segment start; undefined for comments only. */
  entry?: MapEntry;
  /** The segment's mapping span, relative: the whole document's mapping spans from the first to the last. */
  mapSpan?: Span;
  /** The absolute copy for the base it was last placed at. */
  placedAt: number;
  placed?: MapEntry;
}

/** A line that starts a new top-level key: anything else at column 0 needs the whole parse. */
const KEY_START = /^[A-Za-z0-9_"']/;
const CONTINUATION = /^(?:[ \t#]|$)/;

export class IncrementalYamlParser {
  private segments = new Map<string, SegmentParse>();
  /** How the last text was parsed (for tests and logs): per segment, or whole after a fallback. */
  lastMode: 'segments' | 'whole' = 'whole';

  /**
   * Same result as `parseYaml(text)`. Example: two calls whose texts differ in one value parse
   * only that value's key the second time.
   */
  parse(text: string): ParsedYaml {
    this.lastMode = 'whole';
    const starts = segmentStarts(text);
    if (!starts) return parseYaml(text);
    const next = new Map<string, SegmentParse>();
    const entries: MapEntry[] = [];
    let span: Span | undefined;
    for (let i = 0; i < starts.length; i++) {
      const start = starts[i];
      const end = i + 1 < starts.length ? starts[i + 1] : text.length;
      let segmentText = text.slice(start, end);
      let segment = this.segments.get(segmentText) ?? next.get(segmentText);
      if (!segment) {
        // A slice keeps its whole parent text alive; cached segments would hold on to one old
        // document per edit. Parse and keep a copy of just the segment instead.
        segmentText = ownCopy(segmentText);
        const parsed = parseYaml(segmentText);
        const root = parsed.root;
        const isPreamble = i === 0 && !KEY_START.test(segmentText.replace(/^---[ \t]*\r?\n?/, ''));
        if (parsed.problems.length > 0 || parsed.documentCount > 1) return parseYaml(text);
        const isEmpty = root === null || (root.kind === 'scalar' && root.value === null && root.source === '');
        if (isPreamble ? !isEmpty : root?.kind !== 'map' || root.entries.length !== 1) return parseYaml(text);
        segment = root?.kind === 'map' ? { entry: root.entries[0], mapSpan: root.span, placedAt: 0 } : { placedAt: 0 };
        segment.placed = segment.entry;
      }
      next.set(segmentText, segment);
      if (!segment.entry) continue;
      if (segment.placedAt !== start) {
        segment.placed = shiftEntry(segment.entry, start);
        segment.placedAt = start;
      }
      entries.push(segment.placed!);
      const mapSpan = shiftSpan(segment.mapSpan!, start);
      span = span ? { start: span.start, end: mapSpan.end } : mapSpan;
    }
    this.segments = next;
    this.lastMode = 'segments';
    if (!span) return parseYaml(text); // no key at all: small, and the library decides what the root is
    const problems = duplicateProblems(entries, text);
    return { root: { kind: 'map', span, entries, flow: false }, problems, documentCount: 1 };
  }
}

/** Offsets where top-level keys start (plus 0 for a leading comment block), or undefined when the text needs a whole parse. */
function segmentStarts(text: string): number[] | undefined {
  const starts = [0];
  let lineStart = 0;
  for (;;) {
    const newline = text.indexOf('\n', lineStart);
    const first = text.charAt(lineStart);
    // A `---` on the first line only opens the one document (the cluster-template's files start so).
    const isLeadingMarker = lineStart === 0 && /^---[ \t]*\r?$/.test(text.slice(0, newline < 0 ? text.length : newline));
    if (!isLeadingMarker && first !== '' && first !== '\n' && first !== '\r' && !CONTINUATION.test(first)) {
      // Documents, directives, top-level lists, flow collections or anchors: parse it whole.
      if (!KEY_START.test(first)) return undefined;
      if (lineStart !== 0) starts.push(lineStart);
    }
    if (newline < 0) return starts;
    lineStart = newline + 1;
  }
}

function ownCopy(text: string): string {
  return Buffer.from(text, 'utf16le').toString('utf16le');
}

function shiftSpan(span: Span, by: number): Span {
  return { start: span.start + by, end: span.end + by };
}

function shiftEntry(entry: MapEntry, by: number): MapEntry {
  return { key: entry.key, keySpan: shiftSpan(entry.keySpan, by), value: entry.value ? shiftNode(entry.value, by) : null, span: shiftSpan(entry.span, by) };
}

function shiftNode(node: YamlNode, by: number): YamlNode {
  switch (node.kind) {
    case 'map':
      return { kind: 'map', span: shiftSpan(node.span, by), entries: node.entries.map((e) => shiftEntry(e, by)), flow: node.flow };
    case 'seq':
      return { kind: 'seq', span: shiftSpan(node.span, by), items: node.items.map((i) => shiftNode(i, by)), flow: node.flow };
    case 'scalar':
      return { ...node, span: shiftSpan(node.span, by) };
    case 'alias':
      return { ...node, span: shiftSpan(node.span, by) };
  }
}

function duplicateProblems(entries: MapEntry[], text: string): ParsedYaml['problems'] {
  const seen = new Map<string, MapEntry>();
  const problems: ParsedYaml['problems'] = [];
  for (const entry of entries) {
    const earlier = seen.get(entry.key);
    if (earlier) problems.push(duplicateKeyProblem(entry, earlier, text));
    else seen.set(entry.key, entry);
  }
  return problems;
}
