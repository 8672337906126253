import { DAY_MS } from './time';

/** Every topic of the loop, in one place. Names carry a version suffix; a breaking change is a new topic. */
export const Topics = {
  transactions: 'tx.transactions.v1',
  scores: 'tx.scores.v1',
  alerts: 'fraud.alerts.v1',
  labels: 'fraud.labels.v1',
  cases: 'fraud.cases.v1',
  driftEvents: 'ml.drift-events.v1',
  retrainRequests: 'ml.retrain-requests.v1',
  modelDeployments: 'ml.model-deployments.v1',
} as const;

export type TopicKey = keyof typeof Topics;
export type TopicName = (typeof Topics)[TopicKey];

/** The dead-letter topic of a source topic. */
export function deadLetterTopic(topic: string): string {
  return `${topic}.dlq`;
}

/** The schema-registry subject of a topic's values (TopicNameStrategy). */
export function valueSubject(topic: string): string {
  return `${topic}-value`;
}

export interface TopicSpec {
  readonly name: string;
  readonly partitions: number;
  /** Broker-side retention in ms; -1 keeps everything. */
  readonly retentionMs: number;
  readonly cleanupPolicy: 'delete' | 'compact';
  /** Avro schema file in schemas/, or null for a topic of raw bytes (dead-letter topics). */
  readonly schemaFile: string | null;
}

/**
 * Partitions bound the scorer's parallelism (KEDA never scales replicas past them); retention is
 * broker (wall-clock) time and must cover the longest event-time replay the trainer does.
 */
const PRIMARY_SPECS: readonly TopicSpec[] = [
  {
    name: Topics.transactions,
    partitions: 6,
    retentionMs: 7 * DAY_MS,
    cleanupPolicy: 'delete',
    schemaFile: 'tx.transactions.v1.avsc',
  },
  {
    name: Topics.scores,
    partitions: 6,
    retentionMs: 90 * DAY_MS,
    cleanupPolicy: 'delete',
    schemaFile: 'tx.scores.v1.avsc',
  },
  {
    name: Topics.alerts,
    partitions: 3,
    retentionMs: 30 * DAY_MS,
    cleanupPolicy: 'delete',
    schemaFile: 'fraud.alerts.v1.avsc',
  },
  {
    name: Topics.labels,
    partitions: 3,
    retentionMs: 365 * DAY_MS,
    cleanupPolicy: 'delete',
    schemaFile: 'fraud.labels.v1.avsc',
  },
  // The console's case state, one record per alert: compaction keeps each case's latest state for good.
  {
    name: Topics.cases,
    partitions: 3,
    retentionMs: -1,
    cleanupPolicy: 'compact',
    schemaFile: 'fraud.cases.v1.avsc',
  },
  {
    name: Topics.driftEvents,
    partitions: 1,
    retentionMs: 365 * DAY_MS,
    cleanupPolicy: 'delete',
    schemaFile: 'ml.drift-events.v1.avsc',
  },
  {
    name: Topics.retrainRequests,
    partitions: 1,
    retentionMs: 365 * DAY_MS,
    cleanupPolicy: 'delete',
    schemaFile: 'ml.retrain-requests.v1.avsc',
  },
  // Every scorer replays deployments from the start to find its champion: keep the whole history.
  {
    name: Topics.modelDeployments,
    partitions: 1,
    retentionMs: -1,
    cleanupPolicy: 'delete',
    schemaFile: 'ml.model-deployments.v1.avsc',
  },
];

/** Topics consumed by an app get a dead-letter twin holding the original bytes. */
const DEAD_LETTER_SOURCES: readonly string[] = [
  Topics.transactions,
  Topics.scores,
  Topics.labels,
  Topics.alerts,
  Topics.cases,
  Topics.driftEvents,
  Topics.retrainRequests,
  Topics.modelDeployments,
];

/** All topics `npm run topics:create` makes: the eight of the loop and their dead-letter topics. */
export const TOPIC_SPECS: readonly TopicSpec[] = [
  ...PRIMARY_SPECS,
  ...DEAD_LETTER_SOURCES.map((name): TopicSpec => ({
    name: deadLetterTopic(name),
    partitions: 1,
    retentionMs: 30 * DAY_MS,
    cleanupPolicy: 'delete',
    schemaFile: null,
  })),
];
