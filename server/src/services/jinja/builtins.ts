// What a template can call without defining it: Jinja2's builtin filters, tests and global functions,
// the `loop` attributes, makejinja's globals and the cluster-template plugin's filters and functions,
// as data (signatures, docs, result types). No behaviour lives here; the renderer implements them.

// Signatures are Jinja2 3.1's (Debian python3-jinja2; a unit test compares them with
// inspect.signature of the installed jinja2). Defaults are written as Python prints them, because
// that is what Jinja's documentation and error messages show. Plugin signatures are those of
// templates/scripts/plugin.py in onedr0p/cluster-template at 5bc6f2c6 (January 2026).

export type BuiltinKind = 'filter' | 'test' | 'function' | 'loopAttribute' | 'variable';
export type BuiltinOrigin = 'jinja' | 'makejinja' | 'cluster-template';

export interface BuiltinParam {
  name: string;
  /** The default as Python writes it (`''`, `None`, `False`, `4`); absent when there is none. */
  defaultText?: string;
  isRequired: boolean;
  /** `*args` (any number of positional arguments) or `**kwargs` (any keyword arguments). */
  variadic?: 'positional' | 'keyword';
}

export interface BuiltinSignature {
  /** Parameters after the piped value (filters) or the tested value (tests). */
  params: BuiltinParam[];
  /** Fewest positional arguments a call needs, not counting the piped or tested value. */
  minArgs: number;
  /** Most positional arguments a call accepts, not counting the piped or tested value; null: no limit. */
  maxArgs: number | null;
  /** none: no keyword arguments; named: the parameters above by name; any: any keyword too. */
  keywords: 'none' | 'named' | 'any';
}

export interface BuiltinEntry {
  name: string;
  kind: BuiltinKind;
  origin: BuiltinOrigin;
  /** For another name of the same builtin (`d` for `default`): the main name. */
  aliasOf?: string;
  /** Python's name for the piped value (filters) or tested value (tests), e.g. `value`, `s`. */
  subject?: string;
  /** Absent for plain values such as `loop.index` or `env`. */
  signature?: BuiltinSignature;
  /** One line, for completion details. */
  summary: string;
  /** A short markdown explanation, for hovers. */
  doc: string;
  /** A type hint for the result (or the value, for attributes and variables). */
  returns: string;
  /** Tests registered under an operator (`==`, `<`): usable only by name in select/reject. */
  isOperatorName?: boolean;
  /** The result is a secret (key, token): never show it in hovers, completions or logs. */
  isSecretResult?: boolean;
}

interface SignatureOverrides {
  minArgs?: number;
  maxArgs?: number | null;
  keywords?: BuiltinSignature['keywords'];
}

function param(name: string, defaultText?: string): BuiltinParam {
  return defaultText === undefined ? { name, isRequired: true } : { name, defaultText, isRequired: false };
}

/** Optional without a default Python can name (builtins such as `range` and `dict`). */
function optional(name: string): BuiltinParam {
  return { name, isRequired: false };
}

function rest(name: string): BuiltinParam {
  return { name, isRequired: false, variadic: 'positional' };
}

function restKeywords(name: string): BuiltinParam {
  return { name, isRequired: false, variadic: 'keyword' };
}

/** Counts follow from the parameters; overrides state what Jinja checks beyond Python's signature. */
function signature(params: BuiltinParam[], overrides: SignatureOverrides = {}): BuiltinSignature {
  const plain = params.filter((p) => p.variadic === undefined);
  const hasRest = params.some((p) => p.variadic === 'positional');
  const hasRestKeywords = params.some((p) => p.variadic === 'keyword');
  return {
    params,
    minArgs: overrides.minArgs ?? plain.filter((p) => p.isRequired).length,
    maxArgs: overrides.maxArgs !== undefined ? overrides.maxArgs : hasRest ? null : plain.length,
    keywords: overrides.keywords ?? (hasRestKeywords ? 'any' : 'named'),
  };
}

interface EntryText {
  summary: string;
  doc: string;
  returns: string;
}

function filter(name: string, subject: string, params: BuiltinParam[], text: EntryText, overrides?: SignatureOverrides): BuiltinEntry {
  return { name, kind: 'filter', origin: 'jinja', subject, signature: signature(params, overrides), ...text };
}

function test(name: string, subject: string, params: BuiltinParam[], text: EntryText): BuiltinEntry {
  return { name, kind: 'test', origin: 'jinja', subject, signature: signature(params), ...text };
}

function aliases(entries: BuiltinEntry[], names: Record<string, string>, extra: Partial<BuiltinEntry> = {}): BuiltinEntry[] {
  const byName = new Map(entries.map((entry) => [entry.name, entry]));
  const out: BuiltinEntry[] = [];
  for (const [alias, target] of Object.entries(names)) {
    const entry = byName.get(target);
    if (!entry) throw new Error(`alias ${alias} of unknown builtin ${target}`);
    out.push({ ...entry, name: alias, aliasOf: target, ...extra });
  }
  return out;
}

