// Reads makejinja.toml into a typed config with makejinja's own defaults, and derives the template
// syntax (delimiters, whitespace) that the Jinja parser needs. Pure: text in, data and problems out;
// it never touches the file system and never resolves the paths it returns.
import type { JinjaSyntax } from '../../services/jinja/syntax';
import type * as SmolToml from 'smol-toml' with { 'resolution-mode': 'import' };
import { closestName } from '../../services/text/didYouMean';
import { unsupportedExtensions } from './extensions';

// smol-toml declares its types as an ES module only, but its package also ships a CommonJS build
// (exports.require: dist/index.cjs); this CommonJS module loads that build.
const { parse: parseToml, TomlError } = require('smol-toml') as typeof SmolToml;

/** TOML parsing for every reader of the workspace's files (one place for the loading workaround above). */
export { parseToml };

// Option names and defaults follow makejinja 2.8.2 (the version cluster-template pins in .mise.toml):
// src/makejinja/config.py at tag v2.8.2 of github.com/mirkolenz/makejinja. makejinja reads them with
// typed-settings from the [makejinja] table of ./makejinja.toml. typed-settings turns "-" into "_"
// in keys and refuses the whole file when a key is not an option ("Invalid options found in ..."),
// so an unknown key here is an error, not a hint.

export type UndefinedMode = 'default' | 'chainable' | 'debug' | 'strict';

export interface MakejinjaDelimiters {
  block_start: string;
  block_end: string;
  variable_start: string;
  variable_end: string;
  comment_start: string;
  comment_end: string;
  /** [makejinja.prefix] line_statement; absent means line statements are off. */
  line_statement_prefix?: string;
  /** [makejinja.prefix] line_comment; absent means line comments are off. */
  line_comment_prefix?: string;
}

export interface MakejinjaWhitespace {
  trim_blocks: boolean;
  lstrip_blocks: boolean;
  keep_trailing_newline: boolean;
  newline_sequence: '\n' | '\r\n' | '\r';
}

/** [makejinja.internal]: Jinja environment switches that do not change what a template renders. */
export interface MakejinjaInternal {
  optimized: boolean;
  autoescape: boolean;
  cache_size: number;
  auto_reload: boolean;
  enable_async: boolean;
}

/** Everything makejinja.toml can say. Paths stay as written (relative to makejinja's working directory). */
export interface MakejinjaConfig {
  /** Template folders or files, in order: the first template with a given relative path wins. */
  inputs: string[];
  output: string;
  include_patterns: string[];
  /** Matched with Python's Path.match against each discovered path; `**` acts like `*`. */
  exclude_patterns: string[];
  /** Suffix of template files, stripped from output names; "" makes every file a template. */
  jinja_suffix: string;
  keep_jinja_suffix: boolean;
  keep_empty: boolean;
  copy_metadata: boolean;
  /** YAML / TOML / JSON files or folders, merged in order into the template globals. */
  data: string[];
  /** Dotted keys set after the data files are loaded (`a.b = "x"` makes data.a.b). */
  data_vars: Record<string, string>;
  /** Extra data files for one template, keyed by its name relative to its input folder. */
  file_data: Record<string, string[]>;
  /** Plugin classes ("module:Class" or "module.Class"); makejinja loads `plugins` before `loaders`. */
  plugins: string[];
  /** Deprecated spelling of `plugins`, still what cluster-template uses. */
  loaders: string[];
  import_paths: string[];
  extensions: string[];
  undefined: UndefinedMode;
  exec_pre: string[];
  exec_post: string[];
  clean: boolean;
  force: boolean;
  quiet: boolean;
  delimiters: MakejinjaDelimiters;
  whitespace: MakejinjaWhitespace;
  internal: MakejinjaInternal;
}

export interface MakejinjaConfigProblem {
  message: string;
  /** 0-based line in makejinja.toml, when the problem belongs to one place. */
  line?: number;
  /** error: makejinja itself refuses it; warning: makejinja accepts it but we do not honour it. */
  severity: 'error' | 'warning';
}

