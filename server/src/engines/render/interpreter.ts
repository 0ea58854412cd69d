// Evaluates a parsed template with Jinja2's semantics: statements, expressions, scopes, loops,
// macros, call blocks, include/import/extends. Values follow pyValues.ts; operators, attributes,
// filters and tests come from their own modules. No I/O: templates come from the environment.
import type {
  BlockNode,
  CallArguments,
  Expr,
  FilterExpr,
  ForNode,
  MacroParam,
  Node,
  SetNode,
  Span,
  Statement,
} from '../../services/jinja/ast';
import { walkNodes } from '../../services/jinja/walk';
import { decodeStringLiteral } from '../../services/jinja/lexer';
import type { CompiledTemplate, TemplateEnvironment } from './environment';
import { RenderError } from './environment';
import { BUILTIN_FILTERS } from './filters';
import { builtinGlobals, Namespace } from './globals';
import { jinjaGetattr, jinjaGetitem } from './methods';
import { binaryOp, compareValues, escapeHtml, unaryOp } from './operators';
import {
  Markup,
  PyDict,
  PyError,
  hashableKey,
  PyFloat,
  PyFunction,
  PyObject,
  PySlice,
  Undefined,
  pyCompare,
  pyEquals,
  pyIterate,
  pyStr,
  pyTruthy,
  tuple,
  typeName,
  type FilterFunction,
  type PyKwargs,
  type PyValue,
  type RuntimeContext,
  type TestFunction,
} from './pyValues';
import { BUILTIN_TESTS } from './tests';
import { computeTextOutputs } from './whitespace';
import { enablesExtension } from './extensions';

/** Renders a compiled template with extra variables; errors carry the template and line. */
export function renderParsedTemplate(environment: TemplateEnvironment, template: CompiledTemplate, vars: ReadonlyMap<string, PyValue>): string {
  const runtime = new Runtime(environment);
  const context = runtime.newTemplateContext(template, vars);
  return runtime.renderRoot(context);
}

// ---------------------------------------------------------------------------------------------
// Scopes and template contexts

/** Variables of one scope; lookups fall back to the parent, then to the template context. */
class Scope {
  readonly vars = new Map<string, PyValue>();
  constructor(readonly parent: Scope | undefined) {}

  lookup(name: string): PyValue | undefined {
    for (let scope: Scope | undefined = this; scope; scope = scope.parent) {
      const value = scope.vars.get(name);
      if (value !== undefined || scope.vars.has(name)) return value;
    }
    return undefined;
  }
}

/** Per-template state: its globals, its top-level variables (exported by import) and block stack. */
class TemplateContext {
  readonly root: Scope;
  /** Block name -> implementations, the most derived first (for extends and super()). */
  readonly blocks: Map<string, BlockImplementation[]>;
  readonly texts: Map<number, string>;
  /** Names a top-level `set` or macro defined: what `import` exports. */
  readonly exported: Set<string>;

  constructor(
    readonly template: CompiledTemplate,
    readonly globals: ReadonlyMap<string, PyValue>,
    texts: Map<number, string>,
    /** The context of the child template this one is the parent of: Jinja renders a parent in the child's context. */
    child?: TemplateContext,
  ) {
    this.root = child?.root ?? new Scope(undefined);
    this.blocks = child?.blocks ?? new Map();
    this.exported = child?.exported ?? new Set();
    this.texts = texts;
  }
}

interface BlockImplementation {
  template: CompiledTemplate;
  body: Statement[];
  scoped: boolean;
}

/** Where the interpreter stands: the template, its current scope, the loop and macro it is in. */
interface Frame {
  context: TemplateContext;
  /** The template whose nodes are being evaluated (differs from context.template inside an inherited block). */
  template: CompiledTemplate;
  texts: Map<number, string>;
  scope: Scope;
  autoescape: boolean;
}

/** `break` / `continue` unwinding to the loop; `partial` is what the iteration printed before it. */
class LoopControl {
  partial = '';
  constructor(readonly kind: 'break' | 'continue') {}
}

// ---------------------------------------------------------------------------------------------
// Objects the interpreter creates: loops, macros

class LoopContext extends PyObject {
  readonly typeName = 'LoopContext';
  index0 = -1;
  isVisibleToIncludes = true;
  private lastChanged: PyValue[] | undefined;

  constructor(
    readonly items: PyValue[],
    readonly depth0: number,
    private readonly recurse: ((items: PyValue) => string) | undefined,
  ) {
    super();
  }

