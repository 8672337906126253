import { randomUUID } from 'node:crypto';
import type { Provider } from '@nestjs/common';
import {
  EventTimeGuard,
  validateDeployment,
  validateLabel,
  validateTransaction,
  type Label,
  type ModelDeployment,
  type Transaction,
} from '@fraudstream/contracts';
import { RedisFeatureStore, type FeaturePipeline } from '@fraudstream/features';
import { StreamConsumerFactory, type SharedPositions, type StreamConsumer } from '@fraudstream/kafka';
import { ModelManager, TransactionScorer, type FeatureExtractor } from '@fraudstream/model';
import { MetricsRegistry } from '@fraudstream/observability';
import { OutputRecordsPublisher } from './output-records.publisher';
import { RedisSharedPositions } from './replica-positions';
import { APP_CONFIG, type ScorerConfig } from './scorer.config';
import { scorerMetrics } from './scorer.metrics';
import { FEATURE_EXTRACTOR, FEATURE_PIPELINE } from './scorer.tokens';

/** The scorer's three consumers, declared as topic, validator and handler. */
export interface ScorerConsumers {
  /** Transactions in, scores and alerts out; the batch commits once its outputs are acknowledged. */
  readonly transactions: StreamConsumer<Transaction>;
  /**
   * Labels into the feature store's queues (terminal fraud-rate features); a batch commits once they
   * are queued, and the transactions' batches count them from their event time on.
   */
  readonly labels: StreamConsumer<Label>;
  /** The deployment history from the start, in a group of this process's own: every instance sees every deployment. */
  readonly deployments: StreamConsumer<ModelDeployment>;
}

export const SCORER_CONSUMERS = Symbol('ScorerConsumers');

