import { randomUUID } from 'node:crypto';
import type { Provider } from '@nestjs/common';
import {
  EventTimeGuard,
  validateDeployment,
  validateLabel,
  validateScore,
  type Label,
  type ModelDeployment,
  type Score,
} from '@fraudstream/contracts';
import { DriftMonitorService, type PositionedRecord } from '@fraudstream/drift';
import { StreamConsumerFactory, type StreamConsumer } from '@fraudstream/kafka';
import { APP_CONFIG, type DriftMonitorConfig } from './drift-monitor.config';

/** The drift monitor's two consumers, declared as topics, validator and handler. */
export interface DriftMonitorConsumers {
  /**
   * tx.scores.v1 and fraud.labels.v1 in one group: each batch goes to the drift service, which
   * publishes and checkpoints before the transport commits. One instance (the state is one process's).
   */
  readonly inputs: StreamConsumer<Score | Label>;
  /**
   * ml.model-deployments.v1 from the beginning in a group of this start's own: the production model
   * (the reference) and the answers to retrain requests. Promotions older than the one applied are
   * ignored by the detector, so the replay is idempotent.
   */
  readonly deployments: StreamConsumer<ModelDeployment>;
}

export const DRIFT_CONSUMERS = Symbol('DriftMonitorConsumers');

export const driftConsumersProvider: Provider = {
  provide: DRIFT_CONSUMERS,
  inject: [StreamConsumerFactory, APP_CONFIG, DriftMonitorService],
  useFactory: (
    factory: StreamConsumerFactory,
    config: DriftMonitorConfig,
    service: DriftMonitorService,
  ): DriftMonitorConsumers => {
    const scores = config.SCORES_TOPIC;
    // One score or label in the far future would move the clock's watermarks there for good: every
    // window would then pass without waiting for its labels, and the checkpoint would keep it.
    const eventTimes = new EventTimeGuard({ maxAheadMs: config.DRIFT_MAX_EVENT_TIME_AHEAD_MS });
    return {
      inputs: factory.create<Score | Label>({
        groupId: config.DRIFT_GROUP_ID,
        topics: [scores, config.LABELS_TOPIC],
        fromBeginning: true,
        validate: (value, source) => {
          const record = source.topic === scores ? validateScore(value) : validateLabel(value);
          eventTimes.check(record.event_time, source);
          return record;
        },
        handle: async (messages, context) => {
          const progress = { caughtUp: context.caughtUp };
          const records = messages.map((m) => ({
            topic: m.topic,
            partition: m.partition,
            offset: m.offset,
            value: m.value,
          }));
          if (context.topic === scores)
            await service.handleScores(records as PositionedRecord<Score>[], progress);
          else await service.handleLabels(records as PositionedRecord<Label>[], progress);
        },
      }),
      deployments: factory.create<ModelDeployment>({
        groupId: `${config.DRIFT_DEPLOYMENTS_GROUP_PREFIX}.${config.INSTANCE_ID}.${randomUUID().slice(0, 8)}`,
        topics: [config.DEPLOYMENTS_TOPIC],
        fromBeginning: true,
        ephemeralGroup: true,
        validate: validateDeployment,
        handle: async (messages) => {
          await service.handleDeployments(messages.map((m) => m.value));
        },
      }),
    };
  },
};
