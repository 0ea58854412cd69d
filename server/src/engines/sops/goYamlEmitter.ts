// A YAML emitter that writes what go-yaml v3's emitter (emitterc.go, the one sops uses) writes for
// the events sops produces: block mappings and sequences with its indentation rules (sequence
// items indented, nested levels aligned to multiples of the indent), empty collections as {} and
// [], its scalar style choice and quoting, and its placement of head, line, foot and tail
// comments. No anchors, tags, directives or line folding (sops never asks for them).

export type ScalarStyle = 'plain' | 'single' | 'double' | 'literal';

interface CommentFields {
  head?: string;
  line?: string;
  foot?: string;
  tail?: string;
}

export type YamlEvent =
  | { type: 'stream-start' }
  | { type: 'stream-end' }
  | ({ type: 'document-start'; implicit: boolean } & CommentFields)
  | ({ type: 'document-end'; implicit: boolean } & CommentFields)
  | ({ type: 'mapping-start'; flow: boolean } & CommentFields)
  | ({ type: 'mapping-end' } & CommentFields)
  | ({ type: 'sequence-start'; flow: boolean } & CommentFields)
  | ({ type: 'sequence-end' } & CommentFields)
  | ({ type: 'scalar'; value: string; style: ScalarStyle } & CommentFields);

const enum State {
  StreamStart,
  FirstDocumentStart,
  DocumentStart,
  DocumentContent,
  DocumentEnd,
  FlowSequenceFirstItem,
  FlowSequenceTrailItem,
  FlowSequenceItem,
  FlowMappingFirstKey,
  FlowMappingTrailKey,
  FlowMappingKey,
  FlowMappingSimpleValue,
  FlowMappingValue,
  BlockSequenceFirstItem,
  BlockSequenceItem,
  BlockMappingFirstKey,
  BlockMappingKey,
  BlockMappingSimpleValue,
  BlockMappingValue,
  End,
}

interface ScalarAnalysis {
  value: string;
  multiline: boolean;
  flowPlainAllowed: boolean;
  blockPlainAllowed: boolean;
  singleQuotedAllowed: boolean;
  blockAllowed: boolean;
  style: ScalarStyle;
}

function isBreak(c: number): boolean {
  return c === 0x0a || c === 0x0d || c === 0x85 || c === 0x2028 || c === 0x2029;
}

/** libyaml's printable set for UTF-8 output (characters outside the BMP are escaped). */
function isPrintable(c: number): boolean {
  return c === 0x0a || (c >= 0x20 && c <= 0x7e) || (c >= 0xa0 && c <= 0xd7ff) || (c >= 0xe000 && c <= 0xfffd && c !== 0xfeff);
}

const SHORT_ESCAPES: Record<number, string> = {
  0x00: '0',
  0x07: 'a',
  0x08: 'b',
  0x09: 't',
  0x0a: 'n',
  0x0b: 'v',
  0x0c: 'f',
  0x0d: 'r',
  0x1b: 'e',
  0x22: '"',
  0x5c: '\\',
  0x85: 'N',
  0xa0: '_',
  0x2028: 'L',
  0x2029: 'P',
};

/** The double-quoted escape of a character (without the backslash): short forms, else x/u/U hex. */
function escapeOf(c: number): string {
  const letter = SHORT_ESCAPES[c];
  if (letter !== undefined) return letter;
  const [prefix, width] = c <= 0xff ? ['x', 2] : c <= 0xffff ? ['u', 4] : ['U', 8];
  return prefix + c.toString(16).toUpperCase().padStart(width as number, '0');
}

function isBlank(c: number | undefined): boolean {
  return c === 0x20 || c === 0x09;
}

const FIRST_CHAR_INDICATORS = new Set(Array.from('#,[]{}&*!|>\'"%@`', (ch) => ch.charCodeAt(0)));
const FLOW_INDICATORS = new Set(Array.from(',?[]{}', (ch) => ch.charCodeAt(0)));
const BREAKS = /[\n\r\u0085\u2028\u2029]/;
const SURROGATES = /[\ud800-\udfff]/;

