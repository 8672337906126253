import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { validateDeployment, type ModelDeployment } from '@fraudstream/contracts';
import { AvroProducer, AvroSerde, KAFKA_CLIENT, StreamConsumer, type Kafka } from '@fraudstream/kafka';
import { ModelManager } from '@fraudstream/model';
import { MetricsRegistry } from '@fraudstream/observability';
import { APP_CONFIG, type ScorerConfig } from './scorer.config';

/**
 * Reads ml.model-deployments.v1 from the beginning in a group of its own (every instance must see
 * every deployment) and hands the events to the model manager.
 */
@Injectable()
export class DeploymentsConsumer {
  private readonly consumer: StreamConsumer<ModelDeployment>;
  private listener: () => void = () => undefined;

  constructor(
    @Inject(KAFKA_CLIENT) kafka: Kafka,
    @Inject(APP_CONFIG) config: ScorerConfig,
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
      ephemeralGroup: true,
      validate: validateDeployment,
      handle: async (messages) => {
        await this.models.applyDeployments(messages.map((m) => m.value));
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
  replayed(timeoutMs: number): Promise<boolean> {
    return this.consumer.caughtUp(timeoutMs);
  }
}
