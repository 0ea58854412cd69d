// The YAML store: reads YAML text into the sops tree the way sops' stores/yaml does with go-yaml
// v3 (values typed by go-yaml's resolver, comments as tree items in document order, aliases
// expanded, one branch per document), and writes a tree back as sops writes it (go-yaml's
// emitter, sops' comment placement). Reading uses the `yaml` package's CST for comment positions.
import { Composer, isAlias, isMap, isScalar, isSeq, Parser, type Document, type Node as YamlNode, type Pair, type Scalar, type YAMLMap, type YAMLSeq } from 'yaml';
import { emitYamlEvents, type ScalarStyle, type YamlEvent } from './goYamlEmitter';
import { formatFloatG, GoBytes, GoTime, isYaml11Special, plainResolvesToString, resolvePlainScalar, TreeComment, TreeList, TreeMap, type TreeScalar, type TreeValue } from './goValues';
import { SopsError } from './sopsError';

/** sops' default YAML indentation (stores/yaml IndentDefault). */
export const DEFAULT_YAML_INDENT = 4;

// ---------------------------------------------------------------------------------------------
// Reading

interface SourceComment {
  offset: number;
  line: number;
  column: number;
  /** The text after '#'. */
  text: string;
  /** Something other than blanks precedes it on its line. */
  inline: boolean;
}

interface CstLike {
  type?: unknown;
  offset?: unknown;
  source?: unknown;
}

function collectCstComments(token: unknown, into: Array<{ offset: number; source: string }>): void {
  if (Array.isArray(token)) {
    for (const item of token) collectCstComments(item, into);
    return;
  }
  if (token === null || typeof token !== 'object') return;
  const cst = token as CstLike;
  if (cst.type === 'comment' && typeof cst.offset === 'number' && typeof cst.source === 'string') {
    into.push({ offset: cst.offset, source: cst.source });
    return;
  }
  for (const value of Object.values(token)) if (value !== null && typeof value === 'object') collectCstComments(value, into);
}

