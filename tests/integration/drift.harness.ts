import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { processEnv } from '@fraudstream/config';
import {
  DAY_MS,
  type Alert,
  type DriftEvent,
  type Label,
  type ModelDeployment,
  type RetrainRequest,
  type Score,
} from '@fraudstream/contracts';
import type { ReferenceManifest } from '@fraudstream/drift';
import { localKeyRingKeys, type ModelManifest } from '@fraudstream/registry';
import { FEATURE_NAMES, FEATURE_SET_VERSION, FeaturePipeline } from '@fraudstream/features';
import type { AvroProducer, AvroSerde, Consumer, Kafka } from '@fraudstream/kafka';
import { TransactionSimulator, type SimulationOptions } from '@fraudstream/simulation';
import { buildFeatureProfile, evaluateModel, eventDay } from '@fraudstream/stats';
import { buildReferenceProfile } from '@fraudstream/training';
import { loadDriftMonitorConfig } from '../../apps/drift-monitor/src/drift-monitor.config';
import { DriftMonitorModule } from '../../apps/drift-monitor/src/drift-monitor.module';
import { createTestTopic, uniqueName } from '../support/kafka-env';

/** One simulated day as the drift monitor sees it: the champion's scores and the labels that became known. */
export interface ScoredDay {
  readonly day: number;
  readonly scores: Score[];
  readonly labels: Label[];
  /** Ground truth of each score, in order (the simulator's, never seen by the monitor). */
  readonly truth: boolean[];
}

function sigmoid(z: number): number {
  return 1 / (1 + Math.exp(-z));
}

/**
 * A deterministic stand-in for the trained model (the real one comes from the trainer): it knows
 * the simulator's classic patterns (large amounts, an amount far above the card's habit, a
 * terminal with known frauds) and nothing else, like a model trained before a new pattern appeared.
 */
export function standInScore(features: readonly number[]): number {
  const f = (name: (typeof FEATURE_NAMES)[number]) => features[FEATURE_NAMES.indexOf(name)] ?? 0;
  const z =
    -6 +
    3.5 * (f('amount') > 220 ? 1 : 0) +
    1.5 * Math.log(Math.max(f('amount_to_card_mean_30d'), 1e-3)) +
    40 * f('terminal_fraud_rate_7d');
  return sigmoid(z);
}

/** Simulates `options`, computes features with the online pipeline and scores with the stand-in model. */
export async function simulateScoredDays(
  options: SimulationOptions,
  modelVersion: string,
): Promise<ScoredDay[]> {
  const simulator = new TransactionSimulator(options);
  const pipeline = new FeaturePipeline();
  const days: ScoredDay[] = [];
  for (let day = 0; simulator.hasNextDay; day++) {
    const events = simulator.nextDay();
    const transactions = events.flatMap((e) => (e.kind === 'transaction' ? [e] : []));
    const labels = events.flatMap((e) => (e.kind === 'label' ? [e.label] : []));
    // The pipeline applies each label once event time reaches it, as the scorer does.
    await pipeline.applyLabels(labels);
    const vectors = await pipeline.computeBatch(transactions.map((t) => t.transaction));
    const scores = transactions.map(({ transaction: tx }, i): Score => {
      const features = vectors[i] ?? [];
      const score = standInScore(features);
      return {
        transaction_id: tx.transaction_id,
        card_id: tx.card_id,
        terminal_id: tx.terminal_id,
        amount: tx.amount,
        event_time: tx.event_time,
        ingest_time: tx.event_time,
        scored_at: tx.event_time,
        score,
        threshold: 0.5,
        is_alert: score >= 0.5,
        model_version: modelVersion,
        role: 'CHAMPION',
        feature_set_version: FEATURE_SET_VERSION,
        features,
      };
    });
    days.push({ day, scores, labels, truth: transactions.map((t) => t.truth.is_fraud) });
  }
  return days;
}

/**
 * The reference manifest (the parts the drift monitor reads) of the stand-in model over `days`;
 * with `novelty`, also the reference frauds of the early-evidence monitor, as the trainer writes them.
 */
