// Navigation in templates: go to definition (data keys, plugin.py lines, locals, macros, included
// templates), the outline of blocks, macros and sets, and folding ranges. Other files are read
// only through the callers' `readTextOf`, so the service stays pure.
import { DocumentSymbol, FoldingRange, FoldingRangeKind, Location, Range, SymbolKind } from 'vscode-languageserver-types';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { URI } from 'vscode-uri';
import { parseYaml, type YamlNode } from '../yaml/parse';
import type { Expr, ParsedTemplate, Span, Statement } from './ast';
import { parseTemplate } from './parser';
import type { SourceLocation, TemplateContext } from './templateContext';
import {
  attributesOf,
  findMacro,
  LocalScopes,
  shapeOf,
  sourceOf,
  targetAt,
  type ReadTextOf,
  type ValueShape,
} from './templateLookup';
import type { LocalVariable } from './walk';

function rangeIn(document: TextDocument, span: Span): Range {
  return Range.create(document.positionAt(span.start), document.positionAt(span.end));
}

/** A document over another file's text, to turn its offsets into positions. */
function documentOf(filePath: string, text: string): TextDocument {
  return TextDocument.create(URI.file(filePath).toString(), 'plaintext', 0, text);
}

/** A location in another file: a span (read through `readTextOf`) or a 0-based line. */
function locationOf(source: SourceLocation | undefined, readTextOf: ReadTextOf): Location | undefined {
  if (!source) return undefined;
  const uri = URI.file(source.filePath).toString();
  const text = readTextOf(source.filePath);
  if (source.span) {
    if (text === undefined) return undefined;
    return Location.create(uri, rangeIn(documentOf(source.filePath, text), source.span));
  }
  if (source.line === undefined) return undefined;
  const lineText = text?.split('\n')[source.line] ?? '';
  return Location.create(uri, Range.create(source.line, 0, source.line, lineText.replace(/\r$/, '').length));
}

interface DefinitionContext {
  /** Loader name → absolute path of every template of the workspace. */
  templateFiles: ReadonlyMap<string, string>;
  readTextOf: ReadTextOf;
}

/**
 * Where the thing at `offset` is defined. Example: on `node_cidr` in `#{ node_cidr }#`, the key
 * `node_cidr` in cluster.yaml; on `"base.j2"` in `#% include "base.j2" %#`, the start of that
 * file; on `m` in `#{ m() }#`, the `#% macro m() %#` above.
 */
export function computeTemplateDefinition(
  document: TextDocument,
  offset: number,
  parsed: ParsedTemplate,
  ctx: TemplateContext,
  templateFiles: ReadonlyMap<string, string>,
  readTextOf: ReadTextOf,
): Location[] {
  const scopes = new LocalScopes(parsed);
  const target = targetAt(parsed, offset, scopes);
  if (!target) return [];
  const files: DefinitionContext = { templateFiles, readTextOf };
  switch (target.kind) {
    case 'name': {
      if (target.local) return localDefinition(document, target.local, ctx, files);
      const variable = ctx.variables.get(target.name);
      const fn = ctx.functions.get(target.name);
      const source = fn && (target.isCall || !variable) ? fn.location : variable?.location;
      return present(locationOf(source, readTextOf));
    }
    case 'filter':
      return present(locationOf(ctx.filters.get(target.name)?.location, readTextOf));
    case 'test':
      return present(locationOf(ctx.tests.get(target.name)?.location, readTextOf));
    case 'template': {
      const filePath = templateFiles.get(target.name);
      return filePath ? [Location.create(URI.file(filePath).toString(), Range.create(0, 0, 0, 0))] : [];
    }
    case 'attribute':
      return attributeDefinition(document, target.object, target.name, target.span.start, ctx, scopes, files);
  }
}

function present<T>(item: T | undefined): T[] {
  return item === undefined ? [] : [item];
}

function templateNameOf(expr: Expr): string | undefined {
  return expr.kind === 'Const' && expr.type === 'string' ? String(expr.value) : undefined;
}

/** The macro `name` of another template, parsed with the workspace's delimiters. */
function macroIn(templateName: string | undefined, name: string, ctx: TemplateContext, files: DefinitionContext): Location | undefined {
  const filePath = templateName === undefined ? undefined : files.templateFiles.get(templateName);
  const text = filePath === undefined ? undefined : files.readTextOf(filePath);
  if (filePath === undefined || text === undefined) return undefined;
  const macro = findMacro(parseTemplate(text, ctx.syntax), name);
  return macro ? Location.create(URI.file(filePath).toString(), rangeIn(documentOf(filePath, text), macro.nameSpan)) : undefined;
}

