// Tolerant recursive-descent parser for Jinja templates: statements and expressions with exact
// spans, following Jinja2's parser (precedence, statement grammar, the errors it raises), but it
// never throws: each problem is recorded and parsing goes on. No I/O, no knowledge of variables.
import type {
  AssignedTarget,
  BinaryOperator,
  CallArguments,
  CompareOperand,
  CompareOperator,
  ConstExpr,
  ElseBranch,
  Expr,
  FilterExpr,
  IfNode,
  ForNode,
  ImportedName,
  Keyword,
  MacroParam,
  MissingExpr,
  NameExpr,
  ParsedTemplate,
  Span,
  Statement,
  Tag,
  TemplateProblem,
  TupleExpr,
  WithAssignment,
  SetBlockNode,
  MacroNode,
  CallBlockNode,
  FilterBlockNode,
  WithNode,
  BlockNode,
  AutoescapeNode,
  ProblemCode,
} from './ast';
import { lexTemplate } from './lexer';
import type { CodeSegment, Segment, Token } from './lexer';
import type { JinjaSyntax } from './syntax';

/**
 * Parses a whole template. Example: `parseTemplate('#% if x %#a#% endif %#', MAKEJINJA_CLUSTER_TEMPLATE_SYNTAX)`
 * gives one If node (test Name x, body [Text 'a']) and no problems; without the `endif` it gives
 * the same If with `closeTagSpan` undefined and an `unclosed-block` problem at `#% if x %#`.
 */
export function parseTemplate(text: string, syntax: JinjaSyntax): ParsedTemplate {
  const lexed = lexTemplate(text, syntax);
  const parser = new TemplateParser(text, syntax, lexed.problems);
  const body = parser.parse(lexed.segments);
  const problems = lexed.problems.slice().sort((a, b) => a.span.start - b.span.start);
  return { body, problems, tags: lexed.tags };
}

type BlockKeyword = 'if' | 'for' | 'set' | 'macro' | 'call' | 'filter' | 'with' | 'block' | 'autoescape';
type BlockStatementNode = IfNode | ForNode | SetBlockNode | MacroNode | CallBlockNode | FilterBlockNode | WithNode | BlockNode | AutoescapeNode;

interface OpenBlock {
  keyword: BlockKeyword;
  node: BlockStatementNode;
  /** Where statements inside go now (switches at elif/else). */
  body: Statement[];
  hasElse: boolean;
}

const END_KEYWORDS = new Set(['endif', 'endfor', 'endset', 'endmacro', 'endcall', 'endfilter', 'endwith', 'endblock', 'endautoescape', 'endraw']);
const RESERVED_CONSTANTS = new Set(['true', 'false', 'none', 'True', 'False', 'None']);
const COMPARE_OPERATORS = new Set(['==', '!=', '<', '<=', '>', '>=']);

class TemplateParser {
  private readonly root: Statement[] = [];
  private readonly stack: OpenBlock[] = [];
  private lineStarts: number[] | undefined;

  constructor(
    private readonly text: string,
    private readonly syntax: JinjaSyntax,
    private readonly problems: TemplateProblem[],
  ) {}

  parse(segments: Segment[]): Statement[] {
    for (const segment of segments) {
      switch (segment.kind) {
        case 'text':
          this.add({ kind: 'Text', span: segment.span });
          break;
        case 'comment':
          this.add({ kind: 'Comment', span: segment.tag.span, openTagSpan: segment.tag.span, openTag: segment.tag, textSpan: segment.textSpan });
          break;
        case 'raw':
          this.add({
            kind: 'Raw',
            span: { start: segment.openTag.span.start, end: (segment.closeTag ?? segment.openTag).span.end },
            openTagSpan: segment.openTag.span,
            openTag: segment.openTag,
            ...(segment.closeTag ? { closeTagSpan: segment.closeTag.span, closeTag: segment.closeTag } : {}),
            bodySpan: segment.bodySpan,
          });
          break;
        case 'code':
          if (segment.tag.kind === 'variable') this.parseOutput(segment);
          else this.parseStatementTag(segment);
          break;
      }
    }
    while (this.stack.length > 0) {
      const block = this.stack[this.stack.length - 1];
      this.report('unclosed-block', block.node.openTagSpan, `'${block.keyword}' block is not closed: expected '${this.endTagText(block)}'.`);
      this.closeUnclosed();
    }
    return this.root;
  }

  private add(node: Statement): void {
    const top = this.stack[this.stack.length - 1];
    (top ? top.body : this.root).push(node);
  }

  private report(code: ProblemCode, span: Span, message: string, related?: TemplateProblem['related']): void {
    this.problems.push(related ? { span, message, code, related } : { span, message, code });
  }

