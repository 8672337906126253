import { Inject, Injectable, Logger } from '@nestjs/common';
import { validateRetrainRequest, type RetrainRequest } from '@fraudstream/contracts';
import { StreamConsumerFactory, type StreamConsumer } from '@fraudstream/kafka';
import { MetricsRegistry } from '@fraudstream/observability';
import type { DeploymentLifecycle, FineTuneJob } from '@fraudstream/training';
import { JobProgress } from './job-progress';
import { APP_CONFIG, type TrainerConfig } from './trainer.config';
import { trainerMetrics, type TrainerMetrics } from './trainer.metrics';
import { DEPLOYMENT_LIFECYCLE, FINE_TUNE_JOB } from './trainer.tokens';

/**
 * The worker mode: one fine-tuning job per ml.retrain-requests.v1 record, in order, offsets
 * committed after the job's events are acknowledged. A redelivered request is skipped by the job's
 * request-id idempotency; a failed job is reported by the job itself (JOB_FAILED), not retried.
 */
@Injectable()
export class RetrainRequestsConsumer {
  private readonly logger = new Logger(RetrainRequestsConsumer.name);
  private readonly consumer: StreamConsumer<RetrainRequest>;
  private readonly metrics: TrainerMetrics;

  constructor(
    factory: StreamConsumerFactory,
    @Inject(APP_CONFIG) config: TrainerConfig,
    @Inject(FINE_TUNE_JOB) private readonly job: FineTuneJob,
    @Inject(DEPLOYMENT_LIFECYCLE) private readonly lifecycle: DeploymentLifecycle,
    metrics: MetricsRegistry,
    progress: JobProgress,
  ) {
    this.metrics = trainerMetrics(metrics);
    this.consumer = factory.create<RetrainRequest>({
      groupId: config.TRAINER_GROUP_ID,
      topics: [config.RETRAIN_REQUESTS_TOPIC],
      fromBeginning: true,
      sessionTimeoutMs: config.TRAINER_SESSION_TIMEOUT_MS,
      validate: validateRetrainRequest,
      handle: (messages, context) =>
        progress.during(
          () => context.heartbeat(),
          async () => {
            for (const message of messages) await this.runOne(message.value);
          },
        ),
    });
  }

  start(): Promise<void> {
    return this.consumer.start();
  }

  stop(): Promise<void> {
    return this.consumer.stop();
  }

  get healthy(): boolean {
    return this.consumer.healthy;
  }

  private async runOne(request: RetrainRequest): Promise<void> {
    const endTimer = this.metrics.jobDuration.startTimer();
    const outcome = await this.job.run(request);
    endTimer({ status: outcome.status });
    this.metrics.jobs.inc({ status: outcome.status });
    this.logger.log({
      msg: 'retrain request handled',
      requestId: request.request_id,
      status: outcome.status,
      modelVersion: outcome.version,
      reason: outcome.reason,
    });
    if (outcome.status === 'SHADOW') await this.lifecycle.refreshShadows();
  }
}
