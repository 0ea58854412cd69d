// Walking a parsed template: children in source order, the node path at an offset, and the
// template's own local names visible at an offset (Jinja's scoping). Knows nothing of the
// variables a template gets from outside (cluster.yaml, plugins); those are the callers' business.
import type { Expr, ForNode, MacroNode, Node, SetBlockNode, SetNode, Span, Statement } from './ast';

/** Direct children of a node (statements and expressions), in source order. */
export function childrenOf(node: Node): Node[] {
  switch (node.kind) {
    case 'Name':
    case 'Const':
    case 'NsRef':
    case 'Missing':
    case 'Text':
    case 'Comment':
    case 'Raw':
    case 'Continue':
    case 'Break':
    case 'InvalidTag':
      return [];
    case 'List':
    case 'Tuple':
      return node.items;
    case 'Dict':
      return node.items.flatMap((item) => [item.key, item.value]);
    case 'Getattr':
      return [node.node];
    case 'Getitem':
      return [node.node, node.arg];
    case 'Slice':
      return present([node.start, node.stop, node.step]);
    case 'Call':
      return bySource([node.node, ...callChildren(node)]);
    case 'Filter':
      return bySource(present([node.node, ...callChildren(node)]));
    case 'Test':
      return bySource([node.node, ...callChildren(node)]);
    case 'CondExpr':
      return present([node.expr1, node.test, node.expr2]);
    case 'BinOp':
    case 'And':
    case 'Or':
      return [node.left, node.right];
    case 'UnaryOp':
      return [node.operand];
    case 'Compare':
      return [node.expr, ...node.ops.map((operand) => operand.expr)];
    case 'Output':
      return [node.expr];
    case 'Print':
      return node.exprs;
    case 'If':
      return [...node.branches.flatMap((branch): Node[] => [branch.test, ...branch.body]), ...(node.else?.body ?? [])];
    case 'For':
      return [node.target, node.iter, ...present([node.filter]), ...node.body, ...(node.else?.body ?? [])];
    case 'Set':
      return [node.target, node.value];
    case 'SetBlock':
      return [node.target, ...present([node.filter]), ...node.body];
    case 'Macro':
      return [...present(node.params.map((param) => param.default)), ...node.body];
    case 'CallBlock':
      return [...present(node.params.map((param) => param.default)), node.call, ...node.body];
    case 'FilterBlock':
      return [node.filter, ...node.body];
    case 'Include':
    case 'Import':
    case 'FromImport':
    case 'Extends':
      return [node.template];
    case 'With':
      return [...node.assignments.flatMap((assignment) => [assignment.target, assignment.value]), ...node.body];
    case 'Block':
      return node.body;
    case 'Autoescape':
      return [node.value, ...node.body];
    case 'Do':
      return [node.expr];
  }
}

function callChildren(node: { args: Expr[]; kwargs: { value: Expr }[]; dynArgs?: Expr; dynKwargs?: Expr }): Expr[] {
  return [...node.args, ...node.kwargs.map((keyword) => keyword.value), ...present([node.dynArgs, node.dynKwargs])];
}

function present<T>(items: (T | undefined)[]): T[] {
  return items.filter((item): item is T => item !== undefined);
}

function bySource(nodes: Node[]): Node[] {
  return nodes.sort((a, b) => a.span.start - b.span.start);
}

/**
 * Visits every node depth-first in source order; returning false from `visitor` skips that node's
 * children. Example: `walkNodes(parsed.body, (n) => { if (n.kind === 'Name') names.push(n.name); })`.
 */
export function walkNodes(body: readonly Node[], visitor: (node: Node, parents: readonly Node[]) => boolean | void): void {
  const parents: Node[] = [];
  const visit = (node: Node) => {
    if (visitor(node, parents) === false) return;
    parents.push(node);
    for (const child of childrenOf(node)) visit(child);
    parents.pop();
  };
  for (const node of body) visit(node);
}

function contains(span: Span, offset: number): boolean {
  return span.start <= offset && offset <= span.end;
}

/**
 * The nodes containing `offset`, outermost first and innermost last; empty when none does. Ends
 * count as inside, so a cursor right after `nod` in `#{ nod }#` finds the Name. Where two
 * siblings touch, the later one wins (a cursor right after `}#` is in the text that follows).
 * Example: in `#{ a.b }#` at the offset of `b` the path is [Output, Getattr] (the attribute is
 * `attrSpan` of the Getattr, not a node of its own).
 */
export function nodeAtOffset(body: readonly Node[], offset: number): Node[] {
  const path: Node[] = [];
  let level: readonly Node[] = body;
  while (true) {
    let found: Node | undefined;
    for (const node of level) {
      if (contains(node.span, offset)) found = node;
      else if (node.span.start > offset) break;
    }
    if (!found) return path;
    path.push(found);
    level = childrenOf(found);
  }
}