function codePoints(text: string): number[] {
  const out: number[] = new Array(text.length);
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const low = text.charCodeAt(i + 1);
      if (low >= 0xdc00 && low <= 0xdfff) {
        out[n++] = (c - 0xd800) * 0x400 + (low - 0xdc00) + 0x10000;
        i++;
        continue;
      }
    }
    out[n++] = c;
  }
  out.length = n;
  return out;
}

/** Columns a break-free text advances: go-yaml counts characters, not bytes. */
function columnsOf(text: string): number {
  return SURROGATES.test(text) ? codePoints(text).length : text.length;
}

/** UTF-8 length, which is what go-yaml measures simple keys in. */
function utf8Length(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/** The style go-yaml settles on for a scalar (yaml_emitter_analyze_scalar + select_scalar_style). */
function analyzeScalar(value: string): ScalarAnalysis {
  const result: ScalarAnalysis = {
    value,
    multiline: false,
    flowPlainAllowed: false,
    blockPlainAllowed: true,
    singleQuotedAllowed: true,
    blockAllowed: false,
    style: 'plain',
  };
  if (value.length === 0) return result;
  let blockIndicators = false;
  let flowIndicators = false;
  let lineBreaks = false;
  let specialCharacters = false;
  let tabCharacters = false;
  let leadingSpace = false;
  let leadingBreak = false;
  let trailingSpace = false;
  let trailingBreak = false;
  let breakSpace = false;
  let spaceBreak = false;
  let previousSpace = false;
  let previousBreak = false;
  if (value.startsWith('---') || value.startsWith('...')) {
    blockIndicators = true;
    flowIndicators = true;
  }
  const chars = codePoints(value);
  let precededByWhitespace = true;
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i];
    const followedByWhitespace = i + 1 >= chars.length || isBlank(chars[i + 1]);
    if (i === 0) {
      if (FIRST_CHAR_INDICATORS.has(c)) {
        flowIndicators = true;
        blockIndicators = true;
      } else if (c === 0x3f || c === 0x3a) {
        flowIndicators = true;
        if (followedByWhitespace) blockIndicators = true;
      } else if (c === 0x2d && followedByWhitespace) {
        flowIndicators = true;
        blockIndicators = true;
      }
    } else if (FLOW_INDICATORS.has(c)) {
      flowIndicators = true;
    } else if (c === 0x3a) {
      flowIndicators = true;
      if (followedByWhitespace) blockIndicators = true;
    } else if (c === 0x23 && precededByWhitespace) {
      flowIndicators = true;
      blockIndicators = true;
    }
    if (c === 0x09) tabCharacters = true;
    else if (!isPrintable(c)) specialCharacters = true;
    if (c === 0x20) {
      if (i === 0) leadingSpace = true;
      if (i === chars.length - 1) trailingSpace = true;
      if (previousBreak) breakSpace = true;
      previousSpace = true;
      previousBreak = false;
    } else if (isBreak(c)) {
      lineBreaks = true;
      if (i === 0) leadingBreak = true;
      if (i === chars.length - 1) trailingBreak = true;
      if (previousSpace) spaceBreak = true;
      previousSpace = false;
      previousBreak = true;
    } else {
      previousSpace = false;
      previousBreak = false;
    }
    precededByWhitespace = isBlank(c) || isBreak(c) || c === 0;
  }
  result.multiline = lineBreaks;
  result.flowPlainAllowed = true;
  result.blockPlainAllowed = true;
  result.singleQuotedAllowed = true;
  result.blockAllowed = true;
  if (leadingSpace || leadingBreak || trailingSpace || trailingBreak) {
    result.flowPlainAllowed = false;
    result.blockPlainAllowed = false;
  }
  if (trailingSpace) result.blockAllowed = false;
  if (breakSpace) {
    result.flowPlainAllowed = false;
    result.blockPlainAllowed = false;
    result.singleQuotedAllowed = false;
  }
  if (spaceBreak || tabCharacters || specialCharacters) {
    result.flowPlainAllowed = false;
    result.blockPlainAllowed = false;
    result.singleQuotedAllowed = false;
  }
  if (spaceBreak || specialCharacters) result.blockAllowed = false;
  if (lineBreaks) {
    result.flowPlainAllowed = false;
    result.blockPlainAllowed = false;
  }
  if (flowIndicators) result.flowPlainAllowed = false;
  if (blockIndicators) result.blockPlainAllowed = false;
  return result;
}

