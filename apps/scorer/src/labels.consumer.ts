import { Inject, Injectable } from '@nestjs/common';
import { validateLabel, type Label } from '@fraudstream/contracts';
import { AvroProducer, AvroSerde, KAFKA_CLIENT, StreamConsumer, type Kafka } from '@fraudstream/kafka';
import type { FeatureExtractor } from '@fraudstream/model';
import { MetricsRegistry } from '@fraudstream/observability';
import { APP_CONFIG, type ScorerConfig } from './scorer.config';
import { FEATURE_EXTRACTOR } from './scorer.tokens';

/** Feeds fraud.labels.v1 to the feature pipeline (terminal fraud-rate features). */
@Injectable()
export class LabelsConsumer {
  private readonly consumer: StreamConsumer<Label>;

  constructor(
    @Inject(KAFKA_CLIENT) kafka: Kafka,
    @Inject(APP_CONFIG) config: ScorerConfig,
    @Inject(FEATURE_EXTRACTOR) features: FeatureExtractor,
    serde: AvroSerde,
    producer: AvroProducer,
    metrics: MetricsRegistry,
  ) {
    this.consumer = new StreamConsumer<Label>({
      kafka,
      producer: producer.producer,
      serde,
      metrics,
      groupId: config.SCORER_LABELS_GROUP_ID,
      topics: [config.LABELS_TOPIC],
      fromBeginning: true,
      validate: validateLabel,
      handle: async (messages) => {
        await features.applyLabels(messages.map((m) => m.value));
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
}
