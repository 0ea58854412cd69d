// Helpers for the Jinja parser tests: parse with a syntax and print trees as compact S-expressions,
// so that whole results can be compared in one readable string.
import type { CallArguments, Expr, MacroParam, Node, ParsedTemplate, Span, Statement } from '../../../server/src/services/jinja/ast';
import { parseTemplate } from '../../../server/src/services/jinja/parser';
import { JINJA_DEFAULT_SYNTAX, MAKEJINJA_CLUSTER_TEMPLATE_SYNTAX } from '../../../server/src/services/jinja/syntax';
import type { JinjaSyntax } from '../../../server/src/services/jinja/syntax';

export const MAKEJINJA = MAKEJINJA_CLUSTER_TEMPLATE_SYNTAX;
export const DEFAULTS = JINJA_DEFAULT_SYNTAX;

export function parse(text: string, syntax: JinjaSyntax = MAKEJINJA): ParsedTemplate {
  return parseTemplate(text, syntax);
}

/** The expression of a single `#{ ... }#` tag. */
export function parseExpr(source: string): { expr: Expr; text: string; problems: ParsedTemplate['problems'] } {
  const text = `#{ ${source} }#`;
  const parsed = parse(text);
  const output = parsed.body[0];
  if (output?.kind !== 'Output') throw new Error(`not an output tag: ${text}`);
  return { expr: output.expr, text, problems: parsed.problems };
}

export function slice(text: string, span: Span | undefined): string | undefined {
  return span ? text.slice(span.start, span.end) : undefined;
}

/** Problems as `code@source-text: message` lines, sorted by position (as parseTemplate returns them). */
export function problemsOf(text: string, parsed: ParsedTemplate): string[] {
  return parsed.problems.map((problem) => `${problem.code}@${JSON.stringify(text.slice(problem.span.start, problem.span.end))}: ${problem.message}`);
}

function args(node: CallArguments): string {
  const parts = [
    ...node.args.map(showExpr),
    ...node.kwargs.map((keyword) => `${keyword.name}=${showExpr(keyword.value)}`),
    ...(node.dynArgs ? [`*${showExpr(node.dynArgs)}`] : []),
    ...(node.dynKwargs ? [`**${showExpr(node.dynKwargs)}`] : []),
  ];
  return parts.map((part) => ' ' + part).join('');
}

export function showExpr(expr: Expr | undefined): string {
  if (!expr) return '_';
  switch (expr.kind) {
    case 'Name':
      return expr.name;
    case 'Const':
      return expr.type === 'string' ? JSON.stringify(expr.value) : expr.type === 'none' ? 'none' : String(expr.value);
    case 'List':
      return `[${expr.items.map(showExpr).join(', ')}]`;
    case 'Tuple':
      return `(tuple${expr.items.map((item) => ' ' + showExpr(item)).join('')})`;
    case 'Dict':
      return `{${expr.items.map((item) => `${showExpr(item.key)}: ${showExpr(item.value)}`).join(', ')}}`;
    case 'Getattr':
      return `(. ${showExpr(expr.node)} ${expr.attr || '?'})`;
    case 'Getitem':
      return `([] ${showExpr(expr.node)} ${showExpr(expr.arg)})`;
    case 'Slice':
      return `(slice ${showExpr(expr.start)} ${showExpr(expr.stop)} ${showExpr(expr.step)})`;
    case 'Call':
      return `(call ${showExpr(expr.node)}${args(expr)})`;
    case 'Filter':
      return `(|${expr.name || '?'} ${showExpr(expr.node)}${args(expr)})`;
    case 'Test':
      return `(is${expr.negated ? ' not' : ''} ${expr.name || '?'} ${showExpr(expr.node)}${args(expr)})`;
    case 'CondExpr':
      return `(if ${showExpr(expr.test)} ${showExpr(expr.expr1)}${expr.expr2 ? ' ' + showExpr(expr.expr2) : ''})`;
    case 'BinOp':
      return `(${expr.op} ${showExpr(expr.left)} ${showExpr(expr.right)})`;
    case 'UnaryOp':
      return `(${expr.op === 'not' ? 'not' : 'unary' + expr.op} ${showExpr(expr.operand)})`;
    case 'Compare':
      return `(cmp ${showExpr(expr.expr)}${expr.ops.map((operand) => ` ${operand.op} ${showExpr(operand.expr)}`).join('')})`;
    case 'And':
      return `(and ${showExpr(expr.left)} ${showExpr(expr.right)})`;
    case 'Or':
      return `(or ${showExpr(expr.left)} ${showExpr(expr.right)})`;
    case 'NsRef':
      return `(ns ${expr.name} ${expr.attr || '?'})`;
    case 'Missing':
      return '?';
  }
}

