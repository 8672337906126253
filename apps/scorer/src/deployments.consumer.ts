import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { ModelDeployment } from '@fraudstream/contracts';
import { AvroProducer, AvroSerde, KAFKA_CLIENT, StreamConsumer, type Kafka } from '@fraudstream/kafka';
import { ModelManager, validateDeployment } from '@fraudstream/model';
import { MetricsRegistry } from '@fraudstream/observability';
import { APP_CONFIG, type ScorerConfig } from './scorer.config';

/**
 * Reads ml.model-deployments.v1 from the beginning in a group of its own (every instance must see
 * every deployment) and hands the events to the model manager.
 */
@Injectable()
export class DeploymentsConsumer {
  private readonly consumer: StreamConsumer<ModelDeployment>;
  /** Next offset to process, per partition. */
  private readonly position = new Map<number, bigint>();
  private listener: () => void = () => undefined;

  constructor(
    @Inject(KAFKA_CLIENT) private readonly kafka: Kafka,
    @Inject(APP_CONFIG) private readonly config: ScorerConfig,
    serde: AvroSerde,
    producer: AvroProducer,
    metrics: MetricsRegistry,
    private readonly models: ModelManager,
  ) {
    this.consumer = new StreamConsumer<ModelDeployment>({
      kafka,
      producer: producer.producer,
      serde,
      metrics,
      groupId: `${config.SCORER_DEPLOYMENTS_GROUP_PREFIX}.${config.INSTANCE_ID}.${randomUUID().slice(0, 8)}`,
      topics: [config.DEPLOYMENTS_TOPIC],
      fromBeginning: true,
      validate: validateDeployment,
      handle: async (messages) => {
        await this.models.applyDeployments(messages.map((m) => m.value));
        for (const m of messages) this.position.set(m.partition, BigInt(m.offset) + 1n);
        this.listener();
      },
    });
  }

  /** Called after every applied batch of events. */
  onApplied(listener: () => void): void {
    this.listener = listener;
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

  /**
   * Resolves once every event that was on the topic when called has been applied (true), or after
   * `timeoutMs` (false): start-up serves the current champion rather than the first one.
   */
  async replayed(timeoutMs: number): Promise<boolean> {
    const admin = this.kafka.admin();
    await admin.connect();
    let ends: { partition: number; high: string }[];
    try {
      ends = await admin.fetchTopicOffsets(this.config.DEPLOYMENTS_TOPIC);
    } finally {
      await admin.disconnect();
    }
    const deadline = Date.now() + timeoutMs;
    const done = (): boolean => ends.every((e) => (this.position.get(e.partition) ?? 0n) >= BigInt(e.high));
    while (!done()) {
      if (Date.now() > deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    return true;
  }
}
