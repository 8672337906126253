/*
 * Helpers of the scorer's integration tests: a scorer app in-process on test topics, readers of its
 * output topics, and deployment events for model fixtures.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NestFactory } from '@nestjs/core';
import type { INestApplicationContext } from '@nestjs/common';
import type { ModelDeployment, Transaction } from '@fraudstream/contracts';
import { DEFAULT_FEATURE_SET, type FeatureSet } from '@fraudstream/features';
import {
  AvroProducer,
  createConsumer,
  createIdempotentProducer,
  type AvroSerde,
  type Kafka,
} from '@fraudstream/kafka';
import { randomMlpSpec, writeModelFixture, type ModelFixture } from '@fraudstream/model';
import { loadScorerConfig } from '../../apps/scorer/src/scorer.config';
import { ScorerModule } from '../../apps/scorer/src/scorer.module';
import { afterAll, beforeAll } from 'vitest';
import { createTestTopic, testClients, uniqueName } from '../support/kafka-env';
import { headerStrings } from '../support/read-topic';

export interface ScorerTopics {
  readonly transactions: string;
  readonly transactionsDlq: string;
  readonly scores: string;
  readonly alerts: string;
  readonly labels: string;
  readonly deployments: string;
}

export async function createScorerTopics(
  kafka: Kafka,
  serde: AvroSerde,
  partitions: number,
): Promise<ScorerTopics> {
  const [tx, scores, alerts, labels, deployments] = await Promise.all([
    createTestTopic(kafka, serde, 'scorer-tx', 'tx.transactions.v1.avsc', partitions),
    createTestTopic(kafka, serde, 'scorer-scores', 'tx.scores.v1.avsc'),
    createTestTopic(kafka, serde, 'scorer-alerts', 'fraud.alerts.v1.avsc'),
    createTestTopic(kafka, serde, 'scorer-labels', 'fraud.labels.v1.avsc'),
    createTestTopic(kafka, serde, 'scorer-deployments', 'ml.model-deployments.v1.avsc'),
  ]);
  return {
    transactions: tx.name,
    transactionsDlq: tx.dlq,
    scores: scores.name,
    alerts: alerts.name,
    labels: labels.name,
    deployments: deployments.name,
  };
}

/** Starts the scorer app (its Nest context, no HTTP) on the test topics. */
export async function startScorer(
  topics: ScorerTopics,
  env: Record<string, string>,
): Promise<INestApplicationContext> {
  const config = loadScorerConfig({
    ...process.env,
    TRANSACTIONS_TOPIC: topics.transactions,
    SCORES_TOPIC: topics.scores,
    ALERTS_TOPIC: topics.alerts,
    LABELS_TOPIC: topics.labels,
    DEPLOYMENTS_TOPIC: topics.deployments,
    SCORER_LABELS_GROUP_ID: uniqueName('scorer-labels'),
    INSTANCE_ID: uniqueName('scorer'),
    SCORER_DEPLOYMENTS_REPLAY_TIMEOUT_MS: '20000',
    SCORER_MAX_WAIT_MS: '2',
    ...env,
  });
  const app = await NestFactory.createApplicationContext(ScorerModule.forRoot(config), {
    logger: ['error', 'warn'],
  });
  await app.init();
  return app;
}

/** What a scorer test file shares: its clients, its model folder and the scorer apps it starts. */
export interface ScorerSuite {
  readonly kafka: Kafka;
  readonly serde: AvroSerde;
  /** The folder its model fixtures are written to (featureModel, writeModelFixture). */
  readonly root: string;
  /** startScorer, the app closed after the file's tests unless the test closed it. */
  start(topics: ScorerTopics, env: Record<string, string>): Promise<INestApplicationContext>;
}

/**
 * Sets up a scorer test file (call it in its describe): the Kafka clients and a model folder before
 * the tests; after them every scorer app it started is closed (a second close of an app the test
 * closed is harmless) and the folder removed.
 */
