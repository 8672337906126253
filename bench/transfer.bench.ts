/*
 * `npm run bench:transfer -- --transactions FILE`: how fast a model adapts to a bank with little
 * labelled history. On held-out test weeks of a file the pretrained model never saw, for N days of
 * labelled history before each week (1, 3, 7, 14, 28; then the 7-day delay, then the week, as the
 * handbook's protocol), it compares AP and card precision@100 of: the MLP trained from scratch on
 * the N days; the pretrained model (npm run pretrain) fine-tuned on them; and the pretrained model
 * as it is. Every arm sees the same feature vectors (the scorer's FeaturePipeline over the whole
 * file: the earlier days warm the windows, only the N days' labels train). docs/benchmarks.md.
 */
import { parseArgs } from 'node:util';
import { loadConfig, processEnv } from '@fraudstream/config';
import { DAY_MS } from '@fraudstream/contracts';
import { isDatasetFormat, parseChargebackDelay, describeChargebackDelay } from '@fraudstream/datasets';
import { readMlpOnnx } from '@fraudstream/model';
import { FileSystemModelStore, ModelRegistry, localKeyRingKeys } from '@fraudstream/registry';
import {
  MlpNetwork,
  computeStandardisation,
  fitNetwork,
  initTfjsWasm,
  trainingConfigFragment,
  trainingSettingsFrom,
  type NetworkStart,
} from '@fraudstream/training';
import {
  cardSplit,
  evaluateIndices,
  handbookTrainTest,
  loadLabelledFile,
  matrixOf,
  type FileMetrics,
} from './datasets/file-protocol';
import { BENCH_TRAINING_DEFAULTS } from './datasets/handbook-baselines';
import { jsonPathFromArgs, reportBench, type BenchValue } from './support/bench-report';

const USAGE = `npm run bench:transfer -- --transactions FILE [options]
  --transactions FILE   the bank's file (npm run simulate -- --handbook-csv FILE writes the handbook's)
  --format NAME         handbook (default) | fraudstream
  --label-delay MODEL   chargeback model (default fixed:7, the handbook's delay)
  --pretrained DIR      registry of the pretrained model (default var/pretrained, its PRODUCTION version)
  --history-days LIST   days of labelled history (default 1,3,7,14,28)
  --test-starts LIST    first days of the held-out test weeks (default 2018-06-13,2018-07-11,2018-08-08,2018-09-05)
  --seeds LIST          training seeds (default 42)
  --k N                 card precision@k (default 100)
  --json FILE           results (default bench-results/transfer.json)`;