const FILTER_ENTRIES: BuiltinEntry[] = [
  filter('abs', 'x', [], { summary: 'Absolute value of a number.', doc: 'The number without its sign: `-3|abs` is `3`.', returns: 'number' }),
  filter('attr', 'obj', [param('name')], {
    summary: 'Attribute of an object, looked up as an attribute only.',
    doc: '`obj|attr("name")` reads the attribute `name` and never falls back to an item lookup, unlike `obj.name` and `obj["name"]`. Gives undefined when there is no such attribute.',
    returns: 'any',
  }),
  filter('batch', 'value', [param('linecount'), param('fill_with', 'None')], {
    summary: 'Groups items into lists of `linecount` items.',
    doc: 'Splits a sequence into consecutive chunks of `linecount` items. When `fill_with` is given, the last chunk is padded with it up to full length.\n\n`[1,2,3]|batch(2)|list` is `[[1, 2], [3]]`.',
    returns: 'iterator of lists',
  }),
  filter('capitalize', 's', [], { summary: 'First character upper case, the rest lower case.', doc: '`"hELLO world"|capitalize` is `Hello world`.', returns: 'str' }),
  filter('center', 'value', [param('width', '80')], { summary: 'Centres the text in a field of `width` characters.', doc: 'Pads with spaces on both sides, as Python\'s `str.center`.', returns: 'str' }),
  filter('default', 'value', [param('default_value', "''"), param('boolean', 'False')], {
    summary: 'A fallback for an undefined value (or any falsy value with `boolean=true`).',
    doc: 'Gives `default_value` when the value is undefined, otherwise the value itself. With `boolean=true` (second argument) the fallback is also used for values that are false in Python: `None`, `false`, `0`, `""`, empty lists and mappings.\n\nWith makejinja\'s `undefined = "chainable"`, `a.b.c|default("x")` works even when `a` is missing.',
    returns: 'any',
  }),
  filter('dictsort', 'value', [param('case_sensitive', 'False'), param('by', "'key'"), param('reverse', 'False')], {
    summary: 'Sorted (key, value) pairs of a mapping.',
    doc: 'Sorts a mapping\'s items by key (or by value with `by="value"`), case-insensitively unless `case_sensitive=true`. Loop over it with `for key, value in mapping|dictsort`.',
    returns: 'list of (key, value)',
  }),
  filter('escape', 's', [], {
    summary: 'HTML-escapes `&`, `<`, `>`, `"` and `\'`.',
    doc: 'Replaces the HTML special characters with entities and marks the result safe. Values already marked safe are left alone (see `forceescape`).',
    returns: 'Markup',
  }),
  filter('filesizeformat', 'value', [param('binary', 'False')], {
    summary: 'A byte count as a readable size (`13.0 kB`).',
    doc: 'Formats a number of bytes with decimal prefixes (kB, MB, ...); with `binary=true`, binary ones (KiB, MiB, ...).',
    returns: 'str',
  }),
  filter('first', 'seq', [], { summary: 'The first item.', doc: 'The first item of a sequence; undefined when it is empty.', returns: 'any' }),
  filter('float', 'value', [param('default', '0.0')], {
    summary: 'Converts to a floating-point number.',
    doc: 'Parses the value as a float; gives `default` when that fails.',
    returns: 'float',
  }),
  filter('forceescape', 'value', [], { summary: 'HTML-escapes even a value marked safe.', doc: 'Like `escape`, but also escapes values that are already marked safe.', returns: 'Markup' }),
  filter('format', 'value', [rest('args'), restKeywords('kwargs')], {
    summary: 'printf-style formatting: `"%s-%s"|format(a, b)`.',
    doc: 'Applies Python\'s `%` operator with the value as the format string. Positional arguments fill `%s`-style fields; keyword arguments fill `%(name)s` fields. Both kinds at once are an error.',
    returns: 'str',
  }),
  filter('groupby', 'value', [param('attribute'), param('default', 'None'), param('case_sensitive', 'False')], {
    summary: 'Groups items by an attribute.',
    doc: 'Sorts the items by `attribute` (dotted paths such as `"address.city"` work) and groups equal ones. Each group has `grouper` (the shared value) and `list` (its items): `for group in nodes|groupby("controller")`. `default` stands in for items without the attribute.',
    returns: 'list of (grouper, list)',
  }),
  filter('indent', 's', [param('width', '4'), param('first', 'False'), param('blank', 'False')], {
    summary: 'Indents every line but the first by `width` spaces.',
    doc: 'Adds `width` spaces (or the string `width`, when it is one) before each line after the first. `first=true` also indents the first line; `blank=true` also indents empty lines. Often used as a block: `#% filter indent(4) %#...#% endfilter %#`.',
    returns: 'str',
  }),
  filter('int', 'value', [param('default', '0'), param('base', '10')], {
    summary: 'Converts to an integer.',
    doc: 'Parses strings in `base` (prefixes such as `0x` are understood with base 16, or with base 0 for any prefix) and truncates floats. Gives `default` when that fails.',
    returns: 'int',
  }),
  filter('items', 'value', [], {
    summary: 'The (key, value) pairs of a mapping.',
    doc: 'Iterates a mapping\'s items in their order; an undefined value gives nothing instead of an error.',
    returns: 'iterator of (key, value)',
  }),
  filter('join', 'value', [param('d', "''"), param('attribute', 'None')], {
    summary: 'Concatenates the items, with `d` between them.',
    doc: 'Turns each item into a string and joins them with the separator `d`. With `attribute`, joins that attribute of each item instead.\n\n`["a","b"]|join(",")` is `a,b`.',
    returns: 'str',
  }),
  filter('last', 'seq', [], { summary: 'The last item.', doc: 'The last item of a sequence; undefined when it is empty.', returns: 'any' }),
  filter('length', 'obj', [], { summary: 'Number of items (or characters).', doc: 'The length of a list, mapping or string, as Python\'s `len`.', returns: 'int' }),
  filter('list', 'value', [], { summary: 'Converts to a list.', doc: 'Collects any iterable into a list; a string becomes a list of its characters, a mapping a list of its keys.', returns: 'list' }),
  filter('lower', 's', [], { summary: 'Lower case.', doc: 'Converts the value to a string, then to lower case (so `true|lower` is `true`).', returns: 'str' }),
  filter('map', 'value', [rest('args'), restKeywords('kwargs')], {
    summary: 'Applies a filter to each item, or picks an attribute of each.',
    doc: '`items|map("upper")` runs the filter on every item (extra arguments go to that filter); `items|map(attribute="name")` takes an attribute of each item, with an optional `default=`. One of the two forms is required.',
    returns: 'iterator',
  }),
  filter('max', 'value', [param('case_sensitive', 'False'), param('attribute', 'None')], {
    summary: 'The largest item.',
    doc: 'The largest item, comparing strings case-insensitively unless `case_sensitive=true`, or by `attribute` of each item. Undefined for an empty sequence.',
    returns: 'any',
  }),
  filter('min', 'value', [param('case_sensitive', 'False'), param('attribute', 'None')], {
    summary: 'The smallest item.',
    doc: 'The smallest item, comparing strings case-insensitively unless `case_sensitive=true`, or by `attribute` of each item. Undefined for an empty sequence.',
    returns: 'any',
  }),
  filter('pprint', 'value', [], { summary: 'Python\'s pretty-printed form of the value.', doc: 'The value formatted by Python\'s `pprint`, useful for debugging.', returns: 'str' }),
  filter('random', 'seq', [], { summary: 'A random item.', doc: 'Picks one item at random; the output changes from one render to the next.', returns: 'any' }),
  filter('reject', 'value', [rest('args'), restKeywords('kwargs')], {
    summary: 'Drops the items that pass a test.',
    doc: 'The opposite of `select`: `numbers|reject("odd")` keeps the even ones. Without a test, drops the truthy items.',
    returns: 'iterator',
  }),
  filter(
    'rejectattr',
    'value',
    [rest('args'), restKeywords('kwargs')],
    {
      summary: 'Drops the items whose attribute passes a test.',
      doc: 'The opposite of `selectattr`: `nodes|rejectattr("controller")` keeps the workers. The attribute name is required; without a test, the attribute\'s truthiness decides.',
      returns: 'iterator',
    },
    { minArgs: 1 },
  ),
  filter('replace', 's', [param('old'), param('new'), param('count', 'None')], {
    summary: 'Replaces occurrences of `old` with `new`.',
    doc: 'Replaces every occurrence, or only the first `count` ones.',
    returns: 'str',
  }),
  filter('reverse', 'value', [], { summary: 'Reversed order.', doc: 'A string reversed, or an iterator over a sequence from its end.', returns: 'str | iterator' }),
  filter('round', 'value', [param('precision', '0'), param('method', "'common'")], {
    summary: 'Rounds to `precision` decimal places.',
    doc: '`method` is `"common"` (Python\'s `round`: a half goes to the even neighbour, so `2.5|round` is `2.0`), `"ceil"` (always up) or `"floor"` (always down). A float stays a float: `2.7|round` is `3.0`; add `|int` for an integer.',
    returns: 'number',
  }),
  filter('safe', 'value', [], { summary: 'Marks the value safe: no HTML escaping.', doc: 'Only matters when autoescaping is on (it is off in makejinja).', returns: 'Markup' }),
  filter('select', 'value', [rest('args'), restKeywords('kwargs')], {
    summary: 'Keeps the items that pass a test.',
    doc: '`numbers|select("odd")` or `values|select("equalto", 3)`: the first argument names a test, the rest go to it. Without a test, keeps the truthy items.',
    returns: 'iterator',
  }),
  filter(
    'selectattr',
    'value',
    [rest('args'), restKeywords('kwargs')],
    {
      summary: 'Keeps the items whose attribute passes a test.',
      doc: '`nodes|selectattr("controller")` keeps items whose `controller` is truthy; `nodes|selectattr("controller", "equalto", false)` applies a test to it. The attribute name is required.',
      returns: 'iterator',
    },
    { minArgs: 1 },
  ),
  filter('slice', 'value', [param('slices'), param('fill_with', 'None')], {
    summary: 'Splits the items into `slices` columns.',
    doc: 'Divides a sequence into `slices` lists of nearly equal length, for column layouts. `fill_with` pads the shorter ones.',
    returns: 'iterator of lists',
  }),
  filter('sort', 'value', [param('reverse', 'False'), param('case_sensitive', 'False'), param('attribute', 'None')], {
    summary: 'Sorted list.',
    doc: 'Sorts the items, strings case-insensitively unless `case_sensitive=true`. `attribute` sorts by that attribute of each item (several, comma separated, are allowed); `reverse=true` sorts descending.',
    returns: 'list',
  }),
  filter('string', 's', [], {
    summary: 'Converts to a string.',
    doc: 'The value as Python prints it: `true|string` is `True`, a list becomes `[\'a\', \'b\']`. Keeps a safe mark.',
    returns: 'str',
  }),
  filter('striptags', 'value', [], { summary: 'Removes HTML/XML tags and collapses whitespace.', doc: 'Strips everything between `<` and `>` and turns runs of whitespace into single spaces.', returns: 'str' }),
  filter('sum', 'iterable', [param('attribute', 'None'), param('start', '0')], {
    summary: 'Sum of the items.',
    doc: 'Adds the items (or their `attribute`) to `start`.',
    returns: 'number',
  }),
  filter('title', 's', [], { summary: 'Title Case.', doc: 'Each word starts upper case, the rest of it lower case.', returns: 'str' }),
  filter('tojson', 'value', [param('indent', 'None')], {
    summary: 'JSON text of the value, safe to embed in HTML.',
    doc: 'Serialises with sorted keys and escapes `<`, `>`, `&` and `\'` as `\\u003c`-style sequences so the text is safe inside HTML. `indent` pretty-prints.',
    returns: 'Markup',
  }),
  filter('trim', 'value', [param('chars', 'None')], {
    summary: 'Strips whitespace (or `chars`) from both ends.',
    doc: 'Removes leading and trailing whitespace, or any of the characters in `chars`.',
    returns: 'str',
  }),
  filter('truncate', 's', [param('length', '255'), param('killwords', 'False'), param('end', "'...'"), param('leeway', 'None')], {
    summary: 'Shortens text to `length` characters.',
    doc: 'Cuts at a word boundary (or mid-word with `killwords=true`) and appends `end`. Text at most `leeway` characters too long (5 by default) is left whole.',
    returns: 'str',
  }),
  filter('unique', 'value', [param('case_sensitive', 'False'), param('attribute', 'None')], {
    summary: 'Items without repeats, in first-seen order.',
    doc: 'Drops duplicates, comparing strings case-insensitively unless `case_sensitive=true`, or comparing `attribute` of each item.',
    returns: 'iterator',
  }),
  filter('upper', 's', [], { summary: 'Upper case.', doc: 'Converts the value to a string, then to upper case (so `true|upper` is `TRUE`).', returns: 'str' }),
  filter('urlencode', 'value', [], {
    summary: 'Percent-encodes for use in a URL.',
    doc: 'Quotes a string for a URL path or query; a mapping or list of pairs becomes a `key=value&...` query string.',
    returns: 'str',
  }),
  filter(
    'urlize',
    'value',
    [param('trim_url_limit', 'None'), param('nofollow', 'False'), param('target', 'None'), param('rel', 'None'), param('extra_schemes', 'None')],
    {
      summary: 'Turns URLs in text into HTML links.',
      doc: 'Wraps URLs and e-mail addresses in `<a>` tags; `trim_url_limit` shortens the shown text, the other arguments set link attributes.',
      returns: 'Markup',
    },
  ),
  filter('wordcount', 's', [], { summary: 'Number of words.', doc: 'Counts the words in the text.', returns: 'int' }),
  filter(
    'wordwrap',
    's',
    [param('width', '79'), param('break_long_words', 'True'), param('wrapstring', 'None'), param('break_on_hyphens', 'True')],
    {
      summary: 'Wraps text at `width` characters.',
      doc: 'Rewraps the text into lines of at most `width` characters joined by `wrapstring` (the environment\'s newline by default).',
      returns: 'str',
    },
  ),
  filter('xmlattr', 'd', [param('autospace', 'True')], {
    summary: 'A mapping as XML/HTML attributes.',
    doc: 'Renders `key="value"` pairs, escaped, skipping undefined and `None` values; a leading space is added unless `autospace=false`.',
    returns: 'Markup',
  }),
];

