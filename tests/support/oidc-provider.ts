/*
 * A real OpenID provider (oidc-provider) in the test process, with the console registered as a
 * confidential client and test accounts with groups, and a client that signs in through it the way
 * a browser does: redirects followed, cookies kept, the provider's own login and consent forms
 * submitted.
 */
import { generateKeyPairSync } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider, { type Configuration } from 'oidc-provider';

/** The provider's accounts: account id (the `sub` claim) → groups. */
export const OIDC_TEST_ACCOUNTS: Readonly<Record<string, readonly string[]>> = {
  oana: ['fraud-analysts', 'staff'],
  vera: ['auditors'],
  nils: ['staff'],
  // A local user of the console too (CONSOLE_TEST_USERS): refused, labels could not tell them apart.
  alice: ['fraud-analysts'],
};

/** CONSOLE_OIDC_ROLES for the test provider's groups. */
export const OIDC_TEST_ROLES = 'fraud-analysts=analyst,auditors=viewer,model-owners=model-owner';

export const OIDC_TEST_CLIENT = {
  id: 'fraudstream-console',
  secret: 'a-client-secret-known-to-the-provider-and-the-console',
} as const;

export interface TestOidcProvider {
  readonly issuer: string;
  /** The console's environment for this provider (its callback at `consoleUrl`). */
  consoleEnv(): Record<string, string>;
  close(): Promise<void>;
}

/** A free TCP port on the loopback interface (the console's, known before it starts: it is the redirect URI). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
  );
}

/** Starts the provider on a free port; the console's callback is `<consoleUrl>/login/oidc/callback`. */
export async function startTestOidcProvider(consoleUrl: string): Promise<TestOidcProvider> {
  const server = createServer();
  // Another site than the console's 127.0.0.1 (ports do not make sites), as an identity provider is:
  // the browser then treats the return from the provider as a cross-site navigation.
  const issuer = `http://localhost:${await listen(server)}`;
  const signingKey = {
    ...generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' }),
    kid: 'test-signing-key',
    alg: 'RS256',
    use: 'sig',
  };
  const redirectUri = `${consoleUrl}/login/oidc/callback`;
  const configuration: Configuration = {
    clients: [
      {
        client_id: OIDC_TEST_CLIENT.id,
        client_secret: OIDC_TEST_CLIENT.secret,
        redirect_uris: [redirectUri],
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    jwks: { keys: [signingKey] },
    scopes: ['openid', 'profile', 'groups'],
    claims: { openid: ['sub'], groups: ['groups'] },
    // The groups go into the ID token, as identity providers configured for group claims do.
    conformIdTokenClaims: false,
    pkce: { required: () => true },
    features: { devInteractions: { enabled: true } },
    findAccount: (_ctx, id) => {
      const groups = OIDC_TEST_ACCOUNTS[id];
      if (!groups) return undefined;
      return { accountId: id, claims: () => ({ sub: id, groups: [...groups] }) };
    },
    cookies: { keys: ['test-provider-cookie-key'] },
  };
  const provider = new Provider(issuer, configuration);
  const handle = provider.callback();
  server.on('request', (request, response) => {
    void handle(request, response);
  });
  return {
    issuer,
    consoleEnv: () => ({
      CONSOLE_OIDC_ISSUER: issuer,
      CONSOLE_OIDC_CLIENT_ID: OIDC_TEST_CLIENT.id,
      CONSOLE_OIDC_CLIENT_SECRET: OIDC_TEST_CLIENT.secret,
      CONSOLE_OIDC_REDIRECT_URL: redirectUri,
      CONSOLE_OIDC_SCOPES: 'openid groups',
      CONSOLE_OIDC_ROLES: OIDC_TEST_ROLES,
      CONSOLE_OIDC_NAME: 'Test IdP',
    }),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/** Cookies by name, as a browser would send them back (hosts and paths are all 127.0.0.1 here). */
export class CookieJar {
  private readonly cookies = new Map<string, string>();

  header(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  get(name: string): string | undefined {
    return this.cookies.get(name);
  }

  take(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';');
      const at = pair.indexOf('=');
      const name = pair.slice(0, at).trim();
      const value = pair.slice(at + 1).trim();
      const expired = attributes.some((a) => {
        const [key = '', v = ''] = a.trim().split('=');
        return (
          (key.toLowerCase() === 'max-age' && Number(v) <= 0) ||
          (key.toLowerCase() === 'expires' && Date.parse(v) <= Date.now())
        );
      });
      if (expired || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
}

/** The one form of a provider page: where it posts and its fields (hidden ones filled in). */
function parseForm(page: string): { action: string; fields: Map<string, string> } | null {
  const form = /<form[^>]*action="([^"]*)"[^>]*method="post"[^>]*>([\s\S]*?)<\/form>/i.exec(page);
  if (!form) return null;
  const fields = new Map<string, string>();
  for (const input of (form[2] ?? '').matchAll(/<input([^>]*)>/gi)) {
    const name = /name="([^"]*)"/.exec(input[1] ?? '')?.[1];
    const value = /value="([^"]*)"/.exec(input[1] ?? '')?.[1] ?? '';
    if (name) fields.set(name, value);
  }
  return { action: (form[1] ?? '').replace(/&amp;/g, '&'), fields };
}

/**
 * Starts single sign-on at the console and goes through the provider as `login` (its login form,
 * then its consent form), stopping at the provider's redirect back to the console: the callback URL
 * (not yet requested, so a test can tamper with it) and the jar with the console's flow cookie.
 */
export async function authorizeAtProvider(
  consoleUrl: string,
  login: string,
  jar = new CookieJar(),
): Promise<{ callback: URL; jar: CookieJar }> {
  let url = new URL(`${consoleUrl}/login/oidc?next=${encodeURIComponent('/models')}`);
  let init: RequestInit = {};
  for (let step = 0; step < 20; step++) {
    const response = await fetch(url, {
      ...init,
      redirect: 'manual',
      headers: { ...(init.headers as Record<string, string>), Cookie: jar.header() },
    });
    jar.take(response);
    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location) {
      const next = new URL(location, url);
      if (next.href.startsWith(`${consoleUrl}/login/oidc/callback`)) return { callback: next, jar };
      url = next;
      init = {};
      continue;
    }
    const page = await response.text();
    const form = response.status === 200 ? parseForm(page) : null;
    if (!form)
      throw new Error(`the provider answered ${response.status} at ${url.pathname}: ${page.slice(0, 300)}`);
    if (form.fields.has('login')) form.fields.set('login', login);
    if (form.fields.has('password'))
      form.fields.set('password', 'any password: the dev login form takes any');
    url = new URL(form.action, url);
    init = {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams([...form.fields]).toString(),
    };
  }
  throw new Error('the provider did not send the browser back to the console in 20 steps');
}

/** Requests the console's callback as the browser returning from the provider would. */
export async function completeAtConsole(
  callback: URL,
  jar: CookieJar,
): Promise<{ status: number; page: string; session: string | undefined }> {
  const response = await fetch(callback, { redirect: 'manual', headers: { Cookie: jar.header() } });
  jar.take(response);
  return { status: response.status, page: await response.text(), session: jar.get('fraudstream_session') };
}
