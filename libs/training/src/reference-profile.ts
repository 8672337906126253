import { buildFeatureProfile } from '@fraudstream/stats';
import type { ReferenceProfile } from '@fraudstream/registry';
import type { TrainingRow } from './training-rows';

/**
 * The drift monitor's reference: a profile per feature (in the model's input order), the profile of
 * the model's own scores, and the fraud rate, over the rows that describe the regime the model was
 * fitted for (the training window's mature rows, without the replayed history).
 */
export function buildReferenceProfile(
  rows: readonly TrainingRow[],
  scores: ArrayLike<number>,
  featureNames: readonly string[],
): ReferenceProfile {
  const column = new Float64Array(rows.length);
  const features = featureNames.map((name, c) => {
    rows.forEach((row, r) => (column[r] = row.features[c] ?? 0));
    return buildFeatureProfile(name, column);
  });
  let positives = 0;
  for (const row of rows) if (row.isFraud) positives++;
  return {
    row_count: rows.length,
    fraud_rate: rows.length > 0 ? positives / rows.length : 0,
    features,
    score: buildFeatureProfile('score', scores),
  };
}