/** Jinja2's builtin filters, aliases included (`count`, `d`, `e`). */
export const JINJA_FILTERS: readonly BuiltinEntry[] = [...FILTER_ENTRIES, ...aliases(FILTER_ENTRIES, { count: 'length', d: 'default', e: 'escape' })].sort(byName);

const TEST_ENTRIES: BuiltinEntry[] = [
  test('boolean', 'value', [], { summary: 'Is it `true` or `false`?', doc: 'True only for the booleans themselves, not for other truthy values.', returns: 'bool' }),
  test('callable', 'obj', [], { summary: 'Can it be called?', doc: 'True for functions, macros and other callables.', returns: 'bool' }),
  test('defined', 'value', [], {
    summary: 'Is the variable defined?',
    doc: 'True unless the value is undefined. Under chainable undefined, `a.b is defined` is false when `a` is missing.',
    returns: 'bool',
  }),
  test('divisibleby', 'value', [param('num')], { summary: 'Is it divisible by `num`?', doc: '`9 is divisibleby 3` is true.', returns: 'bool' }),
  test('eq', 'a', [param('b')], { summary: 'Equal to the argument (`==`).', doc: 'Handy in `select("eq", x)`; `equalto` and `==` are other names for it.', returns: 'bool' }),
  test('escaped', 'value', [], { summary: 'Is it marked safe (already escaped)?', doc: 'True for Markup values such as the result of `escape` or `safe`.', returns: 'bool' }),
  test('even', 'value', [], { summary: 'Is it an even integer?', doc: 'True when the number divides by 2.', returns: 'bool' }),
  test('false', 'value', [], { summary: 'Is it the boolean `false`?', doc: 'True only for `false` itself, not for other falsy values.', returns: 'bool' }),
  test('filter', 'value', [], { summary: 'Is there a filter with this name?', doc: '`"indent" is filter` is true; use it to guard optional filters.', returns: 'bool' }),
  test('float', 'value', [], { summary: 'Is it a float?', doc: 'True for floating-point numbers only.', returns: 'bool' }),
  test('ge', 'a', [param('b')], { summary: 'Greater than or equal (`>=`).', doc: 'For `select("ge", n)`; `>=` is another name.', returns: 'bool' }),
  test('gt', 'a', [param('b')], { summary: 'Greater than (`>`).', doc: 'For `select("gt", n)`; `greaterthan` and `>` are other names.', returns: 'bool' }),
  test('in', 'value', [param('seq')], { summary: 'Is it contained in `seq`?', doc: 'Same as the `in` operator: `x is in [1, 2]`.', returns: 'bool' }),
  test('integer', 'value', [], { summary: 'Is it an integer?', doc: 'True for integers; booleans are not counted as integers.', returns: 'bool' }),
  test('iterable', 'value', [], { summary: 'Can it be looped over?', doc: 'True for lists, mappings, strings and other iterables.', returns: 'bool' }),
  test('le', 'a', [param('b')], { summary: 'Less than or equal (`<=`).', doc: 'For `select("le", n)`; `<=` is another name.', returns: 'bool' }),
  test('lower', 'value', [], { summary: 'Is the string all lower case?', doc: 'True when the text has cased characters and all are lower case.', returns: 'bool' }),
  test('lt', 'a', [param('b')], { summary: 'Less than (`<`).', doc: 'For `select("lt", n)`; `lessthan` and `<` are other names.', returns: 'bool' }),
  test('mapping', 'value', [], { summary: 'Is it a mapping (dict)?', doc: 'True for dicts and other mappings.', returns: 'bool' }),
  test('ne', 'a', [param('b')], { summary: 'Not equal (`!=`).', doc: 'For `reject("ne", x)`; `!=` is another name.', returns: 'bool' }),
  test('none', 'value', [], { summary: 'Is it `none`?', doc: 'True for Python\'s `None` (`null` in YAML).', returns: 'bool' }),
  test('number', 'value', [], { summary: 'Is it a number?', doc: 'True for integers, floats and other numbers (booleans count, as in Python).', returns: 'bool' }),
  test('odd', 'value', [], { summary: 'Is it an odd integer?', doc: 'True when the number does not divide by 2.', returns: 'bool' }),
  test('sameas', 'value', [param('other')], { summary: 'Is it the very same object?', doc: 'Identity, like Python\'s `is`: `x is sameas false`.', returns: 'bool' }),
  test('sequence', 'value', [], { summary: 'Is it a sequence?', doc: 'True for lists, strings and other objects with a length and items.', returns: 'bool' }),
  test('string', 'value', [], { summary: 'Is it a string?', doc: 'True for text values.', returns: 'bool' }),
  test('test', 'value', [], { summary: 'Is there a test with this name?', doc: '`"odd" is test` is true.', returns: 'bool' }),
  test('true', 'value', [], { summary: 'Is it the boolean `true`?', doc: 'True only for `true` itself, not for other truthy values.', returns: 'bool' }),
  test('undefined', 'value', [], { summary: 'Is the variable undefined?', doc: 'The opposite of `defined`.', returns: 'bool' }),
  test('upper', 'value', [], { summary: 'Is the string all upper case?', doc: 'True when the text has cased characters and all are upper case.', returns: 'bool' }),
];

