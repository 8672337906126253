import { Logger } from '@nestjs/common';
import { findRetrainRequest, type FineTuneOutcome } from '@fraudstream/training';
import { connectKafka } from './cli/cli-support';
import type { TrainerConfig } from './trainer.config';
import { createTrainerServices } from './trainer.factory';

/** Exit status of a one-shot job (a Kubernetes Job's podFailurePolicy keys on it). */
export const JobExit = {
  /** The job reached a decision: challenger shadowed or rejected by the gate, or the request was already handled. */
  DONE: 0,
  /** Infrastructure trouble (broker, registry store): worth retrying. */
  ERROR: 1,
  /** Bad input (window too small, one class, NaNs, missing parent): retrying cannot help. */
  FAILED: 2,
  /** No retrain request with that id on the topic. */
  NOT_FOUND: 3,
} as const;

/** A request that failed before fails again when re-run (it was not re-run: the same input would fail). */
export function exitCodeOf(outcome: FineTuneOutcome): number {
  const failed =
    outcome.status === 'FAILED' || (outcome.status === 'DUPLICATE' && outcome.duplicateOf === 'FAILED');
  return failed ? JobExit.FAILED : JobExit.DONE;
}

/**
 * The Kubernetes Job mode: find the request on ml.retrain-requests.v1, run the fine-tuning job
 * once, print its outcome as one JSON line and exit with a status that says what happened. The
 * registry and the deployments topic are reconciled before and after, so a Job killed between its
 * registry write and its event is completed by its retry.
 */
export async function runOneShotJob(config: TrainerConfig, requestId: string): Promise<number> {
  const logger = new Logger('TrainerJob');
  const kafka = await connectKafka(config, 'trainer-job');
  try {
    const request = await findRetrainRequest(
      kafka.kafka,
      kafka.serde,
      requestId,
      config.RETRAIN_REQUESTS_TOPIC,
    );
    if (!request) {
      logger.error({ msg: 'retrain request not found', requestId, topic: config.RETRAIN_REQUESTS_TOPIC });
      return JobExit.NOT_FOUND;
    }
    const { job, announcer } = createTrainerServices(config, kafka.kafka, kafka.serde, kafka.producer);
    // A job killed between its registry write and its event leaves the event to the next reconciliation:
    // a re-run of the request answers DUPLICATE, so announce what the registry holds first.
    await announcer.reconcile();
    const outcome = await job.run(request);
    // And this run's own event, if the broker refused it.
    await announcer.reconcile();
    process.stdout.write(`${JSON.stringify(outcome)}\n`);
    return exitCodeOf(outcome);
  } finally {
    await kafka.close();
  }
}
