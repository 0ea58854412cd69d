// The syntax tree of a Jinja template with exact source spans on every node.
// Types only: building it is parser.ts, walking it is walk.ts.
import type { Span } from '../yaml/parse';

export type { Span };

/** One delimited piece of template code as written, with its whitespace-control markers. */
export interface Tag {
  kind: 'block' | 'variable' | 'comment' | 'lineStatement' | 'lineComment';
  /**
   * From the start delimiter (or line prefix) to the end of the end delimiter (a line statement:
   * to its last token; a line comment: to the end of its line). Whitespace that Jinja swallows
   * around a tag (`-`, trim_blocks, lstrip_blocks, the spaces before a line prefix, a line
   * statement's newline) is not inside: it stays in the Text nodes around, and the renderer
   * applies those rules from the kind and markers. An unterminated tag ends where the parser
   * stopped reading it.
   */
  span: Span;
  /** `#%-`: strip whitespace before the tag. */
  trimLeft: boolean;
  /** `-%#`: strip whitespace after the tag. */
  trimRight: boolean;
  /** `#%+`: keep the spaces before the tag despite lstrip_blocks. */
  keepLeft: boolean;
  /** `+%#`: keep the newline after the tag despite trim_blocks. */
  keepRight: boolean;
  /** False when the end delimiter is missing. */
  isTerminated: boolean;
}

// ---------------------------------------------------------------------------------------------
// Expressions

export interface ExprBase {
  span: Span;
  /** Set when the expression was written inside parentheses: the span including the outermost pair. */
  parenSpan?: Span;
}

/** A variable reference or assignment target; `span` is exactly the identifier. */
export interface NameExpr extends ExprBase {
  kind: 'Name';
  name: string;
}

export interface ConstExpr extends ExprBase {
  kind: 'Const';
  type: 'string' | 'number' | 'bool' | 'none';
  /** The decoded value (escapes applied; adjacent string literals joined). */
  value: string | number | boolean | null;
  /** The source text of the literal(s). */
  raw: string;
}

export interface ListExpr extends ExprBase {
  kind: 'List';
  items: Expr[];
}

export interface TupleExpr extends ExprBase {
  kind: 'Tuple';
  items: Expr[];
}

export interface DictItem {
  key: Expr;
  value: Expr;
  span: Span;
}

export interface DictExpr extends ExprBase {
  kind: 'Dict';
  items: DictItem[];
}

/** `node.attr`; `attr` is '' (with an empty `attrSpan`) when the name after the dot is missing. */
export interface GetattrExpr extends ExprBase {
  kind: 'Getattr';
  node: Expr;
  attr: string;
  attrSpan: Span;
}

/** `node[arg]`, also `node.0` (Jinja reads a number after a dot as a subscript). */
export interface GetitemExpr extends ExprBase {
  kind: 'Getitem';
  node: Expr;
  arg: Expr;
}

export interface SliceExpr extends ExprBase {
  kind: 'Slice';
  start?: Expr;
  stop?: Expr;
  step?: Expr;
}

export interface Keyword {
  name: string;
  nameSpan: Span;
  value: Expr;
  /** From the name to the end of the value. */
  span: Span;
}

/** Arguments shared by calls, filters and tests. */
export interface CallArguments {
  args: Expr[];
  kwargs: Keyword[];
  /** `*args` */
  dynArgs?: Expr;
  /** `**kwargs` */
  dynKwargs?: Expr;
  /** The parenthesised argument list, when there is one. */
  argsSpan?: Span;
}

export interface CallExpr extends ExprBase, CallArguments {
  kind: 'Call';
  node: Expr;
}

/**
 * `node | name(args)`. Chained filters nest: `a | b | c` is Filter c of Filter b of a. `node` is
 * undefined only in a filter block's header (`#% filter upper %#`). `name` is '' when missing.
 */
export interface FilterExpr extends ExprBase, CallArguments {
  kind: 'Filter';
  node?: Expr;
  /** Dotted names (`a.b`) are kept whole, as Jinja does. */
  name: string;
  nameSpan: Span;
}

/** `node is [not] name args`; `name` is '' when missing. */
export interface TestExpr extends ExprBase, CallArguments {
  kind: 'Test';
  node: Expr;
  name: string;
  nameSpan: Span;
  negated: boolean;
}

/** `expr1 if test else expr2`; `expr2` is undefined for `x if c` (undefined when c is false). */
export interface CondExpr extends ExprBase {
  kind: 'CondExpr';
  test: Expr;
  expr1: Expr;
  expr2?: Expr;
}

export type BinaryOperator = '+' | '-' | '*' | '/' | '//' | '%' | '**' | '~';

