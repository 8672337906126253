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
  hashString,
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
/** At most this many frauds in the manifest (the monitor compares every confirmed fraud with each). */
const NOVELTY_MAX_FRAUDS = 2_000;

/**
 * The frauds of the reference rows for the drift monitor's novelty test, with the robust scaling of
 * all reference rows. Frauds beyond the cap are thinned by a hash of their id (deterministic).
 */
export function buildNoveltyReference(
  rows: readonly TrainingRow[],
  featureNames: readonly string[],
  extraFrauds: readonly TrainingRow[] = [],
): NoveltyReference {
  const features = featureNames.flatMap((name, i) => (NOVELTY_EXCLUDED_FEATURES.has(name) ? [] : [i]));
  const { centre, scale } = robustScaling(
    rows.map((r) => r.features),
    features,
  );
  let frauds = [...rows.filter((r) => r.isFraud), ...extraFrauds.filter((r) => r.isFraud)];
  if (frauds.length > NOVELTY_MAX_FRAUDS)
    frauds = [...frauds]
      .sort((a, b) => hashString(a.transactionId) - hashString(b.transactionId))
      .slice(0, NOVELTY_MAX_FRAUDS);
  const round = (v: number) => Number(v.toPrecision(6));
  return {
    features,
    centre: centre.map(round),
    scale: scale.map(round),
    frauds: frauds.map((r) => r.features.map(round)),
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
 * fitted for (the training window's mature rows, without the replayed history), and the frauds for
 * the novelty test (those rows' and `extraFrauds`).
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