  private lineOf(offset: number): number {
    if (!this.lineStarts) {
      const starts = [0];
      const text = this.text;
      for (let i = 0; i < text.length; i++) {
        const code = text.charCodeAt(i);
        if (code === 10 || (code === 13 && text.charCodeAt(i + 1) !== 10)) starts.push(i + 1);
      }
      this.lineStarts = starts;
    }
    let low = 0;
    let high = this.lineStarts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (this.lineStarts[middle] <= offset) low = middle;
      else high = middle - 1;
    }
    return low + 1;
  }

  private endTagText(block: OpenBlock): string {
    const keyword = `end${block.keyword}`;
    if (block.node.openTag.kind === 'lineStatement' && this.syntax.lineStatementPrefix) return `${this.syntax.lineStatementPrefix} ${keyword}`;
    return `${this.syntax.blockStart} ${keyword} ${this.syntax.blockEnd}`;
  }

  // -- tags ----------------------------------------------------------------------------------

  private parseOutput(segment: CodeSegment): void {
    const tags = new TagParser(this.text, this.syntax, segment, this.problems);
    const expr = tags.parseTuple({ withCondexpr: true });
    tags.expectEnd();
    this.add({ kind: 'Output', span: segment.tag.span, openTagSpan: segment.tag.span, openTag: segment.tag, expr });
  }

  private parseStatementTag(segment: CodeSegment): void {
    const tags = new TagParser(this.text, this.syntax, segment, this.problems);
    const first = tags.peek();
    if (first.type !== 'name') {
      tags.fail(`Expected a statement name, got ${tags.describe(first)}.`);
      this.addInvalidTag(segment.tag);
      return;
    }
    const keyword = first.value;
    if (keyword === 'elif' || keyword === 'else' || END_KEYWORDS.has(keyword)) {
      this.parseMiddleOrEndTag(keyword, tags, segment);
      return;
    }
    tags.next();
    const tag = segment.tag;
    const single = { span: tag.span, openTagSpan: tag.span, openTag: tag };
    switch (keyword) {
      case 'if': {
        const test = tags.parseTuple({ withCondexpr: false });
        tags.expectBlockEnd();
        const node: IfNode = { kind: 'If', ...single, branches: [{ test, body: [], tagSpan: tag.span, tag }] };
        this.open('if', node, node.branches[0].body);
        return;
      }
      case 'for': {
        const target = tags.parseAssignTarget({ extraEndRules: ['in'] });
        tags.expectName('in');
        const iter = tags.parseTuple({ withCondexpr: false, extraEndRules: ['recursive'] });
        let filter: Expr | undefined;
        if (tags.isName('if')) {
          tags.next();
          filter = tags.parseExpression();
        }
        const recursive = tags.skipName('recursive');
        tags.expectBlockEnd();
        const node: ForNode = { kind: 'For', ...single, target, iter, recursive, body: [] };
        if (filter) node.filter = filter;
        this.open('for', node, node.body);
        return;
      }
      case 'set': {
        const target = tags.parseAssignTarget({ withNamespace: true });
        const targets = assignedTargets(target);
        if (tags.isOperator('=')) {
          tags.next();
          const value = tags.parseTuple({});
          tags.expectEnd();
          this.add({ kind: 'Set', ...single, target, targets, value });
          return;
        }
        // Without `=` this is a block set, but only when nothing else follows the target: a
        // stray token (`set x 1`) is a broken inline set, not the start of a block to the end of the file.
        if (segment.hasProblem || !(tags.isOperator('|') || tags.isOperator(':') || tags.atEnd())) {
          const missing = tags.missing();
          tags.fail(`Expected '=' or the end of the tag after the 'set' target, got ${tags.describe(tags.peek())}.`);
          this.add({ kind: 'Set', ...single, target, targets, value: missing });
          return;
        }
        const filter = tags.isOperator('|') ? tags.parseFilter(undefined, false) : undefined;
        tags.expectBlockEnd();
        const node: SetBlockNode = { kind: 'SetBlock', ...single, target, targets, body: [] };
        if (filter) node.filter = filter;
        this.open('set', node, node.body);
        return;
      }
      case 'macro': {
        const name = tags.parseAssignTarget({ nameOnly: true }) as NameExpr | MissingExpr;
        const params = tags.parseSignature();
        tags.expectBlockEnd();
        const node: MacroNode = { kind: 'Macro', ...single, name: name.kind === 'Name' ? name.name : '', nameSpan: name.span, params, body: [] };
        this.open('macro', node, node.body);
        return;
      }
      case 'call': {
        const params = tags.isOperator('(') ? tags.parseSignature() : [];
        const call = tags.parseExpression();
        if (call.kind !== 'Call' && call.kind !== 'Missing') tags.fail("Expected a macro call after 'call'.", call.span);
        tags.expectBlockEnd();
        const node: CallBlockNode = { kind: 'CallBlock', ...single, params, call, body: [] };
        this.open('call', node, node.body);
        return;
      }
      case 'filter': {
        const filter = tags.parseFilter(undefined, true);
        tags.expectBlockEnd();
        const node: FilterBlockNode = { kind: 'FilterBlock', ...single, filter, body: [] };
        this.open('filter', node, node.body);
        return;
      }
      case 'with': {
        const assignments: WithAssignment[] = [];
        while (!tags.atEnd()) {
          if (assignments.length > 0 && !tags.expectOperator(',')) break;
          const target = tags.parseAssignTarget({});
          tags.expectOperator('=');
          const value = tags.parseExpression();
          assignments.push({ target, targets: assignedTargets(target), value });
        }
        tags.expectBlockEnd();
        const node: WithNode = { kind: 'With', ...single, assignments, body: [] };
        this.open('with', node, node.body);
        return;
      }
      case 'block': {
        const nameToken = tags.peek();
        let name = '';
        let nameSpan: Span = { start: nameToken.start, end: nameToken.start };
        if (tags.expectName()) {
          name = nameToken.value;
          nameSpan = { start: nameToken.start, end: nameToken.end };
        }
        const scoped = tags.skipName('scoped');
        const required = tags.skipName('required');
        if (tags.isOperator('-')) tags.fail('Block names have to be valid identifiers and may not contain hyphens; use an underscore instead.');
        tags.expectBlockEnd();
        const node: BlockNode = { kind: 'Block', ...single, name, nameSpan, scoped, required, body: [] };
        this.open('block', node, node.body);
        return;
      }
      case 'autoescape': {
        const value = tags.parseExpression();
        tags.expectBlockEnd();
        const node: AutoescapeNode = { kind: 'Autoescape', ...single, value, body: [] };
        this.open('autoescape', node, node.body);
        return;
      }
      case 'extends': {
        const template = tags.parseExpression();
        tags.expectEnd();
        this.add({ kind: 'Extends', ...single, template });
        return;
      }
      case 'include': {
        const template = tags.parseExpression();
        let ignoreMissing = false;
        if (tags.isName('ignore') && tags.isName('missing', 1)) {
          tags.next();
          tags.next();
          ignoreMissing = true;
        }
        const withContext = tags.parseImportContext() ?? true;
        tags.expectEnd();
        this.add({ kind: 'Include', ...single, template, ignoreMissing, withContext });
        return;
      }
      case 'import': {
        const template = tags.parseExpression();
        tags.expectName('as');
        const alias = tags.parseAssignTarget({ nameOnly: true });
        const withContext = tags.parseImportContext() ?? false;
        tags.expectEnd();
        this.add({ kind: 'Import', ...single, template, alias: alias.kind === 'Name' ? alias.name : '', aliasSpan: alias.span, withContext });
        return;
      }
      case 'from': {
        const template = tags.parseExpression();
        tags.expectName('import');
        const { names, withContext } = tags.parseImportNames();
        tags.expectEnd();
        this.add({ kind: 'FromImport', ...single, template, names, withContext });
        return;
      }
      case 'print': {
        const exprs: Expr[] = [];
        while (!tags.atEnd()) {
          if (exprs.length > 0 && !tags.expectOperator(',')) break;
          exprs.push(tags.parseExpression());
        }
        tags.expectEnd();
        this.add({ kind: 'Print', ...single, exprs });
        return;
      }
      case 'do': {
        const expr = tags.parseTuple({});
        tags.expectEnd();
        this.add({ kind: 'Do', ...single, expr });
        return;
      }
      case 'continue':
      case 'break':
        tags.expectEnd();
        this.add({ kind: keyword === 'continue' ? 'Continue' : 'Break', ...single });
        return;
      default:
        if (!segment.hasProblem) {
          segment.hasProblem = true;
          this.report('unknown-tag', { start: first.start, end: first.end }, `Unknown statement '${keyword}'.`);
        }
        this.addInvalidTag(tag, first);
    }
  }

  private addInvalidTag(tag: Tag, keyword?: Token): void {
    this.add({
      kind: 'InvalidTag',
      span: tag.span,
      openTagSpan: tag.span,
      openTag: tag,
      keyword: keyword?.value ?? '',
      ...(keyword ? { keywordSpan: { start: keyword.start, end: keyword.end } } : {}),
    });
  }

  private open(keyword: BlockKeyword, node: BlockStatementNode, body: Statement[]): void {
    this.add(node);
    this.stack.push({ keyword, node, body, hasElse: false });
  }

  private accepts(block: OpenBlock, keyword: string): boolean {
    if (keyword === `end${block.keyword}`) return true;
    if (block.keyword === 'if') return (keyword === 'elif' || keyword === 'else') && !block.hasElse;
    if (block.keyword === 'for') return keyword === 'else' && !block.hasElse;
    return false;
  }

  /** `elif`, `else` and `end…` tags: find the block they belong to, recover when it is not the innermost. */
  private parseMiddleOrEndTag(keyword: string, tags: TagParser, segment: CodeSegment): void {
    const tag = segment.tag;
    const keywordToken = tags.next();
    let ownerIndex = -1;
    for (let i = this.stack.length - 1; i >= 0; i--) {
      if (this.accepts(this.stack[i], keyword)) {
        ownerIndex = i;
        break;
      }
    }
    const top = this.stack[this.stack.length - 1];
    if (ownerIndex === -1) {
      if (!END_KEYWORDS.has(keyword)) {
        const isAfterElse = top !== undefined && top.hasElse && (top.keyword === 'if' || keyword === 'else');
        const message = isAfterElse
          ? `'${keyword}' cannot follow the 'else' of the '${top.keyword}' block opened on line ${this.lineOf(top.node.openTagSpan.start)}.`
          : keyword === 'else'
            ? "'else' is only allowed inside an 'if' or 'for' block."
            : "'elif' is only allowed inside an 'if' block.";
        this.report('unexpected-tag', tag.span, message);
        this.addInvalidTag(tag, keywordToken);
        return;
      }
      // Raw blocks are matched by the lexer, so a stray `endraw` never closes anything.
      if (!top || keyword === 'endraw') {
        this.report('unexpected-end', tag.span, `'${keyword}' has no open '${keyword.slice(3)}' block to close.`);
        this.addInvalidTag(tag, keywordToken);
        return;
      }
      // A wrong end tag: taken as closing the innermost block, the likeliest intent.
      this.report(
        'mismatched-block',
        tag.span,
        `'${keyword}' cannot close the '${top.keyword}' block opened on line ${this.lineOf(top.node.openTagSpan.start)}: expected '${this.endTagText(top)}'.`,
        [{ span: top.node.openTagSpan, message: `'${top.keyword}' block opened here` }],
      );
      tags.expectEnd();
      this.closeWith(tag);
      return;
    }
    if (ownerIndex < this.stack.length - 1) {
      const owner = this.stack[ownerIndex];
      this.report(
        'mismatched-block',
        tag.span,
        `'${keyword}' belongs to the '${owner.keyword}' block opened on line ${this.lineOf(owner.node.openTagSpan.start)}, but the '${top.keyword}' block opened on line ${this.lineOf(top.node.openTagSpan.start)} is not closed: expected '${this.endTagText(top)}' first.`,
        [
          { span: top.node.openTagSpan, message: `'${top.keyword}' block opened here` },
          { span: owner.node.openTagSpan, message: `'${owner.keyword}' block opened here` },
        ],
      );
      this.closeUnclosed();
      while (this.stack.length - 1 > ownerIndex) {
        const inner = this.stack[this.stack.length - 1];
        this.report('unclosed-block', inner.node.openTagSpan, `'${inner.keyword}' block is not closed: expected '${this.endTagText(inner)}'.`);
        this.closeUnclosed();
      }
    }
    const owner = this.stack[this.stack.length - 1];
    if (keyword === 'elif') {
      const test = tags.parseTuple({ withCondexpr: false });
      tags.expectBlockEnd();
      const node = owner.node as IfNode;
      const branch = { test, body: [] as Statement[], tagSpan: tag.span, tag };
      node.branches.push(branch);
      owner.body = branch.body;
      return;
    }
    if (keyword === 'else') {
      tags.expectBlockEnd();
      const node = owner.node as IfNode | ForNode;
      const branch: ElseBranch = { body: [], tagSpan: tag.span, tag };
      node.else = branch;
      owner.body = branch.body;
      owner.hasElse = true;
      return;
    }
    if (owner.keyword === 'block') {
      const node = owner.node as BlockNode;
      if (node.name && tags.isName(node.name)) tags.next();
      if (node.required && !node.body.every((child) => child.kind === 'Comment' || (child.kind === 'Text' && this.text.slice(child.span.start, child.span.end).trim() === ''))) {
        tags.fail('Required blocks can only contain comments or whitespace.', { start: keywordToken.start, end: keywordToken.end });
      }
    }
    tags.expectEnd();
    this.closeWith(tag);
  }

  private closeWith(tag: Tag): void {
    const block = this.stack.pop();
    if (!block) return;
    block.node.closeTag = tag;
    block.node.closeTagSpan = tag.span;
    block.node.span = { start: block.node.span.start, end: tag.span.end };
  }

  /** Pops the innermost block without an end tag; its span then ends with its last content. */
  private closeUnclosed(): void {
    const block = this.stack.pop();
    if (!block) return;
    let end = block.node.openTagSpan.end;
    const node = block.node;
    const lastBody = node.kind === 'If' ? (node.else ?? node.branches[node.branches.length - 1]) : node.kind === 'For' && node.else ? node.else : undefined;
    if (lastBody && 'tagSpan' in lastBody) end = Math.max(end, lastBody.tagSpan.end);
    const last = block.body[block.body.length - 1];
    if (last) end = Math.max(end, last.span.end);
    node.span = { start: node.span.start, end };
  }
}

