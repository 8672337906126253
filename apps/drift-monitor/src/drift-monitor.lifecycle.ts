import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { DriftMonitorService, type InputOffset } from '@fraudstream/drift';
import { KAFKA_CLIENT, type Kafka } from '@fraudstream/kafka';
import { HealthRegistry } from '@fraudstream/observability';
import { APP_CONFIG, type DriftMonitorConfig } from './drift-monitor.config';
import { DRIFT_CONSUMERS, type DriftMonitorConsumers } from './drift-monitor.consumers';

/**
 * Start-up: restore the checkpoint, replay the deployments (so the reference is the current
 * production model), rewind the inputs group to the checkpoint's offsets, then consume scores and
 * labels. Shutdown: stop the inputs (the in-flight batch finishes and commits), write a final
 * checkpoint, stop the rest.
 */
@Injectable()
export class DriftMonitorLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(DriftMonitorLifecycle.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: DriftMonitorConfig,
    @Inject(KAFKA_CLIENT) private readonly kafka: Kafka,
    @Inject(DRIFT_CONSUMERS) private readonly consumers: DriftMonitorConsumers,
    private readonly service: DriftMonitorService,
    health: HealthRegistry,
  ) {
    health.register('inputs-consumer', () => ({ up: this.consumers.inputs.healthy }));
    health.register('deployments-consumer', () => ({ up: this.consumers.deployments.healthy }));
    health.register('reference', () => {
      const status = this.service.status();
      return { up: status.modelVersion !== null, details: { ...status, skipped: { ...status.skipped } } };
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    const offsets = await this.service.restore();
    await this.consumers.deployments.start();
    if (!(await this.consumers.deployments.caughtUp(this.config.DRIFT_DEPLOYMENTS_REPLAY_TIMEOUT_MS))) {
      this.logger.warn({ msg: 'deployment history not fully replayed in time' });
    }
    if (this.service.status().modelVersion === null) {
      this.logger.warn({ msg: 'no production model yet: scores are skipped until a PRODUCTION deployment' });
    }
    await this.startInputs(offsets);
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.consumers.inputs.stop();
    await this.service.checkpoint();
    await this.consumers.deployments.stop();
    this.logger.log({ msg: 'stopped with a final checkpoint' });
  }

  /**
   * Rewinds the inputs group to the checkpoint's offsets (the state reflects exactly the records
   * before them), then starts consuming. The group must have no live member, hence a single instance.
   */
  private async startInputs(offsets: readonly InputOffset[]): Promise<void> {
    const { SCORES_TOPIC, LABELS_TOPIC, DRIFT_GROUP_ID } = this.config;
    const byTopic = new Map<string, { partition: number; offset: string }[]>();
    for (const { topic, partition, offset } of offsets) {
      if (topic !== SCORES_TOPIC && topic !== LABELS_TOPIC) continue;
      const list = byTopic.get(topic) ?? [];
      list.push({ partition, offset });
      byTopic.set(topic, list);
    }
    if (byTopic.size > 0) {
      const admin = this.kafka.admin();
      await admin.connect();
      try {
        for (const [topic, partitions] of byTopic)
          await admin.setOffsets({ groupId: DRIFT_GROUP_ID, topic, partitions });
      } finally {
        await admin.disconnect();
      }
      this.logger.log({ msg: 'group rewound to the checkpoint', groupId: DRIFT_GROUP_ID });
    }
    // Partitions with a backlog hold the watermarks until read to their end, so a catch-up decides
    // as an in-order run would, whichever partition kafkajs happens to read first.
    const backlog = await this.consumers.inputs.backlog();
    this.service.holdBacklog(
      'scores',
      backlog.filter((p) => p.topic === SCORES_TOPIC),
    );
    this.service.holdBacklog(
      'labels',
      backlog.filter((p) => p.topic !== SCORES_TOPIC),
    );
    if (backlog.length > 0) this.logger.log({ msg: 'catching up', partitionsBehind: backlog });
    await this.consumers.inputs.start();
  }
}
