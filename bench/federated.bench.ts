/*
 * `npm run bench:federated`: federated fine-tuning across two regions, simulated (docs/trainer.md).
 *
 * Per seed, two simulator populations (regions A and B: their own seeds, cards and terminals, the
 * same new fraud pattern from stream day --drift-day). The serving model was trained on region A's
 * days before the change. Each region then fine-tunes it on its own window (days --drift-day to
 * --test-day − 1, every label known) and is scored on its own later days (--test-day to --days − 1):
 *   - serving:   the model as it was (no fine-tuning);
 *   - local:     each region's own fine-tune, on its rows only;
 *   - federated: FedAvg (libs/training federatedAverage) over --rounds rounds: each region trains the
 *                current global model for its share of the epochs and sends only its weights and row
 *                count; the average, weighted by rows, is the next global model. No row leaves a region;
 *   - pooled:    one fine-tune on both regions' rows together (the upper bound a central copy would give).
 * Every variant trains the same number of epochs (TRAINER_FINE_TUNE_EPOCHS) at the fine-tuning
 * learning rate, without early stopping, from the same serving model.
 */
import { parseArgs } from 'node:util';
import { cpus } from 'node:os';
import {
  baseTrainOptions,
  MlpNetwork,
  computeStandardisation,
  defaultTrainingSettings,
  federatedAverage,
  initTfjsWasm,
  toTrainingMatrix,
  trainMlp,
  type TrainingRow,
  type TrainingSettings,
} from '@fraudstream/training';
import { jsonPathFromArgs, reportBench, type BenchValue, runBench } from './support/bench-report';
import { apOn, rowsOfDays, simulatedLabelledRows } from './support/simulated-rows';

const USAGE = `npm run bench:federated -- [options]
  --seeds A,B,C        simulator seeds of region A (default 7,11,13; region B's is seed + 1000)
  --customers A,B      cards of each region (default 1000,400)
  --rounds N           FedAvg rounds (default 3)
  --days N             stream days (default 20)
  --drift-day N        first day of the new fraud pattern and of the fine-tuning window (default 10)
  --test-day N         first day each region is scored on (default 16)
  --warmup-days N      days simulated only to fill the feature windows (default 10)
  --json FILE          results (default bench-results/federated.json)`;

const OPTIONS = {
  seeds: { type: 'string' },
  customers: { type: 'string' },
  rounds: { type: 'string' },
  days: { type: 'string' },
  'drift-day': { type: 'string' },
  'test-day': { type: 'string' },
  'warmup-days': { type: 'string' },
  json: { type: 'string' },
  help: { type: 'boolean' },
} as const;

const round = (x: number): number => Number(x.toFixed(4));

function log(line: string): void {
  console.error(`[bench:federated] ${line}`);
}

function ints(raw: string | undefined, fallback: string, what: string): number[] {
  const values = (raw ?? fallback).split(',').map((s) => Number(s.trim()));
  if (values.some((v) => !Number.isInteger(v) || v < 1)) throw new Error(`--${what} takes positive integers`);
  return values;
}

interface RegionResult {
  readonly region: string;
  readonly customers: number;
  readonly window_rows: number;
  readonly window_frauds: number;
  readonly test_rows: number;
  readonly test_frauds: number;
  readonly ap_serving: number;
  readonly ap_local: number;
  readonly ap_federated: number;
  readonly ap_pooled: number;
}

interface Region {
  readonly name: string;
  readonly window: TrainingRow[];
  readonly test: TrainingRow[];
}

/** A copy of `from` trained for `epochs` epochs on `rows` at the fine-tuning rate (the caller disposes it). */
async function fineTune(
  from: MlpNetwork,
  rows: readonly TrainingRow[],
  epochs: number,
  settings: TrainingSettings,
): Promise<MlpNetwork> {
  const network = from.clone();
  const matrix = toTrainingMatrix(rows, network.inputWidth);
  // No early stopping: the validation loss is not computed (an empty matrix).
  const none = { x: new Float32Array(0), y: new Float32Array(0), rows: 0, width: matrix.width };
  await trainMlp(network, matrix, none, {
    epochs,
    batchSize: settings.batchSize,
    learningRate: settings.fineTuneLearningRate,
    seed: settings.seed,
    classWeighting: settings.classWeighting,
    patience: settings.patience,
    earlyStopping: false,
    l2: settings.l2,
  });
  return network;
}