function assignedTargets(target: Expr): AssignedTarget[] {
  if (target.kind === 'Name' || target.kind === 'NsRef') return [target];
  if (target.kind === 'Tuple') return target.items.flatMap(assignedTargets);
  return [];
}

function isBinaryAtLevel(operator: string, level: number): boolean {
  switch (level) {
    case 0:
      return operator === '+' || operator === '-';
    case 1:
      return operator === '~';
    case 2:
      return operator === '*' || operator === '/' || operator === '//' || operator === '%';
    default:
      return operator === '**';
  }
}

function outerStart(expr: Expr): number {
  return expr.parenSpan ? expr.parenSpan.start : expr.span.start;
}

// ---------------------------------------------------------------------------------------------

interface TupleOptions {
  /** Items are primaries only (assignment targets). */
  simplified?: boolean;
  withCondexpr?: boolean;
  /** Names that end the tuple besides the tag end and `)`, e.g. `in` after a for target. */
  extraEndRules?: string[];
  explicitParentheses?: boolean;
}

/**
 * Expression parser over the tokens of one tag. After the first problem in a tag it reports no
 * more and jumps to the tag's end, so every later step sees the end and returns quickly; nodes
 * that could not be read become Missing (with an empty span) and the partial tree is kept.
 */
class TagParser {
  private index = 0;
  private readonly tokens: Token[];
  private readonly endToken: Token;
  /** End of the last consumed token: where a node that stops here ends. */
  private lastEnd: number;