/** Jinja2's builtin tests, aliases included; the operator names (`==`, `<`, ...) are marked. */
export const JINJA_TESTS: readonly BuiltinEntry[] = [
  ...TEST_ENTRIES,
  ...aliases(TEST_ENTRIES, { equalto: 'eq', greaterthan: 'gt', lessthan: 'lt' }),
  ...aliases(TEST_ENTRIES, { '==': 'eq', '!=': 'ne', '>': 'gt', '>=': 'ge', '<': 'lt', '<=': 'le' }, { isOperatorName: true }),
].sort(byName);

/** Jinja2's global functions (jinja2.defaults.DEFAULT_NAMESPACE). */
export const JINJA_GLOBALS: readonly BuiltinEntry[] = [
  {
    name: 'cycler',
    kind: 'function',
    origin: 'jinja',
    signature: signature([rest('items')], { minArgs: 1, keywords: 'none' }),
    summary: 'An object that hands out its items in turn, across loops.',
    doc: '`#% set row = cycler("odd", "even") %#` then `#{ row.next() }#` gives `odd`, `even`, `odd`, ... `row.current` peeks, `row.reset()` starts over. At least one item is required.',
    returns: 'Cycler',
  },
  {
    name: 'dict',
    kind: 'function',
    origin: 'jinja',
    signature: signature([optional('mapping'), restKeywords('kwargs')]),
    summary: 'A new mapping: `dict(a=1, b=2)`.',
    doc: 'Python\'s `dict`: from keyword arguments, from another mapping or list of pairs, or both.',
    returns: 'dict',
  },
  {
    name: 'joiner',
    kind: 'function',
    origin: 'jinja',
    signature: signature([param('sep', "', '")]),
    summary: 'A callable that returns `sep` on every call but the first.',
    doc: '`#% set comma = joiner(",") %#` then `#{ comma() }#` before each item prints nothing the first time and `,` after that.',
    returns: 'Joiner',
  },
  {
    name: 'lipsum',
    kind: 'function',
    origin: 'jinja',
    signature: signature([param('n', '5'), param('html', 'True'), param('min', '20'), param('max', '100')]),
    summary: 'Placeholder "lorem ipsum" text.',
    doc: '`n` paragraphs of `min` to `max` words each, wrapped in `<p>` tags unless `html=false`. Random: differs between renders.',
    returns: 'str',
  },
  {
    name: 'namespace',
    kind: 'function',
    origin: 'jinja',
    signature: signature([optional('mapping'), restKeywords('kwargs')]),
    summary: 'An object whose attributes can be set from inside loops.',
    doc: '`#% set ns = namespace(found=false) %#` and, inside a loop, `#% set ns.found = true %#`: unlike a plain `set`, the change is visible after the loop.',
    returns: 'Namespace',
  },
  {
    name: 'range',
    kind: 'function',
    origin: 'jinja',
    signature: signature([param('start'), optional('stop'), optional('step')], { keywords: 'none' }),
    summary: 'Integers from `start` up to (not including) `stop`.',
    doc: 'Python\'s `range`: `range(3)` is 0, 1, 2; `range(1, 10, 2)` is 1, 3, 5, 7, 9. With one argument it is the stop. No keyword arguments.',
    returns: 'range',
  },
];