function localDefinition(document: TextDocument, local: LocalVariable, ctx: TemplateContext, files: DefinitionContext): Location[] {
  const statement = local.definedBy;
  if (local.kind === 'from-import' && statement.kind === 'FromImport') {
    // Follow the imported name into its template; stay on the import when that cannot be read.
    const imported = statement.names.find((n) => (n.alias ?? n.name) === local.name);
    const found = imported && macroIn(templateNameOf(statement.template), imported.name, ctx, files);
    if (found) return [found];
  }
  return [Location.create(document.uri, rangeIn(document, local.span))];
}

function attributeDefinition(
  document: TextDocument,
  object: Expr,
  name: string,
  offset: number,
  ctx: TemplateContext,
  scopes: LocalScopes,
  files: DefinitionContext,
): Location[] {
  // `module.macro()` after `#% import "x" as module %#`.
  if (object.kind === 'Name') {
    const local = scopes.lookup(object.name, offset);
    if (local?.kind === 'import' && local.definedBy.kind === 'Import') return present(macroIn(templateNameOf(local.definedBy.template), name, ctx, files));
  }
  const shape = shapeOf(object, offset, ctx, scopes);
  if (!shape) return [];
  const attribute = attributesOf(shape).find((a) => a.name === name);
  if (attribute?.kind === 'namespace' && attribute.span) return [Location.create(document.uri, rangeIn(document, attribute.span))];
  return dataKeyLocations(shape, name, files.readTextOf);
}

/** The keys in cluster.yaml / nodes.yaml that hold this attribute: one per node for `node.address`. */
function dataKeyLocations(shape: ValueShape, name: string, readTextOf: ReadTextOf): Location[] {
  const filePath = shape.dataPath?.variable.location?.filePath;
  const text = filePath === undefined ? undefined : readTextOf(filePath);
  if (!shape.dataPath || filePath === undefined || text === undefined) return [];
  const root = parseYaml(text).root;
  const target = documentOf(filePath, text);
  const spans: Span[] = [];
  const visit = (node: YamlNode | null, path: readonly string[]): void => {
    if (!node) return;
    const [head, ...rest] = path;
    if (head === '*') {
      if (node.kind === 'seq') for (const item of node.items) visit(item, rest);
      return;
    }
    if (node.kind !== 'map') return;
    const entry = node.entries.find((e) => e.key === head);
    if (!entry) return;
    if (rest.length === 0) spans.push(entry.keySpan);
    else visit(entry.value, rest);
  };
  visit(root, [shape.dataPath.variable.name, ...shape.dataPath.path, name]);
  return spans.map((span) => Location.create(target.uri, rangeIn(target, span)));
}

// ---------------------------------------------------------------------------------------------
// Outline and folding

const HEADER_LIMIT = 80;

function header(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > HEADER_LIMIT ? line.slice(0, HEADER_LIMIT - 1) + '…' : line;
}

function params(document: TextDocument, list: { name: string; default?: Expr }[]): string {
  return list.map((p) => (p.default ? `${p.name}=${sourceOf(document, p.default, 20)}` : p.name)).join(', ');
}

interface Branch {
  label: string;
  tagSpan: Span;
  body: Statement[];
}

/**
 * The outline: if/for/with/filter/call blocks named by their header and nested as written, macros,
 * sets and named blocks. Example: `#% for node in nodes %##% set x = 1 %##% endfor %#` gives
 * "for node in nodes" holding "set x".
 */
