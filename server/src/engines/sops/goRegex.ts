// Go's regular expressions (RE2 syntax, as sops compiles path_regex and the partial-encryption
// options) translated into JavaScript RegExps with the same matches. One translator for the
// .sops.yaml reader and the encryption walk. Pure.

export type RegexResult = { regex: RegExp; source: string } | { error: string };

interface GoFlags {
  fold: boolean;
  multiLine: boolean;
  dotAll: boolean;
  ungreedy: boolean;
}

type Range = [number, number];
const MAX_CODE_POINT = 0x10ffff;

function normalizeRanges(ranges: Range[]): Range[] {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  const out: Range[] = [];
  for (const [lo, hi] of sorted) {
    const last = out[out.length - 1];
    if (last && lo <= last[1] + 1) last[1] = Math.max(last[1], hi);
    else out.push([lo, hi]);
  }
  return out;
}

function complementRanges(ranges: Range[]): Range[] {
  const out: Range[] = [];
  let next = 0;
  for (const [lo, hi] of normalizeRanges(ranges)) {
    if (lo > next) out.push([next, lo - 1]);
    next = hi + 1;
  }
  if (next <= MAX_CODE_POINT) out.push([next, MAX_CODE_POINT]);
  return out;
}

/**
 * Simple case-folding orbits (k K U+212A, s S U+017F, σ ς Σ...), built from the one-to-one
 * upper/lower mappings JavaScript knows; Go folds with unicode.SimpleFold, which these match
 * except for characters whose case mapping is not one code point (those fold to themselves).
 */
class CaseOrbits {
  private readonly orbitOf = new Map<number, number[]>();
  readonly casedCodePoints: number[];

  constructor() {
    const parent = new Map<number, number>();
    const find = (x: number): number => {
      let root = x;
      while (parent.has(root) && parent.get(root) !== root) root = parent.get(root)!;
      return root;
    };
    const union = (a: number, b: number): void => {
      const rootA = find(a);
      const rootB = find(b);
      if (!parent.has(rootA)) parent.set(rootA, rootA);
      if (!parent.has(rootB)) parent.set(rootB, rootB);
      if (rootA !== rootB) parent.set(rootB, rootA);
    };
    // Case mappings stop below U+1E944 (Adlam); scanning to 0x20000 covers them.
    for (let codePoint = 0; codePoint < 0x20000; codePoint++) {
      if (codePoint >= 0xd800 && codePoint <= 0xdfff) continue;
      const char = String.fromCodePoint(codePoint);
      for (const mapped of [char.toLowerCase(), char.toUpperCase()]) {
        const other = mapped.codePointAt(0)!;
        if (other !== codePoint && String.fromCodePoint(other) === mapped) union(codePoint, other);
      }
    }
    const groups = new Map<number, number[]>();
    for (const codePoint of parent.keys()) {
      const root = find(codePoint);
      const group = groups.get(root) ?? [];
      group.push(codePoint);
      groups.set(root, group);
    }
    for (const group of groups.values()) for (const codePoint of group) this.orbitOf.set(codePoint, group);
    this.casedCodePoints = [...this.orbitOf.keys()].sort((a, b) => a - b);
  }

  orbit(codePoint: number): number[] {
    return this.orbitOf.get(codePoint) ?? [codePoint];
  }

  /** The ranges plus every case variant of the characters in them. */
  fold(ranges: Range[]): Range[] {
    const out = [...ranges];
    for (const [lo, hi] of ranges) {
      for (const codePoint of this.casedCodePoints) {
        if (codePoint < lo) continue;
        if (codePoint > hi) break;
        for (const variant of this.orbit(codePoint)) out.push([variant, variant]);
      }
    }
    return normalizeRanges(out);
  }
}

