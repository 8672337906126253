import { createHmac } from 'node:crypto';
import { TokenKeyError } from './pii.errors';

/** Shortest key accepted: 32 bytes, the output size of SHA-256 (RFC 2104 advises no less than L). */
export const MIN_TOKEN_KEY_BYTES = 32;

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * One HMAC-SHA256 tokenisation key and its id. The id is derived from the key (an HMAC of a fixed
 * label, so it reveals nothing of the key) and goes into every token the key makes: a token says
 * which key made it, and a key file mounted in the wrong place is seen at once.
 */
export class TokenKey {
  readonly keyId: string;

  private constructor(readonly secret: Buffer) {
    this.keyId = createHmac('sha256', secret).update('fraudstream.pii.key-id').digest('hex').slice(0, 8);
  }

  /**
   * From the base64 text of at least 32 random bytes (`openssl rand -base64 32`), surrounding
   * whitespace ignored. `what` names the setting in the error (e.g. `PII_TOKEN_KEY_FILE /run/...`).
   */
  static fromBase64(text: string, what: string): TokenKey {
    const trimmed = text.trim();
    if (trimmed.length === 0) throw new TokenKeyError('missing', `${what} is empty`);
    if (!BASE64.test(trimmed) || trimmed.length % 4 !== 0)
      throw new TokenKeyError(
        'malformed',
        `${what} is not base64 (make one with: openssl rand -base64 ${MIN_TOKEN_KEY_BYTES})`,
      );
    const secret = Buffer.from(trimmed, 'base64');
    if (secret.length < MIN_TOKEN_KEY_BYTES)
      throw new TokenKeyError(
        'short',
        `${what} holds ${secret.length} bytes; a tokenisation key needs at least ${MIN_TOKEN_KEY_BYTES} (openssl rand -base64 ${MIN_TOKEN_KEY_BYTES})`,
      );
    return new TokenKey(secret);
  }
}