export interface EmitterOptions {
  /** Spaces per level (go-yaml's SetIndent; out of 2..9 means 2). */
  indent: number;
}

/** Writes a complete event stream (stream-start … stream-end) to text. */
export function emitYamlEvents(events: readonly YamlEvent[], options: EmitterOptions): string {
  return new GoYamlEmitter(events, options).run();
}

class GoYamlEmitter {
  private readonly out: string[] = [];
  private readonly bestIndent: number;
  private state = State.StreamStart;
  private readonly states: State[] = [];
  private indent = -1;
  private readonly indents: number[] = [];
  private flowLevel = 0;
  private column = 0;
  private whitespace = true;
  private indention = true;
  private openEnded = false;
  private footIndent = -1;
  private rootContext = false;
  private mappingContext = false;
  private simpleKeyContext = false;
  private headComment = '';
  private lineComment = '';
  private footComment = '';
  private tailComment = '';
  private keyLineComment = '';
  private scalar: ScalarAnalysis | undefined;
  private head = 0;

  constructor(
    private readonly events: readonly YamlEvent[],
    options: EmitterOptions,
  ) {
    this.bestIndent = options.indent >= 2 && options.indent <= 9 ? options.indent : 2;
  }

  run(): string {
    for (this.head = 0; this.head < this.events.length; this.head++) {
      const event = this.events[this.head];
      this.analyzeEvent(event);
      this.dispatch(event);
    }
    return this.out.join('');
  }

  private analyzeEvent(event: YamlEvent): void {
    this.scalar = undefined;
    if ('head' in event && event.head) this.headComment = event.head;
    if ('line' in event && event.line) this.lineComment = event.line;
    if ('foot' in event && event.foot) this.footComment = event.foot;
    if ('tail' in event && event.tail) this.tailComment = event.tail;
    if (event.type === 'scalar') this.scalar = analyzeScalar(event.value);
  }

  private fail(message: string): never {
    throw new Error(`YAML emitter: ${message}`);
  }

  private dispatch(event: YamlEvent): void {
    switch (this.state) {
      case State.StreamStart:
        if (event.type !== 'stream-start') this.fail('expected STREAM-START');
        this.state = State.FirstDocumentStart;
        return;
      case State.FirstDocumentStart:
        return this.documentStart(event, true);
      case State.DocumentStart:
        return this.documentStart(event, false);
      case State.DocumentContent:
        return this.documentContent(event);
      case State.DocumentEnd:
        return this.documentEnd(event);
      case State.FlowSequenceFirstItem:
        return this.flowSequenceItem(event, true, false);
      case State.FlowSequenceTrailItem:
        return this.flowSequenceItem(event, false, true);
      case State.FlowSequenceItem:
        return this.flowSequenceItem(event, false, false);
      case State.FlowMappingFirstKey:
        return this.flowMappingKey(event, true, false);
      case State.FlowMappingTrailKey:
        return this.flowMappingKey(event, false, true);
      case State.FlowMappingKey:
        return this.flowMappingKey(event, false, false);
      case State.FlowMappingSimpleValue:
        return this.flowMappingValue(event, true);
      case State.FlowMappingValue:
        return this.flowMappingValue(event, false);
      case State.BlockSequenceFirstItem:
        return this.blockSequenceItem(event, true);
      case State.BlockSequenceItem:
        return this.blockSequenceItem(event, false);
      case State.BlockMappingFirstKey:
        return this.blockMappingKey(event, true);
      case State.BlockMappingKey:
        return this.blockMappingKey(event, false);
      case State.BlockMappingSimpleValue:
        return this.blockMappingValue(event, true);
      case State.BlockMappingValue:
        return this.blockMappingValue(event, false);
      case State.End:
        this.fail('expected nothing after STREAM-END');
    }
  }

  // --- output primitives (put, put_break, write, write_break) ---------------------------------