const POSIX_CLASSES: Record<string, Range[]> = {
  alnum: [[0x30, 0x39], [0x41, 0x5a], [0x61, 0x7a]],
  alpha: [[0x41, 0x5a], [0x61, 0x7a]],
  ascii: [[0x00, 0x7f]],
  blank: [[0x09, 0x09], [0x20, 0x20]],
  cntrl: [[0x00, 0x1f], [0x7f, 0x7f]],
  digit: [[0x30, 0x39]],
  graph: [[0x21, 0x7e]],
  lower: [[0x61, 0x7a]],
  print: [[0x20, 0x7e]],
  punct: [[0x21, 0x2f], [0x3a, 0x40], [0x5b, 0x60], [0x7b, 0x7e]],
  space: [[0x09, 0x0d], [0x20, 0x20]],
  upper: [[0x41, 0x5a]],
  word: [[0x30, 0x39], [0x41, 0x5a], [0x61, 0x7a], [0x5f, 0x5f]],
  xdigit: [[0x30, 0x39], [0x41, 0x46], [0x61, 0x66]],
};

// RE2's Perl classes are ASCII-only; in particular \s has no \v (JavaScript's \s has it and more).
const PERL_CLASSES: Record<string, Range[]> = {
  d: POSIX_CLASSES.digit,
  s: [[0x09, 0x0a], [0x0c, 0x0d], [0x20, 0x20]],
  w: POSIX_CLASSES.word,
};

/** A class member the range list cannot hold: a Unicode property, kept as JavaScript syntax. */
interface PropertyItem {
  /** Inside a JavaScript class: `\p{Lu}` or `\P{Script=Greek}`. */
  inClass: string;
  /** Standing alone. */
  alone: string;
}

class GoRegexError extends Error {}

// Built on first use of (?i) (about 0.1 s) and never changed: a table of Unicode facts, not a cache.
let caseOrbitsTable: CaseOrbits | undefined;

class GoRegexTranslator {
  private pos = 0;

  constructor(private readonly pattern: string) {}

  translate(): string {
    const flags: GoFlags = { fold: false, multiLine: false, dotAll: false, ungreedy: false };
    const source = this.parseAlternation(flags);
    if (this.pos < this.pattern.length) this.fail('unexpected )', this.pattern);
    return source;
  }

  private fail(code: string, expression: string): never {
    throw new GoRegexError(`error parsing regexp: ${code}: \`${expression}\``);
  }

  private caseOrbits(): CaseOrbits {
    return (caseOrbitsTable ??= new CaseOrbits());
  }

  private nextCodePoint(): number {
    const codePoint = this.pattern.codePointAt(this.pos)!;
    if (codePoint >= 0xd800 && codePoint <= 0xdfff) this.fail('invalid UTF-8', this.pattern.slice(this.pos));
    this.pos += codePoint > 0xffff ? 2 : 1;
    return codePoint;
  }

  /** Alternatives up to an unmatched `)` or the end. Flags set by `(?i)` last to the end of the group. */
  private parseAlternation(flags: GoFlags): string {
    const alternatives: string[] = [];
    let atoms: string[] = [];
    // What a repetition operator may follow: undefined at the start of an alternative.
    let last: { isAssertion: boolean; isRepeated: boolean } | undefined;
    while (this.pos < this.pattern.length && this.pattern[this.pos] !== ')') {
      const start = this.pos;
      const char = this.pattern[this.pos];
      if (char === '|') {
        this.pos++;
        alternatives.push(atoms.join(''));
        atoms = [];
        last = undefined;
        continue;
      }
      if (char === '*' || char === '+' || char === '?' || (char === '{' && this.looksLikeRepeat())) {
        const quantifier = this.parseQuantifier(flags);
        const operator = this.pattern.slice(start, this.pos);
        if (last?.isRepeated) this.fail('invalid nested repetition operator', this.pattern.slice(start - 1, this.pos));
        if (!last) this.fail('missing argument to repetition operator', operator);
        const atom = atoms.pop()!;
        // JavaScript (u flag) refuses to repeat an assertion; a group around it may be repeated.
        atoms.push((last.isAssertion ? `(?:${atom})` : atom) + quantifier);
        last = { isAssertion: false, isRepeated: true };
        continue;
      }
      if (char === '(') {
        const group = this.parseGroup(flags);
        if (group === undefined) continue; // a bare flag group such as (?i): changes flags, adds nothing
        atoms.push(group);
        last = { isAssertion: false, isRepeated: false };
        continue;
      }
      const atom = this.parseAtom(flags);
      if (atom.literals) {
        for (const literal of atom.literals) atoms.push(literal);
        if (atom.literals.length > 0) last = { isAssertion: false, isRepeated: false };
        continue;
      }
      atoms.push(atom.source);
      last = { isAssertion: atom.isAssertion, isRepeated: false };
    }
    alternatives.push(atoms.join(''));
    return alternatives.join('|');
  }