  override getAttribute(name: string): PyValue | undefined {
    const length = this.items.length;
    switch (name) {
      case 'index':
        return this.index0 + 1;
      case 'index0':
        return this.index0;
      case 'revindex':
        return length - this.index0;
      case 'revindex0':
        return length - this.index0 - 1;
      case 'first':
        return this.index0 === 0;
      case 'last':
        return this.index0 === length - 1;
      case 'length':
        return length;
      case 'depth':
        return this.depth0 + 1;
      case 'depth0':
        return this.depth0;
      case 'previtem':
        return this.index0 > 0 ? this.items[this.index0 - 1] : new Undefined('default', 'there is no previous item', 'previtem');
      case 'nextitem':
        return this.index0 + 1 < length ? this.items[this.index0 + 1] : new Undefined('default', 'there is no next item', 'nextitem');
      case 'cycle':
        return new PyFunction('cycle', (_ctx, args) => {
          if (args.length === 0) throw new PyError('TypeError', 'no items for cycling given');
          return args[this.index0 % args.length];
        });
      case 'changed':
        return new PyFunction('changed', (_ctx, args) => {
          if (this.lastChanged && this.lastChanged.length === args.length && this.lastChanged.every((v, i) => pyEquals(v, args[i]))) return false;
          this.lastChanged = args;
          return true;
        });
    }
    return undefined;
  }

  /** `loop(children)` in a recursive loop renders the loop body again one level deeper. */
  call(items: PyValue): string {
    if (!this.recurse) throw new PyError('TypeError', 'Tried to call non recursive loop.  Maybe you forgot the \'recursive\' modifier.');
    return this.recurse(items);
  }

  override toPyString(): string {
    return `<LoopContext ${this.index0 + 1}/${this.items.length}>`;
  }
}

class Macro extends PyObject {
  readonly typeName = 'Macro';
  constructor(
    readonly name: string,
    readonly impl: (args: PyValue[], kwargs: PyKwargs, caller: PyValue | undefined) => PyValue,
    private readonly signature: { arguments: string[]; catchKwargs: boolean; catchVarargs: boolean; caller: boolean },
  ) {
    super();
  }
  /** jinja2.runtime.Macro's public attributes. */
  override getAttribute(name: string): PyValue | undefined {
    switch (name) {
      case 'name':
        return this.name;
      case 'arguments':
        return tuple(this.signature.arguments);
      case 'catch_kwargs':
        return this.signature.catchKwargs;
      case 'catch_varargs':
        return this.signature.catchVarargs;
      case 'caller':
        return this.signature.caller;
    }
    return undefined;
  }
  override toPyString(): string {
    return `<Macro '${this.name}'>`;
  }
}

/** `self`: the template's blocks as callables (`self.title()`). */
class TemplateReference extends PyObject {
  readonly typeName = 'TemplateReference';
  constructor(private readonly blockFunction: (name: string) => PyValue | undefined) {
    super();
  }
  override getAttribute(name: string): PyValue | undefined {
    return this.blockFunction(name);
  }
}

/** What `import` gives: the template's exported names as attributes. */
class TemplateModule extends PyObject {
  readonly typeName = 'TemplateModule';
  constructor(
    readonly name: string,
    readonly exports: Map<string, PyValue>,
    readonly body: string,
  ) {
    super();
  }
  override getAttribute(name: string): PyValue | undefined {
    return this.exports.get(name);
  }
  override toPyString(): string {
    return this.body;
  }
}

// ---------------------------------------------------------------------------------------------
// The runtime

/** Builtin plus plugin globals, filters and tests, merged once per environment. */
const callablesByEnvironment = new WeakMap<
  TemplateEnvironment,
  { globals: ReadonlyMap<string, PyValue>; filters: ReadonlyMap<string, FilterFunction>; tests: ReadonlyMap<string, TestFunction> }
>();

class Runtime implements RuntimeContext {
  readonly undefinedMode;
  readonly globals: ReadonlyMap<string, PyValue>;
  private readonly filters: ReadonlyMap<string, FilterFunction>;
  private readonly tests: ReadonlyMap<string, TestFunction>;
  private readonly textCache = new WeakMap<CompiledTemplate, Map<number, string>>();
  /** The template and node being evaluated, for the line of an error. */
  private currentTemplate: CompiledTemplate | undefined;
  private currentSpan: Span | undefined;
  private includeDepth = 0;
  private readonly checkedTemplates = new WeakSet<CompiledTemplate>();

  constructor(readonly environment: TemplateEnvironment) {
    const options = environment.options;
    this.undefinedMode = options.undefinedMode;
    let callables = callablesByEnvironment.get(environment);
    if (!callables) {
      // Once per environment, like Jinja's env.globals: the builtin globals are stateless factories
      // (cycler() makes a new cycler), so sharing them across renders changes no output.
      const globals = builtinGlobals();
      for (const [name, value] of options.globals) globals.set(name, value);
      callables = {
        globals,
        filters: options.filters ? new Map([...BUILTIN_FILTERS, ...options.filters]) : BUILTIN_FILTERS,
        tests: options.tests ? new Map([...BUILTIN_TESTS, ...options.tests]) : BUILTIN_TESTS,
      };
      callablesByEnvironment.set(environment, callables);
    }
    this.globals = callables.globals;
    this.filters = callables.filters;
    this.tests = callables.tests;
  }

  // RuntimeContext -----------------------------------------------------------------------------

  makeUndefined(hint: string, name?: string): Undefined {
    return new Undefined(this.undefinedMode, hint, name);
  }

  getattr(obj: PyValue, name: string): PyValue {
    return jinjaGetattr(this, obj, name);
  }