  private put(text: string): void {
    this.out.push(text);
    this.column += 1;
  }

  private putBreak(): void {
    this.out.push('\n');
    this.column = 0;
    this.indention = true;
  }

  private writeChar(ch: string): void {
    this.out.push(ch);
    this.column += 1;
  }

  private writeBreak(ch: string): void {
    if (ch === '\n') {
      this.putBreak();
      return;
    }
    this.out.push(ch);
    this.column = 0;
    this.indention = true;
  }

  /** Writes text that holds no line break. */
  private writeText(text: string): void {
    this.out.push(text);
    this.column += columnsOf(text);
  }

  private writeIndent(): void {
    const indent = Math.max(this.indent, 0);
    if (!this.indention || this.column > indent || (this.column === indent && !this.whitespace)) this.putBreak();
    if (this.footIndent === indent) this.putBreak();
    while (this.column < indent) this.put(' ');
    this.whitespace = true;
    this.footIndent = -1;
  }

  private writeIndicator(indicator: string, needWhitespace: boolean, isWhitespace: boolean, isIndention: boolean): void {
    if (needWhitespace && !this.whitespace) this.put(' ');
    this.writeText(indicator);
    this.whitespace = isWhitespace;
    this.indention = this.indention && isIndention;
    this.openEnded = false;
  }

  private increaseIndent(flow: boolean, indentless: boolean): void {
    this.indents.push(this.indent);
    if (this.indent < 0) {
      this.indent = flow ? this.bestIndent : 0;
    } else if (!indentless) {
      if (this.states[this.states.length - 1] === State.BlockSequenceItem) {
        // The first level inside a sequence item only skips the "- " indicator.
        this.indent += 2;
      } else {
        // Everything else aligns to the next multiple of the indentation.
        this.indent = this.bestIndent * Math.floor((this.indent + this.bestIndent) / this.bestIndent);
      }
    }
  }

  private popIndent(): void {
    this.indent = this.indents.pop()!;
  }

  private popState(): void {
    this.state = this.states.pop()!;
  }

  // --- comments ------------------------------------------------------------------------------

  private writeComment(comment: string): void {
    if (!BREAKS.test(comment)) {
      if (comment[0] !== '#') this.writeText('# ');
      this.writeText(comment);
      this.indention = false;
      this.putBreak();
      this.whitespace = true;
      return;
    }
    let breaks = false;
    let pound = false;
    for (const ch of comment) {
      if (isBreak(ch.codePointAt(0)!)) {
        this.writeBreak(ch);
        breaks = true;
        pound = false;
      } else {
        if (breaks) this.writeIndent();
        if (!pound) {
          if (ch !== '#') {
            this.put('#');
            this.put(' ');
          }
          pound = true;
        }
        this.writeChar(ch);
        this.indention = false;
        breaks = false;
      }
    }
    if (!breaks) this.putBreak();
    this.whitespace = true;
  }

  private processHeadComment(): void {
    if (this.tailComment) {
      this.writeIndent();
      this.writeComment(this.tailComment);
      this.tailComment = '';
      this.footIndent = Math.max(this.indent, 0);
    }
    if (!this.headComment) return;
    this.writeIndent();
    this.writeComment(this.headComment);
    this.headComment = '';
  }

  private processLineComment(linebreak = false): void {
    if (!this.lineComment) {
      if (linebreak) this.putBreak();
      return;
    }
    if (!this.whitespace) this.put(' ');
    this.writeComment(this.lineComment);
    this.lineComment = '';
  }

  private processFootComment(): void {
    if (!this.footComment) return;
    this.writeIndent();
    this.writeComment(this.footComment);
    this.footComment = '';
    this.footIndent = Math.max(this.indent, 0);
  }

  // --- documents -----------------------------------------------------------------------------

  private documentStart(event: YamlEvent, first: boolean): void {
    if (event.type === 'document-start') {
      const implicit = first ? event.implicit : false;
      if (!implicit) {
        this.writeIndent();
        this.writeIndicator('---', true, false, false);
        this.writeIndent();
      }
      if (this.headComment) {
        this.processHeadComment();
        this.putBreak();
      }
      this.state = State.DocumentContent;
      return;
    }
    if (event.type === 'stream-end') {
      if (this.openEnded) {
        this.writeIndicator('...', true, false, false);
        this.writeIndent();
      }
      this.state = State.End;
      return;
    }
    this.fail('expected DOCUMENT-START or STREAM-END');
  }