function lineStartsOf(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

function lineIndex(starts: readonly number[], offset: number): number {
  let low = 0;
  let high = starts.length - 1;
  while (low < high) {
    const middle = (low + high + 1) >> 1;
    if (starts[middle] <= offset) low = middle;
    else high = middle - 1;
  }
  return low;
}

const STR_TAG = 'tag:yaml.org,2002:str';
const BINARY_TAG = 'tag:yaml.org,2002:binary';

/**
 * Reads a YAML stream into one tree per document. Throws SopsError 'parse' for invalid YAML and
 * 'unsupported' for what sops refuses (a document that is a list or a scalar, non-string keys).
 */
export function readYamlTree(text: string): TreeMap[] {
  const tokens = [...new Parser().parse(text)];
  const raw: Array<{ offset: number; source: string }> = [];
  collectCstComments(tokens, raw);
  raw.sort((a, b) => a.offset - b.offset);
  const starts = lineStartsOf(text);
  const comments: SourceComment[] = raw.map(({ offset, source }) => {
    const line = lineIndex(starts, offset);
    return { offset, line, column: offset - starts[line], text: source.slice(1), inline: text.slice(starts[line], offset).trim() !== '' };
  });
  const composer = new Composer({ schema: 'failsafe', uniqueKeys: true, prettyErrors: false });
  const documents = [...composer.compose(tokens, false, text.length)];
  const reader = new YamlTreeReader(starts, comments);
  const branches: TreeMap[] = [];
  let next = 0;
  documents.forEach((document, index) => {
    const error = document.errors[0];
    if (error) {
      const line = lineIndex(starts, error.pos[0]);
      throw new SopsError('parse', `invalid YAML (${error.code}) at line ${line + 1}, column ${error.pos[0] - starts[line] + 1}`);
    }
    const end = index + 1 < documents.length ? documents[index + 1].range[0] : Infinity;
    let stop = next;
    while (stop < comments.length && comments[stop].offset < end) stop++;
    branches.push(reader.readDocument(document, next, stop));
    next = stop;
  });
  return branches;
}

function isBlockCollection(node: unknown): node is YAMLMap | YAMLSeq {
  return (isMap(node) || isSeq(node)) && !node.flow && node.items.length > 0;
}

class YamlTreeReader {
  private document!: Document;

  constructor(
    private readonly lineStarts: readonly number[],
    private readonly comments: readonly SourceComment[],
  ) {}

  private lineOf(offset: number): number {
    return lineIndex(this.lineStarts, offset);
  }

  private columnOf(offset: number): number {
    return offset - this.lineStarts[this.lineOf(offset)];
  }

  private describe(offset: number): string {
    const line = this.lineOf(offset);
    return `line ${line + 1}, column ${offset - this.lineStarts[line] + 1}`;
  }

  readDocument(document: Document, low: number, high: number): TreeMap {
    this.document = document;
    const root = document.contents as YamlNode | null;
    if (root === null || (isScalar(root) && root.value === '' && root.type === 'PLAIN' && !root.tag)) {
      return new TreeMap(this.plainComments(low, high));
    }
    if (isSeq(root)) throw new SopsError('unsupported', 'YAML documents that are sequences are not supported');
    if (!isMap(root)) throw new SopsError('unsupported', 'YAML documents that are values are not supported');
    const start = root.range![0];
    if (root.flow || root.items.length === 0) {
      const map = this.plainValue(root) as TreeMap;
      const before = this.comments.slice(low, high).filter((comment) => comment.offset < start);
      const after = this.comments.slice(low, high).filter((comment) => comment.offset >= start);
      return new TreeMap([...before.map((c) => new TreeComment(c.text)), ...map.entries, ...after.map((c) => new TreeComment(c.text))]);
    }
    const { value, bubbleFrom } = this.readCollection(root, low, high);
    const map = value as TreeMap;
    map.entries.push(...this.plainComments(bubbleFrom, high));
    return map;
  }

  private plainComments(low: number, high: number): TreeComment[] {
    const result: TreeComment[] = [];
    for (let i = low; i < high; i++) result.push(new TreeComment(this.comments[i].text));
    return result;
  }

  /**
   * A block collection with the comments of its region (comments[low..high)). Comments after its
   * last item that sit left of its column belong to an outer level: they are returned from
   * `bubbleFrom` on, for the caller to place.
   */
  private readCollection(node: YAMLMap | YAMLSeq, low: number, high: number): { value: TreeValue; bubbleFrom: number } {
    const column = this.columnOf(node.range![0]);
    const isMapping = isMap(node);
    const items = node.items as Array<Pair<unknown, unknown> | unknown>;
    const starts = items.map((item) => this.itemStart(item, isMapping));
    const out: Array<TreeComment | { key: string; value: TreeValue } | TreeValue> = [];
    let i = low;
    while (i < high && this.comments[i].offset < starts[0]) out.push(new TreeComment(this.comments[i++].text));
    let bubbleFrom = high;
    items.forEach((item, index) => {
      const last = index === items.length - 1;
      const end = last ? Infinity : starts[index + 1];
      let j = i;
      while (j < high && this.comments[j].offset < end) j++;
      const valueNode = (isMapping ? (item as Pair<unknown, unknown>).value : item) as YamlNode | null;
      const key = isMapping ? this.keyOf((item as Pair<unknown, unknown>).key as YamlNode | null, starts[index]) : undefined;
      const wrap = (value: TreeValue) => (key === undefined ? value : { key, value });
      let after: number;
      if (isBlockCollection(valueNode)) {
        // `key: # comment` above a nested block: sops keeps it before the key.
        const keyLine = this.lineOf(starts[index]);
        while (i < j && this.comments[i].inline && this.comments[i].line === keyLine && this.comments[i].offset < valueNode.range![0]) {
          out.push(new TreeComment(this.comments[i++].text));
        }
        const nested = this.readCollection(valueNode, i, j);
        out.push(wrap(nested.value));
        after = nested.bubbleFrom;
      } else {
        const valueStart = valueNode?.range?.[0] ?? starts[index];
        const valueEnd = valueNode?.range ? Math.max(valueNode.range[0], valueNode.range[1] - 1) : starts[index];
        const valueEndLine = this.lineOf(valueEnd);
        while (i < j) {
          const comment = this.comments[i];
          if (comment.inline && comment.line <= valueEndLine) out.push(new TreeComment(comment.text, true));
          else if (comment.offset < valueStart) out.push(new TreeComment(comment.text));
          else break;
          i++;
        }
        out.push(wrap(valueNode === null ? null : this.plainValue(valueNode)));
        after = i;
      }
      // Comments after the item stay at this level, except trailing ones further left.
      let t = after;
      while (t < j && (!last || this.comments[t].column >= column)) out.push(new TreeComment(this.comments[t++].text));
      if (last) bubbleFrom = t;
      i = j;
    });
    if (isMapping) return { value: new TreeMap(out as Array<TreeComment | { key: string; value: TreeValue }>), bubbleFrom };
    return { value: new TreeList(out as Array<TreeComment | TreeValue>), bubbleFrom };
  }

  private itemStart(item: unknown, isMapping: boolean): number {
    if (isMapping) {
      const pair = item as Pair<YamlNode | null, YamlNode | null>;
      return pair.key?.range?.[0] ?? pair.value?.range?.[0] ?? 0;
    }
    return (item as YamlNode | null)?.range?.[0] ?? 0;
  }

  private keyOf(node: YamlNode | null, offset: number): string {
    const target = isAlias(node) ? (node.resolve(this.document) as YamlNode | undefined) : node;
    const value = target === null || target === undefined ? null : isScalar(target) ? this.scalarValue(target) : undefined;
    if (typeof value !== 'string') throw new SopsError('unsupported', `a mapping key at ${this.describe(offset)} is not a string (sops only supports string keys)`);
    return value;
  }

  /** A value without comment handling: scalars, flow collections and alias targets. */
  private plainValue(node: YamlNode): TreeValue {
    if (isAlias(node)) {
      const target = node.resolve(this.document) as YamlNode | undefined;
      if (!target) throw new SopsError('parse', `an alias at ${this.describe(node.range![0])} has no anchor`);
      return this.plainValue(target);
    }
    if (isScalar(node)) return this.scalarValue(node);
    if (isMap(node)) {
      return new TreeMap(
        node.items.map((pair) => {
          const key = pair.key as YamlNode | null;
          return { key: this.keyOf(key, key?.range?.[0] ?? node.range![0]), value: pair.value === null ? null : this.plainValue(pair.value as YamlNode) };
        }),
      );
    }
    if (isSeq(node)) return new TreeList(node.items.map((item) => (item === null ? null : this.plainValue(item as YamlNode))));
    throw new SopsError('parse', 'unexpected YAML node');
  }

  private scalarValue(node: Scalar): TreeScalar {
    const text = node.value === null || node.value === undefined ? '' : String(node.value);
    if (node.type !== 'PLAIN' && node.type !== undefined) return text;
    if (node.tag === STR_TAG) return text;
    if (node.tag === BINARY_TAG) return Buffer.from(text.replace(/\s+/g, ''), 'base64').toString('utf8');
    if (node.tag !== undefined && !node.tag.startsWith('tag:yaml.org,2002:')) return text;
    const resolved = resolvePlainScalar(text);
    if (resolved !== null && typeof resolved === 'object' && !(resolved instanceof GoTime) && !(resolved instanceof GoBytes)) {
      throw new SopsError('unsupported', `the number at ${this.describe(node.range![0])} is beyond the int64 range`);
    }
    return resolved as TreeScalar;
  }
}

// ---------------------------------------------------------------------------------------------
// Writing: sops' appendTreeBranch / appendSequence, go-yaml's Node encoding, then the emitter

interface YNode {
  kind: 'map' | 'seq' | 'scalar';
  value: string;
  style: ScalarStyle;
  content: YNode[];
  head: string;
  line: string;
  foot: string;
}

function newNode(kind: YNode['kind'], value = '', style: ScalarStyle = 'plain'): YNode {
  return { kind, value, style, content: [], head: '', line: '', foot: '' };
}

/** What Node.Encode(value) gives for a tree scalar: its text and go-yaml's requested style. */
function scalarNode(input: TreeScalar): YNode {
  const value = input instanceof GoBytes ? input.bytes.toString('utf8') : input;
  if (typeof value === 'string') {
    if (value.includes('\n')) return newNode('scalar', value, 'literal');
    const plain = plainResolvesToString(value) && !isYaml11Special(value);
    return newNode('scalar', value, plain ? 'plain' : 'double');
  }
  if (typeof value === 'bigint') return newNode('scalar', value.toString());
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return newNode('scalar', '.nan');
    if (!Number.isFinite(value)) return newNode('scalar', value > 0 ? '.inf' : '-.inf');
    return newNode('scalar', formatFloatG(value));
  }
  if (typeof value === 'boolean') return newNode('scalar', value ? 'true' : 'false');
  if (value instanceof GoTime) return newNode('scalar', value.text);
  return newNode('scalar', 'null');
}

