import { PoisonMessageError, RetriableError } from '@fraudstream/contracts';

/**
 * A consumer or producer could not start: names the step (connect, topic check, subscribe, run), and
 * the topic or the broker addresses it was about, so the operator knows what to fix. Apps exit non-zero.
 */
export class StartupError extends Error {
  constructor(
    readonly step: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${step}: ${message}`, options);
    this.name = 'StartupError';
  }
}

/**
 * A produce request failed for a reason that is not the records' fault (broker down, leader moving,
 * the idempotent producer's sequence lost across a broker restart). Retried; never a poison verdict.
 */
export class ProduceError extends RetriableError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ProduceError';
  }
}

/** A record (or the request carrying it) over the broker's size limit: retrying cannot help. */
export class RecordTooLargeError extends PoisonMessageError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('oversized', message, options);
    this.name = 'RecordTooLargeError';
  }
}