  private documentContent(event: YamlEvent): void {
    this.states.push(State.DocumentEnd);
    this.processHeadComment();
    this.emitNode(event, true, false, false);
    this.processLineComment();
    this.processFootComment();
  }

  private documentEnd(event: YamlEvent): void {
    if (event.type !== 'document-end') this.fail('expected DOCUMENT-END');
    // go-yaml forces a blank line between a document's foot comment and what follows.
    this.footIndent = 0;
    this.processFootComment();
    this.footIndent = -1;
    this.writeIndent();
    if (!event.implicit) {
      this.writeIndicator('...', true, false, false);
      this.writeIndent();
    }
    this.state = State.DocumentStart;
  }

  // --- flow collections (sops only writes empty ones: {} and []) -----------------------------

  private pendingComments(): boolean {
    return (this.lineComment + this.footComment + this.tailComment).length > 0;
  }

  private flowSequenceItem(event: YamlEvent, first: boolean, trail: boolean): void {
    if (first) {
      this.writeIndicator('[', true, true, false);
      this.increaseIndent(true, false);
      this.flowLevel++;
    }
    if (event.type === 'sequence-end') {
      this.flowLevel--;
      this.popIndent();
      if (this.column === 0) this.writeIndent();
      this.writeIndicator(']', false, false, false);
      this.processLineComment();
      this.processFootComment();
      this.popState();
      return;
    }
    if (!first && !trail) this.writeIndicator(',', false, false, false);
    this.processHeadComment();
    if (this.column === 0) this.writeIndent();
    this.states.push(this.pendingComments() ? State.FlowSequenceTrailItem : State.FlowSequenceItem);
    this.emitNode(event, false, false, false);
    if (this.pendingComments()) this.writeIndicator(',', false, false, false);
    this.processLineComment();
    this.processFootComment();
  }

  private flowMappingKey(event: YamlEvent, first: boolean, trail: boolean): void {
    if (first) {
      this.writeIndicator('{', true, true, false);
      this.increaseIndent(true, false);
      this.flowLevel++;
    }
    if (event.type === 'mapping-end') {
      if ((this.headComment + this.footComment + this.tailComment).length > 0 && !first && !trail) this.writeIndicator(',', false, false, false);
      this.processHeadComment();
      this.flowLevel--;
      this.popIndent();
      this.writeIndicator('}', false, false, false);
      this.processLineComment();
      this.processFootComment();
      this.popState();
      return;
    }
    if (!first && !trail) this.writeIndicator(',', false, false, false);
    this.processHeadComment();
    if (this.column === 0) this.writeIndent();
    if (this.checkSimpleKey()) {
      this.states.push(State.FlowMappingSimpleValue);
      this.emitNode(event, false, true, true);
      return;
    }
    this.writeIndicator('?', true, false, false);
    this.states.push(State.FlowMappingValue);
    this.emitNode(event, false, true, false);
  }

  private flowMappingValue(event: YamlEvent, simple: boolean): void {
    this.writeIndicator(':', !simple, false, false);
    this.states.push(this.pendingComments() ? State.FlowMappingTrailKey : State.FlowMappingKey);
    this.emitNode(event, false, true, false);
    if (this.pendingComments()) this.writeIndicator(',', false, false, false);
    this.processLineComment();
    this.processFootComment();
  }

  // --- block collections ---------------------------------------------------------------------

  private blockSequenceItem(event: YamlEvent, first: boolean): void {
    if (first) this.increaseIndent(false, false);
    if (event.type === 'sequence-end') {
      this.popIndent();
      this.popState();
      return;
    }
    this.processHeadComment();
    this.writeIndent();
    this.writeIndicator('-', true, false, true);
    this.states.push(State.BlockSequenceItem);
    this.emitNode(event, false, false, false);
    this.processLineComment();
    this.processFootComment();
  }

