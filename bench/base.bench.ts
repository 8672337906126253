/*
 * `npm run bench:base`: how well base models of a few sizes serve a stream nobody retrains, in process
 * and deterministic (no Kafka). For each seed, the quality benchmark's simulated stream (history, then
 * `--days` stream days of `--scenario`); for each ensemble size N in `--ensembles`, the base model
 * trained on the history with `TRAINER_BASE_ENSEMBLE=N` (the other TRAINER_* settings from the
 * environment), then scored on every stream day as the static policy: its mean AP over the stream,
 * over the first 7 days, its validation AP and its training time. The screen for a base-training
 * setting: many seeds in minutes, each a whole stream of live AP rather than a hold-out of a few dozen
 * frauds. Options: --seeds 7,11 (7,11,13), --ensembles 1,3 (1,3), --scenario NAME (stable),
 * --customers N (1000), --days N (28), --history-days N (21), --warmup-days N (30), --json FILE.
 */
import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { Logger } from '@nestjs/common';
import { loadConfig, processEnv } from '@fraudstream/config';
import { isDriftScenario, type DriftScenario } from '@fraudstream/simulation';
import { averagePrecision } from '@fraudstream/stats';
import { trainingConfigFragment, trainingSettingsFrom } from '@fraudstream/training';
import { OnnxDayScorer } from './quality/onnx-day.scorer';
import { meanFrom } from './quality/quality-goals';
import { buildQualityStream } from './quality/quality-stream';
import { analystCapacity, trainStreamBase } from './quality/stream-base';
import { reportBench, runBench, type BenchValue } from './support/bench-report';

const OPTIONS = {
  seeds: { type: 'string', default: '7,11,13' },
  ensembles: { type: 'string', default: '1,3' },
  scenario: { type: 'string', default: 'stable' },
  customers: { type: 'string', default: '1000' },
  days: { type: 'string', default: '28' },
  'history-days': { type: 'string', default: '21' },
  'warmup-days': { type: 'string', default: '30' },
  json: { type: 'string', default: 'bench-results/base.json' },
} as const;

const FIRST_DAYS = 7;

function integers(raw: string, name: string, min: number): number[] {
  const values = raw.split(',').map((s) => Number(s.trim()));
  if (values.length === 0 || values.some((v) => !Number.isInteger(v) || v < min))
    throw new Error(`--${name} takes integers >= ${min}, comma-separated; got ${raw}`);
  return values;
}

const mean = (xs: readonly number[]) => meanFrom(xs, 0);
const round = (x: number) => Math.round(x * 10_000) / 10_000;

interface BaseRun {
  readonly apMean: number;
  readonly apFirstDays: number;
  readonly validationAp: number;
  readonly bestEpoch: number;
  readonly seconds: number;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ args: process.argv.slice(2), options: OPTIONS, strict: true });
  const seeds = integers(values.seeds, 'seeds', 0);
  const ensembles = integers(values.ensembles, 'ensembles', 1);
  const [customers] = integers(values.customers, 'customers', 10);
  const [streamDays] = integers(values.days, 'days', 1);
  const [historyDays] = integers(values['history-days'], 'history-days', 1);
  const [warmupDays] = integers(values['warmup-days'], 'warmup-days', 0);
  if (!isDriftScenario(values.scenario)) throw new Error(`unknown scenario ${values.scenario}`);
  const scenario: DriftScenario = values.scenario;
  Logger.overrideLogger(['error']);
  const capacity = analystCapacity(customers ?? 1000);
  const training = trainingSettingsFrom(
    loadConfig(trainingConfigFragment, { TRAINER_CARD_PRECISION_K: String(capacity), ...processEnv() }),
  );

  const runs: Record<string, BenchValue> = {};
  const bySize = new Map<number, BaseRun[]>(ensembles.map((n) => [n, []]));
  for (const seed of seeds) {
    const stream = await buildQualityStream({
      seed,
      customers: customers ?? 1000,
      scenario,
      warmupDays: warmupDays ?? 30,
      historyDays: historyDays ?? 21,
      streamDays: streamDays ?? 28,
      driftDay: 0,
    });
    const row: Record<string, BenchValue> = {};
    for (const n of ensembles) {
      const started = performance.now();
      const base = await trainStreamBase(stream, { ...training, baseEnsemble: n }, capacity);
      const seconds = (performance.now() - started) / 1000;
      const scorer = await OnnxDayScorer.load(base.manifest, base.onnx);
      const apByDay: number[] = [];
      for (const day of stream.days)
        apByDay.push(averagePrecision(await scorer.score(day.rows), day.isFraud));
      const run: BaseRun = {
        apMean: mean(apByDay),
        apFirstDays: mean(apByDay.slice(0, FIRST_DAYS)),
        validationAp: base.validation.average_precision,
        bestEpoch: base.train.bestEpoch,
        seconds,
      };
      bySize.get(n)?.push(run);
      row[`ensemble_${n}`] = {
        ap_mean: round(run.apMean),
        ap_mean_first_7_days: round(run.apFirstDays),
        validation_average_precision: round(run.validationAp),
        first_network_best_epoch: run.bestEpoch,
        seconds: round(run.seconds),
      };
      console.log(
        `[bench:base] seed ${seed}, ${scenario}, ${n} network(s): AP ${run.apMean.toFixed(4)} over ${apByDay.length} days ` +
          `(first ${FIRST_DAYS}: ${run.apFirstDays.toFixed(4)}), validation AP ${run.validationAp.toFixed(3)}, ${seconds.toFixed(1)} s`,
      );
    }
    runs[`seed_${seed}`] = row;
  }

  // Each size against the first one named, seed by seed (the same stream, the same settings).
  const [first] = ensembles;
  const reference = bySize.get(first ?? 1) ?? [];
  const summary: Record<string, BenchValue> = {};
  const table = [
    `| networks | mean AP | mean AP, first ${FIRST_DAYS} days | vs ${first}: mean | seeds better / worse | worst seed | seconds |`,
    '| --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const n of ensembles) {
    const results = bySize.get(n) ?? [];
    const diffs = results.map((r, i) => r.apMean - (reference[i]?.apMean ?? Number.NaN));
    const size = {
      ap_mean: round(mean(results.map((r) => r.apMean))),
      ap_mean_first_7_days: round(mean(results.map((r) => r.apFirstDays))),
      ap_gain_vs_first: round(mean(diffs)),
      seeds_better: diffs.filter((d) => d > 0).length,
      seeds_worse: diffs.filter((d) => d < 0).length,
      worst_seed_gain: round(Math.min(...diffs)),
      seconds_mean: round(mean(results.map((r) => r.seconds))),
    };
    summary[`ensemble_${n}`] = size;
    const signed = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(4)}`;
    table.push(
      `| ${n} | ${size.ap_mean.toFixed(4)} | ${size.ap_mean_first_7_days.toFixed(4)} | ${signed(size.ap_gain_vs_first)} | ` +
        `${size.seeds_better} / ${size.seeds_worse} | ${size.worst_seed_gain.toFixed(4)} | ${size.seconds_mean.toFixed(1)} |`,
    );
  }
  reportBench('bench:base (the base model as the static policy)', values.json, {
    scenario,
    customers: customers ?? 1000,
    stream_days: streamDays ?? 28,
    seeds,
    summary,
    runs,
  });
  console.log(`\n${table.join('\n')}`);
}

runBench(main);
