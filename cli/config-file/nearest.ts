/**
 * The name in `names` closest to `wrong`, for "did you mean" hints: the same name written
 * another way (`stateDir`, `STATE_DIR`, `--state-dir` for `state-dir`) first, else the one at
 * the smallest edit distance (insertions, deletions, substitutions, swaps of neighbours) when
 * that distance is small for the name's length; undefined when nothing is close.
 */
export function nearestName(wrong: string, names: readonly string[]): string | undefined {
  const plain = (s: string) => s.replace(/^-+/, "").replace(/[-_]/g, "").toLowerCase();
  const same = names.find((n) => plain(n) === plain(wrong));
  if (same) return same;
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const n of names) {
    const d = editDistance(wrong.toLowerCase(), n);
    if (d < bestDistance) {
      best = n;
      bestDistance = d;
    }
  }
  return best !== undefined && bestDistance <= Math.max(1, Math.floor(best.length * 0.4)) ? best : undefined;
}

/** Optimal string alignment distance (Damerau–Levenshtein without repeated edits of one substring). */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[] = new Array(rows * cols).fill(0);
  for (let i = 0; i < rows; i++) d[i * cols] = i;
  for (let j = 0; j < cols; j++) d[j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[(i - 1) * cols + j]! + 1, d[i * cols + j - 1]! + 1, d[(i - 1) * cols + j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        v = Math.min(v, d[(i - 2) * cols + j - 2]! + 1);
      d[i * cols + j] = v;
    }
  }
  return d[rows * cols - 1]!;
}
