// The renderer's entry point: a Jinja2-like Environment over templates that the caller supplies
// as text (no I/O here). Parsing and evaluation live in interpreter.ts; this module holds the
// options, the template cache and the error type that carries a template line.
import type { JinjaSyntax } from '../../services/jinja/syntax';
import { parseTemplate } from '../../services/jinja/parser';
import type { ParsedTemplate } from '../../services/jinja/ast';
import { PyError, type FilterFunction, type PyErrorType, type PyValue, type TestFunction, type UndefinedMode } from './pyValues';
import { renderParsedTemplate } from './interpreter';
import { prepareSource, type PreparedSource } from './whitespace';

export interface EnvironmentOptions {
  /** Delimiters, line statement and line comment prefixes, trim_blocks and lstrip_blocks. */
  syntax: JinjaSyntax;
  keepTrailingNewline: boolean;
  newlineSequence: '\n' | '\r\n' | '\r';
  undefinedMode: UndefinedMode;
  /** The text of a template by its loader name (relative path with '/'), or undefined when there is none. */
  loadTemplate(name: string): TemplateSource | undefined;
  /** Data, `env`, plugin functions: every template sees them. */
  globals: ReadonlyMap<string, PyValue>;
  /** Filters and tests added to Jinja2's builtins (plugin filters); they win over builtins of the same name. */
  filters?: ReadonlyMap<string, FilterFunction>;
  tests?: ReadonlyMap<string, TestFunction>;
  /** Jinja extensions enabled in makejinja.toml (`jinja2.ext.do`, `jinja2.ext.loopcontrols`). */
  extensions?: readonly string[];
  /** Jinja's autoescape (makejinja's internal.autoescape); off in cluster-template. */
  autoescape?: boolean;
}

export interface TemplateSource {
  /** The loader name, e.g. `kubernetes/apps/kustomization.yaml.j2`. */
  name: string;
  text: string;
  /** Where it came from (absolute path), for messages. */
  path?: string;
}

/** A template that failed to parse or render: the Python exception and where it was raised. */
export class RenderError extends Error {
  constructor(
    readonly pyType: PyErrorType,
    message: string,
    /** The loader name of the template the error happened in (an included one, possibly). */
    readonly templateName: string,
    /** 1-based line in that template. */
    readonly line: number,
    /** 0-based column when known (syntax errors). */
    readonly column?: number,
    readonly templatePath?: string,
  ) {
    super(message);
  }

  /** `name:line: Type: message`, the form the CLI prints. */
  describe(): string {
    return `${this.templateName}:${this.line}: ${this.pyType}: ${this.message}`;
  }
}

export interface CompiledTemplate {
  source: TemplateSource;
  prepared: PreparedSource;
  parsed: ParsedTemplate;
}

export class TemplateEnvironment {
  private readonly cache = new Map<string, CompiledTemplate>();

  constructor(readonly options: EnvironmentOptions) {}

  /** Renders a template by loader name with extra variables (makejinja's file-specific data). */
  render(name: string, vars: ReadonlyMap<string, PyValue> = new Map()): string {
    return renderParsedTemplate(this, this.getTemplate(name), vars);
  }

  /** Renders text that is not (or not yet) what the loader holds: the live preview of an open editor. */
  renderSource(source: TemplateSource, vars: ReadonlyMap<string, PyValue> = new Map()): string {
    return renderParsedTemplate(this, this.compile(source), vars);
  }

  /** The parsed template by loader name (cached); TemplateNotFound when the loader has none. */
  getTemplate(name: string): CompiledTemplate {
    const cached = this.cache.get(name);
    if (cached) return cached;
    const source = this.options.loadTemplate(name);
    if (!source) throw new PyError('TemplateNotFound', name);
    const compiled = this.compile(source);
    this.cache.set(name, compiled);
    return compiled;
  }

  /** Forgets a cached template (its text changed). */
  invalidate(name?: string): void {
    if (name === undefined) this.cache.clear();
    else this.cache.delete(name);
  }

  /** Parses a source; the first syntax problem is raised as Jinja would raise it. */
  compile(source: TemplateSource): CompiledTemplate {
    const prepared = prepareSource(source.text, this.options.keepTrailingNewline);
    const parsed = parseTemplate(prepared.text, this.options.syntax);
    const problem = parsed.problems[0];
    if (problem) {
      const position = prepared.positionAt(problem.span.start);
      throw new RenderError('TemplateSyntaxError', problem.message, source.name, position.line + 1, position.character, source.path);
    }
    return { source, prepared, parsed };
  }
}