  getitem(obj: PyValue, key: PyValue): PyValue {
    return jinjaGetitem(this, obj, key);
  }

  get autoescape(): boolean {
    return this.environment.options.autoescape ?? false;
  }

  get newlineSequence(): string {
    return this.environment.options.newlineSequence;
  }

  hasFilter(name: string): boolean {
    return this.filters.has(name);
  }

  hasTest(name: string): boolean {
    return this.tests.has(name);
  }

  /** A filter called by name from a filter (map, select): Environment.call_filter's message. */
  callFilter(name: string, value: PyValue, args: PyValue[], kwargs: PyKwargs = new Map()): PyValue {
    const filter = this.filters.get(name);
    if (!filter) throw new PyError('TemplateRuntimeError', `No filter named '${name}'.`);
    return filter(this, value, args, kwargs);
  }

  callTest(name: string, value: PyValue, args: PyValue[], kwargs: PyKwargs = new Map()): boolean {
    const test = this.tests.get(name);
    if (!test) throw new PyError('TemplateRuntimeError', `No test named '${name}'.`);
    return test(this, value, args, kwargs);
  }

  /** A filter or test written in the template but unknown: it compiled in a soft frame and fails when reached. */
  private requireCallable(kind: 'filter' | 'test', name: string): void {
    const known = kind === 'filter' ? this.filters.has(name) : this.tests.has(name);
    if (!known) throw new PyError('TemplateRuntimeError', `No ${kind} named '${name}' found.`);
  }

  call(callee: PyValue, args: PyValue[], kwargs: PyKwargs = new Map()): PyValue {
    if (callee instanceof PyFunction) return callee.impl(this, args, kwargs);
    if (callee instanceof Macro) {
      const caller = kwargs.get('caller');
      const rest = new Map(kwargs);
      rest.delete('caller');
      return callee.impl(args, rest, caller);
    }
    if (callee instanceof LoopContext) {
      if (args.length !== 1) throw new PyError('TypeError', 'loop() takes exactly one argument');
      return callee.call(args[0]);
    }
    if (callee instanceof Undefined) throw new PyError('UndefinedError', callee.hint);
    if (callee instanceof PyObject) {
      const callable = callee as PyObject & { call?: (ctx: RuntimeContext, args: PyValue[], kwargs: PyKwargs) => PyValue };
      if (callable.call) return callable.call(this, args, kwargs);
    }
    throw new PyError('TypeError', `'${typeName(callee)}' object is not callable`);
  }

  // Templates ----------------------------------------------------------------------------------

  newTemplateContext(template: CompiledTemplate, vars: ReadonlyMap<string, PyValue>, parentGlobals?: ReadonlyMap<string, PyValue>): TemplateContext {
    let globals: ReadonlyMap<string, PyValue> = parentGlobals ?? this.globals;
    if (vars.size > 0) globals = new Map([...globals, ...vars]);
    const context = new TemplateContext(template, globals, this.textsOf(template));
    this.checkNames(template);
    return context;
  }

  private textsOf(template: CompiledTemplate): Map<number, string> {
    let texts = this.textCache.get(template);
    if (!texts) {
      const options = this.environment.options;
      texts = computeTextOutputs(template.parsed, template.prepared.text, options.syntax, options.newlineSequence);
      this.textCache.set(template, texts);
    }
    return texts;
  }

  /**
   * Jinja2 refuses unknown filters and tests when it compiles a template, before rendering anything,
   * except inside an if statement or an inline if ("soft" frames), where the call raises when reached.
   */
  private checkNames(template: CompiledTemplate): void {
    if (this.checkedTemplates.has(template)) return;
    this.checkedTemplates.add(template);
    walkNodes(template.parsed.body, (node, parents) => {
      if (node.kind === 'Do' || node.kind === 'Break' || node.kind === 'Continue') {
        // Without their extension these tags are unknown to Jinja2's parser: the whole template fails.
        try {
          this.requireExtension(node.kind === 'Do' ? 'do' : 'loopcontrols', node.kind.toLowerCase());
        } catch (error) {
          throw this.errorAt(template, node.openTagSpan, error);
        }
        return;
      }
      if (node.kind !== 'Filter' && node.kind !== 'Test') return;
      const known = node.kind === 'Filter' ? this.filters.has(node.name) : this.tests.has(node.name);
      if (!node.name || known || isInSoftFrame(node, parents)) return;
      const what = node.kind === 'Filter' ? 'filter' : 'test';
      throw this.errorAt(template, node.nameSpan, new PyError('TemplateAssertionError', `No ${what} named '${node.name}'.`));
    });
  }