  /** Whether the `{` at pos starts a valid {n}, {n,} or {n,m}; otherwise Go reads it as a literal brace. */
  private looksLikeRepeat(): boolean {
    return /^\{\d+(,\d*)?\}/.test(this.pattern.slice(this.pos));
  }

  private parseQuantifier(flags: GoFlags): string {
    const char = this.pattern[this.pos];
    let quantifier: string;
    if (char === '{') {
      const match = /^\{(\d+)(,(\d*))?\}/.exec(this.pattern.slice(this.pos))!;
      const min = Number(match[1]);
      const max = match[2] === undefined ? min : match[3] === '' ? -1 : Number(match[3]);
      if (min > 1000 || max > 1000 || (max >= 0 && max < min)) this.fail('invalid repeat count', match[0]);
      quantifier = match[0];
      this.pos += match[0].length;
    } else {
      quantifier = char;
      this.pos++;
    }
    let isLazy = flags.ungreedy;
    if (this.pattern[this.pos] === '?') {
      this.pos++;
      isLazy = !isLazy;
    }
    return isLazy ? `${quantifier}?` : quantifier;
  }

  /** A group; undefined for a flags-only group like `(?i)`, which changes `flags` in place. */
  private parseGroup(flags: GoFlags): string | undefined {
    const start = this.pos;
    this.pos++; // (
    const inner: GoFlags = { ...flags };
    if (this.pattern[this.pos] === '?') {
      const named = /^\?P?<([^>]*)>/.exec(this.pattern.slice(this.pos));
      if (named || /^\?P?</.test(this.pattern.slice(this.pos))) {
        if (!named || !/^[A-Za-z0-9_]+$/.test(named[1])) this.fail('invalid named capture', this.pattern.slice(start, named ? this.pos + named[0].length : undefined));
        this.pos += named[0].length;
      } else {
        this.pos++;
        const parsed = this.parseFlags(inner, start);
        if (parsed === ')') {
          Object.assign(flags, inner);
          return undefined;
        }
      }
    }
    // Captures do not matter for matching; plain groups avoid JavaScript's rules on group names.
    const body = this.parseAlternation(inner);
    if (this.pattern[this.pos] !== ')') this.fail('missing closing )', this.pattern.slice(start));
    this.pos++;
    return `(?:${body})`;
  }

  /** After `(?`: flags up to `:` (a group follows) or `)` (they apply to the rest of this group). */
  private parseFlags(flags: GoFlags, start: number): ':' | ')' {
    let isNegated = false;
    let sawFlag = false;
    while (this.pos < this.pattern.length) {
      const char = this.pattern[this.pos++];
      switch (char) {
        case 'i':
          flags.fold = !isNegated;
          sawFlag = true;
          break;
        case 'm':
          flags.multiLine = !isNegated;
          sawFlag = true;
          break;
        case 's':
          flags.dotAll = !isNegated;
          sawFlag = true;
          break;
        case 'U':
          flags.ungreedy = !isNegated;
          sawFlag = true;
          break;
        case '-':
          if (isNegated) this.fail('invalid or unsupported Perl syntax', this.pattern.slice(start, this.pos));
          isNegated = true;
          sawFlag = false;
          break;
        case ':':
        case ')':
          if (isNegated && !sawFlag) this.fail('invalid or unsupported Perl syntax', this.pattern.slice(start, this.pos));
          return char;
        default:
          this.fail('invalid or unsupported Perl syntax', this.pattern.slice(start, this.pos));
      }
    }
    return this.fail('invalid or unsupported Perl syntax', this.pattern.slice(start));
  }