export const scorerConsumersProvider: Provider = {
  provide: SCORER_CONSUMERS,
  inject: [
    StreamConsumerFactory,
    APP_CONFIG,
    TransactionScorer,
    OutputRecordsPublisher,
    FEATURE_EXTRACTOR,
    ModelManager,
    MetricsRegistry,
    FEATURE_PIPELINE,
  ],
  useFactory: (
    factory: StreamConsumerFactory,
    config: ScorerConfig,
    scorer: TransactionScorer,
    publisher: OutputRecordsPublisher,
    features: FeatureExtractor,
    models: ModelManager,
    registry: MetricsRegistry,
    pipeline: FeaturePipeline,
  ): ScorerConsumers => {
    const metrics = scorerMetrics(registry);
    const { SCORES_TOPIC, ALERTS_TOPIC } = config;
    // One record in the far future would move its card's and terminal's window buckets there for good.
    const transactionTimes = new EventTimeGuard({ maxAheadMs: config.SCORER_MAX_EVENT_TIME_AHEAD_MS });
    // Replicas sharing the terminal windows in Redis hold their partitions in step with one another.
    const { store } = pipeline;
    const shared: SharedPositions | undefined =
      config.SCORER_ALIGN_REPLICAS && store instanceof RedisFeatureStore
        ? new RedisSharedPositions(
            store.redis,
            `${store.prefix}:a:${config.SCORER_GROUP_ID}`,
            `${config.INSTANCE_ID}.${randomUUID().slice(0, 8)}`,
            config.SCORER_SESSION_TIMEOUT_MS,
          )
        : undefined;
    const labelTimes = new EventTimeGuard({ maxAheadMs: config.SCORER_MAX_EVENT_TIME_AHEAD_MS });
    return {
      transactions: factory.create<Transaction>({
        groupId: config.SCORER_GROUP_ID,
        topics: [config.TRANSACTIONS_TOPIC],
        fromBeginning: true,
        validate: (value, source) => {
          const tx = validateTransaction(value);
          transactionTimes.check(tx.event_time, source);
          return tx;
        },
        partitionsConsumedConcurrently: config.SCORER_PARTITIONS_CONCURRENTLY,
        ...(config.SCORER_MAX_EVENT_TIME_SKEW_MS >= 0
          ? {
              alignment: {
                eventTime: (tx: Transaction) => tx.event_time,
                maxSkewMs: config.SCORER_MAX_EVENT_TIME_SKEW_MS,
                ...(shared ? { shared } : {}),
              },
            }
          : {}),
        maxBytesPerPartition: config.SCORER_MAX_BYTES_PER_PARTITION,
        maxWaitTimeInMs: config.SCORER_FETCH_MAX_WAIT_MS,
        sessionTimeoutMs: config.SCORER_SESSION_TIMEOUT_MS,
        heartbeatIntervalMs: config.SCORER_HEARTBEAT_INTERVAL_MS,
        ...(config.SCORER_EXACTLY_ONCE
          ? {
              exactlyOnce: {
                transactionalIdPrefix: config.SCORER_GROUP_ID,
                handleWhileCommitting: config.SCORER_GROUP_COMMIT,
              },
            }
          : {}),
        handle: async (messages, context) => {
          // One partition per batch: its offsets tie the feature state to the committed offsets, and
          // the committed one tells it which batches' vectors it may forget.
          const first = messages[0];
          const committed = context.committedOffset;
          const result = await scorer.scoreBatch(
            messages.map((m) => m.value),
            first && {
              topic: first.topic,
              partition: first.partition,
              offsets: messages.map((m) => Number(m.offset)),
              ...(committed === undefined ? {} : { committedOffset: Number(committed) }),
            },
            // Aligned: the other partitions may move on while this batch is scored and sent.
            context.stateApplied,
          );
          const outputs = [
            { topic: SCORES_TOPIC, records: result.scores.map((s) => ({ key: s.card_id, value: s })) },
            { topic: ALERTS_TOPIC, records: result.alerts.map((a) => ({ key: a.card_id, value: a })) },
          ];
          return {
            rejected: result.rejected.flatMap((r) => {
              const message = messages[r.index];
              return message ? [{ message, reason: r.reason, ...(r.kind ? { kind: r.kind } : {}) }] : [];
            }),
            // Scored once; only the send is retried while the broker is away (the features are not updated
            // twice). Exactly-once, the records go to the partition's transaction (the sink); otherwise
            // through the shared producer, in requests shared with the partitions handled meanwhile.
            deliver: async (sink) => {
              if (config.SCORER_EXACTLY_ONCE) await publisher.publishTo(sink, outputs);
              else await publisher.publish(outputs);
              metrics.produced.inc({ topic: SCORES_TOPIC }, result.scores.length);
              if (result.alerts.length > 0)
                metrics.produced.inc({ topic: ALERTS_TOPIC }, result.alerts.length);
            },
          };
        },
      }),
      labels: factory.create<Label>({
        groupId: config.SCORER_LABELS_GROUP_ID,
        topics: [config.LABELS_TOPIC],
        fromBeginning: true,
        sessionTimeoutMs: config.SCORER_SESSION_TIMEOUT_MS,
        heartbeatIntervalMs: config.SCORER_HEARTBEAT_INTERVAL_MS,
        validate: (value, source) => {
          const label = validateLabel(value);
          labelTimes.check(label.event_time, source);
          return label;
        },
        handle: async (messages) => {
          await features.applyLabels(messages.map((m) => m.value));
        },
      }),
      deployments: factory.create<ModelDeployment>({
        groupId: `${config.SCORER_DEPLOYMENTS_GROUP_PREFIX}.${config.INSTANCE_ID}.${randomUUID().slice(0, 8)}`,
        topics: [config.DEPLOYMENTS_TOPIC],
        fromBeginning: true,
        ephemeralGroup: true,
        validate: validateDeployment,
        handle: async (messages) => {
          await models.applyDeployments(messages.map((m) => m.value));
        },
      }),
    };
  },
};
