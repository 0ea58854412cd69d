// Completion inside template tags: variables, locals and functions where an expression goes,
// filters after `|`, tests after `is`, attributes after `.`, statement keywords (with snippets that
// close the block) after the block delimiter, template names in include/import strings.
// Works on the tolerant parse of the text as typed; never shows a secret value.
import { CompletionItem, CompletionItemKind, InsertTextFormat, MarkupKind, Range, TextEdit } from 'vscode-languageserver-types';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { Expr, Node, ParsedTemplate, Span, Statement } from './ast';
import type { CallableInfo, TemplateContext } from './templateContext';
import {
  assignmentTargets,
  attributeMarkdown,
  attributesOf,
  attributeValuesText,
  callableMarkdown,
  codeTagAt,
  localDetail,
  localMarkdown,
  LocalScopes,
  namesTemplates,
  shapeOf,
  sourceLabel,
  variableDetail,
  variableMarkdown,
  type TagContent,
} from './templateLookup';
import { childrenOf, isStatement, nodeAtOffset, walkNodes } from './walk';

/** Where the expression being typed sits, as the parser left it. */
type Slot =
  | { kind: 'variable'; span: Span }
  | { kind: 'attribute'; span: Span; object: Expr }
  | { kind: 'filter'; span: Span }
  | { kind: 'test'; span: Span }
  /** The template operand of include/import/from/extends, not yet quoted. */
  | { kind: 'template'; span: Span }
  /** A name being defined (for target, set target): nothing to offer. */
  | { kind: 'definition'; span: Span };

const IDENTIFIER_CHAR = /[\p{ID_Continue}]/u;
const IDENTIFIER = /^[\p{ID_Start}_][\p{ID_Continue}]*$/u;

/**
 * Completion items at `offset`. Example: in `#{ node_ci¦ }#` the list holds `node_cidr` with its
 * value as detail; in `#{ x | ¦ }#` the filters; in `#% ¦` the keywords, `if` inserting
 * `#% if ${1:condition} %#` + newline + `$0` + newline + `#% endif %#`.
 */
export function computeTemplateCompletion(document: TextDocument, offset: number, parsed: ParsedTemplate, ctx: TemplateContext): CompletionItem[] {
  const text = document.getText();
  const content = codeTagAt(parsed, offset, ctx.syntax);
  if (!content) return [];
  const statements = statementsAround(parsed, content);
  const statement = statements.find((s) => 'openTagSpan' in s && s.openTagSpan.start === content.tag.span.start);

  const quoteStart = openStringAt(text, content.start, offset);
  if (quoteStart !== undefined) {
    if (!namesTemplates(statement)) return [];
    const close = text.indexOf(text[quoteStart], offset);
    const lineEnd = text.indexOf('\n', offset);
    const end = close >= 0 && close <= content.end && (lineEnd < 0 || close < lineEnd) ? close : offset;
    return templateNameItems(document, { start: quoteStart + 1, end }, ctx, false);
  }

  if ((content.tag.kind === 'block' || content.tag.kind === 'lineStatement') && /^\s*[\p{ID_Continue}]*$/u.test(text.slice(content.start, offset))) {
    return keywordItems(document, offset, parsed, ctx, content);
  }

  const wordStart = wordStartOf(text, offset, content.start);
  const slot = slotAt(text, offset, content, statements);
  if (!slot || slot.kind === 'definition') return [];
  const range = Range.create(document.positionAt(wordStart), document.positionAt(offset));
  const hasParenAfter = text[offset] === '(';
  // scopesAt reads an offset at the very end of an unterminated `#% for x in ` as inside the
  // block's body; the cursor is still in the tag, so look one character earlier.
  const scopeOffset = !content.tag.isTerminated && offset === content.tag.span.end && offset > content.start ? offset - 1 : offset;
  switch (slot.kind) {
    case 'variable':
      return variableItems(document, scopeOffset, parsed, ctx, range, hasParenAfter);
    case 'filter':
      return callableItems(ctx.filters.values(), range, hasParenAfter);
    case 'test':
      return callableItems(ctx.tests.values(), range, hasParenAfter);
    case 'attribute':
      return attributeItems(document, scopeOffset, parsed, ctx, slot.object, range);
    case 'template':
      return templateNameItems(document, { start: wordStart, end: offset }, ctx, true);
  }
}