  /** One atom; `literals` when it is a run of literal characters (\Q…\E gives several). */
  private parseAtom(flags: GoFlags): { source: string; isAssertion: boolean; literals?: string[] } {
    const start = this.pos;
    const char = this.pattern[this.pos];
    switch (char) {
      case '[':
        return { source: this.parseClass(flags), isAssertion: false };
      case '.':
        this.pos++;
        // Go's dot excludes only \n; JavaScript's also excludes \r, U+2028 and U+2029.
        return { source: flags.dotAll ? '[^]' : '[^\\n]', isAssertion: false };
      case '^':
        this.pos++;
        return { source: flags.multiLine ? '(?<![^\\n])' : '^', isAssertion: true };
      case '$':
        this.pos++;
        return { source: flags.multiLine ? '(?![^\\n])' : '$', isAssertion: true };
      case '\\': {
        const next = this.pattern[this.pos + 1];
        if (next === undefined) this.fail('trailing backslash at end of expression', '');
        switch (next) {
          case 'A':
            this.pos += 2;
            return { source: '^', isAssertion: true };
          case 'z':
            this.pos += 2;
            return { source: '$', isAssertion: true };
          case 'b':
            this.pos += 2;
            return { source: '\\b', isAssertion: true };
          case 'B':
            this.pos += 2;
            return { source: '\\B', isAssertion: true };
          case 'Q': {
            const end = this.pattern.indexOf('\\E', this.pos + 2);
            const text = this.pattern.slice(this.pos + 2, end < 0 ? undefined : end);
            this.pos = end < 0 ? this.pattern.length : end + 2;
            return { source: '', isAssertion: false, literals: [...text].map((c) => this.literal(c.codePointAt(0)!, flags)) };
          }
        }
        const item = this.parseClassEscape(flags);
        if (item) return { source: this.emitSet(item.ranges, item.properties, false), isAssertion: false };
        const codePoint = this.parseEscape(start);
        return { source: this.literal(codePoint, flags), isAssertion: false };
      }
      default:
        return { source: this.literal(this.nextCodePoint(), flags), isAssertion: false };
    }
  }

  private literal(codePoint: number, flags: GoFlags): string {
    if (flags.fold) {
      const orbit = this.caseOrbits().orbit(codePoint);
      if (orbit.length > 1) return this.emitSet(normalizeRanges(orbit.map((c) => [c, c] as Range)), [], false);
    }
    const char = String.fromCodePoint(codePoint);
    if ('^$\\.*+?()[]{}|/'.includes(char)) return `\\${char}`;
    if (codePoint < 0x20 || codePoint === 0x7f || (codePoint >= 0x80 && !/[\p{L}\p{N}]/u.test(char))) return `\\u{${codePoint.toString(16)}}`;
    return char;
  }

