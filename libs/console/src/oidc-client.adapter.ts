import * as client from 'openid-client';
import { OidcSignInError } from './oidc-identity';
import { isLoopbackUrl, type OidcSettings } from './oidc.config';

/** The per-attempt secrets a sign-in keeps between sending the browser to the provider and its return. */
export interface OidcChecks {
  readonly state: string;
  readonly nonce: string;
  readonly codeVerifier: string;
}

/** The identity provider as ConsoleAuth uses it (the real one is OpenIdClientAdapter; unit tests fake it). */
export interface OidcClient {
  /** What the sign-in page calls the provider. */
  readonly name: string;
  /** The provider's authorization URL for a new attempt, and the checks to keep for its return. */
  begin(): Promise<{ url: URL; checks: OidcChecks }>;
  /**
   * Redeems the authorization response (the callback's query) with the attempt's checks and returns
   * the verified ID token's claims. Throws OidcSignInError when anything does not hold.
   */
  complete(callbackQuery: URLSearchParams, checks: OidcChecks): Promise<Record<string, unknown>>;
}

/** The issuer could not be discovered at start: the console does not start without its sign-in. */
export class OidcDiscoveryError extends Error {
  constructor(issuer: URL, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(
      `CONSOLE_OIDC_ISSUER: the discovery document of ${issuer.href} could not be read from ${new URL('.well-known/openid-configuration', issuer.href.endsWith('/') ? issuer : `${issuer.href}/`).href}: ${reason}`,
      { cause },
    );
    this.name = 'OidcDiscoveryError';
  }
}

/**
 * OpenID Connect through `openid-client` (v6): discovery at start, the authorization-code flow with
 * PKCE (S256), state and nonce. The library checks the authorization response's state (and `iss`
 * where the provider sends it), then the ID token: issuer, audience, expiry, issued-at, nonce, and,
 * because non-repudiation checks are on, its signature against the provider's published keys
 * (without them openid-client trusts an ID token that came over TLS from the token endpoint).
 */
export class OpenIdClientAdapter implements OidcClient {
  private constructor(
    private readonly config: client.Configuration,
    private readonly settings: OidcSettings,
  ) {}

  get name(): string {
    return this.settings.name;
  }

  /** Reads the provider's discovery document; throws OidcDiscoveryError naming the address. */
  static async discover(settings: OidcSettings): Promise<OpenIdClientAdapter> {
    const execute = [client.enableNonRepudiationChecks];
    // Plain HTTP is allowed by the configuration only to a loopback issuer (requireOidcSettings).
    if (settings.issuer.protocol === 'http:' && isLoopbackUrl(settings.issuer))
      execute.push(client.allowInsecureRequests);
    try {
      const config = await client.discovery(
        settings.issuer,
        settings.clientId,
        undefined,
        settings.clientSecret === null ? client.None() : client.ClientSecretBasic(settings.clientSecret),
        { execute, timeout: Math.ceil(settings.timeoutMs / 1000) },
      );
      return new OpenIdClientAdapter(config, settings);
    } catch (error) {
      throw new OidcDiscoveryError(settings.issuer, error);
    }
  }

  async begin(): Promise<{ url: URL; checks: OidcChecks }> {
    const checks: OidcChecks = {
      state: client.randomState(),
      nonce: client.randomNonce(),
      codeVerifier: client.randomPKCECodeVerifier(),
    };
    const url = client.buildAuthorizationUrl(this.config, {
      redirect_uri: this.settings.redirectUrl.href,
      scope: this.settings.scopes,
      response_type: 'code',
      code_challenge: await client.calculatePKCECodeChallenge(checks.codeVerifier),
      code_challenge_method: 'S256',
      state: checks.state,
      nonce: checks.nonce,
    });
    return { url, checks };
  }

  async complete(callbackQuery: URLSearchParams, checks: OidcChecks): Promise<Record<string, unknown>> {
    // The response is matched against the configured redirect URI, never the request's Host header.
    const current = new URL(this.settings.redirectUrl.href);
    current.search = callbackQuery.toString();
    let tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
    try {
      tokens = await client.authorizationCodeGrant(this.config, current, {
        pkceCodeVerifier: checks.codeVerifier,
        expectedState: checks.state,
        expectedNonce: checks.nonce,
        idTokenExpected: true,
      });
    } catch (error) {
      throw new OidcSignInError(`the identity provider's answer was refused: ${describe(error)}`, {
        cause: error,
      });
    }
    const claims = tokens.claims();
    if (!claims) throw new OidcSignInError('the identity provider returned no ID token');
    return { ...claims };
  }
}

/** The provider's error code, else the library's message with its causes ("invalid response encountered: unexpected state"). */
function describe(error: unknown): string {
  if (error instanceof client.AuthorizationResponseError || error instanceof client.ResponseBodyError)
    return `${error.error}${error.error_description ? ` (${error.error_description})` : ''}`;
  const messages: string[] = [];
  for (let e: unknown = error; e instanceof Error && messages.length < 4; e = e.cause)
    messages.push(e.message);
  return messages.length > 0 ? messages.join(': ') : String(error);
}