export interface MakejinjaConfigResult {
  config: MakejinjaConfig;
  problems: MakejinjaConfigProblem[];
}

/** The delimiters and whitespace options the Jinja parser takes: one definition, in services/jinja/syntax.ts. */
export type TemplateSyntax = JinjaSyntax;

/**
 * makejinja's defaults. Delimiters are Jinja's (jinja2.defaults); the whitespace defaults are
 * makejinja's and differ from Jinja's: trim_blocks, lstrip_blocks and keep_trailing_newline are all
 * true (config.py, class Whitespace). `inputs` and `output` have no default: makejinja requires them.
 */
export function makejinjaDefaults(): MakejinjaConfig {
  return {
    inputs: [],
    output: '',
    include_patterns: ['**/*'],
    exclude_patterns: [],
    jinja_suffix: '.jinja',
    keep_jinja_suffix: false,
    keep_empty: false,
    copy_metadata: false,
    data: [],
    data_vars: {},
    file_data: {},
    plugins: [],
    loaders: [],
    import_paths: ['.'],
    extensions: [],
    undefined: 'default',
    exec_pre: [],
    exec_post: [],
    clean: false,
    force: false,
    quiet: false,
    delimiters: {
      block_start: '{%',
      block_end: '%}',
      variable_start: '{{',
      variable_end: '}}',
      comment_start: '{#',
      comment_end: '#}',
    },
    whitespace: {
      trim_blocks: true,
      lstrip_blocks: true,
      keep_trailing_newline: true,
      newline_sequence: '\n',
    },
    internal: {
      optimized: true,
      autoescape: false,
      cache_size: 0,
      auto_reload: false,
      enable_async: false,
    },
  };
}

/** The delimiters and whitespace switches a template is parsed with. */
export function jinjaSyntaxOf(config: MakejinjaConfig): TemplateSyntax {
  const { delimiters, whitespace } = config;
  const syntax: TemplateSyntax = {
    blockStart: delimiters.block_start,
    blockEnd: delimiters.block_end,
    variableStart: delimiters.variable_start,
    variableEnd: delimiters.variable_end,
    commentStart: delimiters.comment_start,
    commentEnd: delimiters.comment_end,
    trimBlocks: whitespace.trim_blocks,
    lstripBlocks: whitespace.lstrip_blocks,
  };
  if (delimiters.line_statement_prefix !== undefined) syntax.lineStatementPrefix = delimiters.line_statement_prefix;
  if (delimiters.line_comment_prefix !== undefined) syntax.lineCommentPrefix = delimiters.line_comment_prefix;
  return syntax;
}

type OptionKind = 'string' | 'boolean' | 'integer' | 'stringList' | 'stringMap' | 'stringListMap' | 'undefinedMode' | 'newline';

interface OptionSpec {
  kind: OptionKind;
  apply(config: MakejinjaConfig, value: unknown): void;
  /** Set when our renderer does not honour a non-default value; the text says what happens instead. */
  unsupported?(value: unknown): string | undefined;
}

