/*
 * `npm run bench:train`: the fine-tuning job on simulated data with a new fraud pattern.
 * 1. In process (arrays): fine-tuning seconds per 100k training rows (whole job and per epoch),
 *    from a base model v1 trained on the pre-drift days; challenger vs champion on the gate rows.
 * 2. Over Kafka (skip with --no-kafka): the real worker (TrainerModule) on fresh topics; the time
 *    from producing a retrain request to the challenger's deployment event being readable.
 * Options: --customers N (default 2000), --seed N (default 7), --no-kafka, --json FILE,
 * --family mlp|sequence (default mlp; sequence: the GRU over fs-v1-seq16's history block, base and
 * fine-tuned, the Kafka part on the MLP).
 * --dp-epsilon E: also the same job with DP-SGD at target ε E against it without, interleaved,
 * --repeats N (3) pairs: seconds per epoch of each and their ratio (median, min, max).
 * With TRAINER_QUANTIZE=int8 it also reports the challenger's int8 variant (AP loss, sizes).
 * Sizes: ~10k transactions a simulated day; a 7-day window gives ~70k training rows plus replay.
 */
import 'reflect-metadata';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { processEnv } from '@fraudstream/config';
import {
  DAY_MS,
  type Label,
  type ModelDeployment,
  type RetrainRequest,
  type Score,
} from '@fraudstream/contracts';
import { DEFAULT_FEATURE_SET, FS_V1_SEQ16 } from '@fraudstream/features';
import { AvroProducer, createIdempotentProducer } from '@fraudstream/kafka';
import {
  FileSystemModelStore,
  ModelRegistry,
  localKeyRingKeys,
  type ModelFamily,
} from '@fraudstream/registry';
import {
  DeploymentAnnouncer,
  FineTuneJob,
  joinMatureLabels,
  readTopicSnapshot,
  trainBaseModel,
  trainingSettingsFrom,
  type DeploymentPublisher,
  type ScoredTransaction,
  type TrainingDataSource,
} from '@fraudstream/training';
import { loadTrainerConfig } from '../apps/trainer/src/trainer.config';
import { buildSimulatedHistory } from '../apps/trainer/src/cli/simulated-history';
import { TrainerModule } from '../apps/trainer/src/trainer.module';
import { createTestTopic, testClients, uniqueName } from '../tests/support/kafka-env';
import { jsonPathFromArgs, reportBench, type BenchValue, runBench } from './support/bench-report';

const START = Date.UTC(2026, 0, 1);
const day = (d: number) => START + d * DAY_MS;

