import { loadConfig } from '@fraudstream/config';
import { describe, expect, it } from 'vitest';
import { identityFromClaims, parseOidcRoleMap, rolesOfGroups } from './oidc-identity';
import { consoleOidcConfigFragment, oidcSettingsFrom, requireOidcSettings } from './oidc.config';

const roleMap = parseOidcRoleMap('fraud-analysts=analyst, /ml/owners=model-owner|viewer\nauditors=viewer');
const settings = { usernameClaim: 'sub', groupsClaim: 'groups', roleMap };

const schema = consoleOidcConfigFragment.superRefine((config, ctx) => requireOidcSettings(config, ctx));
const complete = {
  CONSOLE_OIDC_ISSUER: 'https://idp.example.com/realms/fraud',
  CONSOLE_OIDC_CLIENT_ID: 'fraudstream-console',
  CONSOLE_OIDC_REDIRECT_URL: 'https://console.example.com/login/oidc/callback',
  CONSOLE_OIDC_ROLES: 'fraud-analysts=analyst',
};

describe('single sign-on identity and configuration', () => {
  it('maps groups to roles through CONSOLE_OIDC_ROLES, naming every bad entry', () => {
    expect([...roleMap]).toEqual([
      ['fraud-analysts', ['analyst']],
      ['/ml/owners', ['model-owner', 'viewer']],
      ['auditors', ['viewer']],
    ]);
    expect(rolesOfGroups(['auditors', '/ml/owners', 'staff'], roleMap)).toEqual(['model-owner', 'viewer']);
    expect(rolesOfGroups(['staff'], roleMap)).toEqual([]);
    const attempt = () => parseOidcRoleMap('a=admin,=viewer,b=viewer,b=analyst');
    expect(attempt).toThrow(/entry 1 \(a\): roles must be some of analyst, model-owner, viewer/);
    expect(attempt).toThrow(/entry 2: expected group=role/);
    expect(attempt).toThrow(/entry 4 \(b\): b is listed twice/);
    expect(() => parseOidcRoleMap(' , ')).toThrow(/maps no group to a role/);
  });

  it("reads the user name from the configured claim and keeps only the token's mapped groups", () => {
    expect(
      identityFromClaims({ sub: 'oana', groups: ['staff', 'fraud-analysts', 'auditors'] }, settings),
    ).toEqual({
      user: 'oana',
      groups: ['auditors', 'fraud-analysts'],
    });
    // Some providers send a single group as a string.
    expect(identityFromClaims({ sub: 'vera', groups: 'auditors' }, settings).groups).toEqual(['auditors']);
    expect(
      identityFromClaims(
        { sub: 'x', preferred_username: 'nils.berg', groups: ['auditors'] },
        {
          ...settings,
          usernameClaim: 'preferred_username',
        },
      ).user,
    ).toBe('nils.berg');
  });

  it('refuses a token without a usable user name or without a mapped group', () => {
    expect(() => identityFromClaims({ groups: ['auditors'] }, settings)).toThrow(/has no sub claim/);
    expect(() => identityFromClaims({ sub: 'Nils@Example.com', groups: ['auditors'] }, settings)).toThrow(
      /the sub claim "Nils@Example.com" is not a console user name/,
    );
    expect(() => identityFromClaims({ sub: 'nils', groups: ['staff'] }, settings)).toThrow(
      /nils has no group that grants a console role/,
    );
    expect(() => identityFromClaims({ sub: 'nils', groups: [42] }, settings)).toThrow(/no group/);
    expect(() => identityFromClaims({ sub: 'nils' }, settings)).toThrow(/no group/);
  });

  it('is off without an issuer, and with one requires the client, the callback and the mapping, naming each', () => {
    expect(oidcSettingsFrom(loadConfig(schema, {}))).toBeNull();
    const on = oidcSettingsFrom(loadConfig(schema, complete));
    expect(on).toMatchObject({
      clientId: 'fraudstream-console',
      clientSecret: null,
      scopes: 'openid profile',
    });
    expect(on?.issuer.href).toBe('https://idp.example.com/realms/fraud');
    const missing = () => loadConfig(schema, { CONSOLE_OIDC_ISSUER: complete.CONSOLE_OIDC_ISSUER });
    expect(missing).toThrow(/CONSOLE_OIDC_CLIENT_ID: is required when CONSOLE_OIDC_ISSUER is set/);
    expect(missing).toThrow(/CONSOLE_OIDC_REDIRECT_URL: is required when CONSOLE_OIDC_ISSUER is set/);
    expect(missing).toThrow(/CONSOLE_OIDC_ROLES: is required when CONSOLE_OIDC_ISSUER is set/);
    expect(() => loadConfig(schema, { CONSOLE_OIDC_CLIENT_ID: 'x' })).toThrow(
      /CONSOLE_OIDC_CLIENT_ID: is set but CONSOLE_OIDC_ISSUER is not/,
    );
  });

  it('refuses a plain-http issuer other than localhost, a callback elsewhere than /login/oidc/callback, and scopes without openid', () => {
    const bad = () =>
      loadConfig(schema, {
        ...complete,
        CONSOLE_OIDC_ISSUER: 'http://idp.example.com',
        CONSOLE_OIDC_REDIRECT_URL: 'https://console.example.com/callback',
      });
    expect(bad).toThrow(/CONSOLE_OIDC_ISSUER: must be an https URL \(plain http only to localhost\)/);
    expect(bad).toThrow(
      /CONSOLE_OIDC_REDIRECT_URL: must be the console's address followed by \/login\/oidc\/callback/,
    );
    const fields = () =>
      loadConfig(schema, {
        ...complete,
        CONSOLE_OIDC_SCOPES: 'profile groups',
        CONSOLE_OIDC_ROLES: 'x=root',
      });
    expect(fields).toThrow(/CONSOLE_OIDC_SCOPES: must include openid/);
    expect(fields).toThrow(/CONSOLE_OIDC_ROLES: entry 1 \(x\): roles must be some of/);
    expect(() => loadConfig(schema, { ...complete, CONSOLE_OIDC_ISSUER: 'not a url' })).toThrow(
      /CONSOLE_OIDC_ISSUER: "not a url" is not a URL/,
    );
    expect(() =>
      loadConfig(schema, {
        ...complete,
        CONSOLE_OIDC_ISSUER: 'http://127.0.0.1:8080',
        CONSOLE_OIDC_REDIRECT_URL: 'http://localhost:3005/login/oidc/callback',
      }),
    ).not.toThrow();
  });
});
