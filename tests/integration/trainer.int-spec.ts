import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  HOUR_MS,
  DAY_MS,
  type Label,
  type ModelDeployment,
  type RetrainRequest,
  type Score,
} from '@fraudstream/contracts';
import { FEATURE_NAMES, FEATURE_SET_VERSION } from '@fraudstream/features';
import { AvroProducer, createIdempotentProducer, type Producer } from '@fraudstream/kafka';
import { loadVerifiedModel } from '@fraudstream/model';
import {
  FileSystemModelStore,
  ModelRegistry,
  UriArtifactReader,
  localKeyRingKeys,
} from '@fraudstream/registry';
import {
  DeploymentAnnouncer,
  DeploymentLifecycle,
  KafkaDeploymentPublisher,
  joinMatureLabels,
  readTopicSnapshot,
  trainBaseModel,
  trainingSettingsFrom,
} from '@fraudstream/training';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSimulatedHistory, type SimulatedHistory } from '../../apps/trainer/src/cli/simulated-history';
import { JobExit, runOneShotJob } from '../../apps/trainer/src/one-shot.job';
import { loadTrainerConfig, type TrainerConfig } from '../../apps/trainer/src/trainer.config';
import { TrainerModule } from '../../apps/trainer/src/trainer.module';
import { createTestTopic, testClients, uniqueName } from '../support/kafka-env';
import { waitFor } from '../support/wait-for';

/*
 * The trainer against the real broker and schema registry: simulated history (a new fraud pattern
 * from day 9) logged on a scores topic as the scorer would, labels on a labels topic, a base model
 * v1 trained on the old regime in production; then retrain requests to the running worker, the
 * one-shot job mode, the shadow period and a rollback, all observed on the deployments topic.
 */
const START = Date.UTC(2026, 0, 1);
const day = (d: number) => START + d * DAY_MS;