  constructor(
    private readonly text: string,
    private readonly syntax: JinjaSyntax,
    private readonly segment: CodeSegment,
    private readonly problems: TemplateProblem[],
  ) {
    this.tokens = segment.tokens;
    this.endToken = { type: 'end', value: '', start: segment.contentEnd, end: segment.contentEnd };
    this.lastEnd = segment.contentStart;
  }

  // -- token access ----------------------------------------------------------------------------

  peek(ahead = 0): Token {
    return this.tokens[this.index + ahead] ?? this.endToken;
  }

  next(): Token {
    const token = this.peek();
    if (token !== this.endToken) {
      this.index++;
      this.lastEnd = token.end;
    }
    return token;
  }

  atEnd(): boolean {
    return this.index >= this.tokens.length;
  }

  isOperator(operator: string, ahead = 0): boolean {
    const token = this.peek(ahead);
    return token.type === 'operator' && token.value === operator;
  }

  isName(value?: string, ahead = 0): boolean {
    const token = this.peek(ahead);
    return token.type === 'name' && (value === undefined || token.value === value);
  }

  skipName(value: string): boolean {
    if (!this.isName(value)) return false;
    this.next();
    return true;
  }

  describe(token: Token): string {
    if (token.type === 'end') {
      if (this.segment.tag.kind === 'lineStatement') return 'the end of the line';
      return `'${this.segment.tag.kind === 'variable' ? this.syntax.variableEnd : this.syntax.blockEnd}'`;
    }
    const source = this.text.slice(token.start, token.end);
    return `'${source.length > 30 ? source.slice(0, 29) + '…' : source}'`;
  }

