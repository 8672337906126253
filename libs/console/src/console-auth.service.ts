import { randomBytes } from 'node:crypto';
import { rolesAllow, type ConsolePermission, type ConsoleRole, type ConsoleUser } from './console-users';
import { hashPassword, verifyPassword } from './password-hash';
import { SessionTokens, type SessionClaims } from './session-tokens';

/** A signed-in user as a request sees them. */
export interface Principal {
  readonly user: string;
  readonly roles: readonly ConsoleRole[];
  readonly session: SessionClaims;
  readonly csrfToken: string;
}

/**
 * Local sign-in: users and their scrypt hashes come from the configuration; a session is a signed
 * token whose user is looked up again at every request (removing a user or a role takes effect at
 * once). Unknown users cost the same scrypt work as known ones, so timing does not tell them apart.
 */
export class ConsoleAuth {
  private readonly users: ReadonlyMap<string, ConsoleUser>;
  private readonly tokens: SessionTokens;
  private dummyHash: Promise<string> | null = null;

  constructor(
    users: readonly ConsoleUser[],
    secret: string,
    sessionTtlMs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.users = new Map(users.map((u) => [u.name, u]));
    this.tokens = new SessionTokens(secret, sessionTtlMs);
  }

  /** A new random secret (sessions then end when the process does). */
  static randomSecret(): string {
    return randomBytes(32).toString('base64url');
  }

  /** The session token and principal for a correct name and password, else null. */
  async signIn(name: string, password: string): Promise<{ token: string; principal: Principal } | null> {
    const user = this.users.get(name);
    if (!user) {
      this.dummyHash ??= hashPassword(randomBytes(16).toString('hex'));
      await verifyPassword(password, await this.dummyHash);
      return null;
    }
    if (!(await verifyPassword(password, user.passwordHash))) return null;
    const { token, claims } = this.tokens.issue(user.name, this.now());
    return { token, principal: this.principal(user, claims) };
  }

  /** The principal of a session token, or null (absent, forged, expired, or the user is gone). */
  authenticate(token: string | undefined): Principal | null {
    if (!token) return null;
    const claims = this.tokens.verify(token, this.now());
    const user = claims ? this.users.get(claims.user) : undefined;
    return claims && user ? this.principal(user, claims) : null;
  }

  checkCsrf(principal: Principal, presented: string | undefined): boolean {
    return this.tokens.checkCsrf(principal.session, presented);
  }

  may(principal: Principal, permission: ConsolePermission): boolean {
    return rolesAllow(principal.roles, permission);
  }

  private principal(user: ConsoleUser, session: SessionClaims): Principal {
    return { user: user.name, roles: user.roles, session, csrfToken: this.tokens.csrfToken(session) };
  }
}
