import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * What a session cookie carries: the user and the session's id; roles are read from the configuration
 * at each request (a local user's from CONSOLE_USERS, a single-sign-on user's from the role mapping
 * applied to the groups the identity provider named, which the session keeps).
 */
export interface SessionClaims {
  readonly user: string;
  readonly sid: string;
  readonly expiresAt: number;
  /** Present for a single-sign-on session: the token's groups that the role mapping names. */
  readonly oidcGroups?: readonly string[];
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

  issue(user: string, now: number, oidcGroups?: readonly string[]): { token: string; claims: SessionClaims } {
    const claims: SessionClaims = {
      user,
      sid: randomBytes(16).toString('base64url'),
      expiresAt: now + this.ttlMs,
      ...(oidcGroups ? { oidcGroups } : {}),
    };
    return { token: this.seal('session', claims), claims };
  }

  /** The claims of a genuine, unexpired token; null otherwise. */
  verify(token: string, now: number): SessionClaims | null {
    const claims = this.open('session', token) as Partial<SessionClaims> | null;
    if (!claims || typeof claims.user !== 'string' || typeof claims.sid !== 'string') return null;
    if (typeof claims.expiresAt !== 'number' || claims.expiresAt <= now) return null;
    const groups = claims.oidcGroups;
    if (groups !== undefined && !(Array.isArray(groups) && groups.every((g) => typeof g === 'string')))
      return null;
    return {
      user: claims.user,
      sid: claims.sid,
      expiresAt: claims.expiresAt,
      ...(groups ? { oidcGroups: groups } : {}),
    };
  }

  /**
   * `<payload>.<HMAC>` of a JSON value under a purpose: a token sealed for one purpose (the
   * single-sign-on flow's cookie) never opens as another (a session).
   */
  seal(purpose: string, value: object): string {
    const payload = Buffer.from(JSON.stringify(value)).toString('base64url');
    return `${payload}.${this.sign(purpose, payload)}`;
  }

  /** The JSON value of a genuine token sealed for the purpose; null when absent, forged or garbled. */
  open(purpose: string, token: string): Record<string, unknown> | null {
    const [payload, signature, ...rest] = token.split('.');
    if (!payload || !signature || rest.length > 0) return null;
    if (!equal(signature, this.sign(purpose, payload))) return null;
    try {
      const value: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
      return typeof value === 'object' && value !== null && !Array.isArray(value)
        ? (value as Record<string, unknown>)
        : null;
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