function loopValue(name: string, returns: string, summary: string, doc: string): BuiltinEntry {
  return { name, kind: 'loopAttribute', origin: 'jinja', summary, doc, returns };
}

/** What `loop` offers inside a `for` block. */
export const LOOP_ATTRIBUTES: readonly BuiltinEntry[] = [
  loopValue('index', 'int', 'Current iteration, counting from 1.', 'The number of the current iteration, starting at 1.'),
  loopValue('index0', 'int', 'Current iteration, counting from 0.', 'The number of the current iteration, starting at 0.'),
  loopValue('revindex', 'int', 'Iterations left, counting the current one (ends at 1).', 'How many iterations remain including this one: the last iteration has 1.'),
  loopValue('revindex0', 'int', 'Iterations left after this one (ends at 0).', 'How many iterations remain after this one: the last iteration has 0.'),
  loopValue('first', 'bool', 'True on the first iteration.', 'True during the first iteration only.'),
  loopValue('last', 'bool', 'True on the last iteration.', 'True during the last iteration only.'),
  loopValue('length', 'int', 'Number of items in the loop.', 'How many items the loop goes over (after any `if` filter in the `for`).'),
  {
    name: 'cycle',
    kind: 'loopAttribute',
    origin: 'jinja',
    signature: signature([rest('args')], { minArgs: 1, keywords: 'none' }),
    summary: 'One of its arguments, in turn per iteration.',
    doc: '`loop.cycle("odd", "even")` gives `odd` on the first iteration, `even` on the second, and so on. At least one argument is required.',
    returns: 'any',
  },
  loopValue('depth', 'int', 'Nesting level of a recursive loop, from 1.', 'In a `recursive` loop, how deep the current call is, starting at 1.'),
  loopValue('depth0', 'int', 'Nesting level of a recursive loop, from 0.', 'In a `recursive` loop, how deep the current call is, starting at 0.'),
  loopValue('previtem', 'any', 'The item of the previous iteration.', 'The previous item; undefined on the first iteration.'),
  loopValue('nextitem', 'any', 'The item of the next iteration.', 'The next item; undefined on the last iteration.'),
  {
    name: 'changed',
    kind: 'loopAttribute',
    origin: 'jinja',
    signature: signature([rest('value')], { keywords: 'none' }),
    summary: 'True when its arguments differ from the previous call\'s.',
    doc: '`#% if loop.changed(item.group) %#` is true on the first call and whenever the value differs from the last call, for printing headings once per group.',
    returns: 'bool',
  },
];