/** The statements whose span reaches the tag: the tag's own and the blocks around it. */
function statementsAround(parsed: ParsedTemplate, content: TagContent): Statement[] {
  const found: Statement[] = [];
  walkNodes(parsed.body, (node) => {
    if (!isStatement(node)) return false;
    if (node.span.start > content.tag.span.end || node.span.end < content.tag.span.start) return false;
    found.push(node);
    return true;
  });
  return found;
}

/** Where a string literal opened before `offset` is still open, its quote's offset; else undefined. */
function openStringAt(text: string, from: number, offset: number): number | undefined {
  let quote: number | undefined;
  for (let i = from; i < offset; i++) {
    const c = text[i];
    if (quote !== undefined) {
      if (c === '\\') i++;
      else if (c === text[quote]) quote = undefined;
    } else if (c === '"' || c === "'") quote = i;
  }
  return quote;
}

function wordStartOf(text: string, offset: number, limit: number): number {
  let start = offset;
  while (start > limit && IDENTIFIER_CHAR.test(text[start - 1])) start--;
  return start;
}

function isBlank(text: string, a: number, b: number): boolean {
  return /^\s*$/.test(text.slice(Math.min(a, b), Math.max(a, b)));
}

/**
 * The slot the cursor is typing into. A slot the parser left empty (a Missing expression, an empty
 * filter or attribute name) sits at the next token, so a cursor separated from it by spaces only
 * is typing into it too.
 */
function slotAt(text: string, offset: number, content: TagContent, statements: Statement[]): Slot | undefined {
  const targets = assignmentTargets(statements);
  const own = statements.find((s) => 'openTagSpan' in s && s.openTagSpan.start === content.tag.span.start);
  const templateOperand = namesTemplates(own) ? own.template : undefined;
  const slots: Slot[] = [];
  const inTag = (span: Span) => span.start >= content.start && span.end <= content.end;
  const visit = (node: Node): void => {
    if (targets.has(node)) {
      if (inTag(node.span)) slots.push({ kind: 'definition', span: node.span });
      return;
    }
    switch (node.kind) {
      case 'Name':
        if (inTag(node.span)) slots.push({ kind: 'variable', span: node.span });
        break;
      case 'Missing':
        if (inTag(node.span)) slots.push({ kind: node === templateOperand ? 'template' : 'variable', span: node.span });
        break;
      case 'Getattr':
        if (inTag(node.attrSpan)) slots.push({ kind: 'attribute', span: node.attrSpan, object: node.node });
        break;
      case 'Filter':
      case 'Test':
        if (inTag(node.nameSpan)) slots.push({ kind: node.kind === 'Filter' ? 'filter' : 'test', span: node.nameSpan });
        break;
    }
    for (const child of childrenOf(node)) if (!isStatement(child)) visit(child);
  };
  for (const statement of statements) for (const child of childrenOf(statement)) if (!isStatement(child)) visit(child);

  const containing = slots.find((slot) => slot.span.start < slot.span.end && slot.span.start <= offset && offset <= slot.span.end);
  if (containing) return containing;
  const wordStart = wordStartOf(text, offset, content.start);
  if (wordStart < offset) return undefined;
  // Source order: where a target and a value are both missing (`#% set ¦`), the target comes first.
  return slots.find((slot) => slot.span.start === slot.span.end && isBlank(text, offset, slot.span.start));
}

function markdown(value: string) {
  return { kind: MarkupKind.Markdown, value };
}