const TOP_LEVEL: Record<string, OptionSpec> = {
  inputs: { kind: 'stringList', apply: (c, v) => (c.inputs = v as string[]) },
  output: { kind: 'string', apply: (c, v) => (c.output = v as string) },
  include_patterns: { kind: 'stringList', apply: (c, v) => (c.include_patterns = v as string[]) },
  exclude_patterns: { kind: 'stringList', apply: (c, v) => (c.exclude_patterns = v as string[]) },
  jinja_suffix: { kind: 'string', apply: (c, v) => (c.jinja_suffix = v as string) },
  keep_jinja_suffix: { kind: 'boolean', apply: (c, v) => (c.keep_jinja_suffix = v as boolean) },
  keep_empty: { kind: 'boolean', apply: (c, v) => (c.keep_empty = v as boolean) },
  copy_metadata: { kind: 'boolean', apply: (c, v) => (c.copy_metadata = v as boolean) },
  data: { kind: 'stringList', apply: (c, v) => (c.data = v as string[]) },
  data_vars: { kind: 'stringMap', apply: (c, v) => (c.data_vars = v as Record<string, string>) },
  file_data: { kind: 'stringListMap', apply: (c, v) => (c.file_data = v as Record<string, string[]>) },
  plugins: { kind: 'stringList', apply: (c, v) => (c.plugins = v as string[]) },
  loaders: { kind: 'stringList', apply: (c, v) => (c.loaders = v as string[]) },
  import_paths: { kind: 'stringList', apply: (c, v) => (c.import_paths = v as string[]) },
  extensions: {
    kind: 'stringList',
    apply: (c, v) => (c.extensions = v as string[]),
    unsupported: (v) => {
      const missing = unsupportedExtensions(v as string[]);
      return missing.length > 0 ? `the editor renderer implements jinja2.ext.do and jinja2.ext.loopcontrols only, not ${missing.join(', ')}; templates that use their tags will fail to render` : undefined;
    },
  },
  undefined: {
    kind: 'undefinedMode',
    apply: (c, v) => (c.undefined = v as UndefinedMode),
  },
  exec_pre: {
    kind: 'stringList',
    apply: (c, v) => (c.exec_pre = v as string[]),
    unsupported: (v) => ((v as string[]).length > 0 ? 'shell commands in exec_pre are not run by the editor renderer; run makejinja for them' : undefined),
  },
  exec_post: {
    kind: 'stringList',
    apply: (c, v) => (c.exec_post = v as string[]),
    unsupported: (v) => ((v as string[]).length > 0 ? 'shell commands in exec_post are not run by the editor renderer; run makejinja for them' : undefined),
  },
  clean: {
    kind: 'boolean',
    apply: (c, v) => (c.clean = v as boolean),
    unsupported: (v) => (v === true ? 'clean = true (delete the whole output folder first) is not done by the editor renderer; it only replaces the files it renders' : undefined),
  },
  force: { kind: 'boolean', apply: (c, v) => (c.force = v as boolean) },
  quiet: { kind: 'boolean', apply: (c, v) => (c.quiet = v as boolean) },
};

const DELIMITER: Record<string, OptionSpec> = {
  block_start: { kind: 'string', apply: (c, v) => (c.delimiters.block_start = v as string) },
  block_end: { kind: 'string', apply: (c, v) => (c.delimiters.block_end = v as string) },
  variable_start: { kind: 'string', apply: (c, v) => (c.delimiters.variable_start = v as string) },
  variable_end: { kind: 'string', apply: (c, v) => (c.delimiters.variable_end = v as string) },
  comment_start: { kind: 'string', apply: (c, v) => (c.delimiters.comment_start = v as string) },
  comment_end: { kind: 'string', apply: (c, v) => (c.delimiters.comment_end = v as string) },
};

const PREFIX: Record<string, OptionSpec> = {
  line_statement: { kind: 'string', apply: (c, v) => (c.delimiters.line_statement_prefix = v as string) },
  line_comment: { kind: 'string', apply: (c, v) => (c.delimiters.line_comment_prefix = v as string) },
};

const WHITESPACE: Record<string, OptionSpec> = {
  trim_blocks: { kind: 'boolean', apply: (c, v) => (c.whitespace.trim_blocks = v as boolean) },
  lstrip_blocks: { kind: 'boolean', apply: (c, v) => (c.whitespace.lstrip_blocks = v as boolean) },
  keep_trailing_newline: { kind: 'boolean', apply: (c, v) => (c.whitespace.keep_trailing_newline = v as boolean) },
  newline_sequence: { kind: 'newline', apply: (c, v) => (c.whitespace.newline_sequence = v as MakejinjaWhitespace['newline_sequence']) },
};