/** Variables that exist inside a macro body. */
export const MACRO_VARIABLES: readonly BuiltinEntry[] = [
  { name: 'varargs', kind: 'variable', origin: 'jinja', summary: 'Extra positional arguments of a macro call.', doc: 'Inside a macro: the positional arguments beyond its parameters, as a tuple.', returns: 'tuple' },
  { name: 'kwargs', kind: 'variable', origin: 'jinja', summary: 'Extra keyword arguments of a macro call.', doc: 'Inside a macro: the keyword arguments that match no parameter, as a mapping.', returns: 'dict' },
  {
    name: 'caller',
    kind: 'variable',
    origin: 'jinja',
    summary: 'The body of the `call` block that called this macro.',
    doc: 'Inside a macro used with `#% call macro() %#...#% endcall %#`: `caller()` renders the block\'s body.',
    returns: 'macro',
  },
];

/** Globals makejinja adds to every template besides the data files. */
export const MAKEJINJA_GLOBALS: readonly BuiltinEntry[] = [
  {
    name: 'env',
    kind: 'variable',
    origin: 'makejinja',
    summary: 'The environment variables of the process that renders.',
    doc: 'makejinja exposes `os.environ` as `env`: `#{ env.HOME }#` or `#{ env["KUBECONFIG"] }#`. Values differ between machines, so rendered files may too.',
    returns: 'Mapping[str, str]',
  },
];