export function scorerSuite(): ScorerSuite {
  let clients: { kafka: Kafka; serde: AvroSerde } | undefined;
  let root: string | undefined;
  const apps: INestApplicationContext[] = [];
  const ready = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the scorer suite is set up in beforeAll: use it in a test');
    return value;
  };

  beforeAll(() => {
    clients = testClients();
    root = modelRoot();
  });

  afterAll(async () => {
    for (const app of apps) await app.close().catch(() => undefined);
    if (root) rmSync(root, { recursive: true, force: true });
  });

  return {
    get kafka() {
      return ready(clients).kafka;
    },
    get serde() {
      return ready(clients).serde;
    },
    get root() {
      return ready(root);
    },
    async start(topics, env) {
      const app = await startScorer(topics, env);
      apps.push(app);
      return app;
    },
  };
}

/** Publishes a deployment event on the test topic, keyed by its model version (as the trainer does). */
export function publishDeployment(
  producer: AvroProducer,
  topics: ScorerTopics,
  event: ModelDeployment,
): Promise<void> {
  return producer.sendMany([
    { topic: topics.deployments, records: [{ key: event.model_version, value: event }] },
  ]);
}

/** A model over a real feature set (default: the live loop's), written like the registry does. */
export function featureModel(
  root: string,
  version: string,
  seed: number,
  threshold = 0.7,
  featureSet: FeatureSet = DEFAULT_FEATURE_SET,
): ModelFixture {
  return writeModelFixture(root, {
    version,
    featureNames: featureSet.names,
    featureSetVersion: featureSet.version,
    spec: randomMlpSpec(featureSet.names.length, [8], seed),
    threshold,
  });
}

export function modelRoot(): string {
  return mkdtempSync(join(tmpdir(), 'scorer-models-'));
}

export function stageChange(
  fixture: ModelFixture,
  stage: ModelDeployment['stage'],
  sha256 = fixture.sha256,
): ModelDeployment {
  return {
    deployment_id: uniqueName('deployment'),
    kind: 'STAGE_CHANGE',
    model_version: fixture.manifest.version,
    stage,
    previous_version: null,
    parent_version: null,
    artifact_uri: fixture.artifactUri,
    sha256,
    request_id: null,
    reason: 'test',
    metrics: {},
    instance_id: null,
    event_time: 1_767_571_200_000,
  };
}

const T0 = Date.UTC(2026, 0, 5, 12, 0, 0);

export function transaction(i: number, prefix = 'tx'): Transaction {
  return {
    transaction_id: `${prefix}-${i}`,
    card_id: `card-${i % 23}`,
    terminal_id: `term-${i % 7}`,
    amount: 5 + ((i * 37) % 400),
    currency: 'EUR',
    channel: i % 3 === 0 ? 'CARD_NOT_PRESENT' : 'CARD_PRESENT',
    event_time: T0 + i * 60_000,
    ingest_time: Date.now(),
  };
}

export async function connectedProducer(kafka: Kafka, serde: AvroSerde): Promise<AvroProducer> {
  const producer = new AvroProducer(createIdempotentProducer(kafka), serde);
  await producer.producer.connect();
  return producer;
}

export interface Captured<T> {
  readonly partition: number;
  readonly offset: number;
  readonly value: T;
  readonly headers: Record<string, string>;
}

/** Reads a topic from the beginning into an array (decoded with the serde unless `raw`), on read_committed. */
export async function readTopic<T>(
  kafka: Kafka,
  serde: AvroSerde,
  topic: string,
  raw = false,
): Promise<{ records: Captured<T>[]; stop: () => Promise<void> }> {
  const records: Captured<T>[] = [];
  const consumer = createConsumer(kafka, { groupId: uniqueName('reader'), maxWaitTimeInMs: 50 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      const value = raw ? (message.value as T) : await serde.decode<T>(message.value);
      records.push({
        partition,
        offset: Number(message.offset),
        value,
        headers: headerStrings(message.headers),
      });
    },
  });
  return { records, stop: () => consumer.disconnect() };
}