type Arm = 'scratch' | 'fine_tuned' | 'pretrained_as_is';
const ARMS: readonly Arm[] = ['scratch', 'fine_tuned', 'pretrained_as_is'];
const mean = (v: readonly number[]) => v.reduce((a, b) => a + b, 0) / Math.max(v.length, 1);
const f3 = (v: number) => (Number.isFinite(v) ? v.toFixed(3) : '  -  ');

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  const { values } = parseArgs({
    args: argv,
    options: {
      transactions: { type: 'string' },
      format: { type: 'string', default: 'handbook' },
      'label-delay': { type: 'string', default: 'fixed:7' },
      pretrained: { type: 'string', default: 'var/pretrained' },
      'history-days': { type: 'string', default: '1,3,7,14,28' },
      'test-starts': { type: 'string', default: '2018-06-13,2018-07-11,2018-08-08,2018-09-05' },
      seeds: { type: 'string', default: '42' },
      k: { type: 'string', default: '100' },
      json: { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help || !values.transactions) {
    console.log(USAGE);
    return values.help ? 0 : 2;
  }
  if (!isDatasetFormat(values.format)) throw new Error(`--format: ${values.format}`);
  const began = performance.now();
  const k = Number(values.k);
  const historyDays = values['history-days'].split(',').map(Number);
  const seeds = values.seeds.split(',').map(Number);
  const chargebackDelay = parseChargebackDelay(values['label-delay']);
  const env = { ...BENCH_TRAINING_DEFAULTS, ...processEnv() };
  const base = trainingSettingsFrom(loadConfig(trainingConfigFragment, env));

  const registry = new ModelRegistry(new FileSystemModelStore(values.pretrained), localKeyRingKeys());
  const pretrainedVersion = await registry.productionVersion();
  if (pretrainedVersion === null)
    throw new Error(`no pretrained model under ${values.pretrained}: run npm run pretrain first`);
  const pretrained = await registry.readVerified(pretrainedVersion);
  const weights = readMlpOnnx(pretrained.onnx);

  const file = await loadLabelledFile({
    path: values.transactions,
    format: values.format,
    chargebackDelay,
    keepDay: () => true,
    log: (line) => console.log(line),
  });
  const testStarts = values['test-starts']
    .split(',')
    .map((d) => Math.round((Date.parse(`${d}T00:00:00Z`) - file.start) / DAY_MS));
  const maxHistory = Math.max(...historyDays);
  for (const t of testStarts)
    if (t - 7 - maxHistory < 0)
      throw new Error(`test week at day ${t} leaves no room for ${maxHistory} days of history`);

  await initTfjsWasm();
  interface Cell extends FileMetrics {
    arm: Arm;
    history_days: number;
    test_start_day: number;
    seed: number;
    train_rows: number;
    train_frauds: number;
    epochs: number;
    seconds: number;
  }
  const cells: Cell[] = [];
  for (const testStart of testStarts) {
    for (const n of historyDays) {
      const window = { trainStartDay: testStart - 7 - n, trainDays: n, delayDays: 7, testDays: 7 };
      const { train, test } = handbookTrainTest(file, window);
      const split = cardSplit(file, train);
      const fit = matrixOf(file, split.fit);
      const validation = matrixOf(file, split.validation);
      const testMatrix = matrixOf(file, test);
      const trainFrauds = train.filter((i) => file.dataset.isFraud[i] === 1).length;
      for (const seed of seeds) {
        const settings = { ...base, seed };
        for (const arm of ARMS) {
          const t0 = performance.now();
          let scores: Float32Array;
          let epochs = 0;
          if (arm === 'pretrained_as_is') {
            // No training: the pretrained weights with the bank's standardisation constants.
            const all = matrixOf(file, train);
            const { mean: m, std } = computeStandardisation(all);
            const network = MlpNetwork.fromWeights({ ...weights, mean: m, std });
            scores = network.predict(testMatrix.x, testMatrix.rows);
            network.dispose();
          } else {
            const start: NetworkStart =
              arm === 'scratch'
                ? { kind: 'scratch' }
                : { kind: 'pretrained', weights, standardisation: 'data' };
            const fitted = await fitNetwork({ start, train: fit, validation, settings, refit: true });
            scores = fitted.network.predict(testMatrix.x, testMatrix.rows);
            epochs = fitted.refitEpochs;
            fitted.network.dispose();
          }
          const metrics = evaluateIndices(file, test, scores, k);
          cells.push({
            ...metrics,
            arm,
            history_days: n,
            test_start_day: testStart,
            seed,
            train_rows: train.length,
            train_frauds: trainFrauds,
            epochs,
            seconds: (performance.now() - t0) / 1000,
          });
          console.log(
            `test day ${testStart}, ${String(n).padStart(2)} days (${train.length.toLocaleString('en-US')} rows, ${trainFrauds} frauds), seed ${seed}, ${arm.padEnd(16)}: ` +
              `AP ${f3(metrics.average_precision)}  CP@${k} ${f3(metrics.card_precision_at_k)}  AUC ${f3(metrics.roc_auc)}  (${epochs} epochs)`,
          );
        }
      }
    }
  }

  const summary: Record<string, BenchValue> = {};
  const lines = ['', `days | ${ARMS.map((a) => `${a} AP / CP@${k}`.padEnd(28)).join(' | ')}`];
  for (const n of historyDays) {
    const row: Record<string, BenchValue> = {};
    const shown: string[] = [];
    for (const arm of ARMS) {
      const c = cells.filter((x) => x.arm === arm && x.history_days === n);
      const ap = c.map((x) => x.average_precision);
      const cp = c.map((x) => x.card_precision_at_k);
      row[arm] = {
        average_precision: mean(ap),
        average_precision_min: Math.min(...ap),
        average_precision_max: Math.max(...ap),
        card_precision_at_k: mean(cp),
        card_precision_at_k_min: Math.min(...cp),
        card_precision_at_k_max: Math.max(...cp),
      };
      shown.push(
        `${f3(mean(ap))} (${f3(Math.min(...ap))}-${f3(Math.max(...ap))}) / ${f3(mean(cp))}`.padEnd(28),
      );
    }
    summary[`days_${n}`] = row;
    lines.push(`${String(n).padStart(4)} | ${shown.join(' | ')}`);
  }
  console.log(lines.join('\n'));
  const better = (n: number, key: 'average_precision' | 'card_precision_at_k') => {
    const c = (arm: Arm) =>
      mean(cells.filter((x) => x.arm === arm && x.history_days === n).map((x) => x[key]));
    return c('fine_tuned') > c('scratch');
  };
  const small = historyDays.filter((n) => n <= 7);
  reportBench(
    'Transfer learning: pretrained + fine-tuned vs from scratch',
    jsonPathFromArgs(argv, 'transfer'),
    {
      file: values.transactions,
      label_delay: describeChargebackDelay(chargebackDelay),
      pretrained: `${values.pretrained}:${pretrainedVersion}`,
      pretrained_sha256: pretrained.manifest.onnx.sha256,
      test_start_days: testStarts,
      history_days: historyDays,
      seeds,
      k,
      summary,
      goals: {
        fine_tuned_ap_above_scratch_up_to_7_days: small.every((n) => better(n, 'average_precision')),
        fine_tuned_card_precision_above_scratch_up_to_7_days: small.every((n) =>
          better(n, 'card_precision_at_k'),
        ),
      },
      cells: cells.map((c) => ({ ...c })),
      seconds: (performance.now() - began) / 1000,
    },
  );
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.exit(1);
  },
);