async function runSeed(
  seed: number,
  customers: readonly number[],
  o: { rounds: number; days: number; driftDay: number; testDay: number; warmupDays: number },
  settings: TrainingSettings,
): Promise<{ readonly regions: RegionResult[]; readonly epochs: number; readonly federatedEpochs: number }> {
  const populations = [];
  for (const [i, n] of customers.entries())
    populations.push(
      await simulatedLabelledRows({
        seed: seed + 1000 * i,
        customers: n,
        days: o.days,
        warmupDays: o.warmupDays,
        scenario: 'new-fraud-pattern',
        driftDay: o.driftDay,
      }),
    );
  const regions: Region[] = populations.map(({ rows, start }, i) => ({
    name: String.fromCharCode(65 + i),
    window: rowsOfDays(rows, start, o.driftDay, o.testDay),
    test: rowsOfDays(rows, start, o.testDay, o.days),
  }));
  // The serving model: region A's days before the change (the last two hold out for early stopping).
  const home = populations[0] ?? { rows: [], start: 0 };
  const width = home.rows[0]?.features.length ?? 0;
  const baseTrain = toTrainingMatrix(rowsOfDays(home.rows, home.start, 0, o.driftDay - 2), width);
  const baseValidation = toTrainingMatrix(
    rowsOfDays(home.rows, home.start, o.driftDay - 2, o.driftDay),
    baseTrain.width,
  );
  const { mean, std } = computeStandardisation(baseTrain);
  const serving = MlpNetwork.create({ mean, std, hiddenUnits: settings.hiddenUnits, seed: settings.seed });
  await trainMlp(serving, baseTrain, baseValidation, baseTrainOptions(settings));
  log(`seed ${seed}: serving model trained on ${baseTrain.rows} rows of region A`);

  const epochs = settings.fineTuneEpochs;
  const local: MlpNetwork[] = [];
  for (const region of regions) local.push(await fineTune(serving, region.window, epochs, settings));
  const pooled = await fineTune(
    serving,
    regions.flatMap((r) => r.window),
    epochs,
    settings,
  );
  // FedAvg: every round, each region trains the global model on its own rows and returns weights and a row count.
  const perRound = Math.max(1, Math.round(epochs / o.rounds));
  const federated = serving.clone();
  for (let r = 0; r < o.rounds; r++) {
    const updates = [];
    for (const region of regions) {
      const trained = await fineTune(federated, region.window, perRound, settings);
      updates.push({ region: region.name, weights: trained.snapshot(), rows: region.window.length });
      trained.dispose();
    }
    federated.restore(federatedAverage(updates));
  }

  const results = regions.map((region, i): RegionResult => ({
    region: region.name,
    customers: customers[i] ?? 0,
    window_rows: region.window.length,
    window_frauds: region.window.filter((x) => x.isFraud).length,
    test_rows: region.test.length,
    test_frauds: region.test.filter((x) => x.isFraud).length,
    ap_serving: round(apOn(serving, region.test)),
    ap_local: round(local[i] ? apOn(local[i], region.test) : Number.NaN),
    ap_federated: round(apOn(federated, region.test)),
    ap_pooled: round(apOn(pooled, region.test)),
  }));
  for (const n of [serving, pooled, federated, ...local]) n.dispose();
  return { regions: results, epochs, federatedEpochs: perRound * o.rounds };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: OPTIONS, strict: true });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const seeds = ints(values.seeds, '7,11,13', 'seeds');
  const customers = ints(values.customers, '1000,400', 'customers');
  const [rounds = 3, days = 20, driftDay = 10, testDay = 16, warmupDays = 10] = [
    ints(values.rounds, '3', 'rounds')[0],
    ints(values.days, '20', 'days')[0],
    ints(values['drift-day'], '10', 'drift-day')[0],
    ints(values['test-day'], '16', 'test-day')[0],
    ints(values['warmup-days'], '10', 'warmup-days')[0],
  ];
  if (!(driftDay > 2 && driftDay < testDay && testDay < days))
    throw new Error('need 2 < --drift-day < --test-day < --days');
  await initTfjsWasm();
  const settings = defaultTrainingSettings();
  const started = performance.now();
  const runs: Record<string, BenchValue> = {};
  const table: string[] = [
    '| seed | region | cards | window rows (frauds) | test frauds | serving | local | federated | pooled |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const seed of seeds) {
    const run = await runSeed(seed, customers, { rounds, days, driftDay, testDay, warmupDays }, settings);
    const byRegion: Record<string, BenchValue> = {};
    for (const r of run.regions) {
      byRegion[r.region] = { ...r };
      table.push(
        `| ${seed} | ${r.region} | ${r.customers} | ${r.window_rows} (${r.window_frauds}) | ${r.test_frauds} | ${r.ap_serving} | ${r.ap_local} | ${r.ap_federated} | ${r.ap_pooled} |`,
      );
    }
    runs[String(seed)] = { ...byRegion, epochs: run.epochs, federated_epochs: run.federatedEpochs };
  }
  reportBench('bench:federated', jsonPathFromArgs(process.argv, 'federated'), {
    cpus: cpus().length,
    customers,
    rounds,
    days,
    drift_day: driftDay,
    test_day: testDay,
    warmup_days: warmupDays,
    hidden_units: settings.hiddenUnits.join(','),
    runs,
    seconds: round((performance.now() - started) / 1000),
  });
  console.log(`\n${table.join('\n')}`);
}

runBench(main);
