import 'reflect-metadata';
import { bootstrapApp } from '@fraudstream/observability';
import { loadScorerConfig } from './scorer.config';
import { ScorerModule } from './scorer.module';

/** Consumes transactions, scores them with the serving ONNX model, publishes scores and alerts. */
async function main(): Promise<void> {
  const config = loadScorerConfig();
  await bootstrapApp('scorer', ScorerModule.forRoot(config), config);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