  private blockMappingKey(event: YamlEvent, first: boolean): void {
    if (first) this.increaseIndent(false, false);
    this.processHeadComment();
    if (event.type === 'mapping-end') {
      this.popIndent();
      this.popState();
      return;
    }
    this.writeIndent();
    if (this.lineComment) {
      // A line comment on a key is written after the value indicator (see blockMappingValue).
      this.keyLineComment = this.lineComment;
      this.lineComment = '';
    }
    if (this.checkSimpleKey()) {
      this.states.push(State.BlockMappingSimpleValue);
      this.emitNode(event, false, true, true);
      return;
    }
    this.writeIndicator('?', true, false, true);
    this.states.push(State.BlockMappingValue);
    this.emitNode(event, false, true, false);
  }

  private blockMappingValue(event: YamlEvent, simple: boolean): void {
    if (simple) {
      this.writeIndicator(':', false, false, false);
    } else {
      this.writeIndent();
      this.writeIndicator(':', true, false, true);
    }
    if (this.keyLineComment) {
      if (event.type === 'scalar') {
        if (!this.lineComment) {
          this.lineComment = this.keyLineComment;
          this.keyLineComment = '';
        }
      } else if ((event.type === 'mapping-start' || event.type === 'sequence-start') && !event.flow) {
        [this.lineComment, this.keyLineComment] = [this.keyLineComment, this.lineComment];
        this.processLineComment();
        [this.lineComment, this.keyLineComment] = [this.keyLineComment, this.lineComment];
      }
    }
    this.states.push(State.BlockMappingKey);
    this.emitNode(event, false, true, false);
    this.processLineComment();
    this.processFootComment();
  }

  // --- nodes ---------------------------------------------------------------------------------

  private emitNode(event: YamlEvent, root: boolean, mapping: boolean, simpleKey: boolean): void {
    this.rootContext = root;
    this.mappingContext = mapping;
    this.simpleKeyContext = simpleKey;
    switch (event.type) {
      case 'scalar':
        return this.emitScalar(event);
      case 'sequence-start':
        this.state = this.flowLevel > 0 || event.flow || this.nextIs('sequence-end') ? State.FlowSequenceFirstItem : State.BlockSequenceFirstItem;
        return;
      case 'mapping-start':
        this.state = this.flowLevel > 0 || event.flow || this.nextIs('mapping-end') ? State.FlowMappingFirstKey : State.BlockMappingFirstKey;
        return;
      default:
        this.fail(`expected SCALAR, SEQUENCE-START or MAPPING-START, got ${event.type}`);
    }
  }

  private nextIs(type: YamlEvent['type']): boolean {
    return this.events[this.head + 1]?.type === type;
  }

  private checkSimpleKey(): boolean {
    const event = this.events[this.head];
    if (event.type === 'scalar') {
      if (this.scalar!.multiline) return false;
      return utf8Length(event.value) <= 128;
    }
    if (event.type === 'sequence-start') return this.nextIs('sequence-end');
    if (event.type === 'mapping-start') return this.nextIs('mapping-end');
    return false;
  }

  private selectScalarStyle(requested: ScalarStyle): ScalarStyle {
    const scalar = this.scalar!;
    let style = requested;
    if (this.simpleKeyContext && scalar.multiline) style = 'double';
    if (style === 'plain') {
      if ((this.flowLevel > 0 && !scalar.flowPlainAllowed) || (this.flowLevel === 0 && !scalar.blockPlainAllowed)) style = 'single';
      if (scalar.value.length === 0 && (this.flowLevel > 0 || this.simpleKeyContext)) style = 'single';
    }
    if (style === 'single' && !scalar.singleQuotedAllowed) style = 'double';
    if (style === 'literal' && (!scalar.blockAllowed || this.flowLevel > 0 || this.simpleKeyContext)) style = 'double';
    return style;
  }

  private emitScalar(event: Extract<YamlEvent, { type: 'scalar' }>): void {
    const style = this.selectScalarStyle(event.style);
    this.increaseIndent(true, false);
    const allowBreaks = !this.simpleKeyContext;
    switch (style) {
      case 'plain':
        this.writePlain(event.value);
        break;
      case 'single':
        this.writeSingleQuoted(event.value, allowBreaks);
        break;
      case 'double':
        this.writeDoubleQuoted(event.value);
        break;
      case 'literal':
        this.writeLiteral(event.value);
        break;
    }
    this.popIndent();
    this.popState();
  }

