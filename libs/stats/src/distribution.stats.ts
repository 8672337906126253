import { chiSquareSurvival, kolmogorovSurvival, normalCdf } from './special-functions';

/*
 * Two-distribution statistics of the drift monitor. Binned statistics (PSI, Jensen-Shannon,
 * chi-square) work on the reference's quantile bins; sample statistics (KS, Wasserstein) on the
 * reference's stored sample against the window's reservoir sample.
 */

/** Floor for an empty bin's share, so PSI stays finite (the usual 1e-4 convention). */
export const PSI_EPSILON = 1e-4;

function toFractions(counts: ArrayLike<number>): number[] {
  let total = 0;
  for (let i = 0; i < counts.length; i++) total += counts[i] ?? 0;
  return Array.from({ length: counts.length }, (_, i) => (total > 0 ? (counts[i] ?? 0) / total : 0));
}

/**
 * Population stability index Σ (a − e) ln(a / e) of the live bin counts against the reference's bin
 * fractions, empty bins floored at `epsilon`. Rule of thumb: < 0.1 stable, 0.1–0.25 moderate, > 0.25 major.
 */
export function populationStabilityIndex(
  referenceFractions: ArrayLike<number>,
  liveCounts: ArrayLike<number>,
  epsilon = PSI_EPSILON,
): number {
  if (referenceFractions.length !== liveCounts.length) {
    throw new RangeError(`bin counts differ: ${referenceFractions.length} vs ${liveCounts.length}`);
  }
  const live = toFractions(liveCounts);
  let psi = 0;
  for (let i = 0; i < live.length; i++) {
    const e = Math.max(referenceFractions[i] ?? 0, epsilon);
    const a = Math.max(live[i] ?? 0, epsilon);
    psi += (a - e) * Math.log(a / e);
  }
  return psi;
}

/** Jensen-Shannon distance (square root of the base-2 divergence, in [0, 1]) between two binned distributions. */
export function jensenShannonDistance(p: ArrayLike<number>, q: ArrayLike<number>): number {
  if (p.length !== q.length) throw new RangeError(`bin counts differ: ${p.length} vs ${q.length}`);
  const a = toFractions(p);
  const b = toFractions(q);
  let divergence = 0;
  for (let i = 0; i < a.length; i++) {
    const pi = a[i] ?? 0;
    const qi = b[i] ?? 0;
    const m = (pi + qi) / 2;
    if (pi > 0) divergence += 0.5 * pi * Math.log2(pi / m);
    if (qi > 0) divergence += 0.5 * qi * Math.log2(qi / m);
  }
  return Math.sqrt(Math.max(0, divergence));
}

export interface KsResult {
  readonly statistic: number;
  readonly pValue: number;
}

/**
 * Two-sample Kolmogorov-Smirnov test on ascending-sorted samples: D = sup |F_a − F_b| and the
 * asymptotic p-value Q_KS(√(nm/(n+m)) · D) (scipy's `ks_2samp(method='asymp')`). Ties are handled by
 * stepping both empirical CDFs past a shared value before comparing.
 */
export function kolmogorovSmirnov(sortedA: ArrayLike<number>, sortedB: ArrayLike<number>): KsResult {
  const n = sortedA.length;
  const m = sortedB.length;
  if (n === 0 || m === 0) return { statistic: 0, pValue: 1 };
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < n && j < m) {
    const x = Math.min(sortedA[i] ?? 0, sortedB[j] ?? 0);
    while (i < n && (sortedA[i] ?? 0) <= x) i++;
    while (j < m && (sortedB[j] ?? 0) <= x) j++;
    d = Math.max(d, Math.abs(i / n - j / m));
  }
  const en = Math.sqrt((n * m) / (n + m));
  return { statistic: d, pValue: kolmogorovSurvival(en * d) };
}

/**
 * Wasserstein-1 (earth mover's) distance between two ascending-sorted samples: ∫ |F_a − F_b| dx,
 * in the feature's units (scipy's `wasserstein_distance`).
 */
export function wasserstein1(sortedA: ArrayLike<number>, sortedB: ArrayLike<number>): number {
  const n = sortedA.length;
  const m = sortedB.length;
  if (n === 0 || m === 0) return 0;
  let i = 0;
  let j = 0;
  let x = Math.min(sortedA[0] ?? 0, sortedB[0] ?? 0);
  let total = 0;
  while (i < n || j < m) {
    const nextA = i < n ? (sortedA[i] ?? 0) : Number.POSITIVE_INFINITY;
    const nextB = j < m ? (sortedB[j] ?? 0) : Number.POSITIVE_INFINITY;
    const next = Math.min(nextA, nextB);
    total += Math.abs(i / n - j / m) * (next - x);
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
 * shares: Σ (O − E)² / E with E = n · share. Categories the reference never saw get the `epsilon`
 * share (so a new category is a strong signal, not a division by zero); categories empty on both
 * sides are dropped from the degrees of freedom.
 */
export function chiSquareGoodnessOfFit(
  referenceFractions: ArrayLike<number>,
  liveCounts: ArrayLike<number>,
  epsilon = PSI_EPSILON,
): ChiSquareResult {
  let n = 0;
  for (let i = 0; i < liveCounts.length; i++) n += liveCounts[i] ?? 0;
  if (n === 0) return { statistic: 0, degreesOfFreedom: 0, pValue: 1 };
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
  return { statistic, degreesOfFreedom, pValue: chiSquareSurvival(statistic, degreesOfFreedom) };
}

export interface TwoProportionResult {
  readonly z: number;
  readonly pValue: number;
}

/** Two-sided two-proportion z-test with the pooled standard error. */
export function twoProportionZTest(
  successesA: number,
  totalA: number,
  successesB: number,
  totalB: number,
): TwoProportionResult {
  if (totalA <= 0 || totalB <= 0) return { z: 0, pValue: 1 };
  const pooled = (successesA + successesB) / (totalA + totalB);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / totalA + 1 / totalB));
  if (se === 0) return { z: 0, pValue: 1 };
  const z = (successesA / totalA - successesB / totalB) / se;
  return { z, pValue: Math.min(1, 2 * (1 - normalCdf(Math.abs(z)))) };
}

/**
 * Benjamini-Hochberg adjusted p-values (step-up, monotone, capped at 1): reject H_i at false
 * discovery rate q when adjusted_i <= q. Same order as the input.
 */
export function benjaminiHochberg(pValues: readonly number[]): number[] {
  const m = pValues.length;
  const order = pValues.map((p, i) => ({ p, i })).sort((a, b) => a.p - b.p);
  const adjusted = new Array<number>(m).fill(1);
  let running = 1;
  for (let rank = m; rank >= 1; rank--) {
    const entry = order[rank - 1];
    if (!entry) continue;
    running = Math.min(running, (entry.p * m) / rank);
    adjusted[entry.i] = Math.min(1, running);
  }
  return adjusted;
}