  /** \d \s \w (and negations) or \pX / \p{Name}; undefined when the escape at pos is neither. */
  private parseClassEscape(flags: GoFlags): { ranges: Range[]; properties: PropertyItem[] } | undefined {
    const letter = this.pattern[this.pos + 1];
    const perl = PERL_CLASSES[letter?.toLowerCase()];
    if (perl && (letter === 'd' || letter === 's' || letter === 'w' || letter === 'D' || letter === 'S' || letter === 'W')) {
      this.pos += 2;
      const folded = flags.fold ? this.caseOrbits().fold(perl) : perl;
      return { ranges: letter === letter.toUpperCase() ? complementRanges(folded) : folded, properties: [] };
    }
    if (letter !== 'p' && letter !== 'P') return undefined;
    const start = this.pos;
    let isNegated = letter === 'P';
    let name: string;
    if (this.pattern[this.pos + 2] === '{') {
      const end = this.pattern.indexOf('}', this.pos + 3);
      if (end < 0) this.fail('invalid character class range', this.pattern.slice(start));
      name = this.pattern.slice(this.pos + 3, end);
      this.pos = end + 1;
    } else {
      this.pos += 2;
      if (this.pos >= this.pattern.length) this.fail('invalid character class range', this.pattern.slice(start));
      name = String.fromCodePoint(this.nextCodePoint());
    }
    if (name.startsWith('^')) {
      isNegated = !isNegated;
      name = name.slice(1);
    }
    const expression = this.pattern.slice(start, this.pos);
    if (name === 'Any') return { ranges: isNegated ? [] : [[0, MAX_CODE_POINT]], properties: [] };
    // Go's C is Cc|Cf|Co|Cs; JavaScript's also holds the unassigned code points (Cn).
    if (name === 'C') {
      const parts = ['Cc', 'Cf', 'Co', 'Cs'].map((category) => `\\p{${category}}`).join('');
      return {
        ranges: [],
        properties: [isNegated ? { inClass: '\\P{C}', alone: `[^${parts}]` } : { inClass: parts, alone: `[${parts}]` }],
      };
    }
    // One or two letters name a general category (Lu, N); anything else a script (Greek, Han).
    const property = /^[A-Z][a-z]?$/.test(name) ? name : `Script=${name}`;
    const source = `\\${isNegated ? 'P' : 'p'}{${property}}`;
    try {
      new RegExp(source, 'u');
    } catch {
      // JavaScript does not know the name, and Go's tables hold the same Unicode names.
      this.fail('invalid character class range', expression);
    }
    return { ranges: [], properties: [{ inClass: source, alone: source }] };
  }

  /** A single-character escape (the pattern's pos is at the backslash); see regexp/syntax parseEscape. */
  private parseEscape(start: number): number {
    this.pos++; // backslash
    if (this.pos >= this.pattern.length) this.fail('trailing backslash at end of expression', '');
    const char = this.pattern[this.pos];
    const codePoint = this.nextCodePoint();
    if (codePoint < 0x80 && !/[0-9A-Za-z]/.test(char)) return codePoint;
    const isOctal = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '7';
    // Octal: \0 plus up to two digits, or \1-\7 followed by a digit (a lone \1 would be a
    // backreference, which RE2 does not have).
    if (char === '0' || (isOctal(char) && isOctal(this.pattern[this.pos]))) {
      let value = codePoint - 0x30;
      for (let i = 1; i < 3 && isOctal(this.pattern[this.pos]); i++) value = value * 8 + (this.pattern.charCodeAt(this.pos++) - 0x30);
      return value;
    }
    switch (char) {
      case 'x': {
        if (this.pattern[this.pos] === '{') {
          const match = /^\{([0-9A-Fa-f]+)\}/.exec(this.pattern.slice(this.pos));
          if (!match || parseInt(match[1], 16) > MAX_CODE_POINT) break;
          this.pos += match[0].length;
          return parseInt(match[1], 16);
        }
        const hex = this.pattern.slice(this.pos, this.pos + 2);
        if (!/^[0-9A-Fa-f]{2}$/.test(hex)) break;
        this.pos += 2;
        return parseInt(hex, 16);
      }
      case 'a':
        return 7;
      case 'f':
        return 12;
      case 'n':
        return 10;
      case 'r':
        return 13;
      case 't':
        return 9;
      case 'v':
        return 11;
    }
    return this.fail('invalid escape sequence', this.pattern.slice(start, this.pos));
  }

