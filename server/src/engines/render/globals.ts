// Jinja2's default global functions (DEFAULT_NAMESPACE: range, dict, lipsum, cycler, joiner,
// namespace) and the objects they make. Pure: no I/O; lipsum draws from a seeded generator, not
// from Python's random, so its text cannot match Jinja2's (which differs on every run anyway).
import {
  Markup,
  PyDict,
  PyError,
  PyFunction,
  PyObject,
  PyTuple,
  numberOf,
  pyRepr,
  pyTruthy,
  tuple,
  pyView,
  typeError,
  typeName,
  type PyKwargs,
  type PyValue,
  type RuntimeContext,
} from './pyValues';
import { escapeHtml } from './operators';
import { BuiltinMethod, updateDict } from './methods';

/** jinja2.utils.Namespace: attributes in a dict; `#% set ns.x = 1 %#` assigns through setAttribute. */
export class Namespace extends PyObject {
  readonly typeName = 'Namespace';
  readonly attributes = new PyDict();

  override getAttribute(name: string): PyValue | undefined {
    return this.attributes.get(name);
  }

  setAttribute(name: string, value: PyValue): void {
    this.attributes.set(name, value);
  }

  override toPyString(): string {
    return `<Namespace ${pyRepr(this.attributes)}>`;
  }
}

/** jinja2.utils.Cycler: next() gives the current item and advances; reset() starts over. */
export class Cycler extends PyObject {
  readonly typeName = 'Cycler';
  private position = 0;

  constructor(readonly items: PyTuple) {
    super();
  }

  get current(): PyValue {
    return this.items[this.position];
  }

  next(): PyValue {
    const value = this.current;
    this.position = (this.position + 1) % this.items.length;
    return value;
  }

  reset(): void {
    this.position = 0;
  }

  override getAttribute(name: string): PyValue | undefined {
    switch (name) {
      case 'items':
        return this.items;
      case 'pos':
        return this.position;
      case 'current':
        return this.current;
      case 'next':
      case '__next__':
        return new BuiltinMethod(name, 'Cycler', (_ctx, args, kwargs) => {
          noArguments('Cycler.next', args, kwargs);
          return this.next();
        });
      case 'reset':
        return new BuiltinMethod(name, 'Cycler', (_ctx, args, kwargs) => {
          noArguments('Cycler.reset', args, kwargs);
          this.reset();
          return null;
        });
    }
    return undefined;
  }

  override toPyString(): string {
    return '<jinja2.utils.Cycler object>';
  }
}

/** jinja2.utils.Joiner: calling it gives '' the first time and the separator after. */
export class Joiner extends PyFunction {
  override readonly typeName: string = 'Joiner';
  private used = false;

  constructor(readonly separator: PyValue) {
    super('Joiner', (_ctx, args, kwargs) => {
      noArguments('Joiner.__call__', args, kwargs);
      if (!this.used) {
        this.used = true;
        return '';
      }
      return this.separator;
    });
  }

  override getAttribute(name: string): PyValue | undefined {
    if (name === 'sep') return this.separator;
    if (name === 'used') return this.used;
    return undefined;
  }

  override toPyString(): string {
    return '<jinja2.utils.Joiner object>';
  }
}

function noArguments(functionName: string, args: PyValue[], kwargs: PyKwargs): void {
  const [keyword] = kwargs.keys();
  if (keyword !== undefined) throw typeError(`${functionName}() got an unexpected keyword argument '${keyword}'`);
  if (args.length > 0) throw typeError(`${functionName}() takes 1 positional argument but ${args.length + 1} were given`);
}

// jinja2.sandbox.MAX_RANGE: Python's range is lazy, ours is a list, so refuse what Jinja's sandbox refuses.
const MAX_RANGE = 100000;

function rangeArgument(value: PyValue): number {
  if (typeof value === 'number' || typeof value === 'boolean') return numberOf(value);
  throw typeError(`'${typeName(value)}' object cannot be interpreted as an integer`);
}

/**
 * Python's range(stop) / range(start, stop[, step]) as a list of ints (Python gives a lazy range
 * object: iterating and indexing agree, but printing one shows "range(0, 3)" there).
 * @example makeRange([1, 7, 2]) -> [1, 3, 5]
 */