// ---------------------------------------------------------------------------------------------
// Local names

export type LocalKind =
  /** A for-loop target. */
  | 'loop-target'
  /** The `loop` object inside a for body. */
  | 'loop'
  | 'set'
  | 'macro'
  | 'macro-param'
  /** `varargs`, `kwargs` and `caller`, which Jinja provides inside every macro. */
  | 'macro-implicit'
  | 'call-param'
  | 'with'
  | 'import'
  | 'from-import';

export interface NamespaceAttribute {
  name: string;
  /** The keyword in `namespace(name=...)` or the attribute in `set ns.name = ...`. */
  span: Span;
}

export interface LocalVariable {
  name: string;
  kind: LocalKind;
  /** Where the name is defined: the identifier itself, or the opening tag for `loop` and macro implicits. */
  span: Span;
  /** The statement that defines it. */
  definedBy: Statement;
  /** Present when the name holds a `namespace(...)` object: its known attributes. */
  namespaceAttributes?: NamespaceAttribute[];
}

/**
 * The template's locals visible at `offset`, the innermost definition of each name winning:
 * for-loop targets and `loop` inside the loop body (targets also in the loop's `if` filter),
 * set/import names after their statement (set inside a for, macro, with... does not leak out),
 * macro and call-block parameters inside their body, with-assignments inside the with body.
 * Example: in `#% for n in nodes %##{ ¦ }##% endfor %#` at ¦: `n` (loop-target) and `loop`.
 */
export function scopesAt(body: readonly Statement[], offset: number): LocalVariable[] {
  const scope = new Map<string, LocalVariable>();
  visitBody(body, offset, scope);
  const namespaces = [...scope.values()].filter((local) => local.namespaceAttributes);
  if (namespaces.length > 0) addNamespaceAssignments(body, namespaces);
  return [...scope.values()];
}

type Scope = Map<string, LocalVariable>;

function define(scope: Scope, local: LocalVariable): void {
  // Delete first so that iteration order follows the latest definition.
  scope.delete(local.name);
  scope.set(local.name, local);
}

function visitBody(body: readonly Statement[], offset: number, scope: Scope): void {
  for (const node of body) {
    // An unclosed block runs to the end of what was read, so a cursor at its very end (typing at
    // the end of the file) is still inside it.
    if (node.span.end < offset || (node.span.end === offset && !isUnclosedBlock(node))) {
      addDefinitions(node, scope);
      continue;
    }
    if (node.span.start < offset) enter(node, offset, scope);
    return;
  }
}

const BLOCK_KINDS = new Set(['If', 'For', 'SetBlock', 'Macro', 'CallBlock', 'FilterBlock', 'With', 'Block', 'Autoescape']);

function isUnclosedBlock(node: Statement): boolean {
  return BLOCK_KINDS.has(node.kind) && !('closeTagSpan' in node && node.closeTagSpan);
}

/** Names a statement that lies wholly before the offset leaves behind. */
function addDefinitions(node: Statement, scope: Scope): void {
  switch (node.kind) {
    case 'Set':
    case 'SetBlock':
      defineSetTargets(node, scope);
      return;
    case 'Macro':
      if (node.name) define(scope, { name: node.name, kind: 'macro', span: node.nameSpan, definedBy: node });
      return;
    case 'Import':
      if (node.alias) define(scope, { name: node.alias, kind: 'import', span: node.aliasSpan, definedBy: node });
      return;
    case 'FromImport':
      for (const imported of node.names) {
        define(scope, { name: imported.alias ?? imported.name, kind: 'from-import', span: imported.aliasSpan ?? imported.nameSpan, definedBy: node });
      }
      return;
    case 'If':
      // `if` opens no scope in Jinja: a set in any branch is visible after the block.
      for (const branch of node.branches) for (const child of branch.body) addDefinitions(child, scope);
      for (const child of node.else?.body ?? []) addDefinitions(child, scope);
      return;
    default:
      // for, with, macro bodies, call and filter blocks, blocks: their sets stay inside.
      return;
  }
}

function defineSetTargets(node: SetNode | SetBlockNode, scope: Scope): void {
  for (const target of node.targets) {
    if (target.kind !== 'Name') continue;
    const local: LocalVariable = { name: target.name, kind: 'set', span: target.span, definedBy: node };
    if (node.kind === 'Set' && node.target === target) {
      const attributes = namespaceCallAttributes(node.value);
      if (attributes) local.namespaceAttributes = attributes;
    }
    define(scope, local);
  }
}

/** The keyword names of `namespace(a=1, b=2)`, or undefined when `value` is not such a call. */
function namespaceCallAttributes(value: Expr): NamespaceAttribute[] | undefined {
  if (value.kind !== 'Call' || value.node.kind !== 'Name' || value.node.name !== 'namespace') return undefined;
  return value.kwargs.map((keyword) => ({ name: keyword.name, span: keyword.nameSpan }));
}