  /** `[…]`: ranges, POSIX `[:name:]`, Perl and Unicode classes; `]` first is a literal, as in Go. */
  private parseClass(flags: GoFlags): string {
    const start = this.pos;
    this.pos++; // [
    let isNegated = false;
    if (this.pattern[this.pos] === '^') {
      isNegated = true;
      this.pos++;
    }
    let ranges: Range[] = [];
    const properties: PropertyItem[] = [];
    let isFirst = true;
    const addRange = (lo: number, hi: number): void => {
      ranges.push(...(flags.fold ? this.caseOrbits().fold([[lo, hi]]) : [[lo, hi] as Range]));
    };
    const classChar = (): number => {
      if (this.pos >= this.pattern.length) this.fail('missing closing ]', this.pattern.slice(start));
      return this.pattern[this.pos] === '\\' ? this.parseEscape(this.pos) : this.nextCodePoint();
    };
    while (isFirst || this.pattern[this.pos] !== ']') {
      if (this.pos >= this.pattern.length) this.fail('missing closing ]', this.pattern.slice(start));
      isFirst = false;
      const rest = this.pattern.slice(this.pos);
      if (rest.startsWith('[:')) {
        const end = rest.indexOf(':]', 2);
        if (end >= 0) {
          const name = rest.slice(2, end);
          const isPosixNegated = name.startsWith('^');
          const group = POSIX_CLASSES[isPosixNegated ? name.slice(1) : name];
          if (!group) this.fail('invalid character class range', rest.slice(0, end + 2));
          const folded = flags.fold ? this.caseOrbits().fold(group) : group;
          ranges.push(...(isPosixNegated ? complementRanges(folded) : folded));
          this.pos += end + 2;
          continue;
        }
      }
      if (rest.startsWith('\\')) {
        const item = this.parseClassEscape(flags);
        if (item) {
          ranges.push(...item.ranges);
          properties.push(...item.properties);
          continue;
        }
      }
      const rangeStart = this.pos;
      const lo = classChar();
      let hi = lo;
      if (this.pattern[this.pos] === '-' && this.pos + 1 < this.pattern.length && this.pattern[this.pos + 1] !== ']') {
        this.pos++;
        hi = classChar();
        if (hi < lo) this.fail('invalid character class range', this.pattern.slice(rangeStart, this.pos));
      }
      addRange(lo, hi);
    }
    this.pos++; // ]
    ranges = normalizeRanges(ranges);
    return this.emitSet(ranges, properties, isNegated);
  }

  private emitSet(ranges: Range[], properties: PropertyItem[], isNegated: boolean): string {
    if (properties.length === 0) {
      const members = normalizeRanges(isNegated ? complementRanges(ranges) : ranges);
      if (members.length === 1 && members[0][0] === 0 && members[0][1] === MAX_CODE_POINT) return '[^]';
      return `[${members.map(([lo, hi]) => (lo === hi ? classMember(lo) : `${classMember(lo)}-${classMember(hi)}`)).join('')}]`;
    }
    if (ranges.length === 0 && properties.length === 1 && !isNegated) return properties[0].alone;
    const members = ranges.map(([lo, hi]) => (lo === hi ? classMember(lo) : `${classMember(lo)}-${classMember(hi)}`)).join('');
    return `[${isNegated ? '^' : ''}${members}${properties.map((p) => p.inClass).join('')}]`;
  }
}

function classMember(codePoint: number): string {
  return codePoint < 0x80 && /[0-9A-Za-z]/.test(String.fromCharCode(codePoint)) ? String.fromCharCode(codePoint) : `\\u{${codePoint.toString(16)}}`;
}

/**
 * Compiles a Go (RE2) regular expression, as sops reads path_regex and encrypted_regex, into a
 * JavaScript RegExp with the same matches (unanchored, like Go's MatchString). Errors carry
 * Go's wording: `error parsing regexp: missing closing ): \`(a\``.
 * @example compileGoRegex('(bootstrap|kubernetes)/.*\\.sops\\.ya?ml') // { regex, source }
 */
export function compileGoRegex(pattern: string): RegexResult {
  let source: string;
  try {
    source = new GoRegexTranslator(pattern).translate();
  } catch (error) {
    if (error instanceof GoRegexError) return { error: error.message };
    throw error;
  }
  try {
    return { regex: new RegExp(source, 'u'), source };
  } catch (error) {
    // A translation JavaScript refuses is our bug, but the user gets a sentence, not a crash.
    return { error: `error parsing regexp: cannot translate \`${pattern}\` (${(error as Error).message})` };
  }
}

// ---------------------------------------------------------------------------------------------
// .sops.yaml
// ---------------------------------------------------------------------------------------------

