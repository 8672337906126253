/** Why a message could not be processed: the reason label of the dead-letter metric and header. */
export type PoisonKind = 'decode' | 'unknown-schema' | 'validation' | 'handler' | 'rejected';

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

/** A payload that decoded but breaks the contract (negative amount, missing card...). */
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

/** The message of an error and of its causes, for logs and dead-letter headers. */
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
  return parts.join(' <- caused by ');
}