  // --- scalar writers (the line width is unlimited, so nothing is folded) ----------------------

  private writePlain(value: string): void {
    if (value.length > 0 && !this.whitespace) this.put(' ');
    if (!BREAKS.test(value)) {
      if (value.length > 0) {
        this.writeText(value);
        this.indention = false;
      }
      this.finishPlain(value);
      return;
    }
    let breaks = false;
    for (const ch of value) {
      if (isBreak(ch.codePointAt(0)!)) {
        if (!breaks && ch === '\n') this.putBreak();
        this.writeBreak(ch);
        breaks = true;
      } else {
        if (breaks) this.writeIndent();
        this.writeChar(ch);
        this.indention = false;
        breaks = false;
      }
    }
    this.finishPlain(value);
  }

  private finishPlain(value: string): void {
    if (value.length > 0) this.whitespace = false;
    this.indention = false;
    if (this.rootContext) this.openEnded = true;
  }

  private writeSingleQuoted(value: string, allowBreaks: boolean): void {
    void allowBreaks;
    this.writeIndicator("'", true, false, false);
    if (!BREAKS.test(value)) {
      if (value.length > 0) {
        this.writeText(value.replace(/'/g, "''"));
        this.indention = false;
      }
      this.writeIndicator("'", false, false, false);
      this.whitespace = false;
      this.indention = false;
      return;
    }
    let breaks = false;
    for (const ch of value) {
      if (ch === ' ') {
        this.writeChar(ch);
      } else if (isBreak(ch.codePointAt(0)!)) {
        if (!breaks && ch === '\n') this.putBreak();
        this.writeBreak(ch);
        breaks = true;
      } else {
        if (breaks) this.writeIndent();
        if (ch === "'") this.put("'");
        this.writeChar(ch);
        this.indention = false;
        breaks = false;
      }
    }
    this.writeIndicator("'", false, false, false);
    this.whitespace = false;
    this.indention = false;
  }

  private writeDoubleQuoted(value: string): void {
    this.writeIndicator('"', true, false, false);
    // libyaml checks for a BOM at the start of the value, whatever the position.
    const escapeAll = value.charCodeAt(0) === 0xfeff;
    let text = '';
    for (const c of codePoints(value)) {
      if (escapeAll || !isPrintable(c) || isBreak(c) || c === 0x22 || c === 0x5c) text += '\\' + escapeOf(c);
      else text += String.fromCodePoint(c);
    }
    this.writeText(text);
    this.writeIndicator('"', false, false, false);
    this.whitespace = false;
    this.indention = false;
  }


  private writeBlockScalarHints(value: string): void {
    const first = value.codePointAt(0);
    if (first !== undefined && (first === 0x20 || isBreak(first))) this.writeIndicator(String(this.bestIndent), false, false, false);
    this.openEnded = false;
    let chomp = '';
    const chars = Array.from(value);
    if (chars.length === 0) {
      chomp = '-';
    } else if (!isBreak(chars[chars.length - 1].codePointAt(0)!)) {
      chomp = '-';
    } else if (chars.length === 1) {
      chomp = '+';
      this.openEnded = true;
    } else if (isBreak(chars[chars.length - 2].codePointAt(0)!)) {
      chomp = '+';
      this.openEnded = true;
    }
    if (chomp) this.writeIndicator(chomp, false, false, false);
  }

  private writeLiteral(value: string): void {
    this.writeIndicator('|', true, false, false);
    this.writeBlockScalarHints(value);
    this.processLineComment(true);
    this.whitespace = true;
    let breaks = true;
    for (const ch of value) {
      if (isBreak(ch.codePointAt(0)!)) {
        this.writeBreak(ch);
        breaks = true;
      } else {
        if (breaks) this.writeIndent();
        this.writeChar(ch);
        this.indention = false;
        breaks = false;
      }
    }
  }
}
