import { RetriableError } from '@fraudstream/contracts';

/** A feature-set version this code does not compute (a model's, a snapshot's or the config's). */
export class UnknownFeatureSetError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UnknownFeatureSetError';
  }
}

/**
 * A batch's commit found the partition's applied batch changed since its load: another replica (a
 * partition's new owner, or a zombie) applied it meanwhile. Nothing of the batch was written; handled
 * again, it loads the new state and counts only what that state lacks.
 */
export class FeatureStateConflictError extends RetriableError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'FeatureStateConflictError';
  }
}

/** A feature set the configured store cannot keep the state of (a sequence block in Redis, for now). */
export class UnsupportedFeatureStoreError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UnsupportedFeatureStoreError';
  }
}
