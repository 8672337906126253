import type { FeatureProfile } from '@fraudstream/registry';

/** Size of the sorted sample a profile keeps for KS and Wasserstein. */
export const DEFAULT_PROFILE_SAMPLE_SIZE = 2000;

/** The q-quantile of ascending `sorted` values with linear interpolation (numpy's default, type 7). */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) throw new RangeError('quantile of an empty sample');
  const position = (n - 1) * Math.min(1, Math.max(0, q));
  const lower = Math.floor(position);
  const upper = Math.min(n - 1, lower + 1);
  const low = sorted[lower] ?? 0;
  return low + (position - lower) * ((sorted[upper] ?? 0) - low);
}

/**
 * The bin of `value` on a profile's inner cut points: bin i holds (edges[i-1], edges[i]], the first
 * and last bins are open. Binary search, so it costs log2(bins) comparisons on the hot path.
 */
export function binIndex(edges: ArrayLike<number>, value: number): number {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (value <= (edges[mid] ?? 0)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Counts of `values` in each bin of `edges` (edges.length + 1 entries). */
export function binCounts(edges: ArrayLike<number>, values: Iterable<number>): number[] {
  const counts = new Array<number>(edges.length + 1).fill(0);
  for (const v of values) {
    const i = binIndex(edges, v);
    counts[i] = (counts[i] ?? 0) + 1;
  }
  return counts;
}

/**
 * The reference profile of one feature (or of the score) over training data: inner cut points at the
 * 1/bins … (bins−1)/bins quantiles, de-duplicated (a binary feature gets one or two edges), the share
 * of the rows in each resulting bin, summary statistics (population std), and a sample of
 * `sampleSize` values taken as evenly spaced order statistics of the sorted data — deterministic,
 * and a lower-variance stand-in for the full distribution than a random draw.
 */
export function buildFeatureProfile(
  name: string,
  values: ArrayLike<number>,
  bins = 10,
  sampleSize = DEFAULT_PROFILE_SAMPLE_SIZE,
): FeatureProfile {
  const n = values.length;
  if (n === 0) throw new RangeError(`cannot profile feature '${name}' without values`);
  if (!Number.isInteger(bins) || bins < 2) throw new RangeError(`bins must be an integer >= 2 (got ${bins})`);
  const sorted = Float64Array.from(values);
  let sum = 0;
  for (const v of sorted) {
    if (!Number.isFinite(v)) throw new RangeError(`feature '${name}' has a non-finite value (${v})`);
    sum += v;
  }
  sorted.sort();
  const mean = sum / n;
  let squares = 0;
  for (const v of sorted) squares += (v - mean) * (v - mean);

  const edges: number[] = [];
  for (let i = 1; i < bins; i++) {
    const q = quantileSorted(sorted, i / bins);
    if (edges.length === 0 || q > (edges[edges.length - 1] ?? 0)) edges.push(q);
  }
  const fractions = binCounts(edges, sorted).map((c) => c / n);

  const m = Math.min(n, sampleSize);
  const sample = Array.from({ length: m }, (_, j) => sorted[Math.floor(((j + 0.5) * n) / m)] ?? 0);
  return {
    name,
    quantile_edges: edges,
    bin_fractions: fractions,
    mean,
    std: Math.sqrt(squares / n),
    min: sorted[0] ?? 0,
    max: sorted[n - 1] ?? 0,
    median: quantileSorted(sorted, 0.5),
    sample,
  };
}
