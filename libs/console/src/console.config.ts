import { HOUR_MS, MINUTE_MS, SECOND_MS } from '@fraudstream/contracts';
import { boolVar, intVar } from '@fraudstream/config';
import { z } from 'zod';
import type { CaseBookLimits } from './case-book';
import type { CaseDeskSettings } from './case-desk.service';
import { parseConsoleUsers, type ConsoleUser } from './console-users';
import { consoleOidcConfigFragment } from './oidc.config';

/** The console's settings (users, sessions, claims, bounds), a fragment of the app's env schema. */
export const consoleConfigFragment = z.object({
  /** `name:role[|role]:scrypt-hash` entries, comma or newline separated (docs/console.md). */
  CONSOLE_USERS: z
    .string({ message: 'is required: list the users (npm run console:hash-password makes a hash)' })
    .transform((text, ctx): ConsoleUser[] => {
      try {
        const users = parseConsoleUsers(text);
        if (users.length === 0) ctx.addIssue({ code: 'custom', message: 'lists no user' });
        return users;
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: error instanceof Error ? error.message : String(error) });
        return z.NEVER;
      }
    }),
  /** Signs session cookies; unset: a random one per start (sessions end with the process). */
  CONSOLE_SESSION_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  CONSOLE_SESSION_TTL_MS: intVar(8 * HOUR_MS, MINUTE_MS, 7 * 24 * HOUR_MS),
  /** Send the session cookie over HTTPS only (set it behind TLS). */
  CONSOLE_COOKIE_SECURE: boolVar(false),
  CONSOLE_CLAIM_TTL_MS: intVar(30 * MINUTE_MS, SECOND_MS, 24 * HOUR_MS),
  /** How long a request waits for Kafka's acknowledgement before answering "pending" (verdicts) or refusing. */
  CONSOLE_ACK_TIMEOUT_MS: intVar(10 * SECOND_MS, 100, 10 * MINUTE_MS),
  /** How long start-up waits for the alerts, cases and labels topics to be read before serving. */
  CONSOLE_REPLAY_TIMEOUT_MS: intVar(60 * SECOND_MS, 0, 60 * MINUTE_MS),
  CONSOLE_MAX_ALERTS: intVar(50_000, 100, 10_000_000),
  CONSOLE_CARD_HISTORY: intVar(20, 1, 1000),
  CONSOLE_MAX_CARDS: intVar(200_000, 100, 10_000_000),
  CONSOLE_TERMINAL_DAYS: intVar(28, 1, 365),
  /** Read the scores topic from its start (card histories and terminal rates survive a restart). */
  CONSOLE_REPLAY_SCORES: boolVar(true),
  /** Single sign-on (off unless CONSOLE_OIDC_ISSUER is set); the app's schema adds requireOidcSettings. */
  ...consoleOidcConfigFragment.shape,
});

export type ConsoleSettingsConfig = z.infer<typeof consoleConfigFragment>;

export function caseBookLimitsFrom(c: ConsoleSettingsConfig): CaseBookLimits {
  return {
    maxAlerts: c.CONSOLE_MAX_ALERTS,
    cardHistory: c.CONSOLE_CARD_HISTORY,
    maxCards: c.CONSOLE_MAX_CARDS,
    terminalDays: c.CONSOLE_TERMINAL_DAYS,
    maxTerminals: c.CONSOLE_MAX_CARDS,
  };
}

export function caseDeskSettingsFrom(c: ConsoleSettingsConfig): CaseDeskSettings {
  return { claimTtlMs: c.CONSOLE_CLAIM_TTL_MS, ackTimeoutMs: c.CONSOLE_ACK_TIMEOUT_MS };
}
