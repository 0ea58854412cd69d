// Small statistics and table printing for the benchmark; no I/O besides returning strings.

/** The middle value (mean of the two middle values for an even count). */
export function median(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Nearest-rank percentile: the smallest sample with at least p% of samples at or below it. */
export function percentile(samples, p) {
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1];
}

export function summarize(samples) {
  return { median: median(samples), p95: percentile(samples, 95), min: Math.min(...samples), max: Math.max(...samples), n: samples.length };
}

/** Renders rows (arrays of strings) as a left-aligned text table with a header rule. */
export function table(header, rows) {
  const widths = header.map((_, column) => Math.max(...[header, ...rows].map((row) => String(row[column] ?? '').length)));
  const line = (row) => row.map((cell, column) => String(cell ?? '').padEnd(widths[column])).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export const ms = (value) => (value === undefined ? 'n/a' : `${value.toFixed(value < 10 ? 2 : 1)} ms`);
export const mb = (bytes) => (bytes === undefined ? 'n/a' : `${(bytes / 1024 / 1024).toFixed(1)} MB`);
export const ratio = (value) => (value === undefined || !Number.isFinite(value) ? 'n/a' : `${value.toFixed(1)}×`);

/**
 * `--iterations=N --warmup=N` options over the defaults given (what sops, templates and tasks take).
 * Throws on an unknown option or fewer than one iteration.
 */
export function parseRoundOptions(args, defaults) {
  const parsed = { ...defaults };
  for (const arg of args) {
    const match = /^--(iterations|warmup)=(\d+)$/.exec(arg);
    if (!match) throw new Error(`unknown option ${arg}`);
    parsed[match[1]] = Number(match[2]);
  }
  if (!(parsed.iterations >= 1)) throw new Error('--iterations must be ≥ 1');
  return parsed;
}