  /** Records a syntax problem (only the first of a tag) and skips to the tag's end. */
  fail(message: string, span?: Span): void {
    if (!this.segment.hasProblem) {
      this.segment.hasProblem = true;
      const token = this.peek();
      const at = span ?? (token.type === 'end' ? { start: token.start, end: Math.max(this.segment.tag.span.end, token.start) } : { start: token.start, end: token.end });
      this.problems.push({ span: at, message, code: 'syntax' });
    }
    this.index = this.tokens.length;
  }

  missing(): MissingExpr {
    const at = this.peek().start;
    return { kind: 'Missing', span: { start: at, end: at } };
  }

  expectOperator(operator: string): boolean {
    if (this.isOperator(operator)) {
      this.next();
      return true;
    }
    this.fail(`Expected '${operator}', got ${this.describe(this.peek())}.`);
    return false;
  }

  expectName(value?: string): boolean {
    if (this.isName(value)) {
      this.next();
      return true;
    }
    this.fail(`Expected ${value ? `'${value}'` : 'a name'}, got ${this.describe(this.peek())}.`);
    return false;
  }

  /** The tag must end here. */
  expectEnd(): void {
    if (!this.atEnd()) this.fail(`Expected the end of the tag (${this.describe(this.endToken)}), got ${this.describe(this.peek())}.`);
  }

  /** Header of a block statement: an optional `:` (as Jinja allows), then the tag end. */
  expectBlockEnd(): void {
    if (this.isOperator(':')) this.next();
    this.expectEnd();
  }

  // -- expressions (Jinja's precedence, lowest first) --------------------------------------------

  parseTuple(options: TupleOptions): Expr {
    return this.parseTupleDetailed(options).expr;
  }

  private parseTupleDetailed(options: TupleOptions): { expr: Expr; isNewTuple: boolean } {
    const withCondexpr = options.withCondexpr ?? true;
    const startToken = this.peek();
    const items: Expr[] = [];
    let isTuple = false;
    while (true) {
      if (items.length > 0 && !this.expectOperator(',')) break;
      if (this.isTupleEnd(options.extraEndRules)) break;
      items.push(options.simplified ? this.parsePrimary() : this.parseExpression(withCondexpr));
      if (this.isOperator(',')) isTuple = true;
      else break;
    }
    if (!isTuple) {
      if (items.length > 0) return { expr: items[0], isNewTuple: false };
      if (!options.explicitParentheses) {
        const missing = this.missing();
        this.fail(`Expected an expression, got ${this.describe(this.peek())}.`);
        return { expr: missing, isNewTuple: false };
      }
    }
    const start = items.length > 0 ? outerStart(items[0]) : startToken.start;
    const tuple: TupleExpr = { kind: 'Tuple', items, span: { start, end: Math.max(start, this.lastEnd) } };
    return { expr: tuple, isNewTuple: true };
  }

  private isTupleEnd(extraEndRules?: string[]): boolean {
    const token = this.peek();
    if (token.type === 'end' || (token.type === 'operator' && token.value === ')')) return true;
    return extraEndRules !== undefined && token.type === 'name' && extraEndRules.includes(token.value);
  }

  parseExpression(withCondexpr = true): Expr {
    return withCondexpr ? this.parseCondexpr() : this.parseOr();
  }

  private spanFrom(start: number): Span {
    return { start, end: Math.max(start, this.lastEnd) };
  }

  private parseCondexpr(): Expr {
    let expr1 = this.parseOr();
    while (this.isName('if')) {
      this.next();
      const test = this.parseOr();
      let expr2: Expr | undefined;
      if (this.isName('else')) {
        this.next();
        expr2 = this.parseCondexpr();
      }
      const start = outerStart(expr1);
      expr1 = expr2 ? { kind: 'CondExpr', test, expr1, expr2, span: this.spanFrom(start) } : { kind: 'CondExpr', test, expr1, span: this.spanFrom(start) };
    }
    return expr1;
  }

  private parseOr(): Expr {
    let left = this.parseAnd();
    while (this.isName('or')) {
      this.next();
      const right = this.parseAnd();
      left = { kind: 'Or', left, right, span: this.spanFrom(outerStart(left)) };
    }
    return left;
  }

  private parseAnd(): Expr {
    let left = this.parseNot();
    while (this.isName('and')) {
      this.next();
      const right = this.parseNot();
      left = { kind: 'And', left, right, span: this.spanFrom(outerStart(left)) };
    }
    return left;
  }

  private parseNot(): Expr {
    if (this.isName('not')) {
      const token = this.next();
      const operand = this.parseNot();
      return { kind: 'UnaryOp', op: 'not', operand, span: this.spanFrom(token.start) };
    }
    return this.parseCompare();
  }

  private parseCompare(): Expr {
    const expr = this.parseMath1();
    const ops: CompareOperand[] = [];
    while (true) {
      const token = this.peek();
      let op: CompareOperator;
      let opSpan: Span;
      if (token.type === 'operator' && COMPARE_OPERATORS.has(token.value)) {
        this.next();
        op = token.value as CompareOperator;
        opSpan = { start: token.start, end: token.end };
      } else if (this.isName('in')) {
        this.next();
        op = 'in';
        opSpan = { start: token.start, end: token.end };
      } else if (this.isName('not') && this.isName('in', 1)) {
        this.next();
        const inToken = this.next();
        op = 'not in';
        opSpan = { start: token.start, end: inToken.end };
      } else {
        break;
      }
      ops.push({ op, opSpan, expr: this.parseMath1() });
    }
    if (ops.length === 0) return expr;
    return { kind: 'Compare', expr, ops, span: this.spanFrom(outerStart(expr)) };
  }