export interface BinOpExpr extends ExprBase {
  kind: 'BinOp';
  op: BinaryOperator;
  left: Expr;
  right: Expr;
  opSpan: Span;
}

export interface UnaryOpExpr extends ExprBase {
  kind: 'UnaryOp';
  op: 'not' | '-' | '+';
  operand: Expr;
}

export type CompareOperator = '==' | '!=' | '<' | '<=' | '>' | '>=' | 'in' | 'not in';

export interface CompareOperand {
  op: CompareOperator;
  opSpan: Span;
  expr: Expr;
}

/** `a < b <= c` keeps the chain: expr `a`, ops [< b, <= c]. `is` tests are Test nodes. */
export interface CompareExpr extends ExprBase {
  kind: 'Compare';
  expr: Expr;
  ops: CompareOperand[];
}

export interface AndExpr extends ExprBase {
  kind: 'And';
  left: Expr;
  right: Expr;
}

export interface OrExpr extends ExprBase {
  kind: 'Or';
  left: Expr;
  right: Expr;
}

/** `ns.attr` as the target of `set`: assigns an attribute of a namespace() object. */
export interface NsRefExpr extends ExprBase {
  kind: 'NsRef';
  name: string;
  nameSpan: Span;
  attr: string;
  attrSpan: Span;
}

/** Stands where an expression was required but could not be read; `span` is empty. */
export interface MissingExpr extends ExprBase {
  kind: 'Missing';
}

export type Expr =
  | NameExpr
  | ConstExpr
  | ListExpr
  | TupleExpr
  | DictExpr
  | GetattrExpr
  | GetitemExpr
  | SliceExpr
  | CallExpr
  | FilterExpr
  | TestExpr
  | CondExpr
  | BinOpExpr
  | UnaryOpExpr
  | CompareExpr
  | AndExpr
  | OrExpr
  | NsRefExpr
  | MissingExpr;

// ---------------------------------------------------------------------------------------------
// Statements

interface StatementBase {
  /** For a block statement, from its opening tag to the end of its closing tag (or of its content when unclosed). */
  span: Span;
}

/** A statement written as one tag (`#{ }#`, `#% set x = 1 %#`, a comment). */
interface SingleTagStatement extends StatementBase {
  openTagSpan: Span;
  openTag: Tag;
}

/** A statement with a body: `closeTagSpan`/`closeTag` are undefined when its end tag is missing. */
interface BlockStatement extends SingleTagStatement {
  closeTagSpan?: Span;
  closeTag?: Tag;
}

/** Template data between tags, exactly as in the source (whitespace control not applied). */
export interface TextNode extends StatementBase {
  kind: 'Text';
}

export interface CommentNode extends SingleTagStatement {
  kind: 'Comment';
  /** Between the delimiters. */
  textSpan: Span;
}

/** `#{ expr }#`; a comma makes `expr` a Tuple, as in Jinja. */
export interface OutputNode extends SingleTagStatement {
  kind: 'Output';
  expr: Expr;
}

/** `#% print a, b %#` */
export interface PrintNode extends SingleTagStatement {
  kind: 'Print';
  exprs: Expr[];
}

export interface IfBranch {
  test: Expr;
  body: Statement[];
  /** The `if` or `elif` tag. */
  tagSpan: Span;
  tag: Tag;
}

export interface ElseBranch {
  body: Statement[];
  tagSpan: Span;
  tag: Tag;
}

export interface IfNode extends BlockStatement {
  kind: 'If';
  /** The `if` branch first, then each `elif`. */
  branches: IfBranch[];
  else?: ElseBranch;
}

export interface ForNode extends BlockStatement {
  kind: 'For';
  /** A Name, or a Tuple of Names for `for k, v in ...`. */
  target: Expr;
  iter: Expr;
  /** `for x in xs if cond` */
  filter?: Expr;
  recursive: boolean;
  body: Statement[];
  else?: ElseBranch;
}

/** Names a `set` writes: plain names and namespace attributes, in source order. */
export type AssignedTarget = NameExpr | NsRefExpr;

/** `#% set target = value %#` */
export interface SetNode extends SingleTagStatement {
  kind: 'Set';
  /** As written: Name, Tuple of Names, or NsRef. */
  target: Expr;
  targets: AssignedTarget[];
  value: Expr;
}

/** `#% set target | filter %# ... #% endset %#` */
export interface SetBlockNode extends BlockStatement {
  kind: 'SetBlock';
  target: Expr;
  targets: AssignedTarget[];
  /** The filter chain applied to the captured body (innermost Filter has no `node`). */
  filter?: FilterExpr;
  body: Statement[];
}

