// The dotenv store as sops' stores/dotenv has it: one KEY=value per line (the key is everything
// before the first '=', spaces included; "\n" in a value stands for a newline), '#' lines are
// comments, every value is a string; flat only.
import { formatFloatG, GoBytes, GoTime, TreeComment, TreeList, TreeMap, type TreeValue } from './goValues';
import { SopsError } from './sopsError';

export function readDotenvTree(text: string): TreeMap[] {
  const entries: Array<TreeComment | { key: string; value: TreeValue }> = [];
  const lines = text.split('\n');
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index];
    if (line.length === 0) continue;
    if (line[0] === '#') {
      entries.push(new TreeComment(line.slice(1)));
      continue;
    }
    const equals = line.indexOf('=');
    if (equals === -1) throw new SopsError('parse', `invalid dotenv line ${index + 1}: no '='`);
    entries.push({ key: line.slice(0, equals), value: line.slice(equals + 1).replace(/\\n/g, '\n') });
  }
  return [new TreeMap(entries)];
}

/** stores.ValToString: how a non-string value is written into a flat file. */
export function valueToString(value: TreeValue): string {
  if (value === null) return '<nil>';
  if (typeof value === 'string') return value;
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (value instanceof GoBytes) return value.bytes.toString('utf8');
  if (value instanceof GoTime) return value.text.replace(/\.[0-9]+(?=Z|[+-])/, '');
  if (typeof value === 'number') {
    // FormatFloat 'G' (upper-case exponent), with ".0" added when it would read as an integer.
    if (Number.isNaN(value)) return 'NaN';
    if (!Number.isFinite(value)) return value > 0 ? '+Inf' : '-Inf';
    const text = formatFloatG(value).toUpperCase();
    return text.includes('.') || text.includes('E') ? text : `${text}.0`;
  }
  throw new SopsError('unsupported', 'a nested value cannot be written to a flat file');
}

export function writeDotenvTree(branches: readonly TreeMap[]): string {
  const out: string[] = [];
  for (const entry of branches[0]?.entries ?? []) {
    if (entry instanceof TreeComment) {
      out.push(`#${entry.value}\n`);
      continue;
    }
    if (entry.value instanceof TreeMap || entry.value instanceof TreeList) {
      throw new SopsError('unsupported', `cannot use a nested value in a dotenv file (key '${entry.key}')`);
    }
    const value = typeof entry.value === 'string' ? entry.value.replace(/\n/g, '\\n') : valueToString(entry.value);
    out.push(`${entry.key}=${value}\n`);
  }
  return out.join('');
}
