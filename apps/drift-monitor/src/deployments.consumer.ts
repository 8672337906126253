import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { validateDeployment, type ModelDeployment } from '@fraudstream/contracts';
import { DriftMonitorService } from '@fraudstream/drift';
import { StreamConsumerFactory, type StreamConsumer } from '@fraudstream/kafka';
import { APP_CONFIG, type DriftMonitorConfig } from './drift-monitor.config';

/**
 * Replays ml.model-deployments.v1 from the beginning in a group of its own at every start: the
 * production model (the reference) and the answers to retrain requests come from it. Promotions
 * older than the one already applied are ignored by the detector, so the replay is idempotent.
 */
@Injectable()
export class DeploymentsConsumer {
  private readonly consumer: StreamConsumer<ModelDeployment>;

  constructor(
    factory: StreamConsumerFactory,
    @Inject(APP_CONFIG) config: DriftMonitorConfig,
    service: DriftMonitorService,
  ) {
    this.consumer = factory.create<ModelDeployment>({
      groupId: `${config.DRIFT_DEPLOYMENTS_GROUP_PREFIX}.${config.INSTANCE_ID}.${randomUUID().slice(0, 8)}`,
      topics: [config.DEPLOYMENTS_TOPIC],
      fromBeginning: true,
      ephemeralGroup: true,
      validate: validateDeployment,
      handle: async (messages) => {
        await service.handleDeployments(messages.map((m) => m.value));
      },
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

  /** Resolves true once every event on the topic at call time is applied, false after `timeoutMs`. */
  replayed(timeoutMs: number): Promise<boolean> {
    return this.consumer.caughtUp(timeoutMs);
  }
}
