import 'reflect-metadata';
import { bootstrapApp } from '@fraudstream/observability';
import { loadTrainerConfig } from './trainer.config';
import { TrainerModule } from './trainer.module';

/** Runs base training and incremental fine-tuning jobs; registers and deploys models. */
async function main(): Promise<void> {
  const config = loadTrainerConfig();
  await bootstrapApp('trainer', TrainerModule.forRoot(config), config);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