function callSnippet(name: string, hasParenAfter: boolean, needsArguments: boolean): Pick<CompletionItem, 'insertTextFormat'> & { newText: string } {
  if (hasParenAfter || !needsArguments) return { newText: name };
  return { newText: `${name}($1)`, insertTextFormat: InsertTextFormat.Snippet };
}

function variableItems(document: TextDocument, offset: number, parsed: ParsedTemplate, ctx: TemplateContext, range: Range, hasParenAfter: boolean): CompletionItem[] {
  const scopes = new LocalScopes(parsed);
  const items: CompletionItem[] = [];
  const seen = new Set<string>();
  for (const local of scopes.at(offset).values()) {
    seen.add(local.name);
    const isMacro = local.kind === 'macro';
    const insert = isMacro ? callSnippet(local.name, hasParenAfter, true) : { newText: local.name };
    items.push({
      label: local.name,
      kind: isMacro ? CompletionItemKind.Function : local.kind === 'import' ? CompletionItemKind.Module : CompletionItemKind.Variable,
      detail: localDetail(local, document),
      documentation: markdown(localMarkdown(local, document, ctx, scopes)),
      sortText: `0-${local.name}`,
      textEdit: TextEdit.replace(range, insert.newText),
      insertTextFormat: insert.insertTextFormat,
    });
  }
  for (const variable of ctx.variables.values()) {
    if (seen.has(variable.name)) continue;
    seen.add(variable.name);
    const group = variable.hasValue ? 1 : variable.source === 'plugin.py' ? 2 : variable.source === 'schema' ? 4 : 5;
    items.push({
      label: variable.name,
      labelDetails: { description: sourceLabel(variable) },
      kind: CompletionItemKind.Variable,
      detail: variableDetail(variable),
      documentation: markdown(variableMarkdown(variable)),
      sortText: `${group}-${variable.name}`,
      textEdit: TextEdit.replace(range, variable.name),
    });
  }
  for (const info of ctx.functions.values()) {
    if (seen.has(info.name)) continue;
    const insert = callSnippet(info.name, hasParenAfter, true);
    items.push({
      label: info.name,
      labelDetails: { description: info.origin === 'plugin' ? 'plugin.py' : info.origin },
      kind: CompletionItemKind.Function,
      detail: info.signature,
      documentation: markdown(callableMarkdown(info)),
      sortText: `3-${info.name}`,
      textEdit: TextEdit.replace(range, insert.newText),
      insertTextFormat: insert.insertTextFormat,
    });
  }
  return items;
}

function callableItems(infos: Iterable<CallableInfo>, range: Range, hasParenAfter: boolean): CompletionItem[] {
  const items: CompletionItem[] = [];
  for (const info of infos) {
    // Tests registered under operators (`==`, `<`) are only usable by name in select/reject.
    if (!IDENTIFIER.test(info.name)) continue;
    const insert = callSnippet(info.name, hasParenAfter, (info.minArgs ?? 0) > 0);
    items.push({
      label: info.name,
      labelDetails: info.origin === 'plugin' ? { description: 'plugin.py' } : undefined,
      kind: CompletionItemKind.Function,
      detail: info.signature,
      documentation: markdown(callableMarkdown(info)),
      // The workspace's own filters first: they are what templates of this repository use.
      sortText: `${info.origin === 'plugin' ? 0 : 1}-${info.name}`,
      textEdit: TextEdit.replace(range, insert.newText),
      insertTextFormat: insert.insertTextFormat,
    });
  }
  return items;
}