export function standInManifest(
  version: string,
  days: readonly ScoredDay[],
  k: number,
  options: { readonly novelty?: boolean } = {},
): ReferenceManifest {
  const scores = days.flatMap((d) => d.scores);
  const truth = days.flatMap((d) => d.truth);
  const validation = evaluateModel(
    scores.map((s, i) => ({
      cardId: s.card_id,
      day: eventDay(s.event_time),
      score: s.score,
      isFraud: truth[i] ?? false,
    })),
    { threshold: 0.5, k },
  );
  return {
    version,
    feature_names: [...FEATURE_NAMES],
    threshold: 0.5,
    metrics: { validation },
    reference: {
      row_count: scores.length,
      fraud_rate: validation.positives / scores.length,
      features: FEATURE_NAMES.map((name, i) =>
        buildFeatureProfile(
          name,
          scores.map((s) => s.features[i] ?? 0),
        ),
      ),
      score: buildFeatureProfile(
        'score',
        scores.map((s) => s.score),
      ),
      ...(options.novelty
        ? {
            novelty: buildReferenceProfile(
              scores.map((s, i) => ({
                transactionId: s.transaction_id,
                cardId: s.card_id,
                eventTime: s.event_time,
                features: s.features,
                isFraud: truth[i] ?? false,
              })),
              scores.map((s) => s.score),
              FEATURE_NAMES,
            ).novelty,
          }
        : {}),
    },
  };
}

/**
 * Writes the manifest where a file-system registry would (`<dir>/<version>/manifest.json`), signed by
 * the local key ring's key as the trainer signs it (a drift monitor started without
 * MODEL_TRUSTED_KEYS_FILE trusts it); returns the artifact URI.
 */
export function writeManifest(dir: string, manifest: ReferenceManifest): string {
  const versionDir = join(dir, manifest.version);
  mkdirSync(versionDir, { recursive: true });
  const signed = localKeyRingKeys().signer?.sign(manifest as unknown as ModelManifest);
  writeFileSync(join(versionDir, 'manifest.json'), JSON.stringify(signed));
  return pathToFileURL(join(versionDir, 'model.onnx')).toString();
}

export function promotion(version: string, artifactUri: string, eventTime: number): ModelDeployment {
  return {
    deployment_id: `deploy-${version}`,
    kind: 'STAGE_CHANGE',
    model_version: version,
    stage: 'PRODUCTION',
    previous_version: null,
    parent_version: null,
    artifact_uri: artifactUri,
    sha256: '0'.repeat(64),
    request_id: null,
    reason: 'test',
    metrics: {},
    instance_id: null,
    event_time: eventTime,
  };
}

/** Topics of one drift-monitor test, each fresh and registered with its real schema. */
export interface DriftTopics {
  readonly scores: string;
  readonly labels: string;
  readonly deployments: string;
  readonly driftEvents: string;
  readonly retrainRequests: string;
  readonly alerts: string;
}

export async function createDriftTopics(kafka: Kafka, serde: AvroSerde): Promise<DriftTopics> {
  return {
    scores: (await createTestTopic(kafka, serde, 'drift-scores', 'tx.scores.v1.avsc')).name,
    labels: (await createTestTopic(kafka, serde, 'drift-labels', 'fraud.labels.v1.avsc')).name,
    deployments: (await createTestTopic(kafka, serde, 'drift-deployments', 'ml.model-deployments.v1.avsc'))
      .name,
    driftEvents: (await createTestTopic(kafka, serde, 'drift-events', 'ml.drift-events.v1.avsc')).name,
    retrainRequests: (await createTestTopic(kafka, serde, 'drift-retrain', 'ml.retrain-requests.v1.avsc'))
      .name,
    alerts: (await createTestTopic(kafka, serde, 'drift-alerts', 'fraud.alerts.v1.avsc')).name,
  };
}

