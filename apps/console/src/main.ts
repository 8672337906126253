import 'reflect-metadata';
import { bootstrapApp } from '@fraudstream/observability';
import { CONSOLE_JSON_BODY_LIMIT, loadConsoleConfig, loggableConfig } from './console.config';
import { ConsoleModule } from './console.module';

/** The fraud team's web console and JSON API over the loop's topics and model registry. */
async function main(): Promise<void> {
  const config = loadConsoleConfig();
  await bootstrapApp('console', ConsoleModule.forRoot(config), loggableConfig(config), 30_000, {
    jsonBodyLimit: CONSOLE_JSON_BODY_LIMIT,
  });
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
