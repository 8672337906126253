import { ksTwoSidedSurvival } from './kolmogorov-distribution';
import { chiSquareSurvival, erfc } from './special-functions';

/*
 * Two-distribution statistics of the drift monitor. Binned statistics (PSI, Jensen-Shannon,
 * chi-square) work on the reference's quantile bins; sample statistics (KS, Wasserstein) on the
 * reference's stored sample against the window's reservoir sample.
 *
 * Conventions, the same for every function here (docs/statistics.md): an empty side (no values,
 * or counts that sum to 0) or a NaN anywhere gives NaN, as scipy's functions do, so no statistic
 * ever reads as "no drift" for want of data; malformed input (different bin counts, negative
 * counts, unsorted samples, p-values outside [0, 1]) throws a RangeError.
 */

/** Floor for an empty bin's share, so PSI stays finite (the usual 1e-4 convention). */
export const PSI_EPSILON = 1e-4;

/** The counts as shares of their total; null when the total is 0 (an empty sample) or NaN. */
function toFractions(counts: ArrayLike<number>, what: string): number[] | null {
  let total = 0;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i] ?? 0;
    if (c < 0) throw new RangeError(`${what} must not be negative (entry ${i} is ${c})`);
    total += c;
  }
  if (!(total > 0)) return null;
  return Array.from({ length: counts.length }, (_, i) => (counts[i] ?? 0) / total);
}

function checkSameLength(a: ArrayLike<number>, b: ArrayLike<number>): void {
  if (a.length !== b.length) throw new RangeError(`bin counts differ: ${a.length} vs ${b.length}`);
}

/**
 * Population stability index Σ (a − e) ln(a / e) of the live bin counts against the reference's bin
 * fractions, empty bins floored at `epsilon`. Rule of thumb: < 0.1 stable, 0.1–0.25 moderate, > 0.25
 * major. There is no scipy function for it; NaN when either side is empty (every count 0) or holds
 * a NaN, by the same convention as the statistics that have one.
 */
export function populationStabilityIndex(
  referenceFractions: ArrayLike<number>,
  liveCounts: ArrayLike<number>,
  epsilon = PSI_EPSILON,
): number {
  checkSameLength(referenceFractions, liveCounts);
  const expected = toFractions(referenceFractions, 'reference fractions');
  const live = toFractions(liveCounts, 'live counts');
  if (expected === null || live === null) return Number.NaN;
  let psi = 0;
  for (let i = 0; i < live.length; i++) {
    const e = Math.max(expected[i] ?? 0, epsilon);
    const a = Math.max(live[i] ?? 0, epsilon);
    psi += (a - e) * Math.log(a / e);
  }
  return psi;
}

/**
 * Jensen-Shannon distance between two binned distributions given as counts or shares
 * (scipy.spatial.distance.jensenshannon(p, q, base=2)): the square root of the base-2 divergence,
 * in [0, 1]. Each bin's two terms are taken together, p·ln(1 + δ) + q·ln(1 − δ) with
 * δ = (p − q)/(p + q), so equal inputs give exactly 0 and nearly equal ones a rounding error of
 * ~1e-16 (scipy's sum of separate terms leaves ~1e-8 after the square root).
 */
export function jensenShannonDistance(p: ArrayLike<number>, q: ArrayLike<number>): number {
  checkSameLength(p, q);
  const a = toFractions(p, 'counts');
  const b = toFractions(q, 'counts');
  if (a === null || b === null) return Number.NaN;
  let twiceDivergence = 0;
  for (let i = 0; i < a.length; i++) {
    const pi = a[i] ?? 0;
    const qi = b[i] ?? 0;
    if (pi === 0 && qi === 0) continue;
    if (pi === 0 || qi === 0) twiceDivergence += (pi + qi) * Math.LN2;
    else {
      const delta = (pi - qi) / (pi + qi);
      twiceDivergence += pi * Math.log1p(delta) + qi * Math.log1p(-delta);
    }
  }
  return Math.sqrt(Math.max(0, twiceDivergence / 2 / Math.LN2));
}

/**
 * False when `sorted` holds a NaN; throws when it is not in ascending order (a precondition the
 * merge-style scans below rely on).
 */