  // Binary levels, loosest first: + -, then ~, then * / // %, then **. Each is left-associative,
  // `**` included (Jinja's parse_pow loops like the others).
  private parseMath1(): Expr {
    return this.parseBinaryLevel(0);
  }

  private parseBinaryLevel(level: number): Expr {
    let left = level === 3 ? this.parseUnary(true) : this.parseBinaryLevel(level + 1);
    while (true) {
      const token = this.peek();
      if (token.type !== 'operator' || !isBinaryAtLevel(token.value, level)) return left;
      this.next();
      const right = level === 3 ? this.parseUnary(true) : this.parseBinaryLevel(level + 1);
      left = { kind: 'BinOp', op: token.value as BinaryOperator, left, right, opSpan: { start: token.start, end: token.end }, span: this.spanFrom(outerStart(left)) };
    }
  }

  private parseUnary(withFilter: boolean): Expr {
    const token = this.peek();
    let node: Expr;
    if (token.type === 'operator' && (token.value === '-' || token.value === '+')) {
      this.next();
      const operand = this.parseUnary(false);
      node = { kind: 'UnaryOp', op: token.value as '-' | '+', operand, span: this.spanFrom(token.start) };
    } else {
      node = this.parsePrimary();
    }
    node = this.parsePostfix(node);
    if (withFilter) node = this.parseFilterExpr(node);
    return node;
  }

  private parsePrimary(): Expr {
    const token = this.peek();
    const span = { start: token.start, end: token.end };
    switch (token.type) {
      case 'name': {
        this.next();
        const raw = token.value;
        if (raw === 'true' || raw === 'false' || raw === 'True' || raw === 'False') return { kind: 'Const', type: 'bool', value: raw === 'true' || raw === 'True', raw, span };
        if (raw === 'none' || raw === 'None') return { kind: 'Const', type: 'none', value: null, raw, span };
        return { kind: 'Name', name: raw, span };
      }
      case 'string': {
        // Adjacent literals are one string, as in Python.
        let value = token.value;
        this.next();
        while (this.peek().type === 'string') value += this.next().value;
        const joined: ConstExpr = { kind: 'Const', type: 'string', value, raw: this.text.slice(token.start, this.lastEnd), span: { start: token.start, end: this.lastEnd } };
        return joined;
      }
      case 'integer':
      case 'float':
        this.next();
        return { kind: 'Const', type: 'number', value: Number(token.value.replace(/_/g, '')), raw: token.value, span };
      case 'operator':
        if (token.value === '(') {
          this.next();
          const { expr, isNewTuple } = this.parseTupleDetailed({ explicitParentheses: true });
          this.expectOperator(')');
          const parenSpan = this.spanFrom(token.start);
          if (isNewTuple) expr.span = parenSpan;
          else if (expr.kind !== 'Missing') expr.parenSpan = parenSpan;
          return expr;
        }
        if (token.value === '[') return this.parseList();
        if (token.value === '{') return this.parseDict();
        break;
    }
    const missing = this.missing();
    this.fail(`Expected an expression, got ${this.describe(token)}.`);
    return missing;
  }

  private parseList(): Expr {
    const open = this.next();
    const items: Expr[] = [];
    while (!this.isOperator(']') && !this.atEnd()) {
      if (items.length > 0 && !this.expectOperator(',')) break;
      if (this.isOperator(']')) break;
      items.push(this.parseExpression());
    }
    this.expectOperator(']');
    return { kind: 'List', items, span: this.spanFrom(open.start) };
  }

  private parseDict(): Expr {
    const open = this.next();
    const items: { key: Expr; value: Expr; span: Span }[] = [];
    while (!this.isOperator('}') && !this.atEnd()) {
      if (items.length > 0 && !this.expectOperator(',')) break;
      if (this.isOperator('}')) break;
      const key = this.parseExpression();
      this.expectOperator(':');
      const value = this.parseExpression();
      items.push({ key, value, span: this.spanFrom(outerStart(key)) });
    }
    this.expectOperator('}');
    return { kind: 'Dict', items, span: this.spanFrom(open.start) };
  }

  private parsePostfix(node: Expr): Expr {
    while (true) {
      if (this.isOperator('.') || this.isOperator('[')) node = this.parseSubscript(node);
      else if (this.isOperator('(')) node = this.parseCall(node);
      else return node;
    }
  }

  private parseFilterExpr(node: Expr): Expr {
    while (true) {
      if (this.isOperator('|')) node = this.parseFilter(node, false);
      else if (this.isName('is')) node = this.parseTest(node);
      else if (this.isOperator('(')) node = this.parseCall(node);
      else return node;
    }
  }

  private parseSubscript(node: Expr): Expr {
    const start = outerStart(node);
    const token = this.next();
    if (token.value === '.') {
      const attr = this.peek();
      if (attr.type === 'name') {
        this.next();
        return { kind: 'Getattr', node, attr: attr.value, attrSpan: { start: attr.start, end: attr.end }, span: this.spanFrom(start) };
      }
      if (attr.type === 'integer') {
        this.next();
        const arg: ConstExpr = { kind: 'Const', type: 'number', value: Number(attr.value.replace(/_/g, '')), raw: attr.value, span: { start: attr.start, end: attr.end } };
        return { kind: 'Getitem', node, arg, span: this.spanFrom(start) };
      }
      const partial: Expr = { kind: 'Getattr', node, attr: '', attrSpan: { start: attr.start, end: attr.start }, span: this.spanFrom(start) };
      this.fail(`Expected an attribute name after '.', got ${this.describe(attr)}.`);
      return partial;
    }
    const args: Expr[] = [];
    while (!this.isOperator(']') && !this.atEnd()) {
      if (args.length > 0 && !this.expectOperator(',')) break;
      args.push(this.parseSubscribed());
    }
    this.expectOperator(']');
    let arg: Expr;
    if (args.length === 1) arg = args[0];
    else {
      const tupleStart = args.length > 0 ? outerStart(args[0]) : token.end;
      const tupleEnd = args.length > 0 ? args[args.length - 1].span.end : token.end;
      arg = { kind: 'Tuple', items: args, span: { start: tupleStart, end: tupleEnd } };
    }
    return { kind: 'Getitem', node, arg, span: this.spanFrom(start) };
  }

