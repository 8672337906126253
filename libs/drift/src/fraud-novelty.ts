/*
 * A domain classifier on the fraud class: how unlike the frauds the model was trained on is a
 * fraud confirmed now? A new fraud pattern is, by definition, a change of P(x | fraud), and it
 * shows as confirmed frauds lying far from every reference fraud. Rows are compared in a robust
 * space (log1p of the non-negative features, centred on the reference's medians and scaled by its
 * inter-quartile ranges).
 *
 * The manifest does not carry the reference frauds (it is shipped to every scorer and monitor and
 * kept in the registry): it carries centroids of groups of at least k of them (microaggregation,
 * libs/stats) and, as the null distribution, the order statistics of each reference fraud's held-out
 * distance to the centroids (its own group's centroid taken without it). A row's score is its
 * distance to the nearest centroid, and its empirical p-value the share of reference frauds at least
 * as far from the centroids held out from them, so "p <= 0.01" means "further from the known frauds'
 * groups than 99 % of the known frauds are". Manifests written
 * before the centroids carry the raw frauds: those are compared as they were, by the distance to the
 * k-th nearest reference fraud against the frauds' own leave-one-out distances.
 *
 * Measured on the simulator (docs/drift.md): 65-100 % of the new pattern's missed frauds get
 * p <= 0.01, 2-8 % of the old patterns' missed frauds do, on stable, covariate-only and drifted
 * streams alike (a covariate shift of legitimate traffic does not move the fraud class).
 */

import { logRobust, normalSurvival } from '@fraudstream/stats';

/** What the trainer stores in the manifest for this index (registry's NoveltyReference). */
export interface FraudNoveltyReference {
  /** Feature indices compared (calendar and duplicate features left out). */
  readonly features: readonly number[];
  /** Per compared feature: median and inter-quartile range of log1p(value) over the reference rows. */
  readonly centre: readonly number[];
  readonly scale: readonly number[];
  /** Centroids of groups of reference frauds, in the robust space. */
  readonly centroids?: readonly (readonly number[])[];
  /** Sorted order statistics of the reference frauds' held-out distances to the centroids, and how many frauds. */
  readonly null_distances?: readonly number[];
  readonly null_count?: number;
  /** Older manifests: the reference frauds' raw feature vectors (full vectors, model order). */
  readonly frauds?: readonly (readonly number[])[];
}

export interface FraudNoveltySettings {
  /** k of the k-th nearest reference fraud. */
  readonly k: number;
}

export const DEFAULT_FRAUD_NOVELTY: FraudNoveltySettings = { k: 3 };

/** Fewer reference frauds than this and the index is not built (the null would be meaningless). */
export const MIN_REFERENCE_FRAUDS = 30;

/** Whether a reference lets the index be built: centroids with their null, or (older manifests) raw frauds. */
export function hasNoveltyPoints(reference: FraudNoveltyReference): boolean {
  if (reference.centroids !== undefined)
    return reference.centroids.length > 0 && (reference.null_distances?.length ?? 0) > 0;
  return (reference.frauds?.length ?? 0) > 0;
}

/**
 * The index over a reference's centroids (or an older manifest's frauds). Immutable once built; an
 * older manifest's null distribution is computed once (n² distances: 2,000 frauds take ~0.1 s).
 */
export class FraudNoveltyIndex {
  private readonly dims: number;
  private readonly points: Float32Array;
  private readonly count: number;
  /** k of the k-th nearest point: 1 over centroids (each already the mean of several frauds). */
  private readonly k: number;
  /**
   * Sorted null distances: all of them (older manifests), or order statistics of `nullCount` of them
   * at evenly spaced ranks (centroid references).
   */
  private readonly nullDistances: Float64Array;
  private readonly nullCount: number;

  constructor(
    readonly reference: FraudNoveltyReference,
    readonly settings: FraudNoveltySettings = DEFAULT_FRAUD_NOVELTY,
  ) {
    this.dims = reference.features.length;
    if (reference.centroids !== undefined) {
      this.k = 1;
      this.count = reference.centroids.length;
      this.points = new Float32Array(this.count * this.dims);
      reference.centroids.forEach((c, i) => this.points.set(c.slice(0, this.dims), i * this.dims));
      this.nullDistances = Float64Array.from(reference.null_distances ?? []).sort();
      this.nullCount = Math.max(reference.null_count ?? 0, this.nullDistances.length);
      return;
    }
    const frauds = reference.frauds ?? [];
    this.k = settings.k;
    this.count = frauds.length;
    this.points = new Float32Array(this.count * this.dims);
    frauds.forEach((row, i) => this.points.set(this.project(row), i * this.dims));
    const nulls = new Float64Array(this.count);
    for (let i = 0; i < this.count; i++)
      nulls[i] = this.kthDistance(this.points.subarray(i * this.dims, (i + 1) * this.dims), i);
    this.nullDistances = nulls.sort();
    this.nullCount = this.count;
  }

  /** How many reference frauds the index stands for (summarised by the centroids, or raw). */
  get referenceFrauds(): number {
    return this.nullCount;
  }

  /** A feature vector in the index's space. */
  project(row: readonly number[]): Float32Array {
    const r = this.reference;
    const out = new Float32Array(this.dims);
    r.features.forEach((f, j) => {
      out[j] = (logRobust(row[f] ?? 0) - (r.centre[j] ?? 0)) / (r.scale[j] ?? 1);
    });
    return out;
  }