/** The filters of the cluster-template plugin (templates/scripts/plugin.py). */
export const CLUSTER_TEMPLATE_FILTERS: readonly BuiltinEntry[] = [
  {
    name: 'basename',
    kind: 'filter',
    origin: 'cluster-template',
    subject: 'value',
    signature: signature([]),
    summary: 'File name without its folder and last suffix.',
    doc: 'Python\'s `Path(value).stem`: `"patches/global/machine-network.yaml.j2"|basename` is `machine-network.yaml`.',
    returns: 'str',
  },
  {
    name: 'nthhost',
    kind: 'filter',
    origin: 'cluster-template',
    subject: 'value',
    signature: signature([param('query')]),
    summary: 'The address at position `query` in a network.',
    doc: '`"192.168.1.0/24"|nthhost(1)` is `192.168.1.1`. Gives `false` when the network has no such position or the value is not a network.',
    returns: 'str | bool',
  },
];

/** The functions of the cluster-template plugin; they read files next to makejinja.toml. */
export const CLUSTER_TEMPLATE_FUNCTIONS: readonly BuiltinEntry[] = [
  {
    name: 'age_key',
    kind: 'function',
    origin: 'cluster-template',
    signature: signature([param('key_type'), param('file_path', "'age.key'")]),
    summary: 'The public or private key in age.key.',
    doc: '`age_key("public")` is the `age1...` recipient; `age_key("private")` is the `AGE-SECRET-KEY-...` secret key. Fails when the file or the key is missing, or for any other `key_type`.',
    returns: 'str',
    isSecretResult: true,
  },
  {
    name: 'cloudflare_tunnel_id',
    kind: 'function',
    origin: 'cluster-template',
    signature: signature([param('file_path', "'cloudflare-tunnel.json'")]),
    summary: 'The tunnel ID from cloudflare-tunnel.json.',
    doc: 'Reads the `TunnelID` field; fails when the file is missing, is not JSON, or has no such field.',
    returns: 'str',
  },
  {
    name: 'cloudflare_tunnel_secret',
    kind: 'function',
    origin: 'cluster-template',
    signature: signature([param('file_path', "'cloudflare-tunnel.json'")]),
    summary: 'The tunnel credentials as a cloudflared token.',
    doc: 'Base64 of the compact JSON `{"a":AccountTag,"t":TunnelID,"s":TunnelSecret}` built from cloudflare-tunnel.json, the form cloudflared accepts as a tunnel token.',
    returns: 'str',
    isSecretResult: true,
  },
  {
    name: 'github_deploy_key',
    kind: 'function',
    origin: 'cluster-template',
    signature: signature([param('file_path', "'github-deploy.key'")]),
    summary: 'The private SSH deploy key from github-deploy.key.',
    doc: 'The file\'s text without surrounding whitespace; fails when it is missing.',
    returns: 'str',
    isSecretResult: true,
  },
  {
    name: 'github_push_token',
    kind: 'function',
    origin: 'cluster-template',
    signature: signature([param('file_path', "'github-push-token.txt'")]),
    summary: 'The token in github-push-token.txt (the Flux GitHub webhook secret).',
    doc: 'The file\'s text without surrounding whitespace; fails when it is missing.',
    returns: 'str',
    isSecretResult: true,
  },
  {
    name: 'talos_patches',
    kind: 'function',
    origin: 'cluster-template',
    signature: signature([param('value')]),
    summary: 'The Talos patch templates for a group or node.',
    doc: 'The sorted paths of `templates/config/talos/patches/<value>/*.yaml.j2` (`value` is `global`, `controller`, `worker` or a node name); empty when that folder does not exist.',
    returns: 'list[str]',
  },
];

