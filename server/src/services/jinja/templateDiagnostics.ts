// Problems of one template: the parser's syntax problems, names that resolve to nothing (under
// chainable undefined they silently render as empty strings), unknown filters, tests and
// functions, wrong argument counts, attributes no item has, and includes of missing templates.
import type { ConfigProblem } from '../cluster/diagnostics';
import { closestName, uniqueExtension } from '../text/didYouMean';
import type { CallArguments, Expr, ParsedTemplate, Span } from './ast';
import { LOOP_ATTRIBUTES } from './builtins';
import { resolveNames, type NameResolution } from './nameResolution';
import type { CallableInfo, TemplateContext } from './templateContext';
import { walkNodes } from './walk';

/** Same shape as config problems, so one converter turns both into LSP diagnostics. */
export type TemplateDiagnostic = ConfigProblem;

function stringConst(expr: Expr): string | undefined {
  return expr.kind === 'Const' && expr.type === 'string' ? String(expr.value) : undefined;
}

function argumentProblem(info: CallableInfo, call: CallArguments, span: Span, what: string): TemplateDiagnostic | undefined {
  if (info.minArgs === undefined || call.dynArgs) return undefined;
  const count = call.args.length;
  const max = info.maxArgs;
  if (count >= info.minArgs && (max === null || max === undefined || count <= max)) return undefined;
  const expected =
    max === null || max === undefined
      ? `at least ${info.minArgs}`
      : info.minArgs === max
        ? `${max}`
        : `${info.minArgs} to ${max}`;
  return {
    span,
    code: 'argument-count',
    severity: 'error',
    message: `${what} ${info.name} takes ${expected} positional argument${expected === '1' ? '' : 's'}, but ${count} ${count === 1 ? 'is' : 'are'} given. Signature: ${info.signature}`,
  };
}

function unknownNameProblem(
  kind: 'filter' | 'test' | 'function',
  name: string,
  span: Span,
  candidates: Iterable<string>,
): TemplateDiagnostic {
  const suggestion = closestName(name, candidates);
  const consequence = kind === 'function' ? 'Calling it fails the render.' : `The render fails with "No ${kind} named '${name}'".`;
  return {
    span,
    code: `unknown-${kind}`,
    severity: 'error',
    message: `Unknown ${kind} ${name}.${suggestion ? ` Did you mean ${suggestion}?` : ''} ${consequence}`,
    fix: suggestion ? { title: `Change to ${suggestion}`, span, newText: suggestion } : undefined,
  };
}

/**
 * Example: `#{ cluster_api_adr }#` with `cluster_api_addr` in the data gives an `undefined-variable`
 * warning with the quick fix "Change to cluster_api_addr".
 */
