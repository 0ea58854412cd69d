// Hover in templates: a variable's type, documentation, effective value (masked for secrets) and
// origin; a local's definition; the signature and docs of filters, tests and functions; loop
// attributes and node fields with their values across items. Never shows a secret value.
import { Hover, MarkupKind, Range } from 'vscode-languageserver-types';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { ParsedTemplate } from './ast';
import type { TemplateContext } from './templateContext';
import {
  attributeMarkdown,
  attributesOf,
  callableMarkdown,
  LocalScopes,
  localMarkdown,
  shapeOf,
  targetAt,
  variableMarkdown,
  type ReadTextOf,
  type TemplateTarget,
} from './templateLookup';

/**
 * Hover at `offset`. Example: over `node_cidr` in `#{ node_cidr }#` the Markdown starts with
 * "(variable) **node_cidr** · `string (IPv4 CIDR)`" and shows the value and "From cluster.yaml line 2";
 * over `upper` in `#{ x | upper }#` it shows "(filter) `upper()`". `readTextOf` (optional) lets it
 * name the line of a key in cluster.yaml.
 */
export function computeTemplateHover(document: TextDocument, offset: number, parsed: ParsedTemplate, ctx: TemplateContext, readTextOf?: ReadTextOf): Hover | null {
  const scopes = new LocalScopes(parsed);
  const target = targetAt(parsed, offset, scopes);
  if (!target) return null;
  const value = markdownOf(document, target, ctx, scopes, readTextOf);
  if (!value) return null;
  return {
    contents: { kind: MarkupKind.Markdown, value },
    range: Range.create(document.positionAt(target.span.start), document.positionAt(target.span.end)),
  };
}

function markdownOf(document: TextDocument, target: TemplateTarget, ctx: TemplateContext, scopes: LocalScopes, readTextOf: ReadTextOf | undefined): string | undefined {
  switch (target.kind) {
    case 'name': {
      if (target.local) return localMarkdown(target.local, document, ctx, scopes);
      const variable = ctx.variables.get(target.name);
      const fn = ctx.functions.get(target.name);
      // A called name is the function when both exist (Jinja looks names up once; a data key
      // that shadows a global is rare, and then the call fails anyway).
      if (fn && (target.isCall || !variable)) return callableMarkdown(fn, readTextOf);
      return variable ? variableMarkdown(variable, readTextOf) : undefined;
    }
    case 'filter': {
      const info = ctx.filters.get(target.name);
      return info ? callableMarkdown(info, readTextOf) : undefined;
    }
    case 'test': {
      const info = ctx.tests.get(target.name);
      return info ? callableMarkdown(info, readTextOf) : undefined;
    }
    case 'attribute': {
      const shape = shapeOf(target.object, target.span.start, ctx, scopes);
      const attribute = shape && attributesOf(shape).find((a) => a.name === target.name);
      return shape && attribute ? attributeMarkdown(shape, attribute, document) : undefined;
    }
    case 'template':
      return ctx.templateNames.has(target.name) ? `(template) \`${target.name}\`` : `(template) \`${target.name}\`\n\nNo template of that name in the template folders.`;
  }
}
