// Resolves every variable reference of a template in one pass: to a local (loop target, set,
// macro parameter, ...) or to the template's context (data, plugin, globals). Diagnostics,
// references, rename and the workspace index all read names from here, never re-deriving scopes.
import type { Expr, MacroParam, NameExpr, Span, Statement } from './ast';
import { childrenOf, isStatement } from './walk';

export type LocalDefinitionKind = 'loop-target' | 'loop' | 'set' | 'macro' | 'macro-param' | 'macro-implicit' | 'with' | 'import' | 'namespace';

export interface LocalDefinition {
  name: string;
  kind: LocalDefinitionKind;
  span: Span;
  /** For a single loop target over a plain name (`for node in nodes`): that name, to know item fields. */
  iterName?: string;
}

export interface NameUse {
  name: string;
  span: Span;
  /** The local it refers to; undefined when it comes from the context (a free name). */
  local?: LocalDefinition;
  /** The expression that reads it (a Name, or the `ns` of `set ns.attr = ...`). */
  node: Expr;
}

export interface NameResolution {
  uses: NameUse[];
  definitions: LocalDefinition[];
}

/** Names Jinja provides inside every macro body. */
const MACRO_IMPLICITS = ['varargs', 'kwargs', 'caller'];

class Scope {
  private readonly names = new Map<string, LocalDefinition>();
  constructor(private readonly parent?: Scope) {}

  lookup(name: string): LocalDefinition | undefined {
    return this.names.get(name) ?? this.parent?.lookup(name);
  }

  define(definition: LocalDefinition): void {
    this.names.set(definition.name, definition);
  }

  child(): Scope {
    return new Scope(this);
  }
}

/**
 * Example: in `#% for n in nodes %##{ n.name }##{ cluster }##% endfor %#` the uses are `nodes`
 * (free), `n` (the loop target) and `cluster` (free).
 */
export function resolveNames(body: readonly Statement[]): NameResolution {
  const uses: NameUse[] = [];
  const definitions: LocalDefinition[] = [];
  const define = (scope: Scope, name: string, kind: LocalDefinitionKind, span: Span, iterName?: string): void => {
    const definition: LocalDefinition = iterName ? { name, kind, span, iterName } : { name, kind, span };
    definitions.push(definition);
    scope.define(definition);
  };

  const visitExpr = (expr: Expr | undefined, scope: Scope): void => {
    if (!expr) return;
    if (expr.kind === 'Name') {
      uses.push({ name: expr.name, span: expr.span, local: scope.lookup(expr.name), node: expr });
      return;
    }
    for (const child of childrenOf(expr)) visitExpr(child as Expr, scope);
  };

  const defineTargets = (target: Expr, scope: Scope, kind: LocalDefinitionKind): void => {
    if (target.kind === 'Name') define(scope, target.name, kind, target.span);
    else if (target.kind === 'Tuple' || target.kind === 'List') for (const item of target.items) defineTargets(item, scope, kind);
    else if (target.kind === 'NsRef') {
      // `set ns.attr = ...` reads the namespace object `ns`.
      uses.push({ name: target.name, span: target.nameSpan, local: scope.lookup(target.name), node: target });
    }
  };

  const visitParams = (params: MacroParam[], outer: Scope, inner: Scope): void => {
    for (const param of params) {
      visitExpr(param.default, outer);
      define(inner, param.name, 'macro-param', param.nameSpan);
    }
  };

  /** A macro's or call block's body: its parameters and Jinja's implicit names in a scope of its own. */
  const visitMacroBody = (params: MacroParam[], tagSpan: Span, body: readonly Statement[], outer: Scope): void => {
    const inner = outer.child();
    visitParams(params, outer, inner);
    for (const name of MACRO_IMPLICITS) define(inner, name, 'macro-implicit', tagSpan);
    visitBody(body, inner);
  };

  const visitBody = (statements: readonly Statement[], scope: Scope): void => {
    for (const statement of statements) visitStatement(statement, scope);
  };

  const visitStatement = (node: Statement, scope: Scope): void => {
    switch (node.kind) {
      case 'Text':
      case 'Comment':
      case 'Raw':
      case 'Continue':
      case 'Break':
        return;
      case 'For': {
        visitExpr(node.iter, scope);
        const inner = scope.child();
        if (node.target.kind === 'Name' && node.iter.kind === 'Name') {
          define(inner, node.target.name, 'loop-target', node.target.span, node.iter.name);
        } else {
          defineTargets(node.target, inner, 'loop-target');
        }
        define(inner, 'loop', 'loop', node.openTagSpan);
        visitExpr(node.filter, inner);
        visitBody(node.body, inner);
        // The else branch runs when the loop did not: it sees no loop variables.
        if (node.else) visitBody(node.else.body, scope.child());
        return;
      }
      case 'Set':
        visitExpr(node.value, scope);
        defineTargets(node.target, scope, node.value.kind === 'Call' && isNamespaceCall(node.value) ? 'namespace' : 'set');
        return;
      case 'SetBlock':
        visitBody(node.body, scope.child());
        visitExpr(node.filter, scope);
        defineTargets(node.target, scope, 'set');
        return;
      case 'Macro':
        define(scope, node.name, 'macro', node.nameSpan);
        visitMacroBody(node.params, node.openTagSpan, node.body, scope);
        return;
      case 'CallBlock':
        visitExpr(node.call, scope);
        visitMacroBody(node.params, node.openTagSpan, node.body, scope);
        return;
      case 'With': {
        const inner = scope.child();
        for (const assignment of node.assignments) {
          // Jinja evaluates each value with the names assigned before it visible.
          visitExpr(assignment.value, inner);
          defineTargets(assignment.target, inner, 'with');
        }
        visitBody(node.body, inner);
        return;
      }
      case 'Import':
        visitExpr(node.template, scope);
        define(scope, node.alias, 'import', node.aliasSpan);
        return;
      case 'FromImport':
        visitExpr(node.template, scope);
        for (const imported of node.names) define(scope, imported.alias ?? imported.name, 'import', imported.aliasSpan ?? imported.nameSpan);
        return;
      case 'If':
        // Jinja's if opens no scope: a set inside it is visible after the endif.
        for (const branch of node.branches) {
          visitExpr(branch.test, scope);
          visitBody(branch.body, scope);
        }
        if (node.else) visitBody(node.else.body, scope);
        return;
      default:
        // Output, Print, Include, Extends, Do, FilterBlock, Block, Autoescape: expressions, then bodies in place.
        for (const child of childrenOf(node)) {
          if (isStatement(child)) visitStatement(child, scope);
          else visitExpr(child as Expr, scope);
        }
    }
  };

  visitBody(body, new Scope());
  return { uses, definitions };
}

function isNamespaceCall(expr: Expr): boolean {
  return expr.kind === 'Call' && expr.node.kind === 'Name' && (expr.node as NameExpr).name === 'namespace';
}