function attributeItems(document: TextDocument, offset: number, parsed: ParsedTemplate, ctx: TemplateContext, object: Expr, range: Range): CompletionItem[] {
  const scopes = new LocalScopes(parsed);
  const shape = shapeOf(object, offset, ctx, scopes);
  if (!shape) return [];
  return attributesOf(shape)
    .filter((attribute) => IDENTIFIER.test(attribute.name))
    .map((attribute, index) => {
      const isMethod = !!attribute.entry?.signature;
      const values = attributeValuesText(shape, attribute);
      return {
        label: attribute.name,
        kind: isMethod ? CompletionItemKind.Method : attribute.kind === 'field' ? CompletionItemKind.Field : CompletionItemKind.Property,
        detail: attribute.isSecret ? `${attribute.typeText ?? ''} (secret)`.trim() : [attribute.typeText, values].filter(Boolean).join(' · ') || undefined,
        documentation: markdown(attributeMarkdown(shape, attribute, document)),
        // Keep the documented order (schema fields, loop attributes) rather than the alphabet.
        sortText: String(index).padStart(4, '0'),
        textEdit: TextEdit.replace(range, isMethod ? `${attribute.name}($1)` : attribute.name),
        insertTextFormat: isMethod ? InsertTextFormat.Snippet : undefined,
      };
    });
}

function templateNameItems(document: TextDocument, span: Span, ctx: TemplateContext, addQuotes: boolean): CompletionItem[] {
  const range = Range.create(document.positionAt(span.start), document.positionAt(span.end));
  return [...ctx.templateNames].sort().map((name) => ({
    label: name,
    kind: CompletionItemKind.File,
    textEdit: TextEdit.replace(range, addQuotes ? JSON.stringify(name) : name),
    filterText: addQuotes ? JSON.stringify(name) : name,
  }));
}

// ---------------------------------------------------------------------------------------------
// Statement keywords

interface KeywordSpec {
  keyword: string;
  detail: string;
  /** The statement after the keyword as a snippet body, e.g. ` \${1:condition}`. */
  header?: string;
  /** The end keyword: the snippet writes the body and the end tag. */
  end?: string;
}

const STATEMENTS: KeywordSpec[] = [
  { keyword: 'if', detail: 'if block', header: ' ${1:condition}', end: 'endif' },
  { keyword: 'for', detail: 'for loop', header: ' ${1:item} in ${2:items}', end: 'endfor' },
  { keyword: 'set', detail: 'set a variable', header: ' ${1:name} = ${2:value}' },
  { keyword: 'macro', detail: 'macro definition', header: ' ${1:name}(${2})', end: 'endmacro' },
  { keyword: 'call', detail: 'call a macro with a body', header: ' ${1:macro}(${2})', end: 'endcall' },
  { keyword: 'filter', detail: 'filter a block', header: ' ${1:upper}', end: 'endfilter' },
  { keyword: 'with', detail: 'with block (scoped variables)', header: ' ${1:name} = ${2:value}', end: 'endwith' },
  { keyword: 'include', detail: 'include a template', header: ' "${1}"' },
  { keyword: 'import', detail: 'import a template\'s macros', header: ' "${1}" as ${2:name}' },
  { keyword: 'from', detail: 'import macros by name', header: ' "${1}" import ${2:name}' },
  { keyword: 'extends', detail: 'extend a base template', header: ' "${1}"' },
  { keyword: 'block', detail: 'named block', header: ' ${1:name}', end: 'endblock' },
  { keyword: 'raw', detail: 'raw block (not parsed)', header: '', end: 'endraw' },
];

type BlockKind = 'If' | 'For' | 'SetBlock' | 'Macro' | 'CallBlock' | 'FilterBlock' | 'With' | 'Block' | 'Autoescape';
type BlockStatement = Extract<Statement, { kind: BlockKind }>;

const END_KEYWORDS: Record<BlockKind, string> = {
  If: 'endif',
  For: 'endfor',
  SetBlock: 'endset',
  Macro: 'endmacro',
  CallBlock: 'endcall',
  FilterBlock: 'endfilter',
  With: 'endwith',
  Block: 'endblock',
  Autoescape: 'endautoescape',
};