  /**
   * Renders a template's top level. With `extends`, what follows the tag runs but prints nothing,
   * and the parent then renders in the same context, its blocks overridden by the child's.
   */
  renderRoot(context: TemplateContext): string {
    const template = context.template;
    const frame: Frame = { context, template, texts: context.texts, scope: context.root, autoescape: this.environment.options.autoescape ?? false };
    for (const node of blocksOf(template)) {
      const chain = context.blocks.get(node.name) ?? [];
      chain.push({ template, body: node.body, scoped: node.scoped });
      context.blocks.set(node.name, chain);
    }
    let output = '';
    let parentName: string | undefined;
    this.guard(template, () => {
      for (const statement of template.parsed.body) {
        if (statement.kind === 'Extends') {
          this.currentSpan = statement.openTagSpan;
          if (parentName !== undefined) throw new PyError('TemplateRuntimeError', 'extended multiple times');
          const name = this.evaluate(statement.template, frame);
          if (typeof name !== 'string') throw new PyError('TypeError', `extends expects a template name, got ${typeName(name)}`);
          parentName = name;
          continue;
        }
        // After extends, blocks are left to the parent; everything else runs with its output dropped.
        if (parentName !== undefined && statement.kind === 'Block') continue;
        const printed = this.renderStatement(statement, frame);
        if (parentName === undefined) output += printed;
      }
    });
    if (parentName === undefined) return output;
    const parentTemplate = this.loadTemplate(parentName, template, frame);
    this.checkNames(parentTemplate);
    return output + this.renderRoot(new TemplateContext(parentTemplate, context.globals, this.textsOf(parentTemplate), context));
  }

  private loadTemplate(name: string, from: CompiledTemplate, _frame: Frame): CompiledTemplate {
    try {
      return this.environment.getTemplate(name);
    } catch (error) {
      if (error instanceof RenderError) throw error;
      throw this.errorAt(from, this.currentSpan, error);
    }
  }

  /** Runs `work` with `template` as the current one, so that errors get its name and line. */
  private guard<T>(template: CompiledTemplate, work: () => T): T {
    const savedTemplate = this.currentTemplate;
    const savedSpan = this.currentSpan;
    this.currentTemplate = template;
    try {
      return work();
    } catch (error) {
      if (error instanceof RenderError || error instanceof LoopControl) throw error;
      throw this.errorAt(template, this.currentSpan, error);
    } finally {
      this.currentTemplate = savedTemplate;
      this.currentSpan = savedSpan;
    }
  }

  private errorAt(template: CompiledTemplate, span: Span | undefined, error: unknown): RenderError {
    const position = template.prepared.positionAt(span?.start ?? 0);
    if (error instanceof PyError) {
      return new RenderError(error.pyType, error.message, template.source.name, position.line + 1, undefined, template.source.path);
    }
    const message = error instanceof Error ? error.message : String(error);
    // A JS error here is a bug of ours or a runaway template (stack overflow): report it, never crash.
    return new RenderError('RuntimeError', `internal renderer error: ${message}`, template.source.name, position.line + 1, undefined, template.source.path);
  }

  // Statements ---------------------------------------------------------------------------------

  private renderBody(body: Statement[], frame: Frame): string {
    let output = '';
    try {
      for (const statement of body) output += this.renderStatement(statement, frame);
    } catch (error) {
      if (error instanceof LoopControl) error.partial = output + error.partial;
      throw error;
    }
    return output;
  }

