import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { Logger } from '@nestjs/common';
import { configuredFeatureSet } from '@fraudstream/features';
import { DEFAULT_CHARGEBACK_DELAY, isDatasetFormat, parseChargebackDelay } from '@fraudstream/datasets';
import { OnnxWorkerPool, readMlpOnnx } from '@fraudstream/model';
import {
  ModelRegistry,
  createManifestVerifier,
  createModelStore,
  registryOptionsOf,
  createRegistryKeys,
  resolveCodeRevision,
} from '@fraudstream/registry';
import { isDriftScenario } from '@fraudstream/simulation';
import {
  DeploymentAnnouncer,
  DeploymentLifecycle,
  KafkaDeploymentPublisher,
  KafkaTrainingDataSource,
  TrainingJobError,
  buildReferenceProfile,
  joinMatureLabels,
  registerQuantizedVariant,
  toTrainingMatrix,
  trainBaseModel,
  trainingSettingsFrom,
  type NetworkStart,
  type ScoredTransaction,
  type ThresholdPolicy,
} from '@fraudstream/training';
import type { Label } from '@fraudstream/contracts';
import { loadTrainerConfig } from '../trainer.config';
import { connectKafka, runTrainingCli, useCliLogger } from './cli-support';
import { buildFileHistory } from './file-history';
import { buildSimulatedHistory } from './simulated-history';