export function makeRange(args: PyValue[], kwargs: PyKwargs = new Map()): PyValue[] {
  if (kwargs.size > 0) throw typeError('range() takes no keyword arguments');
  if (args.length === 0) throw typeError('range expected at least 1 argument, got 0');
  if (args.length > 3) throw typeError(`range expected at most 3 arguments, got ${args.length}`);
  const numbers = args.map(rangeArgument);
  const [start, stop, step] = numbers.length === 1 ? [0, numbers[0], 1] : [numbers[0], numbers[1], numbers[2] ?? 1];
  if (step === 0) throw new PyError('ValueError', 'range() arg 3 must not be zero');
  const length = step > 0 ? Math.max(0, Math.ceil((stop - start) / step)) : Math.max(0, Math.ceil((start - stop) / -step));
  if (length > MAX_RANGE) throw new PyError('OverflowError', `Range too big. The sandbox blocks ranges larger than MAX_RANGE (${MAX_RANGE}).`);
  const items: number[] = [];
  for (let i = 0; i < length; i++) items.push(start + i * step);
  return pyView('range', items, [start, stop, step]);
}

/** Python's dict(mapping_or_pairs, **kwargs). */
export function makeDict(args: PyValue[], kwargs: PyKwargs = new Map()): PyDict {
  if (args.length > 1) throw typeError(`dict expected at most 1 argument, got ${args.length}`);
  const dict = new PyDict();
  updateDict(dict, args[0], kwargs);
  return dict;
}

function makeNamespace(args: PyValue[], kwargs: PyKwargs): Namespace {
  const namespace = new Namespace();
  for (const [key, value] of makeDict(args, kwargs)) namespace.attributes.set(key, value);
  return namespace;
}

function makeCycler(args: PyValue[], kwargs: PyKwargs): Cycler {
  const [keyword] = kwargs.keys();
  if (keyword !== undefined) throw typeError(`Cycler.__init__() got an unexpected keyword argument '${keyword}'`);
  if (args.length === 0) throw new PyError('RuntimeError', 'at least one item has to be provided');
  return new Cycler(tuple(args));
}

function makeJoiner(args: PyValue[], kwargs: PyKwargs): Joiner {
  const [keyword] = [...kwargs.keys()].filter((name) => name !== 'sep');
  if (keyword !== undefined) throw typeError(`Joiner.__init__() got an unexpected keyword argument '${keyword}'`);
  if (args.length > 1) throw typeError(`Joiner.__init__() takes from 1 to 2 positional arguments but ${args.length + 1} were given`);
  if (args.length === 1 && kwargs.has('sep')) throw typeError("Joiner.__init__() got multiple values for argument 'sep'");
  return new Joiner(args.length === 1 ? args[0] : (kwargs.get('sep') ?? ', '));
}

// jinja2.constants.LOREM_IPSUM_WORDS
const LOREM_WORDS = `a ac accumsan ad adipiscing aenean aliquam aliquet amet ante aptent arcu at auctor augue bibendum
blandit class commodo condimentum congue consectetuer consequat conubia convallis cras cubilia cum
curabitur curae cursus dapibus diam dictum dictumst dignissim dis dolor donec dui duis egestas eget
eleifend elementum elit enim erat eros est et etiam eu euismod facilisi facilisis fames faucibus
felis fermentum feugiat fringilla fusce gravida habitant habitasse hac hendrerit hymenaeos iaculis
id imperdiet in inceptos integer interdum ipsum justo lacinia lacus laoreet lectus leo libero ligula
litora lobortis lorem luctus maecenas magna magnis malesuada massa mattis mauris metus mi molestie
mollis montes morbi mus nam nascetur natoque nec neque netus nibh nisi nisl non nonummy nostra nulla
nullam nunc odio orci ornare parturient pede pellentesque penatibus per pharetra phasellus placerat
platea porta porttitor posuere potenti praesent pretium primis proin pulvinar purus quam quis
quisque rhoncus ridiculus risus rutrum sagittis sapien scelerisque sed sem semper senectus sit
sociis sociosqu sodales sollicitudin suscipit suspendisse taciti tellus tempor tempus tincidunt
torquent tortor tristique turpis ullamcorper ultrices ultricies urna ut varius vehicula vel velit
venenatis vestibulum vitae vivamus viverra volutpat vulputate`.split(/\s+/);

/** A small deterministic generator (mulberry32) standing in for Python's random module. */
function seededRandom(seed: number): (low: number, high: number) => number {
  let state = seed >>> 0;
  return (low, high) => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const unit = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    return low + Math.floor(unit * (high - low)); // randrange(low, high)
  };
}