  private renderStatement(statement: Statement, frame: Frame): string {
    if (statement.kind === 'Text') return frame.texts.get(statement.span.start) ?? '';
    this.currentSpan = statement.openTagSpan;
    switch (statement.kind) {
      case 'Comment':
        return '';
      case 'Output':
        return this.output(this.evaluate(statement.expr, frame), frame);
      case 'Print':
        return statement.exprs.map((expr) => this.output(this.evaluate(expr, frame), frame)).join('');
      case 'If': {
        for (const branch of statement.branches) {
          this.currentSpan = branch.tagSpan;
          if (pyTruthy(this.evaluate(branch.test, frame))) return this.renderBody(branch.body, frame);
        }
        return statement.else ? this.renderBody(statement.else.body, frame) : '';
      }
      case 'For':
        return this.renderFor(statement, frame, undefined, 0);
      case 'Set':
        this.assign(statement.target, this.evaluate(statement.value, frame), frame, statement);
        return '';
      case 'SetBlock': {
        let captured: PyValue = this.renderBody(statement.body, frame);
        if (frame.autoescape) captured = new Markup(captured);
        if (statement.filter) captured = this.applyFilterChain(statement.filter, captured, frame);
        this.assign(statement.target, captured, frame, statement);
        return '';
      }
      case 'Macro': {
        const macro = this.defineMacro(statement.name, statement.params, statement.body, frame);
        frame.scope.vars.set(statement.name, macro);
        if (frame.scope === frame.context.root && !statement.name.startsWith('_')) frame.context.exported.add(statement.name);
        return '';
      }
      case 'CallBlock': {
        const caller = this.defineMacro('caller', statement.params, statement.body, frame);
        const call = statement.call;
        if (call.kind !== 'Call') throw new PyError('TemplateSyntaxError', 'expected a call expression in the call block');
        const callee = this.evaluate(call.node, frame);
        const { args, kwargs } = this.evaluateArguments(call, frame);
        kwargs.set('caller', caller);
        return this.output(this.call(callee, args, kwargs), frame);
      }
      case 'FilterBlock': {
        let captured: PyValue = this.renderBody(statement.body, frame);
        if (frame.autoescape) captured = new Markup(captured);
        return this.output(this.applyFilterChain(statement.filter, captured, frame), frame);
      }
      case 'Include':
        return this.renderInclude(statement.template, statement.ignoreMissing, statement.withContext, frame);
      case 'Import': {
        const module = this.importTemplate(statement.template, statement.withContext, frame);
        frame.scope.vars.set(statement.alias, module);
        if (frame.scope === frame.context.root && !statement.alias.startsWith('_')) frame.context.exported.add(statement.alias);
        return '';
      }
      case 'FromImport': {
        const module = this.importTemplate(statement.template, statement.withContext, frame);
        for (const imported of statement.names) {
          const value = module.exports.get(imported.name);
          const bound = value ?? this.makeUndefined(`the template ${pyReprName(module.name)} (imported on line ${this.lineOf(frame, statement.span)}) does not export the requested name ${pyReprName(imported.name)}`, imported.name);
          const alias = imported.alias ?? imported.name;
          frame.scope.vars.set(alias, bound);
          if (frame.scope === frame.context.root && !alias.startsWith('_')) frame.context.exported.add(alias);
        }
        return '';
      }
      case 'With': {
        const scope = new Scope(frame.scope);
        const inner: Frame = { ...frame, scope };
        for (const assignment of statement.assignments) {
          // Values see the outer scope, as Jinja evaluates them before entering the block.
          const value = this.evaluate(assignment.value, frame);
          this.assign(assignment.target, value, inner, undefined);
        }
        return this.renderBody(statement.body, inner);
      }
      case 'Raw':
        return frame.texts.get(statement.bodySpan.start) ?? '';
      case 'Block':
        return this.renderBlock(statement.name, frame, 0);
      case 'Extends':
        // Only reached inside a block or a branch: Jinja renders the parent from there on.
        throw new PyError('TemplateRuntimeError', 'extended multiple times or inside a block');
      case 'Autoescape': {
        const enabled = pyTruthy(this.evaluate(statement.value, frame));
        return this.renderBody(statement.body, { ...frame, autoescape: enabled });
      }
      case 'Do':
        this.requireExtension('do', 'do');
        this.evaluate(statement.expr, frame);
        return '';
      case 'Break':
      case 'Continue':
        this.requireExtension('loopcontrols', statement.kind.toLowerCase());
        throw new LoopControl(statement.kind === 'Break' ? 'break' : 'continue');
      case 'InvalidTag':
        throw new PyError('TemplateSyntaxError', `Encountered unknown tag '${statement.keyword}'.`);
    }
  }

  /** `do`, `break` and `continue` are tags of Jinja extensions: without them Jinja2 does not know the tag. */
  private requireExtension(feature: 'do' | 'loopcontrols', tag: string): void {
    if (enablesExtension(this.environment.options.extensions ?? [], feature)) return;
    throw new PyError('TemplateSyntaxError', `Encountered unknown tag '${tag}'. (It needs jinja2.ext.${feature} in makejinja.toml's extensions.)`);
  }

  private output(value: PyValue, frame: Frame): string {
    if (frame.autoescape && !(value instanceof Markup)) return escapeHtml(pyStr(value));
    return pyStr(value);
  }

  private renderFor(node: ForNode, frame: Frame, iterable: PyValue | undefined, depth0: number): string {
    const source = iterable ?? this.evaluate(node.iter, frame);
    let items = pyIterate(source);
    if (node.filter) {
      const filter = node.filter;
      items = items.filter((item) => {
        const scope = new Scope(frame.scope);
        this.assign(node.target, item, { ...frame, scope }, undefined);
        return pyTruthy(this.evaluate(filter, { ...frame, scope }));
      });
    } else {
      items = items.slice();
    }
    const recurse = node.recursive ? (children: PyValue) => this.renderFor(node, frame, children, depth0 + 1) : undefined;
    const loop = new LoopContext(items, depth0, recurse);
    // Jinja2 creates `loop` only when the body names it; only then does an include see it.
    loop.isVisibleToIncludes = node.recursive || referencesName(node.body, 'loop');
    let output = '';
    for (let i = 0; i < items.length; i++) {
      loop.index0 = i;
      // Each iteration starts from the outer values: a `set` in the body does not survive the iteration.
      const scope = new Scope(frame.scope);
      scope.vars.set('loop', loop);
      const inner: Frame = { ...frame, scope };
      this.assign(node.target, items[i], inner, undefined);
      try {
        output += this.renderBody(node.body, inner);
      } catch (control) {
        if (!(control instanceof LoopControl)) throw control;
        // The output of the iteration up to break/continue is kept, as Jinja yields it as it goes.
        output += control.partial;
        if (control.kind === 'break') break;
      }
    }
    if (items.length === 0 && node.else) output += this.renderBody(node.else.body, frame);
    return output;
  }

