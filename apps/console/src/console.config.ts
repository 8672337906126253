import { appConfigFragment, intVar, loadConfig, type AppConfig, type Env } from '@fraudstream/config';
import { consoleConfigFragment, requireOidcSettings } from '@fraudstream/console';
import { Topics } from '@fraudstream/contracts';
import { checkKafkaSecurity, kafkaConfigFragment } from '@fraudstream/kafka';
import { registryConfigFragment, requireS3Settings } from '@fraudstream/registry';
import { z } from 'zod';

/** Environment of the console app: composed of the lib fragments it uses, and its topics. */
export const consoleAppConfigSchema = z
  .object({
    ...appConfigFragment.shape,
    ...kafkaConfigFragment.shape,
    /** The registry the models page reads and promotes in (the trainer's, same settings). */
    ...registryConfigFragment.shape,
    ...consoleConfigFragment.shape,
    HTTP_PORT: intVar(3005, 0, 65535),
    ALERTS_TOPIC: z.string().min(1).default(Topics.alerts),
    CASES_TOPIC: z.string().min(1).default(Topics.cases),
    LABELS_TOPIC: z.string().min(1).default(Topics.labels),
    SCORES_TOPIC: z.string().min(1).default(Topics.scores),
    DRIFT_EVENTS_TOPIC: z.string().min(1).default(Topics.driftEvents),
    RETRAIN_REQUESTS_TOPIC: z.string().min(1).default(Topics.retrainRequests),
    DEPLOYMENTS_TOPIC: z.string().min(1).default(Topics.modelDeployments),
    /** Prefix of the per-start consumer groups (each start reads its topics from the beginning). */
    CONSOLE_GROUP_PREFIX: z.string().min(1).default('console'),
  })
  .superRefine((config, ctx) => {
    checkKafkaSecurity(config, ctx);
    requireS3Settings(config, ctx);
    requireOidcSettings(config, ctx);
  });

export type ConsoleAppConfig = z.infer<typeof consoleAppConfigSchema>;

export const APP_CONFIG = Symbol('ConsoleAppConfig');

/** Largest JSON body the console parses: its requests are small (a comment is at most 2,000 characters). */
export const CONSOLE_JSON_BODY_LIMIT = '32kb';

export function loadConsoleConfig(env?: Env): ConsoleAppConfig {
  return loadConfig(consoleAppConfigSchema, env);
}

/** The configuration as logged at start: user names and roles, never their password hashes (the client secret is masked as every *SECRET* is). */
export function loggableConfig(config: ConsoleAppConfig): AppConfig & Record<string, unknown> {
  return {
    ...config,
    CONSOLE_USERS: config.CONSOLE_USERS.map((u) => ({ ...u, passwordHash: '***' })),
    CONSOLE_OIDC_ISSUER: config.CONSOLE_OIDC_ISSUER?.href,
    CONSOLE_OIDC_REDIRECT_URL: config.CONSOLE_OIDC_REDIRECT_URL?.href,
    CONSOLE_OIDC_ROLES: config.CONSOLE_OIDC_ROLES && Object.fromEntries(config.CONSOLE_OIDC_ROLES),
  };
}