function byName(a: BuiltinEntry, b: BuiltinEntry): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

const FILTER_INDEX = new Map(JINJA_FILTERS.map((entry) => [entry.name, entry]));
const TEST_INDEX = new Map(JINJA_TESTS.map((entry) => [entry.name, entry]));
const GLOBAL_INDEX = new Map(JINJA_GLOBALS.map((entry) => [entry.name, entry]));
const LOOP_INDEX = new Map(LOOP_ATTRIBUTES.map((entry) => [entry.name, entry]));

/** Jinja's builtin filter of that name. Example: findJinjaFilter('d')?.aliasOf === 'default'. */
export function findJinjaFilter(name: string): BuiltinEntry | undefined {
  return FILTER_INDEX.get(name);
}

/** Jinja's builtin test of that name. Example: findJinjaTest('equalto')?.aliasOf === 'eq'. */
export function findJinjaTest(name: string): BuiltinEntry | undefined {
  return TEST_INDEX.get(name);
}

/** Jinja's global function of that name. Example: findJinjaGlobal('range')?.signature?.maxArgs === 3. */
export function findJinjaGlobal(name: string): BuiltinEntry | undefined {
  return GLOBAL_INDEX.get(name);
}

/** The `loop` attribute of that name. Example: findLoopAttribute('index0')?.returns === 'int'. */
export function findLoopAttribute(name: string): BuiltinEntry | undefined {
  return LOOP_INDEX.get(name);
}

/**
 * The call as documentation shows it, with the piped or tested value omitted.
 * Example: signatureLabel(findJinjaFilter('indent')!) === 'indent(width=4, first=False, blank=False)'.
 */
export function signatureLabel(entry: BuiltinEntry): string {
  if (!entry.signature) return entry.name;
  const parts = entry.signature.params.map((p) => {
    if (p.variadic === 'positional') return `*${p.name}`;
    if (p.variadic === 'keyword') return `**${p.name}`;
    if (p.defaultText !== undefined) return `${p.name}=${p.defaultText}`;
    return p.isRequired ? p.name : `[${p.name}]`;
  });
  return `${entry.name}(${parts.join(', ')})`;
}

/**
 * Why a call with these arguments fails, or undefined when the counts fit. Counts exclude the piped
 * or tested value. Example: argumentCountProblem(findJinjaFilter('replace')!.signature!, 1, [])
 * is 'replace needs at least 2 arguments, got 1'.
 */
export function argumentCountProblem(name: string, signature: BuiltinSignature, positionalCount: number, keywordNames: readonly string[]): string | undefined {
  const plain = signature.params.filter((p) => p.variadic === undefined);
  if (keywordNames.length > 0 && signature.keywords === 'none') return `${name} takes no keyword arguments`;
  if (signature.keywords === 'named') {
    const unknown = keywordNames.find((keyword) => !plain.some((p) => p.name === keyword));
    if (unknown !== undefined) return `${name} has no parameter named ${unknown}`;
  }
  // A required parameter passed by name counts towards the minimum.
  const requiredByName = keywordNames.filter((keyword) => plain.some((p, index) => p.name === keyword && p.isRequired && index >= positionalCount)).length;
  if (positionalCount + requiredByName < signature.minArgs) {
    return `${name} needs at least ${plural(signature.minArgs)}, got ${positionalCount + requiredByName}`;
  }
  if (signature.maxArgs !== null && positionalCount > signature.maxArgs) {
    return `${name} takes at most ${plural(signature.maxArgs)}, got ${positionalCount}`;
  }
  const doubled = keywordNames.find((keyword) => {
    const index = plain.findIndex((p) => p.name === keyword);
    return index >= 0 && index < positionalCount;
  });
  if (doubled !== undefined) return `${name} got ${doubled} both by position and by name`;
  return undefined;
}

function plural(count: number): string {
  return count === 1 ? '1 argument' : `${count} arguments`;
}