export function computeTemplateSymbols(document: TextDocument, parsed: ParsedTemplate): DocumentSymbol[] {
  const symbolsOf = (body: readonly Statement[]): DocumentSymbol[] => body.flatMap(symbolOf);
  const block = (name: string, kind: SymbolKind, node: Statement & { openTagSpan: Span }, children: DocumentSymbol[], selection: Span = node.openTagSpan, detail?: string): DocumentSymbol =>
    DocumentSymbol.create(header(name), detail, kind, rangeIn(document, node.span), rangeIn(document, selection), children);
  // if/elif/else: the first branch's body sits in the if; each later branch is a child of its own.
  const branches = (first: Statement[], later: Branch[], end: number): DocumentSymbol[] => {
    const symbols = symbolsOf(first);
    later.forEach((branch, index) => {
      const branchEnd = index + 1 < later.length ? later[index + 1].tagSpan.start : end;
      symbols.push(DocumentSymbol.create(header(branch.label), undefined, SymbolKind.Namespace, rangeIn(document, { start: branch.tagSpan.start, end: Math.max(branch.tagSpan.end, branchEnd) }), rangeIn(document, branch.tagSpan), symbolsOf(branch.body)));
    });
    return symbols;
  };
  const src = (expr: Expr | undefined) => sourceOf(document, expr, HEADER_LIMIT);

  // Control blocks show as namespaces: a neutral "{}" icon that reads as "a region of the template".
  function symbolOf(node: Statement): DocumentSymbol[] {
    const end = 'closeTagSpan' in node && node.closeTagSpan ? node.closeTagSpan.start : node.span.end;
    switch (node.kind) {
      case 'If': {
        const later: Branch[] = node.branches.slice(1).map((b) => ({ label: `elif ${src(b.test)}`, tagSpan: b.tagSpan, body: b.body }));
        if (node.else) later.push({ label: 'else', tagSpan: node.else.tagSpan, body: node.else.body });
        return [block(`if ${src(node.branches[0]?.test)}`, SymbolKind.Namespace, node, branches(node.branches[0]?.body ?? [], later, end))];
      }
      case 'For': {
        const later: Branch[] = node.else ? [{ label: 'else', tagSpan: node.else.tagSpan, body: node.else.body }] : [];
        const name = `for ${src(node.target)} in ${src(node.iter)}${node.filter ? ` if ${src(node.filter)}` : ''}`;
        return [block(name, SymbolKind.Namespace, node, branches(node.body, later, end))];
      }
      case 'With':
        return [block(`with ${node.assignments.map((a) => `${src(a.target)} = ${src(a.value)}`).join(', ')}`, SymbolKind.Namespace, node, symbolsOf(node.body))];
      case 'FilterBlock':
        return [block(`filter ${src(node.filter)}`, SymbolKind.Namespace, node, symbolsOf(node.body))];
      case 'CallBlock':
        return [block(`call${node.params.length ? `(${params(document, node.params)})` : ''} ${src(node.call)}`, SymbolKind.Namespace, node, symbolsOf(node.body))];
      case 'Autoescape':
        return [block(`autoescape ${src(node.value)}`, SymbolKind.Namespace, node, symbolsOf(node.body))];
      case 'Macro':
        return [block(`macro ${node.name || '?'}(${params(document, node.params)})`, SymbolKind.Function, node, symbolsOf(node.body), node.name ? node.nameSpan : node.openTagSpan)];
      case 'Block':
        return [block(`block ${node.name || '?'}`, SymbolKind.Module, node, symbolsOf(node.body), node.name ? node.nameSpan : node.openTagSpan)];
      case 'Set':
        return [block(`set ${src(node.target) || '?'}`, SymbolKind.Variable, node, [], node.openTagSpan, `= ${src(node.value)}`)];
      case 'SetBlock':
        return [block(`set ${src(node.target) || '?'}`, SymbolKind.Variable, node, symbolsOf(node.body))];
      default:
        return [];
    }
  }
  return symbolsOf(parsed.body);
}

/**
 * Folding: every block spanning lines, from its opening tag's line to its end tag's line, each
 * elif/else branch up to the line before the next tag, raw blocks, and comments over several lines.
 */
export function computeTemplateFolding(document: TextDocument, parsed: ParsedTemplate): FoldingRange[] {
  const ranges: FoldingRange[] = [];
  const lineOf = (offset: number) => document.positionAt(offset).line;
  const add = (startLine: number, endLine: number, kind?: FoldingRangeKind) => {
    if (endLine > startLine) ranges.push(kind ? FoldingRange.create(startLine, endLine, undefined, undefined, kind) : FoldingRange.create(startLine, endLine));
  };
  const branchRanges = (tags: Span[], end: number) => {
    tags.forEach((tag, index) => add(lineOf(tag.start), lineOf(index + 1 < tags.length ? tags[index + 1].start : end) - 1));
  };
  const visit = (body: readonly Statement[]): void => {
    for (const node of body) {
      switch (node.kind) {
        case 'Comment':
          add(lineOf(node.span.start), lineOf(node.span.end), FoldingRangeKind.Comment);
          continue;
        case 'Raw':
          add(lineOf(node.span.start), lineOf(node.closeTagSpan?.start ?? node.span.end));
          continue;
        case 'If':
        case 'For':
        case 'SetBlock':
        case 'Macro':
        case 'CallBlock':
        case 'FilterBlock':
        case 'With':
        case 'Block':
        case 'Autoescape': {
          const end = node.closeTagSpan?.start ?? node.span.end;
          add(lineOf(node.span.start), lineOf(end));
          if (node.kind === 'If') {
            branchRanges([...node.branches.slice(1).map((b) => b.tagSpan), ...(node.else ? [node.else.tagSpan] : [])], end);
            for (const branch of node.branches) visit(branch.body);
            if (node.else) visit(node.else.body);
          } else if (node.kind === 'For') {
            if (node.else) branchRanges([node.else.tagSpan], end);
            visit(node.body);
            if (node.else) visit(node.else.body);
          } else visit(node.body);
          continue;
        }
        default:
          continue;
      }
    }
  };
  visit(parsed.body);
  return ranges.sort((a, b) => a.startLine - b.startLine);
}