/** Snippet text for literal template code: `$`, `}` and `\` are snippet syntax. */
function escapeSnippet(text: string): string {
  return text.replace(/[$}\\]/g, (c) => '\\' + c);
}

/** Keywords that fit the innermost block around the tag (elif/else/endif in an if, ...), then the statements. */
function keywordSpecs(document: TextDocument, parsed: ParsedTemplate, tagStart: number): KeywordSpec[] {
  const enclosing = nodeAtOffset(parsed.body, tagStart)
    .filter((node): node is BlockStatement => node.kind in END_KEYWORDS)
    .filter((node) => node.openTagSpan.end <= tagStart && (!node.closeTagSpan || tagStart <= node.closeTagSpan.start));
  const innermost = enclosing[enclosing.length - 1];
  const specs: KeywordSpec[] = [];
  if (innermost?.kind === 'If' || innermost?.kind === 'For') {
    const hasElse = !!innermost.else && innermost.else.tagSpan.start < tagStart;
    if (innermost.kind === 'If' && !hasElse) specs.push({ keyword: 'elif', detail: 'another branch', header: ' ${1:condition}' });
    if (!hasElse) specs.push({ keyword: 'else', detail: innermost.kind === 'If' ? 'the other branch' : 'when the loop ran no iteration', header: '' });
  }
  if (innermost) {
    const end = END_KEYWORDS[innermost.kind];
    specs.push({ keyword: end, detail: `close the ${end.slice(3)} block of line ${document.positionAt(innermost.openTagSpan.start).line + 1}`, header: '' });
  }
  return [...specs, ...STATEMENTS];
}

function keywordItems(document: TextDocument, offset: number, parsed: ParsedTemplate, ctx: TemplateContext, content: TagContent): CompletionItem[] {
  const text = document.getText();
  const tag = content.tag;
  const wordStart = wordStartOf(text, offset, content.start);
  let wordEnd = offset;
  while (wordEnd < content.end && /[\p{ID_Continue}]/u.test(text[wordEnd])) wordEnd++;
  const rest = text.slice(wordEnd, tag.span.end);
  const start = document.positionAt(tag.span.start);
  // The whole tag is replaced (so the snippet can close it and add the end tag) when nothing else
  // is written in it yet and it sits on one line; otherwise only the keyword is.
  const closing = tag.isTerminated ? rest.trim() : '';
  const isWholeTag = tag.kind === 'block' && /^\s*$/.test(text.slice(wordEnd, content.end)) && start.line === document.positionAt(tag.span.end).line;
  const written = text.slice(tag.span.start, wordStart);
  // Keep what was typed (a `-` marker, the spaces) and add the space `#%if` would lack.
  const opening = /\s$/.test(written) ? written : written + ' ';
  const blockClose = closing || ctx.syntax.blockEnd;
  const specs = keywordSpecs(document, parsed, tag.span.start);
  return specs.map((spec, index) => {
    const base: CompletionItem = {
      label: spec.keyword,
      kind: CompletionItemKind.Keyword,
      detail: spec.detail,
      sortText: String(index).padStart(3, '0'),
    };
    if (!isWholeTag) return { ...base, textEdit: TextEdit.replace(Range.create(document.positionAt(wordStart), document.positionAt(offset)), spec.keyword) };
    let snippet = `${escapeSnippet(opening)}${spec.keyword}${spec.header ?? ''} ${escapeSnippet(blockClose)}`;
    if (spec.end) snippet += `\n$0\n${escapeSnippet(`${ctx.syntax.blockStart} ${spec.end} ${ctx.syntax.blockEnd}`)}`;
    return {
      ...base,
      kind: spec.end ? CompletionItemKind.Snippet : CompletionItemKind.Keyword,
      filterText: opening + spec.keyword,
      insertTextFormat: InsertTextFormat.Snippet,
      textEdit: TextEdit.replace(Range.create(start, document.positionAt(tag.isTerminated ? tag.span.end : offset)), snippet),
    };
  });
}