function within(offset: number, start: number, end: number): boolean {
  return start <= offset && offset <= end;
}

/** The statement contains the offset: add what is visible inside it and descend. */
function enter(node: Statement, offset: number, scope: Scope): void {
  switch (node.kind) {
    case 'If': {
      // The branch whose tag starts last before the offset; inside that tag itself nothing is added.
      let current: { tagSpan: Span; body: readonly Statement[] } | undefined;
      for (const branch of [...node.branches, ...(node.else ? [node.else] : [])]) if (branch.tagSpan.start < offset) current = branch;
      if (current && current.tagSpan.end <= offset) visitBody(current.body, offset, scope);
      return;
    }
    case 'For':
      enterFor(node, offset, scope);
      return;
    case 'Macro':
      enterMacro(node, offset, scope);
      return;
    case 'CallBlock':
      if (node.openTagSpan.end > offset) return;
      for (const param of node.params) define(scope, { name: param.name, kind: 'call-param', span: param.nameSpan, definedBy: node });
      visitBody(node.body, offset, scope);
      return;
    case 'With':
      if (node.openTagSpan.end > offset) return;
      for (const assignment of node.assignments) {
        for (const target of assignment.targets) if (target.kind === 'Name') define(scope, { name: target.name, kind: 'with', span: target.span, definedBy: node });
      }
      visitBody(node.body, offset, scope);
      return;
    case 'SetBlock':
    case 'FilterBlock':
    case 'Block':
    case 'Autoescape':
      if (node.openTagSpan.end <= offset) visitBody(node.body, offset, scope);
      return;
    default:
      return;
  }
}

function enterFor(node: ForNode, offset: number, scope: Scope): void {
  const defineTargets = () => {
    for (const target of collectNames(node.target)) define(scope, { name: target.name, kind: 'loop-target', span: target.span, definedBy: node });
  };
  if (node.openTagSpan.end > offset) {
    // Inside the for tag: only the `if` filter sees the targets.
    if (node.filter && within(offset, node.filter.span.start, node.filter.span.end)) defineTargets();
    return;
  }
  if (node.else && node.else.tagSpan.end <= offset) {
    visitBody(node.else.body, offset, scope);
    return;
  }
  if (node.else && node.else.tagSpan.start < offset) return;
  defineTargets();
  define(scope, { name: 'loop', kind: 'loop', span: node.openTagSpan, definedBy: node });
  visitBody(node.body, offset, scope);
}

function enterMacro(node: MacroNode, offset: number, scope: Scope): void {
  if (node.openTagSpan.end > offset) return;
  if (node.name) define(scope, { name: node.name, kind: 'macro', span: node.nameSpan, definedBy: node });
  for (const implicit of ['varargs', 'kwargs', 'caller']) define(scope, { name: implicit, kind: 'macro-implicit', span: node.openTagSpan, definedBy: node });
  for (const param of node.params) define(scope, { name: param.name, kind: 'macro-param', span: param.nameSpan, definedBy: node });
  visitBody(node.body, offset, scope);
}

function collectNames(target: Expr): { name: string; span: Span }[] {
  if (target.kind === 'Name') return [{ name: target.name, span: target.span }];
  if (target.kind === 'Tuple') return target.items.flatMap(collectNames);
  return [];
}

/** Adds `set ns.attr = ...` assignments (anywhere after the namespace is made) to each namespace's attributes. */
function addNamespaceAssignments(body: readonly Statement[], namespaces: LocalVariable[]): void {
  walkNodes(body, (node) => {
    // Set statements sit in statement bodies only: expressions need no visit.
    if (node.kind !== 'Set' && node.kind !== 'SetBlock') return isStatement(node);
    for (const target of node.targets) {
      if (target.kind !== 'NsRef') continue;
      for (const local of namespaces) {
        if (local.name !== target.name || target.span.start < local.definedBy.span.end) continue;
        const attributes = local.namespaceAttributes ?? [];
        if (!attributes.some((attribute) => attribute.name === target.attr)) attributes.push({ name: target.attr, span: target.attrSpan });
      }
    }
    return true;
  });
}

const EXPRESSION_KINDS = new Set(['Name', 'Const', 'List', 'Tuple', 'Dict', 'Getattr', 'Getitem', 'Slice', 'Call', 'Filter', 'Test', 'CondExpr', 'BinOp', 'UnaryOp', 'Compare', 'And', 'Or', 'NsRef', 'Missing']);

/** Whether a node is a statement (as opposed to an expression). */
export function isStatement(node: Node): node is Statement {
  return !EXPRESSION_KINDS.has(node.kind);
}