const INTERNAL: Record<string, OptionSpec> = {
  optimized: { kind: 'boolean', apply: (c, v) => (c.internal.optimized = v as boolean) },
  autoescape: {
    kind: 'boolean',
    apply: (c, v) => (c.internal.autoescape = v as boolean),
    unsupported: (v) => (v === true ? 'internal.autoescape = true (HTML escaping of every printed value) is not available in the editor renderer' : undefined),
  },
  cache_size: { kind: 'integer', apply: (c, v) => (c.internal.cache_size = v as number) },
  auto_reload: { kind: 'boolean', apply: (c, v) => (c.internal.auto_reload = v as boolean) },
  enable_async: { kind: 'boolean', apply: (c, v) => (c.internal.enable_async = v as boolean) },
};

const SUBTABLES: Record<string, Record<string, OptionSpec>> = {
  delimiter: DELIMITER,
  prefix: PREFIX,
  whitespace: WHITESPACE,
  internal: INTERNAL,
};

const UNDEFINED_MODES: readonly UndefinedMode[] = ['default', 'chainable', 'debug', 'strict'];
const NEWLINES = ['\n', '\r\n', '\r'];

/**
 * Parses makejinja.toml. Never throws: broken TOML gives the defaults plus a problem at the line
 * of the syntax error. Example: readMakejinjaConfig('[makejinja]\ninputs = ["t"]\noutput = "."')
 * gives inputs ['t'], output '.', jinja_suffix '.jinja' and no problems.
 */
export function readMakejinjaConfig(text: string): MakejinjaConfigResult {
  const config = makejinjaDefaults();
  const problems: MakejinjaConfigProblem[] = [];
  let document: Record<string, unknown>;
  try {
    document = parseToml(text) as Record<string, unknown>;
  } catch (error) {
    if (error instanceof TomlError) {
      const firstLine = error.message.split('\n')[0];
      problems.push({ message: `makejinja.toml is not valid TOML: ${firstLine}`, line: Math.max(0, error.line - 1), severity: 'error' });
    } else {
      problems.push({ message: `makejinja.toml could not be read: ${String(error)}`, severity: 'error' });
    }
    return { config, problems };
  }
  const lines = indexKeyLines(text);
  const lineOf = (path: string[]): number | undefined => {
    for (let length = path.length; length > 0; length--) {
      const line = lines.get(normalizedPath(path.slice(0, length)));
      if (line !== undefined) return line;
    }
    return undefined;
  };
  const report = (severity: MakejinjaConfigProblem['severity'], message: string, path: string[]): void => {
    const line = lineOf(path);
    problems.push(line === undefined ? { message, severity } : { message, line, severity });
  };

  for (const key of Object.keys(document)) {
    if (key !== 'makejinja') report('warning', `[${key}] is outside the [makejinja] table; makejinja ignores it`, [key]);
  }
  const section = document.makejinja;
  if (section === undefined) {
    problems.push({ message: 'makejinja.toml has no [makejinja] table; makejinja reads its options only from there', severity: 'error' });
    return { config, problems };
  }
  if (!isTable(section)) {
    report('error', '`makejinja` must be a table ([makejinja])', ['makejinja']);
    return { config, problems };
  }

  const seen = new Set<string>();
  for (const [rawKey, value] of Object.entries(section)) {
    const key = rawKey.replace(/-/g, '_');
    const path = ['makejinja', rawKey];
    const subtable = SUBTABLES[key];
    if (subtable) {
      if (!isTable(value)) {
        report('error', `\`${key}\` must be a table ([makejinja.${key}])`, path);
        continue;
      }
      for (const [rawSubKey, subValue] of Object.entries(value)) {
        const subKey = rawSubKey.replace(/-/g, '_');
        applyOption(`${key}.${subKey}`, subtable[subKey], Object.keys(subtable), subValue, [...path, rawSubKey]);
      }
      continue;
    }
    seen.add(key);
    applyOption(key, TOP_LEVEL[key], [...Object.keys(TOP_LEVEL), ...Object.keys(SUBTABLES)], value, path);
  }

  for (const required of ['inputs', 'output']) {
    if (!seen.has(required)) report('error', `\`${required}\` is missing; makejinja requires it`, ['makejinja']);
  }
  checkEnvironment(config, (message, path) => report('error', message, path));
  return { config, problems };

  function applyOption(name: string, spec: OptionSpec | undefined, known: string[], value: unknown, path: string[]): void {
    const leaf = name.split('.').pop() ?? name;
    if (!spec) {
      const suggestion = closestName(leaf, known);
      const hint = suggestion ? ` Did you mean \`${suggestion}\`?` : '';
      report('error', `\`${name}\` is not a makejinja option; makejinja refuses to run with it.${hint}`, path);
      return;
    }
    const converted = convert(spec.kind, value);
    if (typeof converted === 'string') {
      report('error', `\`${name}\` ${converted}`, path);
      return;
    }
    spec.apply(config, converted.value);
    const unsupported = spec.unsupported?.(converted.value);
    if (unsupported) report('warning', unsupported, path);
  }
}

