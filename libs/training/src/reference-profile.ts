import type {
  FeatureProfile,
  NoveltyReference,
  ReferenceProfile,
  SeasonalScoreProfile,
} from '@fraudstream/registry';
import {
  DEFAULT_PROFILE_SAMPLE_SIZE,
  binCounts,
  buildFeatureProfile,
  centroidOf,
  hashString,
  logRobust,
  microaggregate,
  robustScaling,
} from '@fraudstream/stats';
import type { TrainingRow } from './training-rows';

/**
 * Features the novelty test leaves out: a calendar feature that a day is all one value of, and the
 * raw amount (log_amount carries it; both would weigh the amount twice in a log space).
 */
const NOVELTY_EXCLUDED_FEATURES: ReadonlySet<string> = new Set(['is_weekend', 'amount']);
/** Calendar features the model uses: a daily window is all one value of them, so the score is profiled per value. */
const SEASONAL_FEATURES: readonly string[] = ['is_weekend'];
/** A stratum with fewer rows is not profiled on its own (its bins would be noise). */
const MIN_STRATUM_ROWS = 500;
/** At most this many frauds are summarised (the monitor's null is computed on them at training time). */
const NOVELTY_MAX_FRAUDS = 2_000;
/**
 * Every centroid in the manifest is the mean of at least this many frauds (k-anonymity of the
 * published points; groups hold k to 2k − 1). Measured in docs/drift.md against the raw frauds.
 */
export const NOVELTY_MIN_GROUP_ROWS = 5;
/** At most this many order statistics of the null distances are published (the p-value interpolates between them). */
const NOVELTY_NULL_ORDER_STATISTICS = 500;

/**
 * The drift monitor's novelty reference: the robust scaling of all reference rows, and the frauds of
 * the reference rows and `extraFrauds` summarised without publishing any of them: MDAV centroids of
 * groups of at least NOVELTY_MIN_GROUP_ROWS frauds in the robust space, and the order statistics of
 * each fraud's held-out distance to the centroids (its own group's taken without it: the null the
 * monitor's p-values are read from). Frauds beyond the cap are thinned by a hash of their id (deterministic).
 * Too few frauds for two groups: no centroid (the novelty test stays off for the model).
 */
export function buildNoveltyReference(
  rows: readonly TrainingRow[],
  featureNames: readonly string[],
  extraFrauds: readonly TrainingRow[] = [],
  /** Smallest group a centroid may stand for (the default in service; other values for the benchmark). */
  minGroupRows = NOVELTY_MIN_GROUP_ROWS,
): NoveltyReference {
  const features = featureNames.flatMap((name, i) => (NOVELTY_EXCLUDED_FEATURES.has(name) ? [] : [i]));
  const scaling = robustScaling(
    rows.map((r) => r.features),
    features,
  );
  const round = (v: number) => Number(v.toPrecision(6));
  const centre = scaling.centre.map(round);
  const scale = scaling.scale.map(round);
  let frauds = [...rows.filter((r) => r.isFraud), ...extraFrauds.filter((r) => r.isFraud)];
  if (frauds.length > NOVELTY_MAX_FRAUDS)
    frauds = [...frauds]
      .sort((a, b) => hashString(a.transactionId) - hashString(b.transactionId))
      .slice(0, NOVELTY_MAX_FRAUDS);
  // Projected with the published (rounded) constants, as the monitor projects a live row.
  const points = frauds.map((r) =>
    features.map((f, j) => (logRobust(r.features[f] ?? 0) - (centre[j] ?? 0)) / (scale[j] ?? 1)),
  );
  const groups = microaggregate(points, minGroupRows);
  const base = { features, centre, scale, min_group_rows: minGroupRows };
  if (groups.length < 2) return { ...base, centroids: [], null_distances: [], null_count: 0 };
  const centroids = groups.map((g) => centroidOf(points, g).map(round));
  const groupOf = new Int32Array(points.length);
  groups.forEach((g, gi) => g.forEach((i) => (groupOf[i] = gi)));
  // The held-out null: each fraud's distance to the nearest centroid as it would be without it, its
  // own group's mean of the other rows (at n/(n − 1) times its distance to the group's centroid)
  // or another group's (the grouping itself is kept: re-running MDAV n times would cost n²).
  const nulls = Float64Array.from(points, (p, i) => {
    const own = groupOf[i] ?? 0;
    const size = groups[own]?.length ?? 2;
    let best = Number.POSITIVE_INFINITY;
    centroids.forEach((c, gi) => {
      let d = 0;
      for (let j = 0; j < p.length; j++) d += ((p[j] ?? 0) - (c[j] ?? 0)) ** 2;
      if (gi === own) d *= (size / (size - 1)) ** 2;
      if (d < best) best = d;
    });
    return Math.sqrt(best);
  }).sort();
  return {
    ...base,
    centroids,
    null_distances: orderStatistics(nulls, NOVELTY_NULL_ORDER_STATISTICS).map(round),
    null_count: points.length,
  };
}

