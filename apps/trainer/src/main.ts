import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { Logger } from '@nestjs/common';
import { bootstrapApp, createAppLogger } from '@fraudstream/observability';
import { JobExit, runOneShotJob } from './one-shot.job';
import { loadTrainerConfig } from './trainer.config';
import { TrainerModule } from './trainer.module';

/**
 * Runs base training and incremental fine-tuning jobs; registers and deploys models.
 * Without arguments: the worker (consumes retrain requests, watches shadows, rolls back).
 * With `--request-id ID`: one job for one request, then exit (Kubernetes Jobs).
 */
async function main(): Promise<number | null> {
  const { values } = parseArgs({ options: { 'request-id': { type: 'string' } } });
  const config = loadTrainerConfig();
  const requestId = values['request-id'];
  if (requestId) {
    Logger.overrideLogger(createAppLogger('trainer-job', config));
    return runOneShotJob(config, requestId);
  }
  await bootstrapApp('trainer', TrainerModule.forRoot(config), config);
  return null;
}

main().then(
  (code) => {
    if (code !== null) process.exit(code);
  },
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.exit(JobExit.ERROR);
  },
);
