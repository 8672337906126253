import { randomUUID } from 'node:crypto';
import type { Provider } from '@nestjs/common';
import { CaseBook, DriftTimeline } from '@fraudstream/console';
import {
  validateAlert,
  validateCaseRecord,
  validateDeployment,
  validateDriftEvent,
  validateLabel,
  validateRetrainRequest,
  validateScore,
  type Alert,
  type CaseRecord,
  type DriftEvent,
  type Label,
  type ModelDeployment,
  type RetrainRequest,
  type Score,
} from '@fraudstream/contracts';
import { StreamConsumerFactory, type StreamConsumer } from '@fraudstream/kafka';
import { APP_CONFIG, type ConsoleAppConfig } from './console.config';

/**
 * The console's three consumers, declared as topics, validator and handler. Each start reads its
 * topics from the beginning in groups of its own (deleted at a clean stop): the console keeps no
 * state of its own, it is rebuilt from the topics.
 */
export interface ConsoleConsumers {
  /** Alerts, case records and labels: what a verdict is checked against (read before verdicts are accepted). */
  readonly cases: StreamConsumer<Alert | CaseRecord | Label>;
  /** Scores: each card's recent scores and each terminal's transactions. */
  readonly scores: StreamConsumer<Score>;
  /** Drift events, retrain requests and deployments: the drift page. */
  readonly timeline: StreamConsumer<DriftEvent | RetrainRequest | ModelDeployment>;
}

export const CONSOLE_CONSUMERS = Symbol('ConsoleConsumers');

export const consoleConsumersProvider: Provider = {
  provide: CONSOLE_CONSUMERS,
  inject: [StreamConsumerFactory, APP_CONFIG, CaseBook, DriftTimeline],
  useFactory: (
    factory: StreamConsumerFactory,
    config: ConsoleAppConfig,
    book: CaseBook,
    timeline: DriftTimeline,
  ): ConsoleConsumers => {
    const start = `${config.INSTANCE_ID}.${randomUUID().slice(0, 8)}`;
    const group = (name: string) => `${config.CONSOLE_GROUP_PREFIX}-${name}.${start}`;
    const c = config;
    return {
      cases: factory.create<Alert | CaseRecord | Label>({
        groupId: group('cases'),
        topics: [c.ALERTS_TOPIC, c.CASES_TOPIC, c.LABELS_TOPIC],
        fromBeginning: true,
        ephemeralGroup: true,
        validate: (value, source) =>
          source.topic === c.ALERTS_TOPIC
            ? validateAlert(value)
            : source.topic === c.CASES_TOPIC
              ? validateCaseRecord(value)
              : validateLabel(value),
        handle: async (messages, context) => {
          const values = messages.map((m) => m.value);
          if (context.topic === c.ALERTS_TOPIC) book.applyAlerts(values as Alert[]);
          else if (context.topic === c.CASES_TOPIC) book.applyCases(values as CaseRecord[]);
          else book.applyLabels(values as Label[]);
        },
      }),
      scores: factory.create<Score>({
        groupId: group('scores'),
        topics: [c.SCORES_TOPIC],
        fromBeginning: c.CONSOLE_REPLAY_SCORES,
        ephemeralGroup: true,
        validate: validateScore,
        handle: async (messages) => book.applyScores(messages.map((m) => m.value)),
      }),
      timeline: factory.create<DriftEvent | RetrainRequest | ModelDeployment>({
        groupId: group('timeline'),
        topics: [c.DRIFT_EVENTS_TOPIC, c.RETRAIN_REQUESTS_TOPIC, c.DEPLOYMENTS_TOPIC],
        fromBeginning: true,
        ephemeralGroup: true,
        validate: (value, source) =>
          source.topic === c.DRIFT_EVENTS_TOPIC
            ? validateDriftEvent(value)
            : source.topic === c.RETRAIN_REQUESTS_TOPIC
              ? validateRetrainRequest(value)
              : validateDeployment(value),
        handle: async (messages, context) => {
          const values = messages.map((m) => m.value);
          if (context.topic === c.DRIFT_EVENTS_TOPIC) timeline.applyDriftEvents(values as DriftEvent[]);
          else if (context.topic === c.RETRAIN_REQUESTS_TOPIC)
            timeline.applyRetrainRequests(values as RetrainRequest[]);
          else timeline.applyDeployments(values as ModelDeployment[]);
        },
      }),
    };
  },
};
