import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { FEATURE_NAMES, FEATURE_SET_VERSION } from '@fraudstream/features';
import { ModelRegistry, createModelStore, resolveCodeRevision } from '@fraudstream/registry';
import { isDriftScenario } from '@fraudstream/simulation';
import {
  DeploymentAnnouncer,
  DeploymentLifecycle,
  KafkaDeploymentPublisher,
  KafkaTrainingDataSource,
  TrainingJobError,
  joinMatureLabels,
  trainBaseModel,
  trainingSettingsFrom,
  type ScoredTransaction,
  type ThresholdPolicy,
} from '@fraudstream/training';
import type { Label } from '@fraudstream/contracts';
import { loadTrainerConfig } from '../trainer.config';
import { connectKafka, useCliLogger } from './cli-support';
import { buildSimulatedHistory } from './simulated-history';

const USAGE = `npm run train:base -- [options]
  --source simulate|topics   training data: the seeded simulator (default) or tx.scores.v1 + fraud.labels.v1
  --seed N                   simulator and training seed (default TRAINER_SEED, 42)
  --days N                   simulated days (default 21)
  --warmup-days N            first simulated days that only fill the feature windows, not trained on (default 0)
  --customers N              simulated customers/cards (default 1000)
  --terminals N              simulated terminals (default 10000)
  --scenario NAME            simulator drift scenario (default stable)
  --start ISO                event time of the first simulated day, a UTC midnight (default 2026-01-05)
  --out DIR                  registry root (default MODEL_STORE_ROOT, var/models)
  --version V                version name (default: the next v<n>)
  --capacity N               threshold: analysts' alerts per day (default 100)
  --target-precision P       threshold: lowest with precision >= P (instead of --capacity)
  --epochs N                 training epochs (default TRAINER_BASE_EPOCHS)
  --no-promote               register as CANDIDATE only
  --deploy                   also emit a PRODUCTION event on ml.model-deployments.v1 (scorers load it)
Exit status: 0 trained and registered, 2 bad input (too little data, one class), 1 any other error.`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      source: { type: 'string', default: 'simulate' },
      seed: { type: 'string' },
      days: { type: 'string', default: '21' },
      'warmup-days': { type: 'string', default: '0' },
      customers: { type: 'string', default: '1000' },
      terminals: { type: 'string' },
      start: { type: 'string' },
      scenario: { type: 'string', default: 'stable' },
      out: { type: 'string' },
      version: { type: 'string' },
      capacity: { type: 'string', default: '100' },
      'target-precision': { type: 'string' },
      epochs: { type: 'string' },
      'no-promote': { type: 'boolean', default: false },
      deploy: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const config = loadTrainerConfig();
  useCliLogger('train-base', config);
  const base = trainingSettingsFrom(config);
  const seed = values.seed !== undefined ? Number(values.seed) : base.seed;
  const settings = { ...base, seed, ...(values.epochs ? { baseEpochs: Number(values.epochs) } : {}) };
  const registry = new ModelRegistry(
    createModelStore(values.out ? { ...config, MODEL_STORE: 'file', MODEL_STORE_ROOT: values.out } : config),
  );
  const policy: ThresholdPolicy = values['target-precision']
    ? { kind: 'target-precision', value: Number(values['target-precision']) }
    : { kind: 'daily-capacity', value: Number(values.capacity) };

  const started = performance.now();
  let scores: ScoredTransaction[];
  let labels: Label[];
  let asOf: number;
  if (values.source === 'simulate') {
    const scenario = values.scenario ?? 'stable';
    if (!isDriftScenario(scenario)) throw new Error(`unknown scenario ${scenario}`);
    const warmupDays = Number(values['warmup-days']);
    if (!Number.isInteger(warmupDays) || warmupDays < 0 || warmupDays >= Number(values.days))
      throw new Error(`--warmup-days must be an integer in [0, --days), got "${values['warmup-days']}"`);
    const history = await buildSimulatedHistory(
      {
        seed,
        days: Number(values.days),
        customers: Number(values.customers),
        ...(values.terminals !== undefined ? { terminals: Number(values.terminals) } : {}),
        ...(values.start !== undefined ? { startTime: Date.parse(values.start) } : {}),
        scenario,
      },
      { warmupDays },
    );
    ({ scores, labels } = history);
    asOf = history.end;
  } else if (values.source === 'topics') {
    const kafka = await connectKafka(config, 'train-base');
    try {
      const source = new KafkaTrainingDataSource(kafka.kafka, kafka.serde, {
        scores: config.SCORES_TOPIC,
        labels: config.LABELS_TOPIC,
      });
      scores = await source.readScores(0, Number.MAX_SAFE_INTEGER);
      asOf = scores.reduce((max, s) => Math.max(max, s.event_time), 0);
      labels = await source.readLabels(0, Number.MAX_SAFE_INTEGER, asOf);
    } finally {
      await kafka.close();
    }
  } else throw new Error(`unknown --source ${values.source}`);
  const dataSeconds = (performance.now() - started) / 1000;

  const { rows, stats } = joinMatureLabels(
    scores,
    labels,
    { chargebackWindowMs: settings.chargebackWindowMs, asOf },
    FEATURE_SET_VERSION,
  );
  const version = values.version ?? (await registry.nextVersion());
  const trained = await trainBaseModel({
    rows,
    asOf,
    version,
    featureNames: FEATURE_NAMES,
    featureSetVersion: FEATURE_SET_VERSION,
    thresholdPolicy: policy,
    codeRevision: resolveCodeRevision(config.GIT_SHA),
    settings,
  });
  const context = { actor: 'cli:train-base', reason: `base model (${values.source})`, eventTime: asOf };
  const uri = await registry.register(trained.onnx, trained.manifest, context);
  let stage = 'CANDIDATE';
  if (values.deploy) {
    const kafka = await connectKafka(config, 'train-base');
    try {
      const announcer = new DeploymentAnnouncer(
        registry,
        new KafkaDeploymentPublisher(kafka.producer, config.DEPLOYMENTS_TOPIC),
      );
      const lifecycle = new DeploymentLifecycle(registry, announcer, settings, 'cli:train-base');
      const decision = await lifecycle.promote(version, context, {
        validation_average_precision: trained.validation.average_precision,
        validation_roc_auc: trained.validation.roc_auc,
        validation_card_precision_at_k: trained.validation.card_precision_at_k,
      });
      stage = decision.published
        ? 'PRODUCTION (event sent)'
        : 'PRODUCTION (event pending: the trainer, or npm run models -- reconcile, sends it)';
    } finally {
      await kafka.close();
    }
  } else if (!values['no-promote']) {
    await registry.transition(version, 'PRODUCTION', context);
    stage = 'PRODUCTION (registry only; --deploy to tell scorers)';
  }
  console.log(
    JSON.stringify(
      {
        version,
        stage,
        artifact_uri: uri,
        sha256: trained.manifest.onnx.sha256,
        rows: {
          scored: stats.scoreRows,
          labelled: rows.length,
          immature: stats.immature,
          train: trained.trainRows,
        },
        threshold: trained.manifest.threshold,
        validation: trained.validation,
        epochs: { run: trained.train.epochsRun, best: trained.train.bestEpoch },
        seconds: { data: dataSeconds, total: (performance.now() - started) / 1000 },
      },
      null,
      2,
    ),
  );
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.exit(error instanceof TrainingJobError ? 2 : 1);
  },
);
