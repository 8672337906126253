/*
 * `npm run pretrain`: the pretrained base model for transfer learning. A seeded corpus of simulated
 * populations (sizes, activity, fraud mixes and mechanisms, label delays, channel recorded or not,
 * drift scenarios), every payment's features from the scorer's FeaturePipeline, one MLP trained on
 * all of it as train:base trains (hold-out, early stopping, threshold, reference profile), registered
 * in its own registry (default var/pretrained) in PRODUCTION there. `train:base --from-pretrained`
 * fine-tunes it on a bank's file. Same seed and options, same ONNX bytes. docs/transfer.md.
 */
import 'reflect-metadata';
import { parseArgs } from 'node:util';
import {
  ModelRegistry,
  createModelStore,
  createRegistryKeys,
  resolveCodeRevision,
} from '@fraudstream/registry';
import { trainingSettingsFrom } from '@fraudstream/training';
import { loadTrainerConfig } from '../trainer.config';
import { runTrainingCli, useCliLogger } from './cli-support';
import { DEFAULT_CORPUS, pretrainModel } from './pretrain-corpus';

const USAGE = `npm run pretrain -- [options]
  --seed N            corpus and training seed (default 1)
  --populations N     simulated populations (default ${DEFAULT_CORPUS.populations})
  --days N            days of each population in the corpus, after the warm-up (default ${DEFAULT_CORPUS.days})
  --warmup-days N     days simulated first to fill the feature windows (default ${DEFAULT_CORPUS.warmupDays})
  --min-customers N, --max-customers N   population sizes (default ${DEFAULT_CORPUS.minCustomers}-${DEFAULT_CORPUS.maxCustomers})
  --out DIR           registry root of pretrained models (default var/pretrained)
  --version V         version name (default: the next v<n> there)
  --epochs N          training epochs (default TRAINER_BASE_EPOCHS)
Exit status: 0 trained and registered, 2 bad input, 1 other errors.`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      seed: { type: 'string', default: '1' },
      populations: { type: 'string' },
      days: { type: 'string' },
      'warmup-days': { type: 'string' },
      'min-customers': { type: 'string' },
      'max-customers': { type: 'string' },
      out: { type: 'string', default: 'var/pretrained' },
      version: { type: 'string' },
      epochs: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const config = loadTrainerConfig();
  useCliLogger('pretrain', config);
  const seed = Number(values.seed);
  const settings = {
    ...trainingSettingsFrom(config),
    seed,
    ...(values.epochs ? { baseEpochs: Number(values.epochs) } : {}),
  };
  const corpus = {
    seed,
    populations: Number(values.populations ?? DEFAULT_CORPUS.populations),
    days: Number(values.days ?? DEFAULT_CORPUS.days),
    warmupDays: Number(values['warmup-days'] ?? DEFAULT_CORPUS.warmupDays),
    minCustomers: Number(values['min-customers'] ?? DEFAULT_CORPUS.minCustomers),
    maxCustomers: Number(values['max-customers'] ?? DEFAULT_CORPUS.maxCustomers),
  };
  const started = performance.now();
  const registry = new ModelRegistry(
    createModelStore({ ...config, MODEL_STORE: 'file', MODEL_STORE_ROOT: values.out }),
    createRegistryKeys(config),
  );
  const version = values.version ?? (await registry.nextVersion());
  const { trained, rows, positives, populations, asOf, corpusSeconds } = await pretrainModel({
    corpus,
    settings,
    version,
    codeRevision: resolveCodeRevision(config.GIT_SHA),
    log: (line) => console.error(line),
  });
  const context = {
    actor: 'cli:pretrain',
    reason: `pretrained on a simulated corpus (seed ${seed})`,
    eventTime: asOf,
  };
  const uri = await registry.register(trained.onnx, trained.manifest, context);
  await registry.transition(version, 'PRODUCTION', context);
  console.log(
    JSON.stringify(
      {
        version,
        registry: values.out,
        artifact_uri: uri,
        sha256: trained.manifest.onnx.sha256,
        corpus: { ...corpus, rows, positives },
        populations: populations.map((p) => ({ ...p.simulation, channel_recorded: p.channelRecorded })),
        train_rows: trained.trainRows,
        validation: trained.validation,
        epochs: { run: trained.train.epochsRun, best: trained.train.bestEpoch },
        seconds: { corpus: corpusSeconds, total: (performance.now() - started) / 1000 },
      },
      null,
      2,
    ),
  );
  return 0;
}

runTrainingCli(main);
