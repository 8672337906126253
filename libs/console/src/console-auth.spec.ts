import { describe, expect, it } from 'vitest';
import { ConsoleAuth, OIDC_FLOW_TTL_MS, type ConsoleOidc } from './console-auth.service';
import { parseConsoleUsers, rolesAllow } from './console-users';
import type { OidcChecks, OidcClient } from './oidc-client.adapter';
import { parseOidcRoleMap } from './oidc-identity';
import { hashPassword, isPasswordHash, verifyPassword } from './password-hash';
import { SessionTokens } from './session-tokens';

const SECRET = 'a-test-secret-of-at-least-thirty-two-chars';

/** A provider that hands out fixed checks and answers a callback with `claims` when the state matches. */
class FakeOidcClient implements OidcClient {
  readonly name = 'Fake IdP';
  claims: Record<string, unknown> = {};
  private attempt = 0;

  begin(): Promise<{ url: URL; checks: OidcChecks }> {
    this.attempt += 1;
    const checks = { state: `state-${this.attempt}`, nonce: `nonce-${this.attempt}`, codeVerifier: 'v' };
    return Promise.resolve({ url: new URL(`https://idp.example.com/auth?state=${checks.state}`), checks });
  }

  complete(query: URLSearchParams, checks: OidcChecks): Promise<Record<string, unknown>> {
    if (query.get('state') !== checks.state) return Promise.reject(new Error('state mismatch'));
    return Promise.resolve(this.claims);
  }
}

function oidcWith(client: OidcClient, roles: string): ConsoleOidc {
  return { client, usernameClaim: 'sub', groupsClaim: 'groups', roleMap: parseOidcRoleMap(roles) };
}