  private parseSubscribed(): Expr {
    const start = this.peek().start;
    const parts: (Expr | undefined)[] = [];
    if (this.isOperator(':')) {
      this.next();
      parts.push(undefined);
    } else {
      const node = this.parseExpression();
      if (!this.isOperator(':')) return node;
      this.next();
      parts.push(node);
    }
    if (this.isOperator(':')) parts.push(undefined);
    else if (!this.isOperator(']') && !this.isOperator(',')) parts.push(this.parseExpression());
    else parts.push(undefined);
    if (this.isOperator(':')) {
      this.next();
      parts.push(!this.isOperator(']') && !this.isOperator(',') ? this.parseExpression() : undefined);
    } else {
      parts.push(undefined);
    }
    const slice: Expr = { kind: 'Slice', span: this.spanFrom(start) };
    if (parts[0]) slice.start = parts[0];
    if (parts[1]) slice.stop = parts[1];
    if (parts[2]) slice.step = parts[2];
    return slice;
  }

  private parseCallArguments(): CallArguments {
    const open = this.next();
    const result: CallArguments = { args: [], kwargs: [] };
    let requireComma = false;
    const ensure = (isValid: boolean) => {
      if (!isValid) this.fail('Invalid call syntax: positional arguments must come before keyword arguments, and *args before **kwargs.');
    };
    while (!this.isOperator(')') && !this.atEnd()) {
      if (requireComma) {
        if (!this.expectOperator(',')) break;
        if (this.isOperator(')')) break;
      }
      if (this.isOperator('*')) {
        ensure(result.dynArgs === undefined && result.dynKwargs === undefined);
        this.next();
        result.dynArgs = this.parseExpression();
      } else if (this.isOperator('**')) {
        ensure(result.dynKwargs === undefined);
        this.next();
        result.dynKwargs = this.parseExpression();
      } else if (this.isName() && this.isOperator('=', 1)) {
        ensure(result.dynKwargs === undefined);
        const name = this.next();
        this.next();
        const value = this.parseExpression();
        const keyword: Keyword = { name: name.value, nameSpan: { start: name.start, end: name.end }, value, span: this.spanFrom(name.start) };
        result.kwargs.push(keyword);
      } else {
        ensure(result.dynArgs === undefined && result.dynKwargs === undefined && result.kwargs.length === 0);
        result.args.push(this.parseExpression());
      }
      requireComma = true;
    }
    this.expectOperator(')');
    result.argsSpan = this.spanFrom(open.start);
    return result;
  }

  private parseCall(node: Expr): Expr {
    const start = outerStart(node);
    const callArguments = this.parseCallArguments();
    return { kind: 'Call', node, ...callArguments, span: this.spanFrom(start) };
  }

  /** `| name(args)` chains; with `startInline` the first filter has no `|` (filter block header). */
  parseFilter(node: Expr | undefined, startInline: boolean): FilterExpr {
    let result: FilterExpr | undefined;
    let current = node;
    while (this.isOperator('|') || startInline) {
      const pipe = startInline ? undefined : this.next();
      startInline = false;
      const start = current ? outerStart(current) : (pipe?.start ?? this.peek().start);
      const nameToken = this.peek();
      if (nameToken.type !== 'name') {
        result = { kind: 'Filter', name: '', nameSpan: { start: nameToken.start, end: nameToken.start }, args: [], kwargs: [], span: this.spanFrom(start) };
        if (current) result.node = current;
        this.fail(`Expected a filter name${pipe ? " after '|'" : ''}, got ${this.describe(nameToken)}.`);
        return result;
      }
      this.next();
      const name = this.parseDottedName(nameToken);
      const callArguments: CallArguments = this.isOperator('(') ? this.parseCallArguments() : { args: [], kwargs: [] };
      result = { kind: 'Filter', name: name.name, nameSpan: name.span, ...callArguments, span: this.spanFrom(current ? start : nameToken.start) };
      if (current) result.node = current;
      current = result;
    }
    // Only reachable with a `|` or startInline, so a filter was made.
    return result as FilterExpr;
  }

  /** Filter and test names may be dotted (`a.b`); Jinja keeps them as one name. */
  private parseDottedName(first: Token): { name: string; span: Span } {
    let name = first.value;
    let end = first.end;
    while (this.isOperator('.')) {
      this.next();
      const part = this.peek();
      if (part.type !== 'name') {
        this.fail(`Expected a name after '.', got ${this.describe(part)}.`);
        break;
      }
      this.next();
      name += '.' + part.value;
      end = part.end;
    }
    return { name, span: { start: first.start, end } };
  }

