/*
 * `npm run bench:quality`: drift-recovery quality, in process and deterministic (no Kafka).
 * One seeded simulated stream (history, then `--days` stream days with the drift scenario switched
 * on at stream day `--drift-day`) replayed through the libraries the apps use, under four policies:
 *   static     the base model throughout;
 *   triggered  the drift monitor's detector (DRIFT_* settings) on the scored stream and the labels as
 *              they become known; each retrain request runs the trainer's FineTuneJob;
 *   periodic   the same FineTuneJob at the start of every day, on the same data rules;
 *   stable     triggered, on the `stable` scenario (same seed, no drift).
 * Per day AP and card precision@k (k = DRIFT_ANALYST_DAILY_CAPACITY) against the simulator's truth.
 * Options: --days N (28), --history-days N (21), --warmup-days N (30), --drift-day N (7), --customers N (1000), --seed N (7),
 * --scenario NAME (new-fraud-pattern), --json FILE (the chart goes beside it, .html).
 * Training and policy settings come from the TRAINER_*, GATE_* and DRIFT_* environment variables.
 */
import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { Logger } from '@nestjs/common';
import { loadConfig, processEnv } from '@fraudstream/config';
import { driftConfigFragment, driftSettingsFromConfig } from '@fraudstream/drift';
import { FEATURE_NAMES, FEATURE_SET_VERSION } from '@fraudstream/features';
import { isDriftScenario, type DriftScenario } from '@fraudstream/simulation';
import {
  joinMatureLabels,
  trainBaseModel,
  trainingConfigFragment,
  trainingSettingsFrom,
} from '@fraudstream/training';
import { DAY_MS } from '@fraudstream/contracts';
import { renderApChart } from './quality/ap-chart';
import { replayPolicy, type ReplayInput, type ReplayResult } from './quality/policy-replay';
import { meanFrom, qualityGoals } from './quality/quality-goals';
import { buildQualityStream, type QualityStream } from './quality/quality-stream';
import { jsonPathFromArgs, reportBench, type BenchValue } from './support/bench-report';

/**
 * Settings this benchmark runs with unless the environment sets them. The drift monitor's default
 * ROC-AUC tolerance (0.05) is tighter than the day-to-day AUC spread of the stable stream at this
 * size (docs/quality.md): a daily window of ~1,000 customers holds ~90 frauds clustered on a few
 * compromised terminals, and the base model's validation AUC comes from ~90 frauds too.
 */
const BENCH_ENV_DEFAULTS: Readonly<Record<string, string>> = { DRIFT_AUC_TOLERANCE: '0.1' };

function option(argv: readonly string[], name: string): string | undefined {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
}

function intOption(argv: readonly string[], name: string, fallback: number, min = 1): number {
  const raw = option(argv, name);
  const value = raw === undefined ? fallback : Number(raw);
  if (!Number.isInteger(value) || value < min) throw new Error(`--${name} must be an integer >= ${min}`);
  return value;
}

const round = (x: number, digits = 4): number => (Number.isFinite(x) ? Number(x.toFixed(digits)) : x);

function log(line: string): void {
  console.error(`[bench:quality] ${line}`);
}

function describeStream(stream: QualityStream): Record<string, BenchValue> {
  let rows = 0;
  let frauds = 0;
  for (const day of stream.days) {
    rows += day.rows.length;
    for (const f of day.isFraud) if (f) frauds++;
  }
  return {
    transactions_per_day: Math.round(rows / Math.max(1, stream.days.length)),
    fraud_rate: round(frauds / Math.max(1, rows), 5),
  };
}

