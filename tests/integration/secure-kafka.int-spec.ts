/*
 * The loop on the secure broker (npm run infra:up -- --secure): SASL/SCRAM-SHA-512 over TLS with a
 * local CA, and the least-privilege ACLs of scripts/infra/kafka-acls.json. The test starts a secure
 * broker of its own on free ports, and the scorer, drift-monitor, trainer and console apps on it, each with
 * its principal's credentials; the schema registry is the tests' usual one.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Topics, deadLetterTopic, type Alert, type Score, type TopicKey } from '@fraudstream/contracts';
import {
  AvroProducer,
  AvroSerde,
  createConsumer,
  createIdempotentProducer,
  createKafkaClient,
  type Consumer,
} from '@fraudstream/kafka';
import { FeaturePipeline } from '@fraudstream/features';
import { afterAll, beforeAll, describe, expect, it, type TestContext } from 'vitest';
import { FeatureStateRebuild } from '../../apps/scorer/src/feature-state.rebuild';
import { loadTrainerConfig } from '../../apps/trainer/src/trainer.config';
import { TrainerModule } from '../../apps/trainer/src/trainer.module';
import { SECURE_ADMIN, setUpSecureKafka } from '../../scripts/infra/kafka-acls';
import { consoleRequest, consoleTestRegistry, signIn, startConsole } from '../support/console-harness';
import { testKafkaConfig, uniqueName } from '../support/kafka-env';
import { SAMPLE_RECORDS } from '../support/sample-records';
import { secureBrokerUnavailable, startSecureBroker, type SecureBroker } from '../support/secure-kafka';
import { waitFor } from '../support/wait-for';
import { startDriftMonitor } from './drift.harness';
import { featureModel, modelRoot, stageChange, startScorer, transaction } from './scorer.harness';

/** The `type` (broker error code) or name of every error in a cause chain. */
function errorKinds(error: unknown): string[] {
  const kinds: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 8 && current && typeof current === 'object'; depth++) {
    const e = current as { type?: unknown; name?: unknown; cause?: unknown; originalError?: unknown };
    if (typeof e.type === 'string') kinds.push(e.type);
    if (typeof e.name === 'string') kinds.push(e.name);
    current = e.cause ?? e.originalError;
  }
  return kinds;
}

const unavailable = secureBrokerUnavailable();

/** Skips a test where no secure broker can start (no JDK: a testcontainers run), saying why. */
function requireSecureBroker(ctx: TestContext): void {
  if (unavailable) ctx.skip(`no secure broker here: ${unavailable}`);
}