export interface MacroParam {
  name: string;
  nameSpan: Span;
  default?: Expr;
  /** From the name to the end of the default. */
  span: Span;
}

export interface MacroNode extends BlockStatement {
  kind: 'Macro';
  name: string;
  nameSpan: Span;
  params: MacroParam[];
  body: Statement[];
}

/** `#% call(params) macro(args) %# ... #% endcall %#` */
export interface CallBlockNode extends BlockStatement {
  kind: 'CallBlock';
  params: MacroParam[];
  /** Normally a Call; whatever was parsed when the header is broken. */
  call: Expr;
  body: Statement[];
}

export interface FilterBlockNode extends BlockStatement {
  kind: 'FilterBlock';
  /** Outermost filter of the chain; the innermost has no `node`. */
  filter: FilterExpr;
  body: Statement[];
}

export interface IncludeNode extends SingleTagStatement {
  kind: 'Include';
  template: Expr;
  ignoreMissing: boolean;
  /** Jinja's default for include is true. */
  withContext: boolean;
}

export interface ImportNode extends SingleTagStatement {
  kind: 'Import';
  template: Expr;
  alias: string;
  aliasSpan: Span;
  /** Jinja's default for import is false. */
  withContext: boolean;
}

export interface ImportedName {
  name: string;
  nameSpan: Span;
  alias?: string;
  aliasSpan?: Span;
}

export interface FromImportNode extends SingleTagStatement {
  kind: 'FromImport';
  template: Expr;
  names: ImportedName[];
  withContext: boolean;
}

export interface WithAssignment {
  target: Expr;
  targets: AssignedTarget[];
  value: Expr;
}

export interface WithNode extends BlockStatement {
  kind: 'With';
  assignments: WithAssignment[];
  body: Statement[];
}

/** `#% raw %#...#% endraw %#`: the body is not parsed. */
export interface RawNode extends BlockStatement {
  kind: 'Raw';
  bodySpan: Span;
}

export interface BlockNode extends BlockStatement {
  kind: 'Block';
  name: string;
  nameSpan: Span;
  scoped: boolean;
  required: boolean;
  body: Statement[];
}

export interface ExtendsNode extends SingleTagStatement {
  kind: 'Extends';
  template: Expr;
}

export interface AutoescapeNode extends BlockStatement {
  kind: 'Autoescape';
  value: Expr;
  body: Statement[];
}

/** `#% do expr %#` (jinja2.ext.do). */
export interface DoNode extends SingleTagStatement {
  kind: 'Do';
  expr: Expr;
}

/** `#% continue %#` / `#% break %#` (jinja2.ext.loopcontrols). */
export interface LoopControlNode extends SingleTagStatement {
  kind: 'Continue' | 'Break';
}

/**
 * A block tag that makes no statement: an unknown statement name, a missing one, or an end/else
 * tag with no block to belong to. Kept so that every tag has a node (the problem says why).
 */
export interface InvalidTagNode extends SingleTagStatement {
  kind: 'InvalidTag';
  /** The first name in the tag, '' when there is none. */
  keyword: string;
  keywordSpan?: Span;
}

export type Statement =
  | TextNode
  | InvalidTagNode
  | CommentNode
  | OutputNode
  | PrintNode
  | IfNode
  | ForNode
  | SetNode
  | SetBlockNode
  | MacroNode
  | CallBlockNode
  | FilterBlockNode
  | IncludeNode
  | ImportNode
  | FromImportNode
  | WithNode
  | RawNode
  | BlockNode
  | ExtendsNode
  | AutoescapeNode
  | DoNode
  | LoopControlNode;

export type Node = Statement | Expr;

export type ProblemCode =
  /** A bad token or expression inside a tag, or a statement header Jinja rejects. */
  | 'syntax'
  /** A tag or comment whose end delimiter is missing. */
  | 'unterminated-tag'
  /** A block (if, for, raw, ...) with no end tag; reported at the opening tag. */
  | 'unclosed-block'
  /** An end or middle tag that belongs to another block than the innermost open one. */
  | 'mismatched-block'
  /** An end tag with no block open at all. */
  | 'unexpected-end'
  /** `else`/`elif` outside a block that accepts it. */
  | 'unexpected-tag'
  /** A statement name Jinja does not know. */
  | 'unknown-tag';

export interface RelatedSpan {
  span: Span;
  message: string;
}

export interface TemplateProblem {
  span: Span;
  message: string;
  code: ProblemCode;
  /** Other places the message refers to (the opening tag of a mismatched block). */
  related?: RelatedSpan[];
}

export interface ParsedTemplate {
  body: Statement[];
  problems: TemplateProblem[];
  /** Every tag in source order, comments included (for masking, folding and the renderer). */
  tags: Tag[];
}
