import { Inject, Injectable } from '@nestjs/common';
import { validateTransaction, type Transaction } from '@fraudstream/contracts';
import { AvroProducer, AvroSerde, KAFKA_CLIENT, StreamConsumer, type Kafka } from '@fraudstream/kafka';
import { TransactionScorer } from '@fraudstream/model';
import { MetricsRegistry } from '@fraudstream/observability';
import { APP_CONFIG, type ScorerConfig } from './scorer.config';
import { OutputRecordsPublisher } from './output-records.publisher';
import { scorerMetrics, type ScorerMetrics } from './scorer.metrics';

/**
 * Transactions in, scores and alerts out: each fetched batch is scored by the TransactionScorer and
 * its records sent in one produce request; the transport commits the batch once they are acknowledged.
 */
@Injectable()
export class TransactionsConsumer {
  private readonly consumer: StreamConsumer<Transaction>;
  private readonly metrics: ScorerMetrics;

  constructor(
    @Inject(KAFKA_CLIENT) kafka: Kafka,
    @Inject(APP_CONFIG) private readonly config: ScorerConfig,
    serde: AvroSerde,
    producer: AvroProducer,
    private readonly publisher: OutputRecordsPublisher,
    registry: MetricsRegistry,
    private readonly scorer: TransactionScorer,
  ) {
    this.metrics = scorerMetrics(registry);
    this.consumer = new StreamConsumer<Transaction>({
      kafka,
      producer: producer.producer,
      serde,
      metrics: registry,
      groupId: config.SCORER_GROUP_ID,
      topics: [config.TRANSACTIONS_TOPIC],
      fromBeginning: true,
      validate: validateTransaction,
      partitionsConsumedConcurrently: config.SCORER_PARTITIONS_CONCURRENTLY,
      maxBytesPerPartition: config.SCORER_MAX_BYTES_PER_PARTITION,
      maxWaitTimeInMs: config.SCORER_FETCH_MAX_WAIT_MS,
      handle: async (messages) => {
        const result = await this.scorer.scoreBatch(messages.map((m) => m.value));
        const { SCORES_TOPIC, ALERTS_TOPIC } = this.config;
        await this.publisher.publish([
          { topic: SCORES_TOPIC, records: result.scores.map((s) => ({ key: s.card_id, value: s })) },
          { topic: ALERTS_TOPIC, records: result.alerts.map((a) => ({ key: a.card_id, value: a })) },
        ]);
        this.metrics.produced.inc({ topic: SCORES_TOPIC }, result.scores.length);
        if (result.alerts.length > 0)
          this.metrics.produced.inc({ topic: ALERTS_TOPIC }, result.alerts.length);
        return {
          rejected: result.rejected.flatMap((r) => {
            const message = messages[r.index];
            return message ? [{ message, reason: r.reason }] : [];
          }),
        };
      },
    });
  }

  async start(): Promise<void> {
    await this.consumer.start();
  }

  stop(): Promise<void> {
    return this.consumer.stop();
  }

  get healthy(): boolean {
    return this.consumer.healthy;
  }
}
