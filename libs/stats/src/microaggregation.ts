/*
 * Microaggregation: a data set published as the centroids of groups of at least k of its rows, so
 * that no published point is any one row (k-anonymity of the points, Domingo-Ferrer & Mateo-Sanz,
 * IEEE TKDE 2002). MDAV (maximum distance to average vector) forms the groups: it repeatedly takes
 * the row furthest from the centroid of those left and groups it with its k − 1 nearest, then does
 * the same around the row furthest from that one. Outliers are grouped first, with their nearest
 * neighbours, so a group stays as tight as a fixed-size partition allows; every group has k to
 * 2k − 1 rows. O(n² / k) distances; deterministic (ties broken by row index).
 */

/**
 * The groups of MDAV microaggregation of `points` (equal-length vectors), each a list of row indices
 * of at least `k` rows (at most 2k − 1); none when there are fewer than k points (no group of k can
 * be formed, and a smaller one would publish a centroid of fewer rows).
 */
export function microaggregate(points: readonly ArrayLike<number>[], k: number): number[][] {
  if (!Number.isInteger(k) || k < 1)
    throw new RangeError(`microaggregate: k must be a positive integer, got ${k}`);
  const n = points.length;
  if (n < k) return [];
  const left = new Set<number>(Array.from({ length: n }, (_, i) => i));
  const groups: number[][] = [];
  const take = (around: number): void => {
    const group = nearest(points, [...left], around, k);
    for (const i of group) left.delete(i);
    groups.push(group);
  };
  while (left.size >= 3 * k) {
    const r = furthest(points, [...left], centroidOf(points, [...left]));
    const anchor = points[r] ?? [];
    take(r);
    take(furthest(points, [...left], anchor));
  }
  if (left.size >= 2 * k) take(furthest(points, [...left], centroidOf(points, [...left])));
  if (left.size > 0) groups.push([...left].sort((a, b) => a - b));
  return groups;
}

/** The mean of the rows `indices` of `points`. */
export function centroidOf(points: readonly ArrayLike<number>[], indices: readonly number[]): number[] {
  const dims = points[indices[0] ?? 0]?.length ?? 0;
  const sum = new Array<number>(dims).fill(0);
  for (const i of indices) {
    const p = points[i];
    if (!p) continue;
    for (let c = 0; c < dims; c++) sum[c] = (sum[c] ?? 0) + (p[c] ?? 0);
  }
  return sum.map((s) => s / Math.max(1, indices.length));
}

/** Squared Euclidean distance. */
function distance2(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let c = 0; c < a.length; c++) {
    const t = (a[c] ?? 0) - (b[c] ?? 0);
    s += t * t;
  }
  return s;
}

/** The index among `candidates` furthest from `from` (the lowest index on a tie). */
function furthest(
  points: readonly ArrayLike<number>[],
  candidates: readonly number[],
  from: ArrayLike<number>,
): number {
  let best = candidates[0] ?? 0;
  let bestD = -1;
  for (const i of candidates) {
    const d = distance2(points[i] ?? [], from);
    if (d > bestD || (d === bestD && i < best)) {
      best = i;
      bestD = d;
    }
  }
  return best;
}

/** The `k` of `candidates` nearest to row `around` (itself included, at distance 0), nearest first. */
function nearest(
  points: readonly ArrayLike<number>[],
  candidates: readonly number[],
  around: number,
  k: number,
): number[] {
  const from = points[around] ?? [];
  return candidates
    .map((i) => ({ i, d: i === around ? -1 : distance2(points[i] ?? [], from) }))
    .sort((a, b) => a.d - b.d || a.i - b.i)
    .slice(0, k)
    .map(({ i }) => i);
}