function joinComments(comments: readonly string[]): string {
  return '#' + comments.join('\n#');
}

function addHead(node: YNode, comments: string[]): void {
  if (comments.length === 0) return;
  const comment = joinComments(comments);
  node.head = node.head ? `${comment}\n${node.head}` : comment;
}

function addFoot(node: YNode, comments: string[]): void {
  if (comments.length === 0) return;
  const comment = joinComments(comments);
  node.foot = node.foot ? `${node.foot}\n${comment}` : comment;
}

function addLine(node: YNode, comments: string[]): void {
  if (comments.length === 0) return;
  const comment = joinComments(comments);
  node.line = node.line ? `${node.line}\n${comment}` : comment;
}

function valueNode(value: TreeValue): YNode {
  if (value instanceof TreeMap) return mappingNode(value);
  if (value instanceof TreeList) return sequenceNode(value);
  return scalarNode(value);
}

/** sops' appendTreeBranch: comments before the first key go to the mapping, others to keys. */
function mappingNode(map: TreeMap): YNode {
  const mapping = newNode('map');
  let head: string[] = [];
  let inline: string[] = [];
  let beginning = true;
  for (const entry of map.entries) {
    if (entry instanceof TreeComment) {
      (entry.inline ? inline : head).push(entry.value);
      continue;
    }
    if (beginning) {
      addHead(mapping, head);
      head = [];
      beginning = false;
    }
    const key = scalarNode(entry.key);
    addHead(key, head);
    head = [];
    const value = valueNode(entry.value);
    addLine(value, inline);
    inline = [];
    mapping.content.push(key, value);
  }
  const rest = [...head, ...inline];
  if (rest.length > 0) {
    if (beginning) addHead(mapping, rest);
    else addFoot(mapping.content[mapping.content.length - 2], rest);
  }
  return mapping;
}