describe('secure Kafka', () => {
  let broker: SecureBroker;
  let serde: AvroSerde;
  let root: string;
  const closing: (() => Promise<unknown>)[] = [];

  /** A connected AvroProducer authenticated as `principal`. */
  async function producerOf(principal: string): Promise<AvroProducer> {
    const producer = new AvroProducer(
      createIdempotentProducer(createKafkaClient(broker.config(principal), principal)),
      serde,
    );
    await producer.producer.connect();
    closing.push(() => producer.producer.disconnect());
    return producer;
  }

  beforeAll(async () => {
    root = modelRoot();
    if (unavailable) return;
    const { SCHEMA_REGISTRY_URL } = testKafkaConfig();
    serde = AvroSerde.connect(SCHEMA_REGISTRY_URL);
    broker = await startSecureBroker(SCHEMA_REGISTRY_URL);
    await setUpSecureKafka(createKafkaClient(broker.config(SECURE_ADMIN), 'setup'));
  });

  afterAll(async () => {
    for (const close of closing.reverse()) await close().catch(() => undefined);
    await broker?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('runs the loop with each app as its own principal: the trainer deploys, the scorer scores what the simulator sends, the drift monitor and the trainer read the scores, an analyst in the console turns the alert into a label', async (ctx) => {
    requireSecureBroker(ctx);
    const admin = createKafkaClient(broker.config(SECURE_ADMIN), 'admin').admin();
    await admin.connect();
    closing.push(() => admin.disconnect());
    const written = async (topic: string): Promise<number> =>
      (await admin.fetchTopicOffsets(topic)).reduce((sum, p) => sum + Number(p.high), 0);

    // A threshold every score passes: each transaction raises an alert for the console's queue.
    const model = featureModel(root, 'v1', 11, 0.001);
    const trainer = await producerOf('trainer');
    await trainer.sendMany([
      { topic: Topics.modelDeployments, records: [{ key: 'v1', value: stageChange(model, 'PRODUCTION') }] },
    ]);

    // The test's observer reads the scores as the super user.
    const scored: Score[] = [];
    const observer = createConsumer(createKafkaClient(broker.config(SECURE_ADMIN), 'observer'), {
      groupId: uniqueName('observer'),
      maxWaitTimeInMs: 50,
    });
    await observer.connect();
    closing.push(() => observer.disconnect());
    await observer.subscribe({ topic: Topics.scores, fromBeginning: true });
    await observer.run({
      eachMessage: async ({ message }) => void scored.push(await serde.decode(message.value)),
    });

    const scorer: INestApplicationContext = await startScorer(
      {
        transactions: Topics.transactions,
        transactionsDlq: deadLetterTopic(Topics.transactions),
        scores: Topics.scores,
        alerts: Topics.alerts,
        labels: Topics.labels,
        deployments: Topics.modelDeployments,
      },
      { ...broker.env('scorer'), SCORER_LABELS_GROUP_ID: 'scorer-labels' },
    );
    let scorerOpen = true;
    closing.push(async () => scorerOpen && scorer.close());

    const driftMonitor = await startDriftMonitor(
      {
        scores: Topics.scores,
        labels: Topics.labels,
        deployments: Topics.modelDeployments,
        driftEvents: Topics.driftEvents,
        retrainRequests: Topics.retrainRequests,
        alerts: Topics.alerts,
      },
      {
        ...broker.env('drift-monitor'),
        DRIFT_DEPLOYMENTS_GROUP_PREFIX: 'drift-monitor-deployments',
        DRIFT_CHECKPOINT_PATH: join(root, 'drift-checkpoint.json'),
      },
    );
    closing.push(() => driftMonitor.close());

    const trainerRoot = modelRoot();
    closing.push(async () => rmSync(trainerRoot, { recursive: true, force: true }));
    const trainerApp = await NestFactory.create(
      TrainerModule.forRoot(
        loadTrainerConfig({
          ...process.env,
          ...broker.env('trainer'),
          HTTP_PORT: '0',
          MODEL_STORE_ROOT: trainerRoot,
        }),
      ),
      { logger: ['error', 'warn'] },
    );
    await trainerApp.init();
    closing.push(() => trainerApp.close());

    const models = await consoleTestRegistry();
    closing.push(async () => rmSync(models.root, { recursive: true, force: true }));
    const consoleApp = await startConsole(
      {
        alerts: Topics.alerts,
        cases: Topics.cases,
        labels: Topics.labels,
        scores: Topics.scores,
        driftEvents: Topics.driftEvents,
        retrainRequests: Topics.retrainRequests,
        deployments: Topics.modelDeployments,
      },
      models.root,
      { ...broker.env('console'), CONSOLE_GROUP_PREFIX: 'console', INSTANCE_ID: uniqueName('console') },
    );
    let consoleOpen = true;
    closing.push(async () => consoleOpen && consoleApp.close());

    const simulator = await producerOf('simulator');
    const sent = [transaction(1, 'secure'), transaction(2, 'secure')];
    // ... and one the scorer dead-letters (a negative amount), as `scorer`.
    const poison = { ...transaction(3, 'secure'), amount: -5 };
    await simulator.sendMany([
      {
        topic: Topics.transactions,
        records: [...sent, poison].map((t) => ({ key: t.card_id, value: t })),
      },
    ]);
    await waitFor(
      () => sent.every((t) => scored.some((s) => s.transaction_id === t.transaction_id)),
      45_000,
      'the scores of both transactions',
    );
    expect(scored.find((s) => s.transaction_id === 'secure-1')?.model_version).toBe('v1');

    // The drift monitor and the trainer's lifecycle read them too: their groups committed past both.
    for (const groupId of ['drift-monitor', 'trainer-lifecycle.scores'])
      await waitFor(
        async () => {
          const [committed] = await admin.fetchOffsets({ groupId, topics: [Topics.scores] });
          const total = (committed?.partitions ?? []).reduce(
            (sum, p) => sum + Math.max(0, Number(p.offset)),
            0,
          );
          return total >= sent.length;
        },
        30_000,
        `the group ${groupId} to commit past both scores`,
      );

    // An analyst closes the alert's case in the console: a label and a case record, written as `console`.
    const alice = await signIn(consoleApp.url, 'alice');
    const alertId = await waitFor(
      async () => {
        const listed = await consoleRequest(consoleApp.url, 'GET', '/api/alerts?status=all&limit=50', alice);
        const items = (listed.body.items ?? []) as { alert: Alert }[];
        return items.find((i) => i.alert.transaction_id === 'secure-1')?.alert.alert_id;
      },
      30_000,
      'the console to list the alert of secure-1',
    );
    const verdict = await consoleRequest(consoleApp.url, 'POST', `/api/cases/${alertId}/verdict`, alice, {
      verdict: 'FRAUD',
      comment: 'secure loop',
    });
    expect(verdict.status).toBe(201);
    await waitFor(
      async () => (await written(Topics.labels)) >= 1 && (await written(Topics.cases)) >= 1,
      30_000,
      'the label and the case record',
    );

    // Stopping, the console deletes its throw-away groups (DELETE on console-*).
    await consoleApp.close();
    consoleOpen = false;
    const groups = (await admin.listGroups()).groups.map((g) => g.groupId);
    expect(groups.filter((g) => g.startsWith('console-'))).toEqual([]);

    // With the scorer stopped, its principal rebuilds its feature state from what its groups committed
    // (the committed offsets, the transactions, the labels, the transactions' dead letters).
    await scorer.close();
    scorerOpen = false;
    const rebuild = new FeatureStateRebuild(createKafkaClient(broker.config('scorer'), 'rebuild'), serde, {
      transactionsTopic: Topics.transactions,
      labelsTopic: Topics.labels,
      groupId: 'scorer',
      labelsGroupId: 'scorer-labels',
    });
    const letters = deadLetterTopic(Topics.transactions);
    await waitFor(async () => (await written(letters)) >= 1, 30_000, 'the poison dead-lettered');
    const report = await rebuild.run(new FeaturePipeline());
    expect(report.transactions).toBe(sent.length);
    expect(report.partitions.reduce((sum, p) => sum + p.deadLettered, 0)).toBe(1);
    expect(report.partitions.reduce((sum, p) => sum + p.counted, 0)).toBe(sent.length);
  });

  /** Writes outside a principal's grants, each refused by the broker's authorizer. */
  const forbidden: readonly { principal: string; topic: TopicKey; why: string }[] = [
    { principal: 'scorer', topic: 'labels', why: 'ground truth comes from analysts and chargebacks' },
    { principal: 'scorer', topic: 'retrainRequests', why: 'only the drift monitor asks for training' },
    { principal: 'simulator', topic: 'modelDeployments', why: 'a transaction source never deploys' },
    { principal: 'drift-monitor', topic: 'modelDeployments', why: 'it asks for models, never deploys one' },
    { principal: 'console', topic: 'transactions', why: 'analysts never inject transactions' },
  ];

  it.for(forbidden)(
    'refuses $principal writing $topic ($why) with TOPIC_AUTHORIZATION_FAILED',
    async ({ principal, topic }, ctx) => {
      requireSecureBroker(ctx);
      const producer = await producerOf(principal);
      const name = Topics[topic];
      const sending = producer.sendMany([
        { topic: name, records: [{ key: 'k', value: SAMPLE_RECORDS[name] }] },
      ]);
      const error = await sending.then(
        () => null,
        (e: unknown) => e,
      );
      expect(error, `${principal} wrote ${name}`).not.toBeNull();
      expect(errorKinds(error)).toContain('TOPIC_AUTHORIZATION_FAILED');
    },
  );

  it('lets the scorer write its scores', async (ctx) => {
    requireSecureBroker(ctx);
    const producer = await producerOf('scorer');
    await producer.sendMany([
      { topic: Topics.scores, records: [{ key: 'card-1', value: SAMPLE_RECORDS[Topics.scores] }] },
    ]);
  });

  it('refuses a wrong password before any request', async (ctx) => {
    requireSecureBroker(ctx);
    const consumer: Consumer = createConsumer(
      createKafkaClient(broker.config('scorer', `${broker.password('scorer')}x`), 'wrong'),
      { groupId: 'scorer' },
    );
    const error = await consumer.connect().then(
      () => null,
      (e: unknown) => e,
    );
    closing.push(() => consumer.disconnect());
    expect(errorKinds(error)).toContain('KafkaJSSASLAuthenticationError');
  });
});
