import 'reflect-metadata';
import { bootstrapApp } from '@fraudstream/observability';
import { loadConsoleConfig, loggableConfig } from './console.config';
import { ConsoleModule } from './console.module';

/** The fraud team's web console and JSON API over the loop's topics and model registry. */
async function main(): Promise<void> {
  const config = loadConsoleConfig();
  // Bodies are small JSON requests (a verdict's comment is at most 2,000 characters).
  await bootstrapApp('console', ConsoleModule.forRoot(config), loggableConfig(config), 30_000, {
    jsonBodyLimit: '32kb',
  });
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
