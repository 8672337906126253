import { SECOND_MS } from '@fraudstream/contracts';
import { intVar } from '@fraudstream/config';
import { z } from 'zod';
import { parseOidcRoleMap, type OidcRoleMap } from './oidc-identity';

/** The path of the console's single-sign-on callback: the redirect URI registered at the identity provider. */
export const OIDC_CALLBACK_PATH = '/login/oidc/callback';

const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Plain HTTP is accepted only to the machine itself (a provider started beside the console, tests). */
export function isLoopbackUrl(url: URL): boolean {
  return LOOPBACK_HOSTS.has(url.hostname) || /^127\.\d+\.\d+\.\d+$/.test(url.hostname);
}

function urlVar() {
  return z
    .string()
    .optional()
    .transform((text, ctx): URL | undefined => {
      if (text === undefined || text === '') return undefined;
      try {
        return new URL(text);
      } catch {
        ctx.addIssue({ code: 'custom', message: `"${text}" is not a URL` });
        return z.NEVER;
      }
    });
}

/**
 * Single sign-on (OpenID Connect, authorization-code flow with PKCE) beside the local users, a
 * fragment of the console's env schema: off unless CONSOLE_OIDC_ISSUER is set.
 */
export const consoleOidcConfigFragment = z.object({
  /** The identity provider's issuer; its discovery document is `<issuer>/.well-known/openid-configuration`. */
  CONSOLE_OIDC_ISSUER: urlVar(),
  CONSOLE_OIDC_CLIENT_ID: z.string().min(1).optional(),
  /** The client's secret (client_secret_basic); unset: a public client, PKCE alone. */
  CONSOLE_OIDC_CLIENT_SECRET: z.string().min(1).optional(),
  /** The console's own address plus /login/oidc/callback, exactly as registered at the provider. */
  CONSOLE_OIDC_REDIRECT_URL: urlVar(),
  CONSOLE_OIDC_SCOPES: z
    .string()
    .default('openid profile')
    .refine((s) => s.split(/\s+/).includes('openid'), 'must include openid'),
  /** The ID-token claim whose value becomes the console user name (labels, the audit log). */
  CONSOLE_OIDC_USERNAME_CLAIM: z.string().min(1).default('sub'),
  /** The ID-token claim listing the user's groups (a string or an array of strings). */
  CONSOLE_OIDC_GROUPS_CLAIM: z.string().min(1).default('groups'),
  /** `group=role[|role]` entries, comma or newline separated. */
  CONSOLE_OIDC_ROLES: z
    .string()
    .optional()
    .transform((text, ctx): OidcRoleMap | undefined => {
      if (text === undefined || text.trim() === '') return undefined;
      try {
        return parseOidcRoleMap(text);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: error instanceof Error ? error.message : String(error) });
        return z.NEVER;
      }
    }),
  /** What the sign-in page's button calls the provider. */
  CONSOLE_OIDC_NAME: z.string().min(1).max(60).default('single sign-on'),
  /** How long a request to the provider (discovery, token, keys) may take. */
  CONSOLE_OIDC_TIMEOUT_MS: intVar(10 * SECOND_MS, 100, 120 * SECOND_MS),
});

export type ConsoleOidcConfig = z.infer<typeof consoleOidcConfigFragment>;

/** The settings of a configured single sign-on, checked whole by requireOidcSettings. */
export interface OidcSettings {
  readonly issuer: URL;
  readonly clientId: string;
  readonly clientSecret: string | null;
  readonly redirectUrl: URL;
  readonly scopes: string;
  readonly usernameClaim: string;
  readonly groupsClaim: string;
  readonly roleMap: OidcRoleMap;
  readonly name: string;
  readonly timeoutMs: number;
}

/** Cross-field checks (a refinement of the app's schema): with an issuer, the client, callback and mapping are required. */
export function requireOidcSettings(config: ConsoleOidcConfig, ctx: z.RefinementCtx): void {
  const issuer = config.CONSOLE_OIDC_ISSUER;
  if (!issuer) {
    for (const field of [
      'CONSOLE_OIDC_CLIENT_ID',
      'CONSOLE_OIDC_REDIRECT_URL',
      'CONSOLE_OIDC_ROLES',
    ] as const)
      if (config[field] !== undefined)
        ctx.addIssue({ code: 'custom', path: [field], message: 'is set but CONSOLE_OIDC_ISSUER is not' });
    return;
  }
  if (issuer.protocol !== 'https:' && !(issuer.protocol === 'http:' && isLoopbackUrl(issuer)))
    ctx.addIssue({
      code: 'custom',
      path: ['CONSOLE_OIDC_ISSUER'],
      message: 'must be an https URL (plain http only to localhost)',
    });
  const required = { CONSOLE_OIDC_CLIENT_ID: '', CONSOLE_OIDC_REDIRECT_URL: '', CONSOLE_OIDC_ROLES: '' };
  for (const field of Object.keys(required) as (keyof typeof required)[])
    if (config[field] === undefined)
      ctx.addIssue({ code: 'custom', path: [field], message: 'is required when CONSOLE_OIDC_ISSUER is set' });
  const redirect = config.CONSOLE_OIDC_REDIRECT_URL;
  if (redirect && (redirect.pathname !== OIDC_CALLBACK_PATH || redirect.search || redirect.hash))
    ctx.addIssue({
      code: 'custom',
      path: ['CONSOLE_OIDC_REDIRECT_URL'],
      message: `must be the console's address followed by ${OIDC_CALLBACK_PATH} (got ${redirect.href})`,
    });
  if (
    redirect &&
    redirect.protocol !== 'https:' &&
    !(redirect.protocol === 'http:' && isLoopbackUrl(redirect))
  )
    ctx.addIssue({
      code: 'custom',
      path: ['CONSOLE_OIDC_REDIRECT_URL'],
      message: 'must be an https URL (plain http only to localhost)',
    });
}

/** The single-sign-on settings of a validated configuration, or null when it is off. */
export function oidcSettingsFrom(config: ConsoleOidcConfig): OidcSettings | null {
  const { CONSOLE_OIDC_ISSUER: issuer, CONSOLE_OIDC_CLIENT_ID: clientId } = config;
  const { CONSOLE_OIDC_REDIRECT_URL: redirectUrl, CONSOLE_OIDC_ROLES: roleMap } = config;
  if (!issuer) return null;
  if (!clientId || !redirectUrl || !roleMap)
    throw new Error(
      'CONSOLE_OIDC_ISSUER needs CONSOLE_OIDC_CLIENT_ID, CONSOLE_OIDC_REDIRECT_URL and CONSOLE_OIDC_ROLES',
    );
  return {
    issuer,
    clientId,
    clientSecret: config.CONSOLE_OIDC_CLIENT_SECRET ?? null,
    redirectUrl,
    scopes: config.CONSOLE_OIDC_SCOPES,
    usernameClaim: config.CONSOLE_OIDC_USERNAME_CLAIM,
    groupsClaim: config.CONSOLE_OIDC_GROUPS_CLAIM,
    roleMap,
    name: config.CONSOLE_OIDC_NAME,
    timeoutMs: config.CONSOLE_OIDC_TIMEOUT_MS,
  };
}
