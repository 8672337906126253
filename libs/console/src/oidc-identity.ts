import { CONSOLE_ROLES, USER_NAME, configEntries, type ConsoleRole } from './console-users';

/** Identity-provider group → the console roles it grants (CONSOLE_OIDC_ROLES). */
export type OidcRoleMap = ReadonlyMap<string, readonly ConsoleRole[]>;

/** Where a signed-in single-sign-on user's name and groups are read from in the ID token. */
export interface OidcClaimSettings {
  readonly usernameClaim: string;
  readonly groupsClaim: string;
  readonly roleMap: OidcRoleMap;
}

/** Who the ID token names: the console user name and the token's groups that the role mapping names. */
export interface OidcIdentity {
  readonly user: string;
  readonly groups: readonly string[];
}

/** A single-sign-on attempt refused; the message is meant for the person signing in (no token contents beyond the claim at fault). */
export class OidcSignInError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'OidcSignInError';
  }
}

/**
 * Parses CONSOLE_OIDC_ROLES: `group=role[|role...]` entries separated by commas or new lines (the
 * group is everything before the last `=`, so a path like `/fraud/analysts` works). Throws naming
 * every bad entry.
 */
export function parseOidcRoleMap(text: string): OidcRoleMap {
  const map = new Map<string, ConsoleRole[]>();
  const problems: string[] = [];
  const entries = configEntries(text);
  entries.forEach((entry, i) => {
    const at = entry.lastIndexOf('=');
    const group = at > 0 ? entry.slice(0, at).trim() : '';
    const roles =
      at > 0
        ? entry
            .slice(at + 1)
            .split('|')
            .map((r) => r.trim())
        : [];
    const where = `entry ${i + 1}${group ? ` (${group})` : ''}`;
    if (!group) problems.push(`${where}: expected group=role[|role]`);
    else if (map.has(group)) problems.push(`${where}: ${group} is listed twice`);
    const unknown = roles.filter((r) => !(CONSOLE_ROLES as readonly string[]).includes(r));
    if (roles.length === 0 || unknown.length > 0)
      problems.push(`${where}: roles must be some of ${CONSOLE_ROLES.join(', ')} separated by |`);
    if (group) map.set(group, roles as ConsoleRole[]);
  });
  if (entries.length === 0) problems.push('maps no group to a role');
  if (problems.length > 0) throw new Error(problems.join('; '));
  return map;
}

/** The roles the groups grant, in CONSOLE_ROLES order, each once. */
export function rolesOfGroups(groups: readonly string[], roleMap: OidcRoleMap): ConsoleRole[] {
  const granted = new Set(groups.flatMap((g) => roleMap.get(g) ?? []));
  return CONSOLE_ROLES.filter((r) => granted.has(r));
}

/**
 * The console user an ID token's (already verified) claims name: the user name from the configured
 * claim, which must fit the console's user-name pattern because it goes into labels and the audit
 * log, and the token's groups that the role mapping names (at least one). Throws OidcSignInError
 * otherwise: no session is made.
 */
export function identityFromClaims(
  claims: Record<string, unknown>,
  settings: OidcClaimSettings,
): OidcIdentity {
  const name = claims[settings.usernameClaim];
  if (typeof name !== 'string' || name.length === 0)
    throw new OidcSignInError(
      `the identity provider's token has no ${settings.usernameClaim} claim to name the user`,
    );
  if (!USER_NAME.test(name))
    throw new OidcSignInError(
      `the ${settings.usernameClaim} claim "${name.slice(0, 80)}" is not a console user name (${USER_NAME.source}); configure another claim in CONSOLE_OIDC_USERNAME_CLAIM`,
    );
  const raw = claims[settings.groupsClaim];
  const groups =
    typeof raw === 'string' ? [raw] : Array.isArray(raw) ? raw.filter((g) => typeof g === 'string') : [];
  const mapped = [...new Set(groups.filter((g) => settings.roleMap.has(g)))].sort();
  if (mapped.length === 0)
    throw new OidcSignInError(
      `${name} has no group that grants a console role (the ${settings.groupsClaim} claim names none of the groups in CONSOLE_OIDC_ROLES)`,
    );
  return { user: name, groups: mapped };
}