  /** Distance from a projected point to its k-th nearest reference point (skipping index `skip`). */
  kthDistance(p: Float32Array, skip = -1): number {
    const k = Math.min(this.k, Math.max(1, this.count - (skip >= 0 ? 1 : 0)));
    const best = new Float64Array(k).fill(Number.POSITIVE_INFINITY);
    const d = this.dims;
    for (let j = 0; j < this.count; j++) {
      if (j === skip) continue;
      let s = 0;
      const base = j * d;
      const worst = best[k - 1] ?? Number.POSITIVE_INFINITY;
      for (let c = 0; c < d; c++) {
        const t = (p[c] ?? 0) - (this.points[base + c] ?? 0);
        s += t * t;
        if (s >= worst) break;
      }
      if (s < worst) {
        let i = k - 1;
        while (i > 0 && (best[i - 1] ?? 0) > s) {
          best[i] = best[i - 1] ?? 0;
          i--;
        }
        best[i] = s;
      }
    }
    return Math.sqrt(best[k - 1] ?? Number.POSITIVE_INFINITY);
  }

  /** Empirical p-value of a distance: (1 + #null distances >= d) / (n + 1). */
  pValueOfDistance(distance: number): number {
    const n = this.nullCount;
    return (n - this.countBelow(distance) + 1) / (n + 1);
  }

  /**
   * The domain classifier's AUC: the probability that a live fraud lies further from the reference
   * frauds than a reference fraud lies from the others (Mann-Whitney, ties counting one half), with
   * the one-sided p-value of "no further" by the normal approximation, variance (n + m + 1) / (12 n m).
   * Held out on both sides: reference frauds by leave-one-out, live ones never in the reference. A
   * live row's distance is to the k-th of n reference frauds, a reference fraud's to the k-th of the
   * other n − 1: the live side is a little nearer, so the test errs towards no drift.
   */
  domainAuc(liveDistances: readonly number[]): { auc: number; pValue: number } | null {
    const n = this.nullCount;
    const m = liveDistances.length;
    if (n === 0 || m === 0) return null;
    let wins = 0;
    for (const d of liveDistances) {
      const below = this.countBelow(d);
      const ties = this.countBelow(d, true) - below;
      wins += below + ties / 2;
    }
    const auc = wins / (n * m);
    const z = (auc - 0.5) / Math.sqrt((n + m + 1) / (12 * n * m));
    return { auc, pValue: normalSurvival(z) };
  }

  /**
   * How many null distances are below d (or at most d). With order statistics of a larger null, the
   * count is interpolated linearly between the ranks of the two stored ones around d (exact when every
   * distance is stored).
   */
  private countBelow(d: number, inclusive = false): number {
    const a = this.nullDistances;
    const m = a.length;
    let lo = 0;
    let hi = m;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const v = a[mid] ?? 0;
      if (v < d || (inclusive && v === d)) lo = mid + 1;
      else hi = mid;
    }
    const n = this.nullCount;
    if (m === n || lo === 0) return lo;
    if (lo === m) return n;
    // Ranks (in the full null) of the stored order statistics lo − 1 and lo, as orderStatistics picks them.
    const rank = (i: number) => Math.round((i * (n - 1)) / (m - 1));
    const below = a[lo - 1] ?? 0;
    const above = a[lo] ?? 0;
    const share = above > below ? (d - below) / (above - below) : 1;
    return rank(lo - 1) + 1 + Math.min(1, Math.max(0, share)) * Math.max(0, rank(lo) - rank(lo - 1) - 1);
  }

  /** How unlike the reference frauds a row is: its distance and empirical p-value. */
  novelty(row: readonly number[]): { distance: number; pValue: number } {
    const distance = this.kthDistance(this.project(row));
    return { distance, pValue: this.pValueOfDistance(distance) };
  }

  /**
   * The compared features on which a row stands furthest from its nearest reference point (a
   * centroid of frauds, or an older manifest's fraud), in the robust units, largest first: what sets
   * a new transaction apart.
   */
  distinguishingFeatures(
    row: readonly number[],
    names: readonly string[],
    top = 3,
  ): { feature: string; value: number; gap: number }[] {
    const p = this.project(row);
    let nearest = -1;
    let best = Number.POSITIVE_INFINITY;
    for (let j = 0; j < this.count; j++) {
      let s = 0;
      for (let c = 0; c < this.dims; c++) {
        const t = (p[c] ?? 0) - (this.points[j * this.dims + c] ?? 0);
        s += t * t;
      }
      if (s < best) {
        best = s;
        nearest = j;
      }
    }
    if (nearest < 0) return [];
    return this.reference.features
      .map((f, c) => ({
        feature: names[f] ?? `f${f}`,
        value: row[f] ?? 0,
        gap: Math.abs((p[c] ?? 0) - (this.points[nearest * this.dims + c] ?? 0)),
      }))
      .sort((a, b) => b.gap - a.gap)
      .slice(0, top);
  }
}

/** Squared distance between two projected points. */
export function squaredDistance(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let c = 0; c < a.length; c++) {
    const t = (a[c] ?? 0) - (b[c] ?? 0);
    s += t * t;
  }
  return s;
}
