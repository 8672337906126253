import { evaluateModel as evaluateRows, eventDay, type EvaluationRow } from '@fraudstream/stats';
import type { EvaluationMetrics } from '@fraudstream/registry';
import { TrainingJobError } from './training.errors';
import type { TrainingRow } from './training-rows';

/**
 * The stats lib's evaluateModel on a trained network's scores, after checking they are finite. A
 * network that diverged (NaN weights) scores NaN; the metrics would throw a RangeError out of the
 * job, where a NON_FINITE_SCORES failure tells the operator what happened and fails the request
 * cleanly (the same seed and data would diverge again, so it is not worth a retry).
 */
export function evaluateModel(
  rows: readonly EvaluationRow[],
  options: { readonly threshold: number; readonly k: number },
): EvaluationMetrics {
  let nonFinite = 0;
  for (const row of rows) if (!Number.isFinite(row.score)) nonFinite++;
  if (nonFinite > 0) {
    throw new TrainingJobError(
      'NON_FINITE_SCORES',
      `the model scored ${nonFinite} of ${rows.length} evaluation rows NaN or infinite (training diverged)`,
    );
  }
  return evaluateRows(rows, options);
}

/** `evaluateModel` of a network's `scores` on training rows (score i is row i's). */
export function evaluateScores(
  rows: readonly TrainingRow[],
  scores: Float32Array,
  options: { readonly threshold: number; readonly k: number },
): EvaluationMetrics {
  return evaluateModel(
    rows.map((row, i) => ({
      cardId: row.cardId,
      day: eventDay(row.eventTime),
      score: scores[i] ?? 0,
      isFraud: row.isFraud,
    })),
    options,
  );
}

/** The largest absolute difference between two models' scores on the same rows. */
export function maxAbsScoreDifference(a: Float32Array, b: Float32Array): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs((a[i] ?? 0) - (b[i] ?? 0)));
  return max;
}