/** Drift settings of the integration tests: weekly windows (the simulator's chargebacks take 1-7 days). */
export const TEST_DRIFT_ENV = {
  DRIFT_WINDOW_MS: String(7 * DAY_MS),
  DRIFT_ALLOWED_LATENESS_MS: '60000',
  DRIFT_MIN_WINDOW_COUNT: '2000',
  DRIFT_RESERVOIR_SIZE: '20000',
  DRIFT_CHARGEBACK_WINDOW_MS: String(7 * DAY_MS),
  DRIFT_ANALYST_DAILY_CAPACITY: '20',
  DRIFT_MIN_MATURE_LABELS: '2000',
  DRIFT_MIN_MATURE_POSITIVES: '30',
  DRIFT_AP_TOLERANCE: '0.25',
  DRIFT_AUC_TOLERANCE: '0.1',
  // A weekly window is already a week of evidence: one dropped window asks (daily ones need two).
  DRIFT_PERFORMANCE_CONSECUTIVE_WINDOWS: '1',
  // The stand-in's validation metrics are the reference (a live baseline would take three weeks here).
  DRIFT_PERFORMANCE_BASELINE_WINDOWS: '0',
  DRIFT_RECALL_TOLERANCE: '0.3',
  DRIFT_MAX_LABEL_LAG_MS: String(DAY_MS),
  DRIFT_CHECKPOINT_INTERVAL_MS: '1000',
} as const;

/** Boots the drift-monitor app (no HTTP) on the test's topics; `close()` is its graceful shutdown. */
export async function startDriftMonitor(
  topics: DriftTopics,
  overrides: Record<string, string>,
): Promise<INestApplicationContext> {
  const config = loadDriftMonitorConfig({
    ...processEnv(),
    LOG_LEVEL: 'warn',
    SCORES_TOPIC: topics.scores,
    LABELS_TOPIC: topics.labels,
    DEPLOYMENTS_TOPIC: topics.deployments,
    DRIFT_EVENTS_TOPIC: topics.driftEvents,
    RETRAIN_REQUESTS_TOPIC: topics.retrainRequests,
    ALERTS_TOPIC: topics.alerts,
    DRIFT_DEPLOYMENTS_GROUP_PREFIX: uniqueName('drift-deployments'),
    ...TEST_DRIFT_ENV,
    ...overrides,
  });
  const app = await NestFactory.createApplicationContext(DriftMonitorModule.forRoot(config), {
    logger: ['error', 'warn'],
  });
  await app.init();
  return app;
}

/** Sends one simulated day: the labels that became known that day and the day's scores. */
export async function produceDay(producer: AvroProducer, topics: DriftTopics, day: ScoredDay): Promise<void> {
  const chunk = 2000;
  await producer.sendMany([
    { topic: topics.labels, records: day.labels.map((l) => ({ key: l.transaction_id, value: l })) },
  ]);
  for (let i = 0; i < day.scores.length; i += chunk) {
    const records = day.scores.slice(i, i + chunk).map((s) => ({ key: s.card_id, value: s }));
    await producer.sendMany([{ topic: topics.scores, records }]);
  }
}

/** Collects the drift events, retrain requests and INVESTIGATE alerts (with their keys) the monitor produces. */
export class DriftOutputsCollector {
  readonly events: DriftEvent[] = [];
  readonly requests: RetrainRequest[] = [];
  readonly alerts: { readonly key: string | null; readonly alert: Alert }[] = [];
  private readonly consumer: Consumer;

  constructor(
    kafka: Kafka,
    private readonly serde: AvroSerde,
    private readonly topics: DriftTopics,
  ) {
    this.consumer = kafka.consumer({ groupId: uniqueName('drift-collector'), maxWaitTimeInMs: 50 });
  }

  async start(): Promise<void> {
    await this.consumer.connect();
    await this.consumer.subscribe({
      topics: [this.topics.driftEvents, this.topics.retrainRequests, this.topics.alerts],
      fromBeginning: true,
    });
    await this.consumer.run({
      eachMessage: async ({ topic, message }) => {
        const value = await this.serde.decode(message.value);
        if (topic === this.topics.driftEvents) this.events.push(value as DriftEvent);
        else if (topic === this.topics.alerts)
          this.alerts.push({ key: message.key?.toString() ?? null, alert: value as Alert });
        else this.requests.push(value as RetrainRequest);
      },
    });
  }

  stop(): Promise<void> {
    return this.consumer.disconnect();
  }
}
