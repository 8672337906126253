import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** What a session cookie carries: the user and the session's id (roles are read from the configuration at each request). */
export interface SessionClaims {
  readonly user: string;
  readonly sid: string;
  readonly expiresAt: number;
}

function equal(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Signed, stateless session tokens (`<payload>.<HMAC-SHA256>`, base64url) and the CSRF token of each
 * session (an HMAC of its id, under another purpose): a page gets it from the server and sends it
 * back in a header, which a cross-site form or image cannot do.
 */
export class SessionTokens {
  constructor(
    private readonly secret: string,
    private readonly ttlMs: number,
  ) {}

  issue(user: string, now: number): { token: string; claims: SessionClaims } {
    const claims: SessionClaims = {
      user,
      sid: randomBytes(16).toString('base64url'),
      expiresAt: now + this.ttlMs,
    };
    const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
    return { token: `${payload}.${this.sign('session', payload)}`, claims };
  }

  /** The claims of a genuine, unexpired token; null otherwise. */
  verify(token: string, now: number): SessionClaims | null {
    const [payload, signature, ...rest] = token.split('.');
    if (!payload || !signature || rest.length > 0) return null;
    if (!equal(signature, this.sign('session', payload))) return null;
    try {
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Partial<SessionClaims>;
      if (typeof claims.user !== 'string' || typeof claims.sid !== 'string') return null;
      if (typeof claims.expiresAt !== 'number' || claims.expiresAt <= now) return null;
      return { user: claims.user, sid: claims.sid, expiresAt: claims.expiresAt };
    } catch {
      return null;
    }
  }

  csrfToken(claims: SessionClaims): string {
    return this.sign('csrf', claims.sid);
  }

  checkCsrf(claims: SessionClaims, presented: string | undefined): boolean {
    return presented !== undefined && equal(presented, this.csrfToken(claims));
  }

  private sign(purpose: string, value: string): string {
    return createHmac('sha256', this.secret).update(`${purpose}:${value}`).digest('base64url');
  }
}
