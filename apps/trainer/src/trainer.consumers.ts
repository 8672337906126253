import { Logger, type Provider } from '@nestjs/common';
import {
  validateDeployment,
  validateRetrainRequest,
  validateScore,
  type ModelDeployment,
  type RetrainRequest,
  type Score,
} from '@fraudstream/contracts';
import { StreamConsumerFactory, type StreamConsumer } from '@fraudstream/kafka';
import { MetricsRegistry } from '@fraudstream/observability';
import type { DeploymentLifecycle, FineTuneJob, LifecycleDecision } from '@fraudstream/training';
import { JobProgress } from './job-progress';
import { APP_CONFIG, type TrainerConfig } from './trainer.config';
import { trainerMetrics } from './trainer.metrics';
import { DEPLOYMENT_LIFECYCLE, FINE_TUNE_JOB } from './trainer.tokens';

/** The trainer worker's consumers, declared as topic, validator and handler. */
export interface TrainerConsumers {
  /**
   * ml.retrain-requests.v1: one fine-tuning job per record, in order, offsets committed after the
   * job's events are acknowledged. A redelivered request is answered DUPLICATE by the job's
   * request-id idempotency; a failed job is reported by the job itself (JOB_FAILED), not retried.
   */
  readonly requests: StreamConsumer<RetrainRequest>;
  /** tx.scores.v1 from the newest offsets: shadow rows and the champion's alert rate, for the lifecycle. */
  readonly scores: StreamConsumer<Score>;
  /** ml.model-deployments.v1: scorers' LOAD_REFUSED reports (rollback) and SHADOW events of other processes. */
  readonly deployments: StreamConsumer<ModelDeployment>;
}

export const TRAINER_CONSUMERS = Symbol('TrainerConsumers');

const logger = new Logger('RetrainRequests');

export const trainerConsumersProvider: Provider = {
  provide: TRAINER_CONSUMERS,
  inject: [
    StreamConsumerFactory,
    APP_CONFIG,
    FINE_TUNE_JOB,
    DEPLOYMENT_LIFECYCLE,
    MetricsRegistry,
    JobProgress,
  ],
  useFactory: (
    factory: StreamConsumerFactory,
    config: TrainerConfig,
    job: FineTuneJob,
    lifecycle: DeploymentLifecycle,
    registry: MetricsRegistry,
    progress: JobProgress,
  ): TrainerConsumers => {
    const metrics = trainerMetrics(registry);
    const count = (decisions: readonly LifecycleDecision[]) => {
      for (const d of decisions) metrics.lifecycleDecisions.inc({ stage: d.stage });
    };
    const runOne = async (request: RetrainRequest): Promise<void> => {
      const endTimer = metrics.jobDuration.startTimer();
      const outcome = await job.run(request);
      endTimer({ status: outcome.status });
      metrics.jobs.inc({ status: outcome.status });
      logger.log({
        msg: 'retrain request handled',
        requestId: request.request_id,
        status: outcome.status,
        modelVersion: outcome.version,
        reason: outcome.reason,
      });
      if (outcome.status === 'SHADOW') await lifecycle.refreshShadows();
    };
    return {
      requests: factory.create<RetrainRequest>({
        groupId: config.TRAINER_GROUP_ID,
        topics: [config.RETRAIN_REQUESTS_TOPIC],
        fromBeginning: true,
        // A job runs inside the batch handler, heartbeating between epochs (JobProgress).
        sessionTimeoutMs: config.TRAINER_SESSION_TIMEOUT_MS,
        validate: validateRetrainRequest,
        handle: (messages, context) =>
          progress.during(
            () => context.heartbeat(),
            async () => {
              for (const message of messages) await runOne(message.value);
            },
          ),
      }),
      scores: factory.create<Score>({
        groupId: `${config.TRAINER_LIFECYCLE_GROUP_ID}.scores`,
        topics: [config.SCORES_TOPIC],
        validate: validateScore,
        handle: async (messages) => {
          count(await lifecycle.observeScores(messages.map((m) => m.value)));
        },
      }),
      deployments: factory.create<ModelDeployment>({
        groupId: `${config.TRAINER_LIFECYCLE_GROUP_ID}.deployments`,
        topics: [config.DEPLOYMENTS_TOPIC],
        validate: validateDeployment,
        handle: async (messages) => {
          count(await lifecycle.onDeploymentEvents(messages.map((m) => m.value)));
        },
      }),
    };
  },
};
