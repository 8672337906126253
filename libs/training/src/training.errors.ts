/** Why a training job ended without a model. */
export type TrainingFailureReason =
  | 'WINDOW_TOO_SMALL'
  | 'ONE_CLASS'
  | 'NON_FINITE_FEATURES'
  | 'NON_FINITE_SCORES'
  | 'FEATURE_SET_MISMATCH'
  | 'PARENT_MISSING'
  | 'PARENT_CORRUPT'
  | 'STALE_REQUEST'
  | 'INVALID_REQUEST';

/**
 * A training job that cannot produce a model from its input (bad data, missing parent): it fails
 * with a clear reason and a JOB_FAILED event, and nothing is deployed. Not retriable: the same input
 * would fail again.
 */
export class TrainingJobError extends Error {
  constructor(
    readonly reason: TrainingFailureReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'TrainingJobError';
  }
}
