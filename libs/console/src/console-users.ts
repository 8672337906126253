import { isPasswordHash } from './password-hash';

/** analyst: the queue, cases and verdicts; model-owner: promote and roll back; viewer: read only. */
export const CONSOLE_ROLES = ['analyst', 'model-owner', 'viewer'] as const;
export type ConsoleRole = (typeof CONSOLE_ROLES)[number];

/** What a request may do; each mutating endpoint names the permission it needs. */
export type ConsolePermission = 'read' | 'work-cases' | 'operate-models';

const GRANTS: { readonly [P in ConsolePermission]: readonly ConsoleRole[] } = {
  read: ['analyst', 'model-owner', 'viewer'],
  'work-cases': ['analyst'],
  'operate-models': ['model-owner'],
};

/** Whether any of the roles grants the permission. */
export function rolesAllow(roles: readonly ConsoleRole[], permission: ConsolePermission): boolean {
  return roles.some((role) => GRANTS[permission].includes(role));
}

export interface ConsoleUser {
  readonly name: string;
  readonly roles: readonly ConsoleRole[];
  /** scrypt hash (hashPassword), never the password. */
  readonly passwordHash: string;
}

/** User names: they go into labels (`analyst`), case records and the audit log's actor. */
export const USER_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/** A list setting's entries: separated by commas or new lines, trimmed, empty ones dropped. */
export function configEntries(text: string): string[] {
  return text
    .split(/[,\n]/)
    .map((e) => e.trim())
    .filter((e) => e.length > 0);
}

/**
 * Parses CONSOLE_USERS: `name:role[|role...]:hash` entries separated by commas or new lines, the hash
 * from `npm run console:hash-password`. Throws naming every bad entry (never echoing a hash).
 */
export function parseConsoleUsers(text: string): ConsoleUser[] {
  const users: ConsoleUser[] = [];
  const problems: string[] = [];
  const entries = configEntries(text);
  entries.forEach((entry, i) => {
    const [name = '', roles = '', hash = '', ...rest] = entry.split(':');
    const where = `entry ${i + 1}${USER_NAME.test(name) ? ` (${name})` : ''}`;
    if (rest.length > 0) problems.push(`${where}: expected name:roles:hash`);
    else if (!USER_NAME.test(name)) problems.push(`${where}: the name must match ${USER_NAME.source}`);
    else if (users.some((u) => u.name === name)) problems.push(`${where}: ${name} is listed twice`);
    const parsed = roles.split('|').filter((r) => r.length > 0);
    const unknown = parsed.filter((r) => !(CONSOLE_ROLES as readonly string[]).includes(r));
    if (parsed.length === 0 || unknown.length > 0)
      problems.push(`${where}: roles must be some of ${CONSOLE_ROLES.join(', ')} separated by |`);
    if (!isPasswordHash(hash))
      problems.push(`${where}: the password must be a scrypt hash (npm run console:hash-password)`);
    users.push({ name, roles: parsed as ConsoleRole[], passwordHash: hash });
  });
  if (problems.length > 0) throw new Error(`CONSOLE_USERS: ${problems.join('; ')}`);
  return users;
}