/** The converted value, or a sentence fragment saying what was expected. */
function convert(kind: OptionKind, value: unknown): { value: unknown } | string {
  switch (kind) {
    case 'string':
      return typeof value === 'string' ? { value } : 'must be a string';
    case 'boolean':
      return typeof value === 'boolean' ? { value } : 'must be true or false';
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value) ? { value } : typeof value === 'bigint' ? { value: Number(value) } : 'must be a whole number';
    case 'stringList':
      return Array.isArray(value) && value.every((item) => typeof item === 'string') ? { value: [...value] } : 'must be a list of strings, e.g. ["./templates"]';
    case 'stringMap': {
      if (!isTable(value) || !Object.values(value).every((item) => typeof item === 'string')) return 'must be a table of strings, e.g. { "a.b" = "value" }';
      return { value: { ...value } };
    }
    case 'stringListMap': {
      if (!isTable(value)) return 'must be a table of lists, e.g. { "home.yaml.jinja" = ["home.yaml"] }';
      const entries = Object.entries(value);
      if (!entries.every(([, item]) => Array.isArray(item) && item.every((path) => typeof path === 'string'))) return 'must map template names to lists of data files';
      return { value: Object.fromEntries(entries.map(([name, item]) => [name, [...(item as string[])]])) };
    }
    case 'undefinedMode':
      return typeof value === 'string' && (UNDEFINED_MODES as readonly string[]).includes(value)
        ? { value }
        : `must be one of ${UNDEFINED_MODES.map((mode) => `"${mode}"`).join(', ')}`;
    case 'newline':
      return typeof value === 'string' && NEWLINES.includes(value) ? { value } : 'must be "\\n", "\\r\\n" or "\\r"';
  }
}

/** The checks Jinja's Environment makes when makejinja creates it (jinja2/environment.py). */
function checkEnvironment(config: MakejinjaConfig, report: (message: string, path: string[]) => void): void {
  const { delimiters } = config;
  const starts = [delimiters.block_start, delimiters.variable_start, delimiters.comment_start];
  if (new Set(starts).size !== starts.length) {
    report('block_start, variable_start and comment_start must all differ; Jinja refuses the environment otherwise', ['makejinja', 'delimiter']);
  }
  for (const name of Object.keys(DELIMITER) as (keyof MakejinjaDelimiters)[]) {
    if (delimiters[name] === '') report(`delimiter \`${name}\` must not be empty`, ['makejinja', 'delimiter', name]);
  }
}