describe(ConsoleAuth.name, () => {
  it('hashes passwords with a fresh salt and verifies only the right one', async () => {
    const a = await hashPassword('correct horse', 1024);
    const b = await hashPassword('correct horse', 1024);
    expect(isPasswordHash(a)).toBe(true);
    expect(a).not.toBe(b);
    expect(await verifyPassword('correct horse', a)).toBe(true);
    expect(await verifyPassword('correct horse!', a)).toBe(false);
    expect(await verifyPassword('correct horse', 'plain-text')).toBe(false);
  });

  it('reads CONSOLE_USERS and names every bad entry without echoing a hash', async () => {
    const hash = await hashPassword('pw', 1024);
    expect(parseConsoleUsers(`alice:analyst:${hash},\nolga:model-owner|viewer:${hash}`)).toEqual([
      { name: 'alice', roles: ['analyst'], passwordHash: hash },
      { name: 'olga', roles: ['model-owner', 'viewer'], passwordHash: hash },
    ]);
    const attempt = () => parseConsoleUsers(`Bad Name:analyst:${hash},bob:admin:${hash},carol:viewer:secret`);
    expect(attempt).toThrow(/entry 1: the name must match/);
    expect(attempt).toThrow(/entry 2 \(bob\): roles must be some of analyst, model-owner, viewer/);
    expect(attempt).toThrow(/entry 3 \(carol\): the password must be a scrypt hash/);
    expect(attempt).not.toThrow(/secret/);
  });

  it('grants verdicts to analysts, promotions to model owners, reading to everyone', () => {
    expect(rolesAllow(['viewer'], 'read')).toBe(true);
    expect(rolesAllow(['viewer'], 'work-cases')).toBe(false);
    expect(rolesAllow(['viewer'], 'operate-models')).toBe(false);
    expect(rolesAllow(['analyst'], 'work-cases')).toBe(true);
    expect(rolesAllow(['analyst'], 'operate-models')).toBe(false);
    expect(rolesAllow(['model-owner'], 'operate-models')).toBe(true);
    expect(rolesAllow(['model-owner'], 'work-cases')).toBe(false);
  });

  it('signs in with the right password only, and a session ends when forged, expired or its user is removed', async () => {
    let now = 1_000_000;
    const users = [
      { name: 'alice', roles: ['analyst'] as const, passwordHash: await hashPassword('pw', 1024) },
    ];
    const auth = new ConsoleAuth(users, SECRET, 60_000, () => now);
    expect(await auth.signIn('alice', 'nope')).toBeNull();
    expect(await auth.signIn('mallory', 'pw')).toBeNull();
    const session = await auth.signIn('alice', 'pw');
    expect(session?.principal).toMatchObject({ user: 'alice', roles: ['analyst'] });
    const token = session?.token ?? '';
    expect(auth.authenticate(token)?.user).toBe('alice');
    const [payload, signature] = token.split('.');
    const forged = Buffer.from(JSON.stringify({ user: 'olga', sid: 'x', expiresAt: now + 1e9 })).toString(
      'base64url',
    );
    expect(auth.authenticate(`${forged}.${signature}`)).toBeNull();
    expect(auth.authenticate(`${payload}.${signature}x`)).toBeNull();
    expect(new ConsoleAuth([], SECRET, 60_000, () => now).authenticate(token)).toBeNull();
    now += 60_000;
    expect(auth.authenticate(token)).toBeNull();
  });

  it("accepts a session's own CSRF token only", () => {
    const tokens = new SessionTokens(SECRET, 60_000);
    const a = tokens.issue('alice', 0).claims;
    const b = tokens.issue('alice', 0).claims;
    expect(tokens.checkCsrf(a, tokens.csrfToken(a))).toBe(true);
    expect(tokens.checkCsrf(a, tokens.csrfToken(b))).toBe(false);
    expect(tokens.checkCsrf(a, undefined)).toBe(false);
    expect(new SessionTokens(`${SECRET}-other`, 60_000).checkCsrf(a, tokens.csrfToken(a))).toBe(false);
  });

  it('issues a session for a single-sign-on user whose roles follow the mapping at each request', async () => {
    let now = 1_000_000;
    const idp = new FakeOidcClient();
    const auth = new ConsoleAuth([], SECRET, 60_000, () => now, oidcWith(idp, 'fraud=analyst,audit=viewer'));
    const { url, flowToken } = await auth.beginOidcSignIn('/models');
    idp.claims = { sub: 'oana', groups: ['fraud', 'unmapped'] };
    const session = await auth.completeOidcSignIn(
      new URLSearchParams({ state: url.searchParams.get('state') ?? '' }),
      flowToken,
    );
    expect(session.next).toBe('/models');
    expect(session.principal).toMatchObject({ user: 'oana', roles: ['analyst'] });
    expect(auth.authenticate(session.token)?.roles).toEqual(['analyst']);
    // A restart with another mapping: the same session gets the new roles, or none.
    const remapped = new ConsoleAuth([], SECRET, 60_000, () => now, oidcWith(idp, 'fraud=viewer'));
    expect(remapped.authenticate(session.token)?.roles).toEqual(['viewer']);
    expect(
      new ConsoleAuth([], SECRET, 60_000, () => now, oidcWith(idp, 'other=analyst')).authenticate(
        session.token,
      ),
    ).toBeNull();
    // Single sign-on switched off: its sessions end.
    expect(new ConsoleAuth([], SECRET, 60_000, () => now).authenticate(session.token)).toBeNull();
    now += 60_000;
    expect(auth.authenticate(session.token)).toBeNull();
  });

  it('refuses a single-sign-on return without its genuine, unexpired flow token, and the flow token as a session', async () => {
    let now = 1_000_000;
    const idp = new FakeOidcClient();
    idp.claims = { sub: 'oana', groups: ['fraud'] };
    const auth = new ConsoleAuth([], SECRET, 60_000, () => now, oidcWith(idp, 'fraud=analyst'));
    const { url, flowToken } = await auth.beginOidcSignIn('/');
    const query = new URLSearchParams({ state: url.searchParams.get('state') ?? '' });
    await expect(auth.completeOidcSignIn(query, undefined)).rejects.toThrow(/was not started here/);
    const [payload, signature] = flowToken.split('.');
    const forged = Buffer.from(
      JSON.stringify({ state: 'mine', nonce: 'n', codeVerifier: 'v', next: '/', expiresAt: now + 1e6 }),
    ).toString('base64url');
    await expect(
      auth.completeOidcSignIn(new URLSearchParams({ state: 'mine' }), `${forged}.${signature}`),
    ).rejects.toThrow(/was not started here/);
    expect(auth.authenticate(flowToken)).toBeNull();
    expect(auth.oidcNext(`${payload}.${signature}`)).toBe('/');
    now += OIDC_FLOW_TTL_MS;
    await expect(auth.completeOidcSignIn(query, flowToken)).rejects.toThrow(/longer than 10 minutes/);
  });

  it('refuses a single-sign-on user named like a local user', async () => {
    const idp = new FakeOidcClient();
    const users = [
      { name: 'alice', roles: ['viewer'] as const, passwordHash: await hashPassword('pw', 1024) },
    ];
    const auth = new ConsoleAuth(users, SECRET, 60_000, Date.now, oidcWith(idp, 'fraud=analyst'));
    const { url, flowToken } = await auth.beginOidcSignIn('/');
    idp.claims = { sub: 'alice', groups: ['fraud'] };
    await expect(
      auth.completeOidcSignIn(new URLSearchParams({ state: url.searchParams.get('state') ?? '' }), flowToken),
    ).rejects.toThrow(/alice is also a local user/);
  });
});