  private renderBlock(name: string, frame: Frame, level: number): string {
    const chain = frame.context.blocks.get(name);
    const implementation = chain?.[level];
    if (!implementation) return '';
    const template = implementation.template;
    // A block sees the template's variables, and the loop around it only when declared `scoped`.
    const scope = new Scope(implementation.scoped ? frame.scope : frame.context.root);
    const blockFrame: Frame = { ...frame, template, texts: this.textsOf(template), scope };
    scope.vars.set(
      'super',
      new PyFunction('super', () => {
        if (!chain[level + 1]) throw new PyError('TemplateRuntimeError', `no parent block called '${name}'.`);
        return new Markup(this.renderBlock(name, frame, level + 1));
      }),
    );
    return this.guard(template, () => this.renderBody(implementation.body, blockFrame));
  }

  private renderInclude(templateExpr: Expr, ignoreMissing: boolean, withContext: boolean, frame: Frame): string {
    const target = this.evaluate(templateExpr, frame);
    const names = Array.isArray(target) ? target : [target];
    let template: CompiledTemplate | undefined;
    for (const name of names) {
      if (typeof name !== 'string') continue;
      try {
        template = this.environment.getTemplate(name);
        break;
      } catch (error) {
        if (error instanceof RenderError) throw error;
        if (!(error instanceof PyError && error.pyType === 'TemplateNotFound')) throw error;
      }
    }
    if (!template) {
      if (ignoreMissing) return '';
      const shown = names.map((n) => pyStr(n)).join(', ');
      throw new PyError('TemplateNotFound', Array.isArray(target) ? `none of the templates given were found: ${shown}` : shown);
    }
    if (++this.includeDepth > 200) throw new PyError('RuntimeError', 'maximum include depth exceeded (a template includes itself)');
    try {
      const vars = withContext ? this.visibleVariables(frame) : new Map<string, PyValue>();
      const context = this.newTemplateContext(template, vars, withContext ? frame.context.globals : this.globals);
      return this.renderRoot(context);
    } finally {
      this.includeDepth--;
    }
  }

  private importTemplate(templateExpr: Expr, withContext: boolean, frame: Frame): TemplateModule {
    const name = this.evaluate(templateExpr, frame);
    if (typeof name !== 'string') throw new PyError('TypeError', 'import needs a template name');
    const template = this.environment.getTemplate(name);
    const vars = withContext ? this.visibleVariables(frame) : new Map<string, PyValue>();
    const context = this.newTemplateContext(template, vars, withContext ? frame.context.globals : this.globals);
    const body = this.renderRoot(context);
    const exports = new Map<string, PyValue>();
    for (const exported of context.exported) exports.set(exported, context.root.vars.get(exported) ?? null);
    return new TemplateModule(name, exports, body);
  }

  /** Every variable visible from the frame (what an include with context sees). */
  private visibleVariables(frame: Frame): Map<string, PyValue> {
    const chain: Scope[] = [];
    for (let scope: Scope | undefined = frame.scope; scope; scope = scope.parent) chain.unshift(scope);
    const vars = new Map<string, PyValue>();
    for (const scope of chain) {
      for (const [name, value] of scope.vars) {
        if (value instanceof LoopContext && !value.isVisibleToIncludes) vars.delete(name);
        else vars.set(name, value);
      }
    }
    return vars;
  }

  private defineMacro(name: string, params: MacroParam[], body: Statement[], frame: Frame): Macro {
    const usesVarargs = referencesName(body, 'varargs');
    const usesKwargs = referencesName(body, 'kwargs');
    const usesCaller = referencesName(body, 'caller');
    const definingFrame = frame;
    return new Macro(name, (args, kwargs, caller) => {
      const scope = new Scope(definingFrame.scope);
      const inner: Frame = { ...definingFrame, scope };
      if (args.length > params.length && !usesVarargs) {
        throw new PyError('TypeError', `macro '${name}' takes not more than ${params.length} argument(s)`);
      }
      const extraKwargs = new PyDict();
      for (const [key, value] of kwargs) {
        if (!params.some((p) => p.name === key)) {
          if (!usesKwargs) throw new PyError('TypeError', `macro '${name}' takes no keyword argument '${key}'`);
          extraKwargs.set(key, value);
        }
      }
      params.forEach((param, i) => {
        let value: PyValue | undefined;
        if (i < args.length) {
          if (kwargs.has(param.name)) throw new PyError('TypeError', `macro '${name}' got multiple values for argument '${param.name}'`);
          value = args[i];
        } else if (kwargs.has(param.name)) value = kwargs.get(param.name)!;
        else if (param.default) value = this.evaluate(param.default, inner);
        else value = this.makeUndefined(`parameter '${param.name}' was not provided`, param.name);
        scope.vars.set(param.name, value);
      });
      if (usesVarargs) scope.vars.set('varargs', tuple(args.slice(params.length)));
      if (usesKwargs) scope.vars.set('kwargs', extraKwargs);
      if (usesCaller || caller !== undefined) {
        if (caller === undefined && !usesCaller) throw new PyError('TypeError', `macro '${name}' takes no keyword argument 'caller'`);
        scope.vars.set('caller', caller ?? this.makeUndefined('No caller defined', 'caller'));
      } else if (caller !== undefined) {
        throw new PyError('TypeError', `macro '${name}' takes no keyword argument 'caller'`);
      }
      const output = this.guard(definingFrame.template, () => this.renderBody(body, inner));
      return frame.autoescape ? new Markup(output) : output;
    }, { arguments: params.map((p) => p.name), catchKwargs: usesKwargs, catchVarargs: usesVarargs, caller: usesCaller });
  }

