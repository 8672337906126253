import {
  ConsoleLogger,
  Logger,
  type DynamicModule,
  type INestApplication,
  type LogLevel,
  type Type,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { AppConfig } from '@fraudstream/config';
import { describeError } from '@fraudstream/contracts';

const LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'];

/**
 * Nest's console logger with every level on stderr: a command-line tool's stdout is its result (a
 * JSON document the caller parses), so its log goes beside it, as Unix tools do.
 */
class StderrConsoleLogger extends ConsoleLogger {
  protected override printMessages(
    messages: unknown[],
    context?: string,
    logLevel?: LogLevel,
    _writeStreamType?: 'stdout' | 'stderr',
    errorStack?: unknown,
  ): void {
    super.printMessages(messages, context, logLevel, 'stderr', errorStack);
  }
}

/**
 * The one structured logger: JSON lines (or text for a terminal), each class with its own context.
 * `stream: 'stderr'` writes every level to stderr (a command-line tool's); otherwise Nest's split
 * (errors on stderr, the rest on stdout).
 */
export function createAppLogger(
  appName: string,
  config: Pick<AppConfig, 'LOG_LEVEL' | 'LOG_FORMAT'>,
  options: { readonly stream?: 'stderr' } = {},
): ConsoleLogger {
  const upTo = LEVELS.indexOf(config.LOG_LEVEL);
  const LoggerClass = options.stream === 'stderr' ? StderrConsoleLogger : ConsoleLogger;
  return new LoggerClass(appName, {
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
 * Boots a NestJS app: structured logger, config logged once (secrets masked) before anything can
 * fail, SIGTERM/SIGINT run the modules' shutdown hooks (consumers stop fetching, finish their batch,
 * commit, disconnect) and exit, then HTTP (/health, /metrics) listens. Logs are written as they
 * happen, never buffered: a start-up that fails still leaves its configuration line and the failing
 * step in the log. A failure is logged and rethrown (main exits non-zero).
 */
export interface BootstrapOptions {
  /**
   * Size limit of JSON request bodies (e.g. '32kb'); when set, Nest's default parsers (JSON and
   * urlencoded, 100 KiB) are replaced by a JSON parser with this limit.
   */
  readonly jsonBodyLimit?: string;
}

export async function bootstrapApp(
  appName: string,
  rootModule: Type<unknown> | DynamicModule,
  config: AppConfig & Record<string, unknown>,
  shutdownTimeoutMs = 30_000,
  options: BootstrapOptions = {},
): Promise<INestApplication> {
  const logger = createAppLogger(appName, config);
  Logger.overrideLogger(logger);
  const log = new Logger(appName);
  log.log({ msg: 'configuration', config: redactConfig(config) });
  try {
    const app = await NestFactory.create<NestExpressApplication>(rootModule, {
      logger,
      abortOnError: false,
      bodyParser: options.jsonBodyLimit === undefined,
    });
    if (options.jsonBodyLimit !== undefined) app.useBodyParser('json', { limit: options.jsonBodyLimit });
    exitGracefullyOnSignals(app, log, shutdownTimeoutMs);
    await app.listen(config.HTTP_PORT, config.HTTP_HOST);
    log.log({ msg: 'listening', url: await app.getUrl() });
    return app;
  } catch (error) {
    log.fatal({ msg: 'start-up failed', error: describeError(error) });
    throw error;
  }
}

/**
 * For a component that cannot go on (a consumer whose run loop cannot be restarted): logs why and
 * exits non-zero, so the orchestrator restarts the process instead of leaving it alive and idle.
 */
export function terminateOnFatal(log: Logger, reason: string, error: unknown): void {
  log.fatal({ msg: 'fatal: exiting so the process is restarted', reason, error: describeError(error) });
  process.exitCode = 1;
  // Let the log line out before exiting; no shutdown hooks: the component is already broken.
  setTimeout(() => process.exit(1), 100).unref();
}

/**
 * SIGTERM/SIGINT close the app (every module's shutdown hooks: consumers stop fetching, finish their
 * batch and commit, producers flush and disconnect), then exit 0; exit 1 if closing fails or takes
 * longer than the timeout. Nest's own enableShutdownHooks re-raises the signal instead, which hides
 * from the orchestrator whether the shutdown was clean.
 */
function exitGracefullyOnSignals(app: INestApplication, log: Logger, timeoutMs: number): void {
  let closing = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (closing) return;
    closing = true;
    log.log({ msg: 'shutting down', signal });
    const timer = setTimeout(() => {
      log.error({ msg: 'shutdown timed out', timeoutMs });
      process.exit(1);
    }, timeoutMs);
    app.close().then(
      () => {
        clearTimeout(timer);
        log.log({ msg: 'shut down cleanly' });
        process.exit(0);
      },
      (error: unknown) => {
        log.error({ msg: 'shutdown failed', error: error instanceof Error ? error.message : String(error) });
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
}
