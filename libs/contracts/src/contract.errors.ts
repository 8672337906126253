/*
 * The error types of the loop's messages. They belong to the contracts, not to the transport: a
 * validator, a scorer or a drift service says what is wrong with a message (poison) or with the world
 * (retriable), and the transport (libs/kafka) maps the verdict to the dead-letter topic or to a retry.
 */

/** Why a message could not be processed: the reason label of the dead-letter metric and header. */
export type PoisonKind =
  'decode' | 'unknown-schema' | 'validation' | 'oversized' | 'handler' | 'rejected' | 'duplicate';

/** A message that can never be processed: it goes to the dead-letter topic and the partition moves on. */
export class PoisonMessageError extends Error {
  constructor(
    readonly kind: PoisonKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'PoisonMessageError';
  }
}

/** A payload that decoded but breaks the contract (negative amount, missing card, a 1 MB id...). */
export class ValidationError extends PoisonMessageError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('validation', message, options);
    this.name = 'ValidationError';
  }
}

/** A transient failure (broker or registry unreachable): retried with backoff, never dead-lettered. */
export class RetriableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RetriableError';
  }
}

/** Longest description describeError returns: it ends up in log lines and dead-letter headers. */
const MAX_DESCRIPTION = 4096;

/** The message of an error and of its causes, for logs and dead-letter headers (at most 4 KiB). */
export function describeError(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && current !== null && depth < 4; depth++) {
    if (current instanceof Error) {
      parts.push(`${current.name}: ${current.message}`);
      current = current.cause;
    } else {
      parts.push(typeof current === 'string' ? current : JSON.stringify(current));
      break;
    }
  }
  const text = parts.join(' <- caused by ');
  return text.length > MAX_DESCRIPTION ? `${text.slice(0, MAX_DESCRIPTION)}…` : text;
}