/** jinja2.utils.generate_lorem_ipsum with the same structure (commas, sentences, paragraphs). */
export function generateLoremIpsum(randrange: (low: number, high: number) => number, count = 5, html = true, min = 20, max = 100): PyValue {
  const paragraphs: string[] = [];
  for (let n = 0; n < count; n++) {
    let nextCapitalized = true;
    let lastComma = 0;
    let lastFullstop = 0;
    let last: string | undefined;
    const words: string[] = [];
    const length = randrange(min, max);
    for (let index = 0; index < length; index++) {
      let word: string;
      do word = LOREM_WORDS[randrange(0, LOREM_WORDS.length)];
      while (word === last);
      last = word;
      if (nextCapitalized) {
        word = word[0].toUpperCase() + word.slice(1);
        nextCapitalized = false;
      }
      if (index - randrange(3, 8) > lastComma) {
        lastComma = index;
        lastFullstop += 2;
        word += ',';
      }
      if (index - randrange(10, 20) > lastFullstop) {
        lastComma = lastFullstop = index;
        word += '.';
        nextCapitalized = true;
      }
      words.push(word);
    }
    let paragraph = words.join(' ');
    if (paragraph.endsWith(',')) paragraph = paragraph.slice(0, -1) + '.';
    else if (!paragraph.endsWith('.')) paragraph += '.';
    paragraphs.push(paragraph);
  }
  if (!html) return paragraphs.join('\n\n');
  return new Markup(paragraphs.map((paragraph) => `<p>${escapeHtml(paragraph)}</p>`).join('\n'));
}

function lipsumArgument(args: PyValue[], kwargs: PyKwargs, index: number, name: string, fallback: PyValue): PyValue {
  if (index < args.length) {
    if (kwargs.has(name)) throw typeError(`generate_lorem_ipsum() got multiple values for argument '${name}'`);
    return args[index];
  }
  return kwargs.get(name) ?? fallback;
}

function makeLipsum(randrange: (low: number, high: number) => number): PyFunction {
  return new PyFunction('generate_lorem_ipsum', (_ctx: RuntimeContext, args, kwargs) => {
    const names = ['n', 'html', 'min', 'max'];
    if (args.length > names.length) throw typeError(`generate_lorem_ipsum() takes from 0 to 4 positional arguments but ${args.length} were given`);
    for (const name of kwargs.keys()) if (!names.includes(name)) throw typeError(`generate_lorem_ipsum() got an unexpected keyword argument '${name}'`);
    const count = rangeArgument(lipsumArgument(args, kwargs, 0, 'n', 5));
    const html = pyTruthy(lipsumArgument(args, kwargs, 1, 'html', true));
    const min = rangeArgument(lipsumArgument(args, kwargs, 2, 'min', 20));
    const max = rangeArgument(lipsumArgument(args, kwargs, 3, 'max', 100));
    if (min >= max) throw new PyError('ValueError', `empty range for randrange() (${min}, ${max}, ${max - min})`);
    return generateLoremIpsum(randrange, count, html, min, max);
  });
}

/** A Python class used as a function (range, dict, Cycler…): prints as Python prints the class. */
export class PyClass extends PyFunction {
  override readonly typeName: string = 'type';
  constructor(
    name: string,
    readonly qualifiedName: string,
    impl: (ctx: RuntimeContext, args: PyValue[], kwargs: PyKwargs) => PyValue,
  ) {
    super(name, impl);
  }
  override toPyString(): string {
    return `<class '${this.qualifiedName}'>`;
  }
}

/**
 * Jinja2's DEFAULT_NAMESPACE as template globals. Each call makes fresh functions (lipsum's
 * generator starts from the same seed, so a render is repeatable).
 * @example builtinGlobals().get('range') is a function; call it with [3] for [0, 1, 2]
 */
export function builtinGlobals(): Map<string, PyValue> {
  return new Map<string, PyValue>([
    ['range', new PyClass('range', 'range', (_ctx, args, kwargs) => makeRange(args, kwargs))],
    ['dict', new PyClass('dict', 'dict', (_ctx, args, kwargs) => makeDict(args, kwargs))],
    ['lipsum', makeLipsum(seededRandom(0x5eed))],
    ['cycler', new PyClass('Cycler', 'jinja2.utils.Cycler', (_ctx, args, kwargs) => makeCycler(args, kwargs))],
    ['joiner', new PyClass('Joiner', 'jinja2.utils.Joiner', (_ctx, args, kwargs) => makeJoiner(args, kwargs))],
    ['namespace', new PyClass('Namespace', 'jinja2.utils.Namespace', (_ctx, args, kwargs) => makeNamespace(args, kwargs))],
  ]);
}