function intOption(argv: readonly string[], name: string, fallback: number): number {
  const i = argv.indexOf(`--${name}`);
  const value = i >= 0 ? Number(argv[i + 1]) : fallback;
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer`);
  return value;
}

function numberOption(argv: readonly string[], name: string): number | null {
  const i = argv.indexOf(`--${name}`);
  if (i < 0) return null;
  const value = Number(argv[i + 1]);
  if (!(value > 0)) throw new Error(`--${name} must be a positive number`);
  return value;
}

/** Median, min and max of a few measurements. */
function spread(values: readonly number[]): Record<string, number> {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length / 2;
  const median =
    sorted.length % 2 === 1
      ? (sorted[Math.floor(mid)] ?? Number.NaN)
      : ((sorted[mid - 1] ?? Number.NaN) + (sorted[mid] ?? Number.NaN)) / 2;
  return { median, min: sorted[0] ?? Number.NaN, max: sorted[sorted.length - 1] ?? Number.NaN };
}

class ArraySource implements TrainingDataSource {
  constructor(
    private readonly scores: readonly ScoredTransaction[],
    private readonly labels: readonly Label[],
  ) {}
  readScores(start: number, end: number) {
    return Promise.resolve(this.scores.filter((s) => s.event_time >= start && s.event_time < end));
  }
  readLabels(start: number, end: number, asOf: number) {
    return Promise.resolve(
      this.labels.filter(
        (l) => l.transaction_time >= start && l.transaction_time < end && l.event_time <= asOf,
      ),
    );
  }
}

class NullPublisher implements DeploymentPublisher {
  readonly events: ModelDeployment[] = [];
  publish(events: readonly ModelDeployment[]) {
    this.events.push(...events);
    return Promise.resolve();
  }
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const customers = intOption(argv, 'customers', 2000);
  const seed = intOption(argv, 'seed', 7);
  const withKafka = !argv.includes('--no-kafka');
  const familyAt = argv.indexOf('--family');
  const familyArg = familyAt >= 0 ? argv[familyAt + 1] : 'mlp';
  if (familyArg !== 'mlp' && familyArg !== 'sequence') throw new Error('--family takes mlp or sequence');
  const family: ModelFamily = familyArg;
  const featureSet = family === 'sequence' ? FS_V1_SEQ16 : DEFAULT_FEATURE_SET;
  Logger.overrideLogger(['error', 'warn']);
  const results: Record<string, BenchValue> = {
    cpus: cpus().length,
    customers,
    seed,
    family,
    feature_set: featureSet.version,
  };

  const env = { ...processEnv(), TRAINER_CHARGEBACK_WINDOW_MS: String(3 * DAY_MS) };
  const config = loadTrainerConfig(env);
  const settings = { ...trainingSettingsFrom(config), modelFamily: family };
  const simStarted = performance.now();
  const history = await buildSimulatedHistory(
    {
      seed,
      days: 24,
      startTime: START,
      customers,
      terminals: customers * 2,
      maxMeanTxPerDay: 10,
      scenario: 'new-fraud-pattern',
      driftDay: 14,
      chargebackDelayDays: [1, 3],
    },
    { featureSet },
  );
  results.simulated = {
    transactions: history.scores.length,
    labels: history.labels.length,
    seconds: (performance.now() - simStarted) / 1000,
  };

  // v1: the old regime (days 0-13), its labels all known.
  const root = mkdtempSync(join(tmpdir(), 'bench-train-'));
  const registry = new ModelRegistry(new FileSystemModelStore(root), localKeyRingKeys());
  const old = joinMatureLabels(
    history.scores.filter((s) => s.event_time < day(14)),
    history.labels,
    { chargebackWindowMs: settings.chargebackWindowMs, asOf: day(17) },
    featureSet.version,
  );
  const baseStarted = performance.now();
  const base = await trainBaseModel({
    rows: old.rows,
    asOf: day(17),
    version: 'v1',
    featureNames: featureSet.names,
    featureSetVersion: featureSet.version,
    thresholdPolicy: { kind: 'daily-capacity', value: 100 },
    codeRevision: 'bench',
    settings,
  });
  results.base_model = {
    train_rows: base.trainRows,
    epochs: base.train.epochsRun,
    seconds: (performance.now() - baseStarted) / 1000,
    validation_average_precision: base.validation.average_precision,
  };
  const context = { actor: 'bench', reason: 'base', eventTime: day(14) };
  await registry.register(base.onnx, base.manifest, context);
  await registry.transition('v1', 'PRODUCTION', context);

  const request: RetrainRequest = {
    request_id: 'bench-1',
    model_version: 'v1',
    trigger: 'PERFORMANCE_DRIFT',
    reason: 'benchmark',
    severity: 'HIGH',
    drift_event_id: null,
    window_start: day(14),
    window_end: day(21),
    event_time: day(24),
  };
  const publisher = new NullPublisher();
  const job = new FineTuneJob({
    registry,
    source: new ArraySource(history.scores, history.labels),
    announcer: new DeploymentAnnouncer(registry, publisher),
    settings,
    actor: 'bench',
    codeRevision: 'bench',
    featureSetVersion: featureSet.version,
    featureNames: featureSet.names,
  });
  const outcome = await job.run(request);
  const epochs = outcome.metrics.epochs_run ?? 1;
  const per100k = 100_000 / Math.max(outcome.trainRows, 1);
  results.fine_tune = {
    status: outcome.status,
    train_rows_incl_replay: outcome.trainRows,
    epochs,
    train_seconds: outcome.timings.trainMs / 1000,
    job_seconds: outcome.timings.totalMs / 1000,
    seconds_per_100k_rows: (outcome.timings.trainMs / 1000) * per100k,
    seconds_per_100k_rows_per_epoch: ((outcome.timings.trainMs / 1000) * per100k) / epochs,
    challenger_average_precision: outcome.metrics.challenger_average_precision ?? null,
    champion_average_precision: outcome.metrics.champion_average_precision ?? null,
    challenger_roc_auc: outcome.metrics.challenger_roc_auc ?? null,
    champion_roc_auc: outcome.metrics.champion_roc_auc ?? null,
  };
  // TRAINER_QUANTIZE=int8: the challenger's int8 variant against it on the gate's hold-out rows.
  if (outcome.variant) {
    const m = outcome.variant.metrics;
    results.int8_variant = {
      status: outcome.variant.status,
      version: outcome.variant.version,
      reason: outcome.variant.reason,
      gate_rows: m.gate_rows ?? null,
      gate_positives: m.gate_positives ?? null,
      float_average_precision: m.parent_average_precision ?? null,
      int8_average_precision: m.quantized_average_precision ?? null,
      ap_loss: m.quantization_ap_loss ?? null,
      max_ap_loss: m.gate_max_quantization_ap_loss ?? null,
      max_abs_score_difference: m.max_abs_score_difference ?? null,
      float_bytes: m.parent_bytes ?? null,
      int8_bytes: m.quantized_bytes ?? null,
    };
  }
  const dpEpsilon = numberOption(argv, 'dp-epsilon');
  if (dpEpsilon !== null) {
    const repeats = intOption(argv, 'repeats', 3);
    const privacy = {
      targetEpsilon: dpEpsilon,
      noiseMultiplier: null,
      delta: config.TRAINER_DP_DELTA,
      clipNorm: config.TRAINER_DP_CLIP_NORM,
    };
    const perEpoch: { plain: number[]; dp: number[] } = { plain: [], dp: [] };
    const ap: { plain: number[]; dp: number[] } = { plain: [], dp: [] };
    let noiseMultiplier = Number.NaN;
    // Interleaved pairs, so a load change on the shared cores hits both.
    for (let i = 0; i < repeats; i++) {
      for (const mode of ['plain', 'dp'] as const) {
        const timedJob = new FineTuneJob({
          registry,
          source: new ArraySource(history.scores, history.labels),
          announcer: new DeploymentAnnouncer(registry, publisher),
          settings: { ...settings, privacy: mode === 'dp' ? privacy : null },
          actor: 'bench',
          codeRevision: 'bench',
          featureSetVersion: featureSet.version,
          featureNames: featureSet.names,
        });
        const run = await timedJob.run({ ...request, request_id: `bench-${mode}-${i}` });
        perEpoch[mode].push(run.timings.trainMs / 1000 / (run.metrics.epochs_run ?? 1));
        ap[mode].push(run.metrics.challenger_average_precision ?? Number.NaN);
        if (mode === 'dp') noiseMultiplier = run.metrics.dp_noise_multiplier ?? Number.NaN;
      }
    }
    const ratios = perEpoch.dp.map((d, i) => d / (perEpoch.plain[i] ?? Number.NaN));
    results.dp_sgd_cost = {
      target_epsilon: dpEpsilon,
      noise_multiplier: noiseMultiplier,
      repeats,
      plain_seconds_per_epoch: spread(perEpoch.plain),
      dp_seconds_per_epoch: spread(perEpoch.dp),
      dp_to_plain_time_ratio: spread(ratios),
      plain_challenger_average_precision: spread(ap.plain),
      dp_challenger_average_precision: spread(ap.dp),
    };
  }
  rmSync(root, { recursive: true, force: true });

  // The worker reads its feature set and family from the environment, as deployed.
  if (withKafka)
    results.kafka = await requestToDeployed(history, base, request, {
      ...env,
      FEATURE_SET: featureSet.version,
      TRAINER_MODEL_FAMILY: family,
    });
  reportBench('trainer: fine-tuning', jsonPathFromArgs(argv, 'train'), results);
}

/** The worker over Kafka: request produced → deployment event readable. */
async function requestToDeployed(
  history: Awaited<ReturnType<typeof buildSimulatedHistory>>,
  base: Awaited<ReturnType<typeof trainBaseModel>>,
  request: RetrainRequest,
  env: Record<string, string | undefined>,
): Promise<Record<string, BenchValue>> {
  const { kafka, serde } = testClients();
  const raw = createIdempotentProducer(kafka);
  await raw.connect();
  const producer = new AvroProducer(raw, serde);
  const root = mkdtempSync(join(tmpdir(), 'bench-train-kafka-'));
  const topic = async (prefix: string, schema: string, partitions = 1) =>
    (await createTestTopic(kafka, serde, `bench-${prefix}`, schema, partitions)).name;
  const topics = {
    scores: await topic('scores', 'tx.scores.v1.avsc', 6),
    labels: await topic('labels', 'fraud.labels.v1.avsc', 3),
    requests: await topic('requests', 'ml.retrain-requests.v1.avsc'),
    deployments: await topic('deployments', 'ml.model-deployments.v1.avsc'),
  };
  const produceStarted = performance.now();
  const records = history.scores.map((s) => ({
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
    } satisfies Score,
  }));
  for (let i = 0; i < records.length; i += 10_000)
    await producer.sendMany([{ topic: topics.scores, records: records.slice(i, i + 10_000) }]);
  await producer.sendMany([
    { topic: topics.labels, records: history.labels.map((l) => ({ key: l.transaction_id, value: l })) },
  ]);
  const produceSeconds = (performance.now() - produceStarted) / 1000;

  const config = loadTrainerConfig({
    ...env,
    HTTP_PORT: '0',
    MODEL_STORE_ROOT: root,
    SCORES_TOPIC: topics.scores,
    LABELS_TOPIC: topics.labels,
    RETRAIN_REQUESTS_TOPIC: topics.requests,
    DEPLOYMENTS_TOPIC: topics.deployments,
    TRAINER_GROUP_ID: uniqueName('bench-trainer'),
    TRAINER_LIFECYCLE_GROUP_ID: uniqueName('bench-lifecycle'),
    LOG_LEVEL: 'warn',
  });
  const registry = new ModelRegistry(new FileSystemModelStore(root), localKeyRingKeys());
  const context = { actor: 'bench', reason: 'base', eventTime: request.window_start };
  await registry.register(base.onnx, base.manifest, context);
  await registry.transition('v1', 'PRODUCTION', context);
  const app = await NestFactory.create(TrainerModule.forRoot(config), { logger: ['error', 'warn'] });
  await app.init();
  try {
    const started = performance.now();
    await producer.sendMany([
      { topic: topics.requests, records: [{ key: request.request_id, value: request }] },
    ]);
    let event: ModelDeployment | undefined;
    for (;;) {
      const events = await readTopicSnapshot(kafka, serde, topics.deployments, (v) => v as ModelDeployment);
      event = events.find((e) => e.request_id === request.request_id);
      if (event) break;
      if (performance.now() - started > 600_000) throw new Error('no deployment event within 10 minutes');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    return {
      score_records: records.length,
      produce_seconds: produceSeconds,
      request_to_deployed_seconds: (performance.now() - started) / 1000,
      stage: event.stage,
      train_seconds: event.metrics.train_seconds ?? null,
    };
  } finally {
    await app.close();
    await raw.disconnect();
    rmSync(root, { recursive: true, force: true });
  }
}

runBench(main);