function params(list: MacroParam[]): string {
  return `(${list.map((param) => (param.default ? `${param.name}=${showExpr(param.default)}` : param.name)).join(' ')})`;
}

function bodyOf(text: string, body: Statement[]): string {
  return body.map((node) => ' ' + showStatement(text, node)).join('');
}

const BLOCK_KINDS = new Set(['If', 'For', 'SetBlock', 'Macro', 'CallBlock', 'FilterBlock', 'With', 'Raw', 'Block', 'Autoescape']);

/** Statements print with `!` appended when their end tag is missing. */
export function showStatement(text: string, node: Statement): string {
  const open = BLOCK_KINDS.has(node.kind) && !('closeTagSpan' in node) ? '!' : '';
  switch (node.kind) {
    case 'Text':
      return JSON.stringify(text.slice(node.span.start, node.span.end));
    case 'InvalidTag':
      return `(invalid ${node.keyword || '?'})`;
    case 'Comment':
      return `(comment ${JSON.stringify(text.slice(node.textSpan.start, node.textSpan.end))})`;
    case 'Output':
      return `(out ${showExpr(node.expr)})`;
    case 'Print':
      return `(print${node.exprs.map((expr) => ' ' + showExpr(expr)).join('')})`;
    case 'If': {
      const branches = node.branches.map((branch, index) => `${index === 0 ? '' : ' elif'} ${showExpr(branch.test)}${bodyOf(text, branch.body)}`).join('');
      return `(if${branches}${node.else ? ' else' + bodyOf(text, node.else.body) : ''})${open}`;
    }
    case 'For':
      return `(for ${showExpr(node.target)} ${showExpr(node.iter)}${node.filter ? ' if ' + showExpr(node.filter) : ''}${node.recursive ? ' recursive' : ''}${bodyOf(text, node.body)}${node.else ? ' else' + bodyOf(text, node.else.body) : ''})${open}`;
    case 'Set':
      return `(set ${showExpr(node.target)} ${showExpr(node.value)})`;
    case 'SetBlock':
      return `(setblock ${showExpr(node.target)}${node.filter ? ' ' + showExpr(node.filter) : ''}${bodyOf(text, node.body)})${open}`;
    case 'Macro':
      return `(macro ${node.name || '?'} ${params(node.params)}${bodyOf(text, node.body)})${open}`;
    case 'CallBlock':
      return `(callblock ${params(node.params)} ${showExpr(node.call)}${bodyOf(text, node.body)})${open}`;
    case 'FilterBlock':
      return `(filterblock ${showExpr(node.filter)}${bodyOf(text, node.body)})${open}`;
    case 'Include':
      return `(include ${showExpr(node.template)}${node.ignoreMissing ? ' ignore-missing' : ''}${node.withContext ? ' with-context' : ' without-context'})`;
    case 'Import':
      return `(import ${showExpr(node.template)} as ${node.alias}${node.withContext ? ' with-context' : ''})`;
    case 'FromImport':
      return `(from ${showExpr(node.template)} import${node.names.map((name) => ' ' + name.name + (name.alias ? ` as ${name.alias}` : '')).join('')}${node.withContext ? ' with-context' : ''})`;
    case 'With':
      return `(with${node.assignments.map((assignment) => ` ${showExpr(assignment.target)}=${showExpr(assignment.value)}`).join('')}${bodyOf(text, node.body)})${open}`;
    case 'Raw':
      return `(raw ${JSON.stringify(text.slice(node.bodySpan.start, node.bodySpan.end))})${open}`;
    case 'Block':
      return `(block ${node.name}${node.scoped ? ' scoped' : ''}${node.required ? ' required' : ''}${bodyOf(text, node.body)})${open}`;
    case 'Extends':
      return `(extends ${showExpr(node.template)})`;
    case 'Autoescape':
      return `(autoescape ${showExpr(node.value)}${bodyOf(text, node.body)})${open}`;
    case 'Do':
      return `(do ${showExpr(node.expr)})`;
    case 'Continue':
      return '(continue)';
    case 'Break':
      return '(break)';
  }
}

export function showBody(text: string, body: Statement[]): string {
  return body.map((node) => showStatement(text, node)).join(' ');
}

export function show(node: Node, text: string): string {
  return 'kind' in node && isExpressionKind(node.kind) ? showExpr(node as Expr) : showStatement(text, node as Statement);
}

function isExpressionKind(kind: string): boolean {
  return /^(Name|Const|List|Tuple|Dict|Getattr|Getitem|Slice|Call|Filter|Test|CondExpr|BinOp|UnaryOp|Compare|And|Or|NsRef|Missing)$/.test(kind);
}