/** Evenly spaced order statistics of ascending `sorted` (at most `size`). */
function orderStatistics(sorted: Float64Array, size: number): number[] {
  if (sorted.length <= size) return Array.from(sorted);
  return Array.from(
    { length: size },
    (_, i) => sorted[Math.round((i * (sorted.length - 1)) / (size - 1))] ?? 0,
  );
}

/**
 * The score per value of the first seasonal feature the model has (weekday / weekend), on the overall
 * score profile's edges; undefined when the model has none or a value has too few rows.
 */
export function buildSeasonalScoreProfile(
  rows: readonly TrainingRow[],
  scores: ArrayLike<number>,
  featureNames: readonly string[],
  overall: FeatureProfile,
): SeasonalScoreProfile | undefined {
  const feature = SEASONAL_FEATURES.find((name) => featureNames.includes(name));
  if (feature === undefined) return undefined;
  const column = featureNames.indexOf(feature);
  const byValue = new Map<number, number[]>();
  rows.forEach((row, i) => {
    const value = row.features[column] ?? 0;
    const list = byValue.get(value) ?? [];
    list.push(scores[i] ?? 0);
    byValue.set(value, list);
  });
  if ([...byValue.values()].some((list) => list.length < MIN_STRATUM_ROWS)) return undefined;
  const strata = [...byValue.entries()]
    .sort(([a], [b]) => a - b)
    .map(([value, list]) => {
      const sorted = Float64Array.from(list).sort();
      const counts = binCounts(overall.quantile_edges, sorted);
      return {
        value,
        bin_fractions: counts.map((c) => c / sorted.length),
        sample: orderStatistics(sorted, DEFAULT_PROFILE_SAMPLE_SIZE),
      };
    });
  return { feature, strata };
}

/**
 * The drift monitor's reference: a profile per feature (in the model's input order), the profile of
 * the model's own scores and the fraud rate, over the rows that describe the regime the model was
 * fitted for (the training window's mature rows, without the replayed history), and the novelty
 * test's summary of the frauds (those rows' and `extraFrauds`): no row of either is in it.
 */
export function buildReferenceProfile(
  rows: readonly TrainingRow[],
  scores: ArrayLike<number>,
  featureNames: readonly string[],
  /** Frauds the model learnt from outside `rows` (confirmed early): known to the novelty test. */
  extraFrauds: readonly TrainingRow[] = [],
): ReferenceProfile {
  const column = new Float64Array(rows.length);
  const features = featureNames.map((name, c) => {
    rows.forEach((row, r) => (column[r] = row.features[c] ?? 0));
    return buildFeatureProfile(name, column);
  });
  let positives = 0;
  for (const row of rows) if (row.isFraud) positives++;
  const score = buildFeatureProfile('score', scores);
  const seasonal = buildSeasonalScoreProfile(rows, scores, featureNames, score);
  return {
    row_count: rows.length,
    fraud_rate: rows.length > 0 ? positives / rows.length : 0,
    features,
    score,
    novelty: buildNoveltyReference(rows, featureNames, extraFrauds),
    ...(seasonal ? { score_by_season: seasonal } : {}),
  };
}
