import {
  ConsoleLogger,
  Logger,
  type DynamicModule,
  type INestApplication,
  type LogLevel,
  type Type,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { AppConfig } from '@fraudstream/config';

const LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'];

/** The one structured logger: JSON lines (or text for a terminal), each class with its own context. */
export function createAppLogger(
  appName: string,
  config: Pick<AppConfig, 'LOG_LEVEL' | 'LOG_FORMAT'>,
): ConsoleLogger {
  const upTo = LEVELS.indexOf(config.LOG_LEVEL);
  return new ConsoleLogger(appName, {
    json: config.LOG_FORMAT === 'json',
    logLevels: LEVELS.slice(0, upTo + 1),
    colors: config.LOG_FORMAT === 'text',
  });
}

const SECRET = /PASSWORD|SECRET|TOKEN|KEY/i;

/** The config with secrets masked, for the start-up log line. */
export function redactConfig(config: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(config).map(([k, v]) => [k, SECRET.test(k) && v ? '***' : v]));
}

/**
 * Boots a NestJS app: structured logger, config logged once (secrets masked), SIGTERM/SIGINT run the
 * modules' shutdown hooks (consumers stop fetching, finish their batch, commit, disconnect), then
 * HTTP (/health, /metrics) listens.
 */
export async function bootstrapApp(
  appName: string,
  rootModule: Type<unknown> | DynamicModule,
  config: AppConfig & Record<string, unknown>,
): Promise<INestApplication> {
  const logger = createAppLogger(appName, config);
  const app = await NestFactory.create(rootModule, { logger, bufferLogs: true });
  app.enableShutdownHooks();
  new Logger(appName).log({ msg: 'configuration', config: redactConfig(config) });
  await app.listen(config.HTTP_PORT, config.HTTP_HOST);
  new Logger(appName).log({ msg: 'listening', url: await app.getUrl() });
  return app;
}