  private parseTest(node: Expr): Expr {
    const start = outerStart(node);
    this.next();
    const negated = this.skipName('not');
    const nameToken = this.peek();
    if (nameToken.type !== 'name') {
      const partial: Expr = { kind: 'Test', node, name: '', nameSpan: { start: nameToken.start, end: nameToken.start }, negated, args: [], kwargs: [], span: this.spanFrom(start) };
      this.fail(`Expected a test name after 'is', got ${this.describe(nameToken)}.`);
      return partial;
    }
    this.next();
    const name = this.parseDottedName(nameToken);
    let callArguments: CallArguments = { args: [], kwargs: [] };
    const following = this.peek();
    if (this.isOperator('(')) {
      callArguments = this.parseCallArguments();
    } else if (
      (following.type === 'name' || following.type === 'string' || following.type === 'integer' || following.type === 'float' || this.isOperator('[') || this.isOperator('{')) &&
      !(following.type === 'name' && (following.value === 'else' || following.value === 'or' || following.value === 'and'))
    ) {
      // One argument without parentheses: `x is divisibleby 3`.
      if (this.isName('is')) this.fail('Tests cannot be chained with a second `is`.');
      const argument = this.parsePostfix(this.parsePrimary());
      callArguments = { args: [argument], kwargs: [] };
    }
    return { kind: 'Test', node, name: name.name, nameSpan: name.span, negated, ...callArguments, span: this.spanFrom(start) };
  }

  // -- statement pieces ------------------------------------------------------------------------

  parseAssignTarget(options: { nameOnly?: boolean; extraEndRules?: string[]; withNamespace?: boolean }): Expr {
    let target: Expr;
    if (options.withNamespace && this.isName() && this.isOperator('.', 1)) {
      const name = this.next();
      this.next();
      const attr = this.peek();
      if (attr.type !== 'name') {
        const partial: Expr = { kind: 'NsRef', name: name.value, nameSpan: { start: name.start, end: name.end }, attr: '', attrSpan: { start: attr.start, end: attr.start }, span: this.spanFrom(name.start) };
        this.fail(`Expected an attribute name after '.', got ${this.describe(attr)}.`);
        return partial;
      }
      this.next();
      return { kind: 'NsRef', name: name.value, nameSpan: { start: name.start, end: name.end }, attr: attr.value, attrSpan: { start: attr.start, end: attr.end }, span: this.spanFrom(name.start) };
    }
    if (options.nameOnly) {
      const token = this.peek();
      if (token.type !== 'name') {
        const missing = this.missing();
        this.fail(`Expected a name, got ${this.describe(token)}.`);
        return missing;
      }
      this.next();
      target = { kind: 'Name', name: token.value, span: { start: token.start, end: token.end } };
    } else {
      target = this.parseTuple({ simplified: true, extraEndRules: options.extraEndRules });
    }
    const invalid = findUnassignable(target);
    if (invalid) this.fail(`Cannot assign to ${describeUnassignable(invalid)}.`, invalid.span);
    return target;
  }

  parseSignature(): MacroParam[] {
    const params: MacroParam[] = [];
    if (!this.expectOperator('(')) return params;
    let hasDefaults = false;
    while (!this.isOperator(')') && !this.atEnd()) {
      if (params.length > 0 && !this.expectOperator(',')) break;
      const name = this.parseAssignTarget({ nameOnly: true });
      if (name.kind !== 'Name') break;
      const param: MacroParam = { name: name.name, nameSpan: name.span, span: name.span };
      if (this.isOperator('=')) {
        this.next();
        param.default = this.parseExpression();
        param.span = this.spanFrom(name.span.start);
        hasDefaults = true;
      } else if (hasDefaults) {
        this.fail('A parameter without a default cannot follow one with a default.', name.span);
      }
      params.push(param);
    }
    this.expectOperator(')');
    return params;
  }

  /** `with context` / `without context`; undefined when not written. */
  parseImportContext(): boolean | undefined {
    if ((this.isName('with') || this.isName('without')) && this.isName('context', 1)) {
      const isWith = this.next().value === 'with';
      this.next();
      return isWith;
    }
    return undefined;
  }

  parseImportNames(): { names: ImportedName[]; withContext: boolean } {
    const names: ImportedName[] = [];
    let withContext: boolean | undefined;
    while (true) {
      if (names.length > 0 && !this.expectOperator(',')) break;
      if (!this.isName()) {
        this.expectName();
        break;
      }
      withContext = this.parseImportContext();
      if (withContext !== undefined) break;
      const name = this.parseAssignTarget({ nameOnly: true });
      if (name.kind !== 'Name') break;
      if (name.name.startsWith('_')) this.fail('Names starting with an underscore cannot be imported.', name.span);
      const imported: ImportedName = { name: name.name, nameSpan: name.span };
      if (this.skipName('as')) {
        const alias = this.parseAssignTarget({ nameOnly: true });
        if (alias.kind === 'Name') {
          imported.alias = alias.name;
          imported.aliasSpan = alias.span;
        }
      }
      names.push(imported);
      withContext = this.parseImportContext();
      if (withContext !== undefined || !this.isOperator(',')) break;
    }
    return { names, withContext: withContext ?? false };
  }
}

/** The part of an assignment target Jinja refuses (`can't assign to ...`), if any. */
function findUnassignable(target: Expr): Expr | undefined {
  if (target.kind === 'Name') return RESERVED_CONSTANTS.has(target.name) ? target : undefined;
  if (target.kind === 'NsRef' || target.kind === 'Missing') return undefined;
  if (target.kind === 'Tuple') {
    for (const item of target.items) {
      const invalid = findUnassignable(item);
      if (invalid) return invalid;
    }
    return undefined;
  }
  return target;
}

function describeUnassignable(expr: Expr): string {
  if (expr.kind === 'Const' || expr.kind === 'Name') return `the constant '${expr.kind === 'Const' ? expr.raw : expr.name}'`;
  return `a ${expr.kind.toLowerCase()} expression`;
}
