// Finds the known name closest to a mistyped one ("did you mean"). Pure string logic.

/**
 * Optimal-string-alignment distance (Levenshtein plus adjacent transposition), stopping early
 * once every path exceeds `limit`. Example: editDistance('node_cidrr', 'node_cidr') === 1.
 */
export function editDistance(a: string, b: string, limit = Infinity): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    rows.push(new Array<number>(b.length + 1).fill(0));
    rows[i][0] = i;
  }
  for (let j = 0; j <= b.length; j++) rows[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    let rowMin = Infinity;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) value = Math.min(value, rows[i - 2][j - 2] + 1);
      rows[i][j] = value;
      rowMin = Math.min(rowMin, value);
    }
    if (rowMin > limit) return limit + 1;
  }
  return rows[a.length][b.length];
}

/**
 * The candidate at most `maxEdits` edits away from `name` (closest first, then alphabetical), or
 * undefined. Example: closestName('clusterr_api_addr', ['cluster_api_addr']) === 'cluster_api_addr'.
 */
export function closestName(name: string, candidates: Iterable<string>, maxEdits = 2): string | undefined {
  let best: string | undefined;
  let bestDistance = maxEdits + 1;
  for (const candidate of candidates) {
    if (candidate === name) continue;
    const distance = editDistance(name.toLowerCase(), candidate.toLowerCase(), maxEdits);
    if (distance < bestDistance || (distance === bestDistance && best !== undefined && candidate < best)) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return bestDistance <= maxEdits ? best : undefined;
}

/**
 * The one candidate that starts with `prefix` (a name typed only partly), or undefined when none or
 * several do. Example: uniqueExtension('cloudflare_d', ['cloudflare_domain', 'cloudflare_token']) === 'cloudflare_domain'.
 */
export function uniqueExtension(prefix: string, candidates: Iterable<string>, minimumLength = 4): string | undefined {
  if (prefix.length < minimumLength) return undefined;
  let found: string | undefined;
  for (const candidate of candidates) {
    if (candidate === prefix || !candidate.startsWith(prefix)) continue;
    if (found !== undefined && found !== candidate) return undefined;
    found = candidate;
  }
  return found;
}