/** sops' appendSequence. */
function sequenceNode(list: TreeList): YNode {
  const sequence = newNode('seq');
  let head: string[] = [];
  let inline: string[] = [];
  let beginning = true;
  for (const item of list.items) {
    if (item instanceof TreeComment) {
      (item.inline ? inline : head).push(item.value);
      continue;
    }
    if (beginning) {
      addHead(sequence, head);
      head = [];
      beginning = false;
    }
    const node = valueNode(item);
    addHead(node, head);
    head = [];
    addLine(node, inline);
    inline = [];
    sequence.content.push(node);
  }
  const rest = [...head, ...inline];
  if (rest.length > 0) {
    if (beginning) addHead(sequence, rest);
    else addFoot(sequence.content[sequence.content.length - 1], rest);
  }
  return sequence;
}

/** go-yaml's encoder.node: a key's foot comment travels as the next key's (or the end's) tail. */
function nodeEvents(node: YNode, tail: string, events: YamlEvent[]): void {
  switch (node.kind) {
    case 'map': {
      events.push({ type: 'mapping-start', flow: false, head: node.head, tail });
      let pending = '';
      for (let i = 0; i + 1 < node.content.length; i += 2) {
        const key = node.content[i];
        const foot = key.foot;
        nodeEvents(foot ? { ...key, foot: '' } : key, pending, events);
        pending = foot;
        nodeEvents(node.content[i + 1], '', events);
      }
      events.push({ type: 'mapping-end', tail: pending, line: node.line, foot: node.foot });
      return;
    }
    case 'seq':
      events.push({ type: 'sequence-start', flow: false, head: node.head });
      for (const item of node.content) nodeEvents(item, '', events);
      events.push({ type: 'sequence-end', line: node.line, foot: node.foot });
      return;
    case 'scalar':
      events.push({ type: 'scalar', value: node.value, style: node.style, head: node.head, line: node.line, foot: node.foot, tail });
  }
}

/** Writes trees as sops does (one YAML document per tree; indent as stores.yaml.indent). */
export function writeYamlTree(branches: readonly TreeMap[], indent = DEFAULT_YAML_INDENT): string {
  const events: YamlEvent[] = [{ type: 'stream-start' }];
  for (const branch of branches) {
    events.push({ type: 'document-start', implicit: true });
    nodeEvents(mappingNode(branch), '', events);
    events.push({ type: 'document-end', implicit: true });
  }
  events.push({ type: 'stream-end' });
  // go-yaml's encoder takes 0 as "use the default of 4".
  return emitYamlEvents(events, { indent: indent === 0 ? DEFAULT_YAML_INDENT : indent });
}
