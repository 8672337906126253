import { evaluateModel as evaluateRows, type EvaluationRow } from '@fraudstream/stats';
import type { EvaluationMetrics } from '@fraudstream/registry';
import { TrainingJobError } from './training.errors';

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