export function collectTemplateProblems(parsed: ParsedTemplate, ctx: TemplateContext, resolution: NameResolution = resolveNames(parsed.body)): TemplateDiagnostic[] {
  const problems: TemplateDiagnostic[] = parsed.problems.map((p) => ({
    span: p.span,
    code: p.code,
    message: p.message,
    severity: 'error',
    related: p.related?.map((r) => ({ file: 'self' as const, span: r.span, message: r.message })),
  }));
  walkNodes(parsed.body, (node) => {
    switch (node.kind) {
      case 'Filter':
      case 'Test': {
        if (!node.name) return;
        const kind = node.kind === 'Filter' ? 'filter' : 'test';
        const known = kind === 'filter' ? ctx.filters : ctx.tests;
        const info = known.get(node.name);
        const problem = info ? argumentProblem(info, node, node.nameSpan, `The ${kind}`) : unknownNameProblem(kind, node.name, node.nameSpan, known.keys());
        if (problem) problems.push(problem);
        return;
      }
      case 'Include':
      case 'Import':
      case 'FromImport':
      case 'Extends': {
        const name = stringConst(node.template);
        const ignoreMissing = node.kind === 'Include' && node.ignoreMissing;
        if (name !== undefined && !ignoreMissing && !ctx.templateNames.has(name)) {
          const suggestion = closestName(name, ctx.templateNames, 4);
          problems.push({
            span: node.template.span,
            code: 'missing-template',
            severity: 'error',
            message: `No template named "${name}" in the template folders.${suggestion ? ` Did you mean "${suggestion}"?` : ''} The render fails with TemplateNotFound.`,
          });
        }
        return;
      }
    }
  });

  const localNames = new Set(resolution.definitions.map((d) => d.name));
  const callNodes = new Map<Expr, CallArguments>();
  walkNodes(parsed.body, (node) => {
    if (node.kind === 'Call' && node.node.kind === 'Name') callNodes.set(node.node, node);
  });
  for (const use of resolution.uses) {
    if (use.local) continue;
    const call = callNodes.get(use.node);
    if (call) {
      const info = ctx.functions.get(use.name);
      if (info) {
        const problem = argumentProblem(info, call, use.span, 'The function');
        if (problem) problems.push(problem);
      } else if (ctx.filters.has(use.name) && !ctx.variables.has(use.name)) {
        problems.push({
          span: use.span,
          code: 'unknown-function',
          severity: 'error',
          message: `${use.name} is a filter, not a function: write value | ${use.name}(...). Calling it fails the render.`,
        });
      } else if (!ctx.variables.has(use.name)) {
        problems.push(unknownNameProblem('function', use.name, use.span, ctx.functions.keys()));
      }
      continue;
    }
    if (ctx.variables.has(use.name) || ctx.functions.has(use.name)) continue;
    const known = [...ctx.variables.keys(), ...localNames];
    const suggestion = closestName(use.name, known) ?? uniqueExtension(use.name, known);
    const isStrict = ctx.undefinedMode === 'strict';
    problems.push({
      span: use.span,
      code: 'undefined-variable',
      severity: isStrict ? 'error' : 'warning',
      message: `${use.name} is not defined by cluster.yaml, nodes.yaml, the plugin or the template.${suggestion ? ` Did you mean ${suggestion}?` : ''} ${isStrict ? 'The render fails (undefined = "strict").' : 'It renders as an empty string.'}`,
      fix: suggestion ? { title: `Change to ${suggestion}`, span: use.span, newText: suggestion } : undefined,
    });
  }
  problems.push(...attributeProblems(parsed, ctx, resolution));
  return problems.sort((a, b) => a.span.start - b.span.start);
}

/** `node.adress` in `for node in nodes`, and `loop.idx`: attributes no item has. */
function attributeProblems(parsed: ParsedTemplate, ctx: TemplateContext, resolution: NameResolution): TemplateDiagnostic[] {
  const problems: TemplateDiagnostic[] = [];
  const localOf = new Map(resolution.uses.filter((u) => u.local).map((u) => [u.node, u.local!]));
  const loopAttributes = LOOP_ATTRIBUTES.map((a) => a.name);
  walkNodes(parsed.body, (node) => {
    if (node.kind !== 'Getattr' || !node.attr || node.node.kind !== 'Name') return;
    const local = localOf.get(node.node);
    if (!local) return;
    let known: string[] | undefined;
    let owner = '';
    if (local.kind === 'loop') {
      known = loopAttributes;
      owner = 'the loop object';
    } else if (local.kind === 'loop-target' && local.iterName) {
      const variable = ctx.variables.get(local.iterName);
      if (!variable?.itemFields) return;
      const present = Array.isArray(variable.value)
        ? variable.value.flatMap((item) => (item && typeof item === 'object' ? Object.keys(item) : []))
        : [];
      known = [...new Set([...variable.itemFields.map((f) => f.name), ...present])];
      owner = `any item of ${local.iterName}`;
    }
    if (!known || known.includes(node.attr)) return;
    const suggestion = closestName(node.attr, known);
    problems.push({
      span: node.attrSpan,
      code: 'unknown-attribute',
      severity: 'warning',
      message: `${node.attr} is not an attribute of ${owner}.${suggestion ? ` Did you mean ${suggestion}?` : ''} It renders as an empty string.`,
      fix: suggestion ? { title: `Change to ${suggestion}`, span: node.attrSpan, newText: suggestion } : undefined,
    });
  });
  return problems;
}