function checkSortedAscending(sorted: ArrayLike<number>, name: string): boolean {
  let previous = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < sorted.length; i++) {
    const v = sorted[i] ?? 0;
    if (Number.isNaN(v)) return false;
    if (v < previous)
      throw new RangeError(`${name} must be sorted ascending (entry ${i} is ${v} < ${previous})`);
    previous = v;
  }
  return true;
}

/** Round half to even, as numpy's round does (scipy rounds nm/(n+m) with it). */
function roundHalfEven(x: number): number {
  const floor = Math.floor(x);
  const fraction = x - floor;
  if (fraction > 0.5) return floor + 1;
  if (fraction < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

/** i/n as numpy's linspace(0, 1, n + 1) computes it (i · (1/n), the last one exactly 1), as scipy's ECDFs do. */
function ecdfLevel(i: number, n: number): number {
  return i === n ? 1 : i * (1 / n);
}

export interface KsResult {
  readonly statistic: number;
  readonly pValue: number;
}

/**
 * Two-sample Kolmogorov-Smirnov test on ascending-sorted samples, two-sided: D = sup |F_a − F_b|
 * (ties step both empirical CDFs past a shared value together) and scipy's
 * `ks_2samp(method='asymp')` p-value, kstwo.sf(D, round(nm/(n+m))): the exact finite-n
 * one-sample distribution at the effective size (see kolmogorov-distribution.ts). NaN statistic
 * and p-value for an empty sample or a NaN value (scipy's nan_policy='propagate'), and a NaN
 * p-value when round(nm/(n+m)) is 0 (n = m = 1), as in scipy.
 */
export function kolmogorovSmirnov(sortedA: ArrayLike<number>, sortedB: ArrayLike<number>): KsResult {
  const n = sortedA.length;
  const m = sortedB.length;
  const finiteA = checkSortedAscending(sortedA, 'sortedA');
  const finiteB = checkSortedAscending(sortedB, 'sortedB');
  if (n === 0 || m === 0 || !finiteA || !finiteB) return { statistic: Number.NaN, pValue: Number.NaN };
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < n && j < m) {
    const x = Math.min(sortedA[i] ?? 0, sortedB[j] ?? 0);
    while (i < n && (sortedA[i] ?? 0) <= x) i++;
    while (j < m && (sortedB[j] ?? 0) <= x) j++;
    d = Math.max(d, Math.abs(ecdfLevel(i, n) - ecdfLevel(j, m)));
  }
  const effectiveSize = roundHalfEven((n * m) / (n + m));
  const pValue = ksTwoSidedSurvival(effectiveSize, d);
  return { statistic: d, pValue: Math.min(1, Math.max(0, pValue)) };
}

/**
 * Wasserstein-1 (earth mover's) distance between two ascending-sorted samples: ∫ |F_a − F_b| dx,
 * in the feature's units (scipy.stats.wasserstein_distance). NaN for a NaN value (as scipy) and for
 * an empty sample (scipy raises; NaN keeps one convention for every distribution statistic).
 */
export function wasserstein1(sortedA: ArrayLike<number>, sortedB: ArrayLike<number>): number {
  const n = sortedA.length;
  const m = sortedB.length;
  const finiteA = checkSortedAscending(sortedA, 'sortedA');
  const finiteB = checkSortedAscending(sortedB, 'sortedB');
  if (n === 0 || m === 0 || !finiteA || !finiteB) return Number.NaN;
  let i = 0;
  let j = 0;
  let x = Math.min(sortedA[0] ?? 0, sortedB[0] ?? 0);
  let total = 0;
  while (i < n || j < m) {
    const nextA = i < n ? (sortedA[i] ?? 0) : Number.POSITIVE_INFINITY;
    const nextB = j < m ? (sortedB[j] ?? 0) : Number.POSITIVE_INFINITY;
    const next = Math.min(nextA, nextB);
    if (next > x) total += Math.abs(i / n - j / m) * (next - x);
    x = next;
    while (i < n && (sortedA[i] ?? 0) <= x) i++;
    while (j < m && (sortedB[j] ?? 0) <= x) j++;
  }
  return total;
}

export interface ChiSquareResult {
  readonly statistic: number;
  readonly degreesOfFreedom: number;
  readonly pValue: number;
}

/**
 * Pearson's chi-square goodness-of-fit of live category counts against the reference's category
 * shares: Σ (O − E)² / E with E = n · share (scipy.stats.chisquare(observed, n · shares) when every
 * share is positive). Categories the reference never saw get the `epsilon` share (so a new
 * category is a strong signal, not a division by zero); categories empty on both sides are
 * dropped from the degrees of freedom. NaN statistic and p-value when no live count is positive.
 */
export function chiSquareGoodnessOfFit(
  referenceFractions: ArrayLike<number>,
  liveCounts: ArrayLike<number>,
  epsilon = PSI_EPSILON,
): ChiSquareResult {
  checkSameLength(referenceFractions, liveCounts);
  let n = 0;
  for (let i = 0; i < liveCounts.length; i++) {
    const c = liveCounts[i] ?? 0;
    if (c < 0) throw new RangeError(`live counts must not be negative (entry ${i} is ${c})`);
    n += c;
  }
  let statistic = 0;
  let categories = 0;
  for (let i = 0; i < liveCounts.length; i++) {
    const share = referenceFractions[i] ?? 0;
    const observed = liveCounts[i] ?? 0;
    if (share <= 0 && observed === 0) continue;
    categories++;
    const expected = n * Math.max(share, epsilon);
    statistic += ((observed - expected) * (observed - expected)) / expected;
  }
  const degreesOfFreedom = Math.max(0, categories - 1);
  if (!(n > 0)) return { statistic: Number.NaN, degreesOfFreedom, pValue: Number.NaN };
  return { statistic, degreesOfFreedom, pValue: chiSquareSurvival(statistic, degreesOfFreedom) };
}

export interface TwoProportionResult {
  readonly z: number;
  readonly pValue: number;
}

function checkCount(successes: number, total: number, side: string): void {
  if (!(total >= 0) || !(successes >= 0) || successes > total) {
    throw new RangeError(`${side}: need 0 <= successes <= total (got ${successes} of ${total})`);
  }
}

/**
 * Two-sided two-proportion z-test with the pooled standard error (statsmodels'
 * proportions_ztest([a, b], [n_a, n_b])): the p-value is erfc(|z|/√2) = 2·Φ(−|z|), which keeps its
 * relative accuracy out to |z| ≈ 38 where 2·(1 − Φ(|z|)) is already 0 from |z| ≈ 8.3. z and p are
 * NaN when a total is 0 or both proportions are 0 (or both 1), as in statsmodels (0/0).
 */
export function twoProportionZTest(
  successesA: number,
  totalA: number,
  successesB: number,
  totalB: number,
): TwoProportionResult {
  checkCount(successesA, totalA, 'sample A');
  checkCount(successesB, totalB, 'sample B');
  const pooled = (successesA + successesB) / (totalA + totalB);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / totalA + 1 / totalB));
  const z = (successesA / totalA - successesB / totalB) / se;
  if (Number.isNaN(z)) return { z: Number.NaN, pValue: Number.NaN };
  return { z, pValue: Math.min(1, erfc(Math.abs(z) / Math.SQRT2)) };
}

/**
 * Benjamini-Hochberg adjusted p-values (step-up, monotone, capped at 1; statsmodels'
 * multipletests(method='fdr_bh')): reject H_i at false discovery rate q when adjusted_i <= q. Same
 * order as the input. A NaN p-value stays NaN and is left out of the family (m counts the others),
 * as R's p.adjust does; statsmodels would turn every p-value NaN instead.
 */
export function benjaminiHochberg(pValues: readonly number[]): number[] {
  const order: { p: number; i: number }[] = [];
  pValues.forEach((p, i) => {
    if (Number.isNaN(p)) return;
    if (p < 0 || p > 1) throw new RangeError(`p-values must lie in [0, 1] (entry ${i} is ${p})`);
    order.push({ p, i });
  });
  order.sort((a, b) => a.p - b.p || a.i - b.i);
  const m = order.length;
  const adjusted = pValues.map(() => Number.NaN);
  let running = Number.POSITIVE_INFINITY;
  for (let rank = m; rank >= 1; rank--) {
    const entry = order[rank - 1];
    if (!entry) continue;
    running = Math.min(running, entry.p / (rank / m));
    adjusted[entry.i] = Math.min(1, running);
  }
  return adjusted;
}