describe(TrainerModule.name, () => {
  const { kafka, serde } = testClients();
  const root = mkdtempSync(join(tmpdir(), 'trainer-int-'));
  let raw: Producer;
  let producer: AvroProducer;
  let app: INestApplication | undefined;
  let config: TrainerConfig;
  let registry: ModelRegistry;
  let history: SimulatedHistory;
  const topics = { scores: '', labels: '', requests: '', jobRequests: '', deployments: '' };

  const deployments = () =>
    readTopicSnapshot(kafka, serde, topics.deployments, (v) => v as ModelDeployment, 30_000);
  const request = (id: string, overrides: Partial<RetrainRequest> = {}): RetrainRequest => ({
    request_id: id,
    model_version: 'v1',
    trigger: 'PERFORMANCE_DRIFT',
    reason: 'AP fell',
    severity: 'HIGH',
    drift_event_id: `drift-${id}`,
    window_start: day(9),
    window_end: day(15),
    event_time: day(18),
    ...overrides,
  });
  const sendRequest = (r: RetrainRequest) =>
    producer.sendMany([{ topic: topics.requests, records: [{ key: r.request_id, value: r }] }]);

  beforeAll(async () => {
    raw = createIdempotentProducer(kafka);
    await raw.connect();
    producer = new AvroProducer(raw, serde);
    topics.scores = (await createTestTopic(kafka, serde, 'trainer-scores', 'tx.scores.v1.avsc', 3)).name;
    topics.labels = (await createTestTopic(kafka, serde, 'trainer-labels', 'fraud.labels.v1.avsc')).name;
    topics.requests = (
      await createTestTopic(kafka, serde, 'trainer-requests', 'ml.retrain-requests.v1.avsc')
    ).name;
    // The one-shot jobs read their own requests topic: the worker must not race them.
    topics.jobRequests = (
      await createTestTopic(kafka, serde, 'trainer-job-requests', 'ml.retrain-requests.v1.avsc')
    ).name;
    topics.deployments = (
      await createTestTopic(kafka, serde, 'trainer-deploy', 'ml.model-deployments.v1.avsc')
    ).name;

    history = await buildSimulatedHistory({
      seed: 5,
      days: 18,
      startTime: START,
      customers: 300,
      terminals: 600,
      maxMeanTxPerDay: 10,
      scenario: 'new-fraud-pattern',
      driftDay: 9,
      chargebackDelayDays: [1, 3],
    });
    const scoreRecords = history.scores.map((s) => ({
      key: s.card_id,
      value: {
        ...s,
        terminal_id: 't',
        amount: 1,
        ingest_time: s.event_time,
        scored_at: s.event_time,
        score: 0,
        threshold: 0.5,
        is_alert: false,
        model_version: 'v1',
      } satisfies Score,
    }));
    for (let i = 0; i < scoreRecords.length; i += 5000)
      await producer.sendMany([{ topic: topics.scores, records: scoreRecords.slice(i, i + 5000) }]);
    // A record no schema can decode: the live consumers dead-letter it, a job's replay must skip it.
    await raw.send({ topic: topics.scores, messages: [{ key: 'x', value: Buffer.from('not avro') }] });
    await producer.sendMany([
      {
        topic: topics.labels,
        records: history.labels.map((l: Label) => ({ key: l.transaction_id, value: l })),
      },
    ]);

    config = loadTrainerConfig({
      ...process.env,
      HTTP_PORT: '0',
      MODEL_STORE_ROOT: root,
      SCORES_TOPIC: topics.scores,
      LABELS_TOPIC: topics.labels,
      RETRAIN_REQUESTS_TOPIC: topics.requests,
      DEPLOYMENTS_TOPIC: topics.deployments,
      TRAINER_GROUP_ID: uniqueName('trainer'),
      TRAINER_LIFECYCLE_GROUP_ID: uniqueName('trainer-lifecycle'),
      TRAINER_CHARGEBACK_WINDOW_MS: String(3 * DAY_MS),
      SHADOW_PERIOD_MS: String(DAY_MS),
      SHADOW_MIN_ROWS: '500',
    });
    registry = new ModelRegistry(new FileSystemModelStore(root), localKeyRingKeys());
    // v1: trained on the old regime (days 0-8), all its labels known.
    const settings = trainingSettingsFrom(config);
    const old = joinMatureLabels(
      history.scores.filter((s) => s.event_time < day(9)),
      history.labels,
      { chargebackWindowMs: settings.chargebackWindowMs, asOf: day(12) },
      FEATURE_SET_VERSION,
    );
    const base = await trainBaseModel({
      rows: old.rows,
      asOf: day(12),
      version: 'v1',
      featureNames: FEATURE_NAMES,
      featureSetVersion: FEATURE_SET_VERSION,
      thresholdPolicy: { kind: 'daily-capacity', value: 60 },
      codeRevision: 'int-test',
      settings: { ...settings, baseHoldoutDays: 2 },
    });
    const context = { actor: 'test', reason: 'base', eventTime: day(9) };
    await registry.register(base.onnx, base.manifest, context);
    await registry.transition('v1', 'PRODUCTION', context);

    app = await NestFactory.create(TrainerModule.forRoot(config), { logger: ['error'] });
    await app.init();
  });

  afterAll(async () => {
    await app?.close();
    await raw.disconnect();
    rmSync(root, { recursive: true, force: true });
  });

  it('fine-tunes v1 on the drifted window and shadows the better challenger, every number in the event', async () => {
    await sendRequest(request('req-drift'));
    const events = await waitFor(
      async () => {
        const all = await deployments();
        return all.some((e) => e.request_id === 'req-drift') ? all : null;
      },
      90_000,
      'the deployment event of req-drift',
      500,
    );
    const event = events.find((e) => e.request_id === 'req-drift');
    expect(event, JSON.stringify(event)).toMatchObject({
      kind: 'STAGE_CHANGE',
      model_version: 'v2',
      stage: 'SHADOW',
    });
    const manifest = await registry.readManifest('v2');
    expect(event?.sha256).toBe(manifest.onnx.sha256);
    expect(event?.artifact_uri).toBe(registry.artifactUri('v2'));
    expect(event?.metrics.challenger_average_precision).toBe(manifest.metrics.validation.average_precision);
    expect(event?.metrics.champion_average_precision).toBe(manifest.metrics.champion?.average_precision);
    expect(manifest.metrics.validation.average_precision).toBeGreaterThan(
      (manifest.metrics.champion?.average_precision ?? 1) +
        trainingSettingsFrom(config).gate.minAveragePrecisionGain,
    );
    expect(manifest.training).toMatchObject({
      request_id: 'req-drift',
      drift_event_id: 'drift-req-drift',
      window_start: day(9),
      window_end: day(15),
      warm_start: true,
    });
    expect(manifest.training.replay_rows).toBeGreaterThan(0);
    expect(manifest.parent_version).toBe('v1');
    expect(manifest.reference.features.map((f) => f.name)).toEqual([...FEATURE_NAMES]);
    // The simulator's segments went through tx.scores.v1 into the job: the card's per-segment table
    // covers the gate's rows for both models, and the gate's reason says what the fairness rule found.
    const segments = manifest.model_card?.segments;
    expect(segments?.rows).toBe(manifest.metrics.validation.rows);
    expect(new Set(segments?.model.map((m) => m.attribute))).toEqual(new Set(['age_band', 'region']));
    expect(segments?.champion?.map((m) => m.value)).toEqual(segments?.model.map((m) => m.value));
    expect(event?.reason).toMatch(/segment gap/);
    expect(event?.metrics.gate_max_fairness_gap_widening).toBe(0.2);
    // The scorer's loader accepts what the event points at: the trainer's signature (the trainer
    // app signs with the local key ring, as configured here), checksum, manifest and graph.
    const loaded = await loadVerifiedModel(
      new UriArtifactReader(null),
      { artifactUri: event?.artifact_uri ?? '', sha256: event?.sha256 ?? null, version: 'v2' },
      FEATURE_NAMES,
      localKeyRingKeys().verifier,
    );
    expect(loaded.manifest.version).toBe('v2');
  });

  it('runs each request id once and fails bad requests with JOB_FAILED, deploying nothing', async () => {
    await sendRequest(request('req-drift'));
    await sendRequest(request('req-small', { window_start: day(14) + DAY_MS / 2, window_end: day(15) }));
    const events = await waitFor(
      async () => {
        const all = await deployments();
        return all.some((e) => e.request_id === 'req-small') ? all : null;
      },
      60_000,
      'JOB_FAILED of req-small',
      500,
    );
    const failed = events.find((e) => e.request_id === 'req-small');
    expect(failed).toMatchObject({ kind: 'JOB_FAILED', model_version: 'v1' });
    expect(failed?.reason).toMatch(/^WINDOW_TOO_SMALL/);
    // The repeated req-drift (consumed before req-small) produced nothing new.
    expect(events.filter((e) => e.request_id === 'req-drift')).toHaveLength(1);
    expect(await registry.store.listVersions()).toEqual(['v1', 'v2']);
  });

  it('one-shot mode: exit status says what happened', async () => {
    const jobConfig = { ...config, RETRAIN_REQUESTS_TOPIC: topics.jobRequests };
    const send = (r: RetrainRequest) =>
      producer.sendMany([{ topic: topics.jobRequests, records: [{ key: r.request_id, value: r }] }]);
    expect(await runOneShotJob(jobConfig, 'no-such-request')).toBe(JobExit.NOT_FOUND);
    await send(request('req-missing-parent', { model_version: 'v404' }));
    await send(request('req-drift'));
    expect(await runOneShotJob(jobConfig, 'req-missing-parent')).toBe(JobExit.FAILED);
    // Re-running a request is idempotent and keeps its verdict.
    expect(await runOneShotJob(jobConfig, 'req-missing-parent')).toBe(JobExit.FAILED);
    expect(await runOneShotJob(jobConfig, 'req-drift')).toBe(JobExit.DONE);
    const events = await deployments();
    const failures = events.filter((e) => e.request_id === 'req-missing-parent');
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ kind: 'JOB_FAILED', model_version: 'v404' });
    expect(failures[0]?.reason).toMatch(/^PARENT_MISSING/);
    expect(await registry.store.listVersions()).toEqual(['v1', 'v2']);
  });

  it('promotes the shadowed challenger after a clean shadow period, and rolls back when scorers refuse it', async () => {
    const manifest = await registry.readManifest('v2');
    const sample = manifest.reference.score.sample;
    const rows: { key: string; value: Score }[] = [];
    const n = 1200;
    for (let i = 0; i < n; i++) {
      const t = day(18) + Math.floor((i / n) * 1.05 * DAY_MS);
      const base = {
        transaction_id: `shadow-${i}`,
        card_id: `c-${i % 97}`,
        terminal_id: 't',
        amount: 1,
        event_time: t,
        ingest_time: t,
        scored_at: t,
        feature_set_version: FEATURE_SET_VERSION,
        features: new Array<number>(FEATURE_NAMES.length).fill(0),
      };
      // The challenger scores like its reference; the champion alerts at a similar rate.
      const score = sample[(i * 7919) % sample.length] ?? 0;
      rows.push({
        key: base.card_id,
        value: {
          ...base,
          score,
          threshold: manifest.threshold,
          is_alert: score >= manifest.threshold,
          model_version: 'v2',
          role: 'CHALLENGER',
        },
      });
      rows.push({
        key: base.card_id,
        value: {
          ...base,
          score,
          threshold: 0.5,
          is_alert: score >= manifest.threshold,
          model_version: 'v1',
          role: 'CHAMPION',
        },
      });
    }
    await producer.sendMany([{ topic: topics.scores, records: rows }]);
    await waitFor(async () => (await registry.productionVersion()) === 'v2', 60_000, 'v2 in production', 250);
    let events = await deployments();
    const promoted = events.find((e) => e.model_version === 'v2' && e.stage === 'PRODUCTION');
    expect(promoted?.previous_version).toBe('v1');
    expect(promoted?.metrics.shadow_rows).toBeGreaterThanOrEqual(500);
    expect(events.some((e) => e.model_version === 'v1' && e.stage === 'RETIRED')).toBe(true);

    // A scorer cannot load v2: the previous production model comes back.
    const refused: ModelDeployment = {
      ...promoted!,
      deployment_id: 'refusal-1',
      kind: 'LOAD_REFUSED',
      reason: 'checksum mismatch',
      instance_id: 'scorer-a',
      metrics: {},
      event_time: day(19) + HOUR_MS,
    };
    await producer.sendMany([{ topic: topics.deployments, records: [{ key: 'v2', value: refused }] }]);
    await waitFor(async () => (await registry.productionVersion()) === 'v1', 30_000, 'rollback to v1', 250);
    events = await deployments();
    const restored = events.filter((e) => e.model_version === 'v1' && e.stage === 'PRODUCTION').at(-1);
    expect(restored).toMatchObject({ previous_version: 'v2', event_time: day(19) + HOUR_MS });
    expect(await registry.stageOf('v2')).toBe('REJECTED');
    const audit = await registry.store.readAudit();
    expect(audit.at(-1)?.reason).toContain('scorer-a refused v2');
  });

  it('the manual CLI path: an operator rollback needs an earlier production model', async () => {
    const lifecycle = new DeploymentLifecycle(
      registry,
      new DeploymentAnnouncer(registry, new KafkaDeploymentPublisher(producer, topics.deployments)),
      trainingSettingsFrom(config),
      'cli:test',
    );
    await expect(
      lifecycle.rollback({ actor: 'cli:test', reason: 'why not', eventTime: day(20) }),
    ).rejects.toThrow(/no earlier production model/);
  });
});
