import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  ValidationError,
  validateLabel,
  validateScore,
  type Label,
  type Score,
} from '@fraudstream/contracts';
import { DriftMonitorService, type InputOffset } from '@fraudstream/drift';
import {
  KAFKA_CLIENT,
  StreamConsumerFactory,
  type Kafka,
  type StreamConsumer,
  type TopicPartition,
} from '@fraudstream/kafka';
import { APP_CONFIG, type DriftMonitorConfig } from './drift-monitor.config';

/**
 * Consumes tx.scores.v1 and fraud.labels.v1 in one group and hands each batch to the drift
 * service, which publishes and checkpoints before the transport commits.
 */
@Injectable()
export class InputsConsumer {
  private readonly logger = new Logger(InputsConsumer.name);
  private readonly consumer: StreamConsumer<Score | Label>;

  constructor(
    @Inject(KAFKA_CLIENT) private readonly kafka: Kafka,
    @Inject(APP_CONFIG) private readonly config: DriftMonitorConfig,
    factory: StreamConsumerFactory,
    private readonly service: DriftMonitorService,
  ) {
    const scores = config.SCORES_TOPIC;
    this.consumer = factory.create<Score | Label>({
      groupId: config.DRIFT_GROUP_ID,
      topics: [scores, config.LABELS_TOPIC],
      fromBeginning: true,
      validate: (value) => {
        if (value && typeof value === 'object' && 'score' in value) return validateScore(value);
        if (value && typeof value === 'object' && 'is_fraud' in value) return validateLabel(value);
        throw new ValidationError('neither a score nor a label');
      },
      handle: async (messages, context) => {
        const records = messages.map((m) => ({
          topic: m.topic,
          partition: m.partition,
          offset: m.offset,
          value: m.value,
        }));
        const progress = { caughtUp: context.caughtUp };
        if (context.topic === scores)
          await service.handleScores(
            records as { topic: string; partition: number; offset: string; value: Score }[],
            progress,
          );
        else
          await service.handleLabels(
            records as { topic: string; partition: number; offset: string; value: Label }[],
            progress,
          );
      },
    });
  }

  /**
   * Rewinds the group to the checkpoint's offsets (the state reflects exactly the records before
   * them), then starts consuming. The group must have no live member, hence a single instance.
   */
  async start(offsets: readonly InputOffset[]): Promise<void> {
    const byTopic = new Map<string, { partition: number; offset: string }[]>();
    for (const { topic, partition, offset } of offsets) {
      if (topic !== this.config.SCORES_TOPIC && topic !== this.config.LABELS_TOPIC) continue;
      const list = byTopic.get(topic) ?? [];
      list.push({ partition, offset });
      byTopic.set(topic, list);
    }
    if (byTopic.size > 0) {
      const admin = this.kafka.admin();
      await admin.connect();
      try {
        for (const [topic, partitions] of byTopic) {
          await admin.setOffsets({ groupId: this.config.DRIFT_GROUP_ID, topic, partitions });
        }
      } finally {
        await admin.disconnect();
      }
      this.logger.log({ msg: 'group rewound to the checkpoint', groupId: this.config.DRIFT_GROUP_ID });
    }
    // Partitions with a backlog hold the watermarks until read to their end, so a catch-up decides
    // as an in-order run would, whichever partition kafkajs happens to read first.
    const backlog = await this.consumer.backlog();
    const isScores = (source: TopicPartition) => source.topic === this.config.SCORES_TOPIC;
    this.service.holdBacklog('scores', backlog.filter(isScores));
    this.service.holdBacklog(
      'labels',
      backlog.filter((s) => !isScores(s)),
    );
    if (backlog.length > 0) this.logger.log({ msg: 'catching up', partitionsBehind: backlog });
    await this.consumer.start();
  }

  stop(): Promise<void> {
    return this.consumer.stop();
  }

  get healthy(): boolean {
    return this.consumer.healthy;
  }
}