function summarise(run: ReplayResult, driftOnsetDay: number): Record<string, BenchValue> {
  const deployed = run.retrains.filter((r) => r.status === 'SHADOW');
  return {
    ap_by_day: run.apByDay.map((v) => round(v)),
    ap_mean_after_drift: round(meanFrom(run.apByDay, driftOnsetDay)),
    ap_mean_before_drift: round(meanFrom(run.apByDay.slice(0, driftOnsetDay), 0)),
    card_precision_at_k_by_day: run.cardPrecisionByDay.map((v) => round(v)),
    card_precision_at_k_mean_after_drift: round(meanFrom(run.cardPrecisionByDay, driftOnsetDay)),
    daily_card_precision_at_k_mean_after_drift: round(meanFrom(run.dailyCardPrecisionByDay, driftOnsetDay)),
    retrains: run.retrains.length,
    deployments: deployed.length,
    // A promoted model serves from the day after its request.
    deployment_days: deployed.map((r) => r.day + 1),
    retrain_log: run.retrains.map(
      (r) =>
        `day ${r.day} ${r.trigger} ${r.status}` +
        (r.averagePrecisionGain === null ? '' : ` AP gain ${r.averagePrecisionGain.toFixed(3)}`),
    ),
    mature_verdicts: Object.fromEntries(Object.entries(run.matureVerdicts).sort()),
    seconds: 0,
  };
}

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; seconds: number }> {
  const started = performance.now();
  const value = await fn();
  return { value, seconds: round((performance.now() - started) / 1000, 1) };
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const started = performance.now();
  const seed = intOption(argv, 'seed', 7, 0);
  const customers = intOption(argv, 'customers', 1000);
  const streamDays = intOption(argv, 'days', 28);
  const historyDays = intOption(argv, 'history-days', 21);
  const warmupDays = intOption(argv, 'warmup-days', 30, 0);
  const driftDay = intOption(argv, 'drift-day', 7, 0);
  const scenario = option(argv, 'scenario') ?? 'new-fraud-pattern';
  if (!isDriftScenario(scenario)) throw new Error(`unknown --scenario ${scenario}`);
  if (driftDay >= streamDays) throw new Error('--drift-day must fall inside the stream (< --days)');
  const jsonPath = jsonPathFromArgs(argv, 'quality');
  Logger.overrideLogger(['error']);

  const env = { ...BENCH_ENV_DEFAULTS, ...processEnv() };
  const training = trainingSettingsFrom(loadConfig(trainingConfigFragment, env));
  const drift = driftSettingsFromConfig(loadConfig(driftConfigFragment, env));
  const k = drift.analystDailyCapacity;
  const streamOptions = (s: DriftScenario) => ({
    seed,
    customers,
    scenario: s,
    warmupDays,
    historyDays,
    streamDays,
    driftDay,
  });

  log(
    `simulating ${warmupDays} + ${historyDays} + ${streamDays} days of ${customers} customers (${scenario})`,
  );
  const built = await timed(() => buildQualityStream(streamOptions(scenario)));
  const stream = built.value;
  log(`${stream.rows.length} transactions in ${built.seconds} s`);

  // Base model v1: the history's settled labels at the start of the stream, as `npm run train:base` does.
  const baseRun = await timed(async () => {
    const history = stream.rows.filter((r) => r.event_time < stream.streamStart);
    const { rows } = joinMatureLabels(
      history,
      stream.labels,
      { chargebackWindowMs: training.chargebackWindowMs, asOf: stream.streamStart },
      FEATURE_SET_VERSION,
    );
    return trainBaseModel({
      rows,
      asOf: stream.streamStart,
      version: 'v1',
      featureNames: FEATURE_NAMES,
      featureSetVersion: FEATURE_SET_VERSION,
      thresholdPolicy: { kind: 'daily-capacity', value: k },
      codeRevision: 'bench',
      settings: training,
    });
  });
  const base = baseRun.value;
  log(
    `base model: AP ${base.validation.average_precision.toFixed(3)}, ${base.train.epochsRun} epochs in ${baseRun.seconds} s`,
  );

  const input: ReplayInput = { stream, base, training, drift, k, onDay: log };
  const runs: Partial<Record<'static' | 'triggered' | 'periodic' | 'stable', ReplayResult>> = {};
  const seconds: Record<string, number> = {};
  for (const policy of ['static', 'triggered', 'periodic'] as const) {
    const run = await timed(() => replayPolicy(policy, input));
    runs[policy] = run.value;
    seconds[policy] = run.seconds;
  }
  // The stable stream repeats the drifted one's history exactly (a scenario changes nothing before
  // its day), so the same base model starts it.
  const stableBuilt = await timed(() => buildQualityStream(streamOptions('stable')));
  const stable = await timed(() => replayPolicy('triggered', { ...input, stream: stableBuilt.value }));
  runs.stable = stable.value;
  seconds.stable = stable.seconds + stableBuilt.seconds;

  const { static: staticRun, triggered, periodic } = runs;
  if (!staticRun || !triggered || !periodic) throw new Error('a replay did not run');
  const summaries = {
    static: summarise(staticRun, driftDay),
    triggered: summarise(triggered, driftDay),
    periodic: summarise(periodic, driftDay),
    stable: summarise(stable.value, driftDay),
  };
  for (const [name, s] of Object.entries(summaries)) s.seconds = seconds[name] ?? 0;
  const goals = qualityGoals(
    {
      static: { apByDay: staticRun.apByDay, retrains: staticRun.retrains.length },
      triggered: { apByDay: triggered.apByDay, retrains: triggered.retrains.length },
      periodic: { apByDay: periodic.apByDay, retrains: periodic.retrains.length },
      stable: { apByDay: stable.value.apByDay, retrains: stable.value.retrains.length },
    },
    driftDay,
  );
  const results: Record<string, BenchValue> = {
    cpus: cpus().length,
    seed,
    customers,
    scenario,
    warmup_days: warmupDays,
    history_days: historyDays,
    stream_days: streamDays,
    drift_onset_day: driftDay,
    k,
    settings: {
      drift_ap_tolerance: drift.apTolerance,
      drift_auc_tolerance: drift.aucTolerance,
      drift_cooldown_days: drift.cooldownMs / DAY_MS,
      chargeback_window_days: drift.chargebackWindowMs / DAY_MS,
      training_window_days: drift.trainingWindowMs / DAY_MS,
      fine_tune_epochs: training.fineTuneEpochs,
      gate_min_ap_gain: training.gate.minAveragePrecisionGain,
    },
    ...describeStream(stream),
    base_model: {
      validation_average_precision: round(base.validation.average_precision),
      validation_roc_auc: round(base.validation.roc_auc),
      train_rows: base.trainRows,
      epochs: base.train.epochsRun,
      seconds: baseRun.seconds,
    },
    ...summaries,
    triggered_to_periodic_ap_ratio: round(
      meanFrom(triggered.apByDay, driftDay) / meanFrom(periodic.apByDay, driftDay),
    ),
    goals: { ...goals },
    seconds: round((performance.now() - started) / 1000, 1),
  };
  reportBench('drift recovery: AP by day under each retraining policy', jsonPath, results);

  const chartPath = `${jsonPath.replace(/\.json$/, '')}.html`;
  const deploymentDays = (run: ReplayResult) =>
    run.retrains.filter((r) => r.status === 'SHADOW').map((r) => r.day + 1);
  writeFileSync(
    chartPath,
    renderApChart({
      title: `AP by day: ${scenario}, seed ${seed}, ${customers} customers`,
      subtitle:
        `Drift from stream day ${driftDay}. Mean AP from the onset: static ${meanFrom(staticRun.apByDay, driftDay).toFixed(3)}, ` +
        `triggered ${meanFrom(triggered.apByDay, driftDay).toFixed(3)} (${triggered.retrains.length} retrains), ` +
        `periodic ${meanFrom(periodic.apByDay, driftDay).toFixed(3)} (${periodic.retrains.length} retrains).`,
      driftOnsetDay: driftDay,
      // Static last and dashed: triggered repeats it exactly until its first deployment.
      series: [
        {
          name: 'triggered',
          color: '#d62728',
          values: triggered.apByDay,
          deployments: deploymentDays(triggered),
        },
        {
          name: 'periodic',
          color: '#1f77b4',
          values: periodic.apByDay,
          deployments: deploymentDays(periodic),
        },
        { name: 'static', color: '#555555', values: staticRun.apByDay, dashed: true },
      ],
    }),
  );
  console.log(`chart written to ${chartPath}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