const USAGE = `npm run train:base -- [options]
  --source simulate|topics|file   training data: the seeded simulator (default), tx.scores.v1 +
                             fraud.labels.v1, or a bank's file (--transactions)
  --transactions FILE        the file (--source file): .csv[.gz], .ndjson[.gz], .jsonl, .parquet
  --labels FILE              labels with their own times (--source file, optional)
  --format NAME              handbook | fraudstream (--source file; default handbook)
  --label-delay MODEL        chargeback model of fraud flags: fixed:<days> | uniform:<min>-<max> (default uniform:1-7)
  --from-day N               first day of the file trained on (earlier days only warm the features; default 0)
  --from-pretrained          fine-tune the pretrained model (npm run pretrain) instead of training from scratch
  --pretrained DIR           registry of the pretrained model (default var/pretrained; its PRODUCTION version)
  --pretrained-version V     that version instead
  --standardisation S        with --from-pretrained: data (the bank's rows' constants, default) or pretrained
  --seed N                   simulator and training seed (default TRAINER_SEED, 42)
  --days N                   simulated days (default 21); with --source file, days of the file (default: all)
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
With TRAINER_QUANTIZE=int8 it also registers the model's int8 variant (a CANDIDATE, or REJECTED when
it loses more than GATE_MAX_QUANTIZATION_AP_LOSS of AP on the validation rows).
Exit status: 0 trained and registered, 2 bad input (too little data, one class), 1 any other error.`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      source: { type: 'string', default: 'simulate' },
      seed: { type: 'string' },
      days: { type: 'string' },
      'warmup-days': { type: 'string', default: '0' },
      transactions: { type: 'string' },
      labels: { type: 'string' },
      format: { type: 'string', default: 'handbook' },
      'label-delay': { type: 'string' },
      'from-day': { type: 'string', default: '0' },
      'from-pretrained': { type: 'boolean', default: false },
      pretrained: { type: 'string', default: 'var/pretrained' },
      'pretrained-version': { type: 'string' },
      standardisation: { type: 'string', default: 'data' },
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
  const featureSet = configuredFeatureSet(config);
  useCliLogger('train-base', config);
  const base = trainingSettingsFrom(config);
  const seed = values.seed !== undefined ? Number(values.seed) : base.seed;
  const settings = { ...base, seed, ...(values.epochs ? { baseEpochs: Number(values.epochs) } : {}) };
  const registry = new ModelRegistry(
    createModelStore(values.out ? { ...config, MODEL_STORE: 'file', MODEL_STORE_ROOT: values.out } : config),
    createRegistryKeys(config),
    registryOptionsOf(config),
  );
  const policy: ThresholdPolicy = values['target-precision']
    ? { kind: 'target-precision', value: Number(values['target-precision']) }
    : { kind: 'daily-capacity', value: Number(values.capacity) };

  const started = performance.now();
  let scores: ScoredTransaction[];
  let labels: Label[];
  let asOf: number;
  let fileRejected: number | null = null;
  if (values.source === 'simulate') {
    const scenario = values.scenario ?? 'stable';
    if (!isDriftScenario(scenario)) throw new Error(`unknown scenario ${scenario}`);
    const simulatedDays = Number(values.days ?? 21);
    const warmupDays = Number(values['warmup-days']);
    if (!Number.isInteger(warmupDays) || warmupDays < 0 || warmupDays >= simulatedDays)
      throw new Error(`--warmup-days must be an integer in [0, --days), got "${values['warmup-days']}"`);
    const history = await buildSimulatedHistory(
      {
        seed,
        days: simulatedDays,
        customers: Number(values.customers),
        ...(values.terminals !== undefined ? { terminals: Number(values.terminals) } : {}),
        ...(values.start !== undefined ? { startTime: Date.parse(values.start) } : {}),
        scenario,
      },
      { warmupDays, featureSet },
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
  } else if (values.source === 'file') {
    if (!values.transactions)
      throw new TrainingJobError('WINDOW_TOO_SMALL', '--source file needs --transactions FILE');
    if (!isDatasetFormat(values.format)) throw new Error(`unknown --format ${values.format}`);
    const history = await buildFileHistory({
      transactions: values.transactions,
      labels: values.labels ?? null,
      format: values.format,
      chargebackDelay: values['label-delay']
        ? parseChargebackDelay(values['label-delay'])
        : DEFAULT_CHARGEBACK_DELAY,
      fromDay: Number(values['from-day']),
      days: values.days === undefined ? null : Number(values.days),
      featureSet,
    });
    ({ scores, labels } = history);
    asOf = history.end;
    fileRejected = history.rejected;
  } else throw new Error(`unknown --source ${values.source}`);
  const dataSeconds = (performance.now() - started) / 1000;

  const { rows, stats } = joinMatureLabels(
    scores,
    labels,
    { chargebackWindowMs: settings.chargebackWindowMs, asOf },
    featureSet.version,
  );
  const version = values.version ?? (await registry.nextVersion());
  let start: NetworkStart = { kind: 'scratch' };
  let parentVersion: string | null = null;
  if (values['from-pretrained']) {
    const standardisation = values.standardisation;
    if (standardisation !== 'data' && standardisation !== 'pretrained')
      throw new Error(`--standardisation must be data or pretrained, got ${standardisation}`);
    const pretrained = new ModelRegistry(
      createModelStore({ ...config, MODEL_STORE: 'file', MODEL_STORE_ROOT: values.pretrained }),
      { signer: null, verifier: createManifestVerifier(config) },
    );
    parentVersion = values['pretrained-version'] ?? (await pretrained.productionVersion());
    if (parentVersion === null)
      throw new Error(
        `no pretrained model in production under ${values.pretrained} (npm run pretrain writes one)`,
      );
    const artifact = await pretrained.readVerified(parentVersion);
    if (artifact.manifest.feature_set_version !== featureSet.version)
      throw new Error(
        `pretrained ${parentVersion} was trained on feature set ${artifact.manifest.feature_set_version}, FEATURE_SET is ${featureSet.version}`,
      );
    start = { kind: 'pretrained', weights: readMlpOnnx(artifact.onnx), standardisation };
  }
  const logger = new Logger('TrainBase');
  logger.log({
    msg: 'training a base model',
    version,
    source: values.source,
    featureSet: featureSet.version,
    rows: rows.length,
    start: start.kind,
    ...(parentVersion ? { pretrained: parentVersion } : {}),
  });
  const trained = await trainBaseModel({
    start,
    parentVersion,
    rows,
    asOf,
    version,
    featureNames: featureSet.names,
    featureSetVersion: featureSet.version,
    thresholdPolicy: policy,
    codeRevision: resolveCodeRevision(config.GIT_SHA),
    settings,
  });
  const context = {
    actor: 'cli:train-base',
    reason: `base model (${values.source}${parentVersion ? `, fine-tuned from pretrained ${parentVersion}` : ''})`,
    eventTime: asOf,
  };
  const uri = await registry.register(trained.onnx, trained.manifest, context);
  logger.log({
    msg: 'registered',
    version,
    uri,
    validationAveragePrecision: trained.validation.average_precision,
    threshold: trained.manifest.threshold,
  });
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
      stage = decision.approval
        ? awaitingApproval(decision.stage, version)
        : decision.published
          ? 'PRODUCTION (event sent)'
          : 'PRODUCTION (event pending: the trainer, or npm run models -- reconcile, sends it)';
    } finally {
      await kafka.close();
    }
  } else if (!values['no-promote'] && (await registry.promotionNeedsApproval(version))) {
    await registry.requestPromotion(version, context);
    stage = awaitingApproval('CANDIDATE', version);
  } else if (!values['no-promote']) {
    await registry.transition(version, 'PRODUCTION', context);
    stage = 'PRODUCTION (registry only; --deploy to tell scorers)';
  }
  // TRAINER_QUANTIZE=int8: the base model's int8 variant, judged on its validation rows. A rejection
  // is a registry change only; the trainer's reconciler (or `models -- reconcile`) announces it.
  const variant =
    settings.quantization.kind === 'int8'
      ? await registerQuantizedVariant({
          registry,
          parent: {
            version,
            onnx: trained.onnx,
            sha256: trained.manifest.onnx.sha256,
            manifest: trained.manifest,
          },
          rows: trained.validationRows,
          width: featureSet.names.length,
          threshold: trained.manifest.threshold,
          k: settings.cardPrecisionK,
          settings: settings.quantization,
          runtime: () => new OnnxWorkerPool(1),
          reference: (network) => {
            const m = toTrainingMatrix(trained.referenceRows, featureSet.names.length);
            return buildReferenceProfile(
              trained.referenceRows,
              network.predict(m.x, m.rows),
              featureSet.names,
            );
          },
          context: { actor: 'cli:train-base', eventTime: asOf, requestId: null },
          reject: async (rejected, change) => {
            await registry.transition(rejected, 'REJECTED', change);
          },
          now: new Date(),
        })
      : null;
  console.log(
    JSON.stringify(
      {
        version,
        stage,
        ...(variant ? { int8_variant: variant } : {}),
        ...(parentVersion ? { fine_tuned_from: `${values.pretrained}:${parentVersion}` } : {}),
        ...(fileRejected !== null ? { rejected_rows: fileRejected } : {}),
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

runTrainingCli(main);

/** The stage line of a base model whose promotion waits for a second principal (REGISTRY_PROMOTION_APPROVALS). */
function awaitingApproval(stage: string, version: string): string {
  return `${stage} (promotion awaiting approval: npm run models -- approve ${version} --as <principal>)`;
}
