import { describe, expect, it } from 'vitest';
import { ConsoleAuth } from './console-auth.service';
import { parseConsoleUsers, rolesAllow } from './console-users';
import { hashPassword, isPasswordHash, verifyPassword } from './password-hash';
import { SessionTokens } from './session-tokens';

const SECRET = 'a-test-secret-of-at-least-thirty-two-chars';

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
});