function isTable(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

function normalizedPath(path: string[]): string {
  return path.map((part) => part.replace(/-/g, '_')).join('\u0000');
}

/**
 * Maps every key path (table headers, keys, dotted keys, keys inside inline tables) to the 0-based
 * line it is written on. smol-toml gives values without positions, so this small scanner recovers
 * them; it understands strings (basic, literal, multi-line), comments, arrays and inline tables.
 */
function indexKeyLines(text: string): Map<string, number> {
  const lines = new Map<string, number>();
  let position = 0;
  let line = 0;
  let table: string[] = [];

  const record = (path: string[], at: number): void => {
    const key = normalizedPath(path);
    if (!lines.has(key)) lines.set(key, at);
  };
  const peek = (offset = 0): string => text[position + offset] ?? '';
  const advance = (): void => {
    if (text[position] === '\n') line++;
    position++;
  };
  const skipSpaces = (): void => {
    while (peek() === ' ' || peek() === '\t') advance();
  };
  const skipComment = (): void => {
    if (peek() === '#') while (position < text.length && peek() !== '\n') advance();
  };
  const skipBlank = (): void => {
    for (;;) {
      skipSpaces();
      skipComment();
      if (peek() === '\n' || peek() === '\r') advance();
      else return;
    }
  };
  const readString = (): string => {
    const quote = peek();
    const isMultiline = peek(1) === quote && peek(2) === quote;
    const delimiter = isMultiline ? quote.repeat(3) : quote;
    for (let i = 0; i < delimiter.length; i++) advance();
    let value = '';
    while (position < text.length) {
      if (text.startsWith(delimiter, position)) {
        for (let i = 0; i < delimiter.length; i++) advance();
        // A multi-line string may end with up to two extra quotes that belong to its content.
        while (isMultiline && peek() === quote) {
          value += quote;
          advance();
        }
        return value;
      }
      if (!isMultiline && peek() === '\n') return value;
      if (quote === '"' && peek() === '\\') {
        value += peek() + peek(1);
        advance();
        advance();
        continue;
      }
      value += peek();
      advance();
    }
    return value;
  };
  const readKey = (): string[] => {
    const parts: string[] = [];
    for (;;) {
      skipSpaces();
      const c = peek();
      if (c === '"' || c === "'") parts.push(readString());
      else {
        let bare = '';
        while (/[A-Za-z0-9_-]/.test(peek())) {
          bare += peek();
          advance();
        }
        if (bare === '') return parts;
        parts.push(bare);
      }
      skipSpaces();
      if (peek() !== '.') return parts;
      advance();
    }
  };
  const skipValue = (path: string[]): void => {
    skipSpaces();
    const c = peek();
    if (c === '"' || c === "'") {
      readString();
    } else if (c === '{') {
      advance();
      readInlineTable(path);
    } else if (c === '[') {
      advance();
      for (;;) {
        skipBlank();
        if (position >= text.length) return;
        if (peek() === ']') {
          advance();
          return;
        }
        if (peek() === ',') {
          advance();
          continue;
        }
        const before = position;
        skipValue(path);
        if (position === before) advance();
      }
    } else {
      while (position < text.length && !/[,\]}\n#]/.test(peek())) advance();
    }
  };
  const readInlineTable = (path: string[]): void => {
    for (;;) {
      skipBlank();
      if (position >= text.length) return;
      if (peek() === '}') {
        advance();
        return;
      }
      if (peek() === ',') {
        advance();
        continue;
      }
      const at = line;
      const key = readKey();
      if (key.length === 0) {
        advance();
        continue;
      }
      for (let i = 1; i <= key.length; i++) record([...path, ...key.slice(0, i)], at);
      skipSpaces();
      if (peek() === '=') advance();
      skipValue([...path, ...key]);
    }
  };

  while (position < text.length) {
    skipBlank();
    if (position >= text.length) break;
    const at = line;
    if (peek() === '[') {
      const isArrayTable = peek(1) === '[';
      advance();
      if (isArrayTable) advance();
      table = readKey();
      for (let i = 1; i <= table.length; i++) record(table.slice(0, i), at);
      while (position < text.length && peek() !== '\n') advance();
      continue;
    }
    const key = readKey();
    if (key.length === 0) {
      // Not a key: skip the rest of the line (the TOML parser has already accepted the file).
      while (position < text.length && peek() !== '\n') advance();
      continue;
    }
    for (let i = 1; i <= key.length; i++) record([...table, ...key.slice(0, i)], at);
    skipSpaces();
    if (peek() === '=') advance();
    skipValue([...table, ...key]);
  }
  return lines;
}
