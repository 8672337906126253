/** Why a tokenisation key was refused. */
export type TokenKeyFailure = 'missing' | 'malformed' | 'short' | 'schedule';

/**
 * A tokenisation key that cannot be used: none configured where one is required, not base64, under
 * 32 bytes, or a rotation schedule that does not add up. Raised at boot, so nothing is published
 * with a weak key or none.
 */
export class TokenKeyError extends Error {
  constructor(
    readonly failure: TokenKeyFailure,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'TokenKeyError';
  }
}

/** A raw identifier that cannot be tokenised (empty), or a string that is not a card token. */
export class TokenInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TokenInputError';
  }
}