  private assign(target: Expr, value: PyValue, frame: Frame, statement: SetNode | Statement | undefined): void {
    switch (target.kind) {
      case 'Name':
        frame.scope.vars.set(target.name, value);
        if (frame.scope === frame.context.root && statement && !target.name.startsWith('_')) frame.context.exported.add(target.name);
        return;
      case 'Tuple':
      case 'List': {
        const items = pyIterate(value);
        if (items.length !== target.items.length) {
          throw new PyError('ValueError', items.length > target.items.length ? `too many values to unpack (expected ${target.items.length})` : `not enough values to unpack (expected ${target.items.length}, got ${items.length})`);
        }
        target.items.forEach((item, i) => this.assign(item, items[i], frame, statement));
        return;
      }
      case 'NsRef': {
        const namespace = frame.scope.lookup(target.name) ?? frame.context.globals.get(target.name);
        if (!(namespace instanceof Namespace)) throw new PyError('TemplateRuntimeError', 'cannot assign attribute on non-namespace object');
        namespace.setAttribute(target.attr, value);
        return;
      }
      default:
        throw new PyError('TemplateSyntaxError', `can't assign to ${target.kind}`);
    }
  }

  private lineOf(frame: Frame, span: Span): number {
    return frame.template.prepared.positionAt(span.start).line + 1;
  }

  // Expressions --------------------------------------------------------------------------------

  evaluate(expr: Expr, frame: Frame): PyValue {
    switch (expr.kind) {
      case 'Const':
        if (expr.type === 'string' && expr.raw.includes('\n') && this.newlineSequence !== '\n') return decodeWithNewlines(expr.raw, this.newlineSequence);
        return constantValue(expr.type, expr.value, expr.raw);
      case 'Name':
        return this.lookupName(expr.name, frame);
      case 'List':
        return expr.items.map((item) => this.evaluate(item, frame));
      case 'Tuple':
        return tuple(expr.items.map((item) => this.evaluate(item, frame)));
      case 'Dict': {
        const dict = new PyDict();
        for (const item of expr.items) {
          const key = this.evaluate(item.key, frame);
          dict.set(hashableKey(key), this.evaluate(item.value, frame));
        }
        return dict;
      }
      case 'Getattr':
        return this.getattr(this.evaluate(expr.node, frame), expr.attr);
      case 'Getitem': {
        const obj = this.evaluate(expr.node, frame);
        if (expr.arg.kind === 'Slice') {
          const slice = expr.arg;
          const part = (e: Expr | undefined): PyValue => (e ? this.evaluate(e, frame) : null);
          return this.getitem(obj, new PySlice(part(slice.start), part(slice.stop), part(slice.step)) as unknown as PyValue);
        }
        return this.getitem(obj, this.evaluate(expr.arg, frame));
      }
      case 'Slice':
        throw new PyError('TemplateSyntaxError', 'a slice is only allowed inside a subscript');
      case 'Call': {
        const callee = this.evaluate(expr.node, frame);
        const { args, kwargs } = this.evaluateArguments(expr, frame);
        return this.call(callee, args, kwargs);
      }
      case 'Filter':
        return this.applyFilterChain(expr, undefined, frame);
      case 'Test': {
        const value = this.evaluate(expr.node, frame);
        const { args, kwargs } = this.evaluateArguments(expr, frame);
        this.requireCallable('test', expr.name);
        const result = this.callTest(expr.name, value, args, kwargs);
        return expr.negated ? !result : result;
      }
      case 'CondExpr': {
        if (pyTruthy(this.evaluate(expr.test, frame))) return this.evaluate(expr.expr1, frame);
        if (expr.expr2) return this.evaluate(expr.expr2, frame);
        // Jinja2 compiles this to the plain Undefined class, whatever the environment's undefined is.
        const where = `line ${this.lineOf(frame, expr.span)}` + (frame.template.source.name ? ` in '${frame.template.source.name}'` : '');
        return new Undefined('default', `the inline if-expression on ${where} evaluated to false and no else section was defined.`);
      }
      case 'BinOp': {
        const left = this.evaluate(expr.left, frame);
        const right = this.evaluate(expr.right, frame);
        if (expr.op === '~') return pyStr(left) + pyStr(right);
        return binaryOp(expr.op, left, right);
      }
      case 'UnaryOp': {
        const operand = this.evaluate(expr.operand, frame);
        if (expr.op === 'not') return !pyTruthy(operand);
        return unaryOp(expr.op, operand);
      }
      case 'Compare': {
        let left = this.evaluate(expr.expr, frame);
        for (const operand of expr.ops) {
          const right = this.evaluate(operand.expr, frame);
          if (!compareValues(operand.op, left, right)) return false;
          left = right;
        }
        return true;
      }
      case 'And': {
        const left = this.evaluate(expr.left, frame);
        return pyTruthy(left) ? this.evaluate(expr.right, frame) : left;
      }
      case 'Or': {
        const left = this.evaluate(expr.left, frame);
        return pyTruthy(left) ? left : this.evaluate(expr.right, frame);
      }
      case 'NsRef':
        return this.getattr(this.lookupName(expr.name, frame), expr.attr);
      case 'Missing':
        throw new PyError('TemplateSyntaxError', 'expected an expression');
    }
  }

