import { randomBytes } from 'node:crypto';
import { rolesAllow, type ConsolePermission, type ConsoleRole, type ConsoleUser } from './console-users';
import type { OidcChecks, OidcClient } from './oidc-client.adapter';
import { identityFromClaims, OidcSignInError, rolesOfGroups, type OidcRoleMap } from './oidc-identity';
import { hashPassword, verifyPassword } from './password-hash';
import { SessionTokens, type SessionClaims } from './session-tokens';

/** How long a single-sign-on attempt may take between leaving for the provider and coming back. */
export const OIDC_FLOW_TTL_MS = 10 * 60_000;

/** Single sign-on as ConsoleAuth needs it: the provider, the claims to read and the role mapping. */
export interface ConsoleOidc {
  readonly client: OidcClient;
  readonly usernameClaim: string;
  readonly groupsClaim: string;
  readonly roleMap: OidcRoleMap;
}

/** The sealed cookie of one single-sign-on attempt: its checks and where to go afterwards. */
interface OidcFlow extends OidcChecks {
  readonly next: string;
  readonly expiresAt: number;
}

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
 *
 * Single sign-on (optional): the provider's verified ID token names the user and their groups; the
 * session keeps the groups the role mapping names, and the roles are mapped again at every request,
 * so a changed mapping takes effect as a changed CONSOLE_USERS does. Sessions are the same tokens,
 * so CSRF and role checks do not change.
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
    private readonly oidc: ConsoleOidc | null = null,
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
    if (!claims) return null;
    if (claims.oidcGroups) {
      const roles = this.oidc ? rolesOfGroups(claims.oidcGroups, this.oidc.roleMap) : [];
      if (roles.length === 0 || this.users.has(claims.user)) return null;
      return this.principal({ name: claims.user, roles }, claims);
    }
    const user = this.users.get(claims.user);
    return user ? this.principal(user, claims) : null;
  }

  /** What the sign-in page calls the single-sign-on provider; null when there is none. */
  get oidcName(): string | null {
    return this.oidc?.client.name ?? null;
  }

  /**
   * Starts a single-sign-on attempt: the provider's URL to send the browser to, and the sealed flow
   * token (state, nonce, PKCE verifier, where to go afterwards) for a short-lived cookie.
   */
  async beginOidcSignIn(next: string): Promise<{ url: URL; flowToken: string }> {
    if (!this.oidc) throw new OidcSignInError('single sign-on is not configured');
    const { url, checks } = await this.oidc.client.begin();
    const flow: OidcFlow = { ...checks, next, expiresAt: this.now() + OIDC_FLOW_TTL_MS };
    return { url, flowToken: this.tokens.seal('oidc-flow', flow) };
  }

  /** Where an attempt's flow token says to go after signing in (`/` when it is absent or not genuine). */
  oidcNext(flowToken: string | undefined): string {
    return (flowToken && this.openFlow(flowToken)?.next) || '/';
  }

  /**
   * Completes a single-sign-on attempt from the provider's callback query and the attempt's flow
   * token: the provider's answer is checked (state, code with PKCE, the ID token), the user name and
   * groups read and mapped, and a session issued. Throws OidcSignInError otherwise: no session.
   */
  async completeOidcSignIn(
    callbackQuery: URLSearchParams,
    flowToken: string | undefined,
  ): Promise<{ token: string; principal: Principal; next: string }> {
    if (!this.oidc) throw new OidcSignInError('single sign-on is not configured');
    const flow = flowToken ? this.openFlow(flowToken) : null;
    if (!flow)
      throw new OidcSignInError(
        'this sign-in was not started here or took longer than 10 minutes: start again',
      );
    const claims = await this.oidc.client.complete(callbackQuery, flow);
    const identity = identityFromClaims(claims, this.oidc);
    if (this.users.has(identity.user))
      throw new OidcSignInError(
        `${identity.user} is also a local user of the console; labels and the audit log could not tell them apart`,
      );
    const { token } = this.tokens.issue(identity.user, this.now(), identity.groups);
    const principal = this.authenticate(token);
    if (!principal) throw new OidcSignInError(`${identity.user} has no console role`);
    return { token, principal, next: flow.next };
  }

  checkCsrf(principal: Principal, presented: string | undefined): boolean {
    return this.tokens.checkCsrf(principal.session, presented);
  }

  may(principal: Principal, permission: ConsolePermission): boolean {
    return rolesAllow(principal.roles, permission);
  }

  private openFlow(flowToken: string): OidcFlow | null {
    const flow = this.tokens.open('oidc-flow', flowToken);
    if (!flow) return null;
    const { state, nonce, codeVerifier, next, expiresAt } = flow;
    if (typeof state !== 'string' || typeof nonce !== 'string' || typeof codeVerifier !== 'string')
      return null;
    if (typeof next !== 'string' || typeof expiresAt !== 'number' || expiresAt <= this.now()) return null;
    return { state, nonce, codeVerifier, next, expiresAt };
  }

  private principal(user: Pick<ConsoleUser, 'name' | 'roles'>, session: SessionClaims): Principal {
    return { user: user.name, roles: user.roles, session, csrfToken: this.tokens.csrfToken(session) };
  }
}