  private lookupName(name: string, frame: Frame): PyValue {
    const local = frame.scope.lookup(name);
    if (local !== undefined) return local;
    const global = frame.context.globals.get(name);
    if (global !== undefined) return global;
    if (name === 'self') return new TemplateReference((block) => (frame.context.blocks.has(block) ? new PyFunction(block, () => this.renderBlock(block, frame, 0)) : undefined));
    return this.makeUndefined(`'${name}' is undefined`, name);
  }

  private evaluateArguments(call: CallArguments, frame: Frame): { args: PyValue[]; kwargs: PyKwargs } {
    const args = call.args.map((arg) => this.evaluate(arg, frame));
    const kwargs: PyKwargs = new Map();
    for (const keyword of call.kwargs) kwargs.set(keyword.name, this.evaluate(keyword.value, frame));
    if (call.dynArgs) args.push(...pyIterate(this.evaluate(call.dynArgs, frame)));
    if (call.dynKwargs) {
      const extra = this.evaluate(call.dynKwargs, frame);
      if (!(extra instanceof PyDict)) throw new PyError('TypeError', 'argument after ** must be a mapping');
      for (const [key, value] of extra) kwargs.set(String(key), value);
    }
    return { args, kwargs };
  }

  /** A filter chain as written: the innermost filter takes `input` (a filter block's body) or its node's value. */
  private applyFilterChain(filter: FilterExpr, input: PyValue | undefined, frame: Frame): PyValue {
    let value: PyValue;
    if (filter.node === undefined) value = input ?? '';
    else if (filter.node.kind === 'Filter') value = this.applyFilterChain(filter.node, input, frame);
    else value = this.evaluate(filter.node, frame);
    const { args, kwargs } = this.evaluateArguments(filter, frame);
    this.requireCallable('filter', filter.name);
    return this.callFilter(filter.name, value, args, kwargs);
  }
}

// ---------------------------------------------------------------------------------------------
// Helpers

function constantValue(type: string, value: string | number | boolean | null, raw: string): PyValue {
  if (type === 'number') {
    const isFloat = !/^0[xob]/i.test(raw) && /[.eE]/.test(raw);
    return isFloat ? new PyFloat(value as number) : (value as number);
  }
  return value;
}

/** Jinja2 turns newlines written inside a string literal (not `\\n` escapes) into newline_sequence. */
function decodeWithNewlines(raw: string, newlineSequence: string): string {
  let value = '';
  for (const match of raw.matchAll(/'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"/gs)) {
    value += decodeStringLiteral(match[0].slice(1, -1), newlineSequence).value;
  }
  return value;
}

const blocksByTemplate = new WeakMap<CompiledTemplate, BlockNode[]>();

/** The template's `block` statements, found once per parsed template. */
function blocksOf(template: CompiledTemplate): BlockNode[] {
  let blocks = blocksByTemplate.get(template);
  if (!blocks) {
    blocks = collectNodes(template.parsed.body).filter((node): node is BlockNode => node.kind === 'Block');
    blocksByTemplate.set(template, blocks);
  }
  return blocks;
}

const namesByBody = new WeakMap<Statement[], Set<string>>();

/** Whether a macro body mentions a name (varargs, kwargs, caller change how Jinja binds its arguments). */
function referencesName(body: Statement[], name: string): boolean {
  let names = namesByBody.get(body);
  if (!names) {
    names = new Set();
    for (const node of collectNodes(body)) if (node.kind === 'Name') names.add(node.name);
    namesByBody.set(body, names);
  }
  return names.has(name);
}

/**
 * Whether Jinja2 compiles `node` in a soft frame: inside an if statement or inline if, with no
 * construct that opens a frame of its own (a loop body, macro, call, filter or set block, with,
 * block) in between. A loop's iterable belongs to the frame around the loop.
 */
function isInSoftFrame(node: Node, parents: readonly Node[]): boolean {
  for (let i = parents.length - 1; i >= 0; i--) {
    const parent = parents[i];
    switch (parent.kind) {
      case 'If':
      case 'CondExpr':
        return true;
      case 'For': {
        const child = parents[i + 1] ?? node;
        if (child !== parent.iter) return false;
        break;
      }
      case 'Macro':
      case 'CallBlock':
      case 'FilterBlock':
      case 'SetBlock':
      case 'With':
      case 'Block':
        return false;
    }
  }
  return false;
}

function collectNodes(body: readonly Node[]): Node[] {
  const nodes: Node[] = [];
  walkNodes(body, (node) => {
    nodes.push(node);
  });
  return nodes;
}

function pyReprName(name: string): string {
  return `'${name}'`;
}

