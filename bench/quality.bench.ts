/*
 * `npm run bench:quality`: drift-recovery quality, in process and deterministic (no Kafka).
 * For each seed and scenario, one seeded simulated stream (history, then `--days` stream days with
 * the scenario switched on at stream day `--drift-day`) replayed through the libraries the apps use,
 * under these policies, each with its own analysts (capacity 100 reviews a day per 1,000 cards):
 *   static     the base model throughout;
 *   triggered  the drift monitor's detector (DRIFT_* settings) on the scored stream and the labels as
 *              they become known, its investigations answered by the analysts; each retrain request
 *              runs the trainer's FineTuneJob;
 *   periodic   the same FineTuneJob at the end of every day, on the same data rules;
 *   oracle     the prequential instant-label oracle: the same job every day on the TRUE labels of
 *              everything before that day, no delay, no gate.
 * Drifted scenarios run all four; stable and covariate-only run triggered only (their goal is
 * silence). Per day AP and card precision@k (k = the analysts' capacity) against the simulator's truth.
 * Options: --seeds 7,11 (7), --scenarios a,b (new-fraud-pattern,stable), --days N (28),
 * --history-days N (21), --warmup-days N (30), --drift-day N (7), --drift-intensity X (1),
 * --customers N (1000),
 * --policies static,triggered,periodic,oracle (all that apply), --feature-set fs-v1|fs-v2 (fs-v1, the
 * live loop's), --json FILE (a chart per run beside it).
 * --dp-epsilon 1,3,8: the run's triggered and periodic policies again with DP-SGD fine-tuning at each
 * target ε (TRAINER_DP_DELTA and TRAINER_DP_CLIP_NORM apply), beside the same policies without DP.
 * Training and policy settings come from the TRAINER_*, GATE_* and DRIFT_* environment variables.
 */
import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { Logger } from '@nestjs/common';
import { loadConfig, processEnv } from '@fraudstream/config';
import { driftConfigFragment, driftSettingsFromConfig } from '@fraudstream/drift';
import { DEFAULT_FEATURE_SET, FS_V1_SEQ16, featureSetOf, type FeatureSet } from '@fraudstream/features';
import { MODEL_FAMILIES, type ModelFamily } from '@fraudstream/registry';
import { DEFAULT_CASE_DAYS, isDriftScenario, type DriftScenario } from '@fraudstream/simulation';
import { trainingConfigFragment, trainingSettingsFrom, type TrainingSettings } from '@fraudstream/training';
import { DAY_MS } from '@fraudstream/contracts';
import { renderApChart } from './quality/ap-chart';
import {
  replayPolicy,
  type ReplayInput,
  type ReplayResult,
  type RetrainPolicy,
} from './quality/policy-replay';
import { meanFrom, qualityGoals, type PolicySummary } from './quality/quality-goals';
import { buildQualityStream, type QualityStream } from './quality/quality-stream';
import { analystCapacity, trainStreamBase } from './quality/stream-base';
import { reportBench, type BenchValue, runBench } from './support/bench-report';

const QUIET_SCENARIOS: readonly DriftScenario[] = ['stable', 'covariate-only'];

const USAGE = `npm run bench:quality -- [options]
  --seeds A,B            simulator seeds (default 7; --seed N is the same for one)
  --scenarios A,B        drift scenarios (default new-fraud-pattern,stable; --scenario for one)
  --policies A,B         static,triggered,periodic,oracle (default: all that apply)
  --customers N          cards (default 1000; terminals are twice as many)
  --days N               stream days (default 28)
  --history-days N       days the base model is trained on (default 21)
  --warmup-days N        days simulated only to fill the feature windows (default 30)
  --drift-day N          stream day the scenario starts (default 7)
  --drift-intensity X    the scenario's effect size (default 1, the simulator's; docs/simulator.md)
  --feature-set NAME     fs-v1 (default, the live loop's) or fs-v2: the MLP family's set
  --family A,B           mlp (default), sequence, or mlp,sequence: each family on the same seeds and
                         scenarios (sequence: a GRU over fs-v1-seq16's history block)
  --dp-epsilon A,B       rerun triggered and periodic with DP-SGD at each target epsilon
  --case-days N          a confirmed fraud's case labels its card's transactions of the N days
                         before the alert too (default 0, the simulator's: the alerted one only)
  --json FILE            results (default bench-results/quality.json), a chart per run beside it
Training and policy settings come from the TRAINER_*, GATE_* and DRIFT_* environment variables.`;

const OPTIONS = {
  seeds: { type: 'string' },
  seed: { type: 'string' },
  scenarios: { type: 'string' },
  scenario: { type: 'string' },
  policies: { type: 'string' },
  customers: { type: 'string' },
  days: { type: 'string' },
  'history-days': { type: 'string' },
  'warmup-days': { type: 'string' },
  'drift-day': { type: 'string' },
  'drift-intensity': { type: 'string' },
  'feature-set': { type: 'string' },
  family: { type: 'string' },
  'dp-epsilon': { type: 'string' },
  'case-days': { type: 'string' },
  json: { type: 'string' },
  help: { type: 'boolean' },
} as const;

type Options = ReturnType<typeof parseArgs<{ options: typeof OPTIONS }>>['values'];

function intOption(values: Options, name: keyof Options, fallback: number, min = 1): number {
  const raw = values[name];
  const value = raw === undefined ? fallback : Number(raw);
  if (!Number.isInteger(value) || value < min) throw new Error(`--${name} must be an integer >= ${min}`);
  return value;
}

function listOption(raw: string | undefined, fallback: string): string[] {
  return (raw ?? fallback)
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
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

function policySummary(run: ReplayResult, onset: number): PolicySummary {
  const deployed = run.retrains.filter((r) => r.status === 'SHADOW');
  return {
    apByDay: run.apByDay,
    retrains: run.retrains.length,
    firstRequestDay: run.retrains[0]?.day ?? null,
    // A promoted model serves from the day after its request.
    firstRedeploymentDay: deployed[0] ? deployed[0].day + 1 : null,
    falseAlarmsBeforeOnset: run.recommendationDays.filter((d) => d < onset).length,
    recommendations: run.recommendationDays.length,
  };
}

function summarise(run: ReplayResult, onset: number): Record<string, BenchValue> {
  const s = policySummary(run, onset);
  const deployed = run.retrains.filter((r) => r.status === 'SHADOW');
  const out: Record<string, BenchValue> = {
    ap_by_day: run.apByDay.map((v) => round(v)),
    ap_mean_after_drift: round(meanFrom(run.apByDay, onset)),
    ap_mean_before_drift: round(meanFrom(run.apByDay.slice(0, onset), 0)),
    card_precision_at_k_by_day: run.cardPrecisionByDay.map((v) => round(v)),
    card_precision_at_k_mean_after_drift: round(meanFrom(run.cardPrecisionByDay, onset)),
    daily_card_precision_at_k_mean_after_drift: round(meanFrom(run.dailyCardPrecisionByDay, onset)),
    retrains: run.retrains.length,
    deployments: deployed.length,
    deployment_days: deployed.map((r) => r.day + 1),
    first_retrain_request_day: s.firstRequestDay,
    first_redeployment_day: s.firstRedeploymentDay,
    false_alarms_before_onset: s.falseAlarmsBeforeOnset,
    retrain_recommending_verdicts: s.recommendations,
    // Diagnostic, from the simulator's ground truth: which kinds of fraud each day's model caught.
    ap_by_day_by_fraud_scenario: byScenario(run.apByDayByScenario),
    retrain_log: run.retrains.map(
      (r) =>
        `day ${r.day} ${r.trigger} ${r.status}` +
        (r.averagePrecisionGain === null ? '' : ` AP gain ${r.averagePrecisionGain.toFixed(3)}`) +
        (r.gateRecent === null
          ? ''
          : ` (gate: ${r.gateRecent.frauds} new-regime frauds in ${r.gateRecent.rows} rows)`) +
        (r.epochs === null ? '' : `, epoch ${r.epochs.best} of ${r.epochs.run} kept`) +
        (r.fraudsConfirmed === null ? '' : `; frauds confirmed by then ${confirmedText(r.fraudsConfirmed)}`),
    ),
    // The job's whole answer (the gate's numbers or the failure), to see why a challenger was refused.
    retrain_reasons: run.retrains.map((r) => `day ${r.day} ${r.status}: ${r.reason}`),
    analyst_score_reviews: run.scoreReviews,
    alerts_by_day: run.alertsByDay,
    reviewed_frauds_by_day: run.reviewedFraudsByDay,
    investigations: run.investigations,
    investigation_frauds: run.investigationHits,
    investigation_frauds_by_scenario: run.investigationHitsByScenario,
    investigation_days: run.investigationDays,
  };
  if (run.policy === 'triggered') {
    out.verdicts = Object.fromEntries(Object.entries(run.verdicts).sort());
    out.label_drift_days = run.labelDriftDays;
    const round2 = (xs: number[]) => xs.map((x) => Math.round(x * 100) / 100);
    out.evidence_peak_by_day = {
      false_alert_cusum: round2(run.evidencePeakByDay.falseAlertCusum),
      missed_cusum: round2(run.evidencePeakByDay.missedCusum),
      missed_cusum_of_threshold: round2(run.evidencePeakByDay.missedCusumOfThreshold),
      sprt_llr: round2(run.evidencePeakByDay.sprtLlr),
      alert_rate_ratio: round2(run.evidencePeakByDay.alertRateRatio),
    };
  }
  if (run.policy === 'oracle') out.oracle_kind = 'prequential-instant-labels';
  return out;
}

/** Per kind of fraud, each day's AP (null on a day without that kind). */
function byScenario(days: readonly Partial<Record<string, number>>[]): Record<string, (number | null)[]> {
  const kinds = [...new Set(days.flatMap((d) => Object.keys(d)))].sort();
  return Object.fromEntries(
    kinds.map((k) => [k, days.map((d) => (d[k] === undefined ? null : round(d[k])))]),
  );
}

/** `new-pattern 6 of 48, compromised-card 310 of 512`: the stream's frauds confirmed by a request. */
function confirmedText(counts: Partial<Record<string, { confirmed: number; of: number }>>): string {
  const parts = Object.entries(counts)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([kind, c]) => `${kind} ${c?.confirmed ?? 0} of ${c?.of ?? 0}`);
  return parts.length > 0 ? parts.join(', ') : 'none';
}

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; seconds: number }> {
  const started = performance.now();
  const value = await fn();
  return { value, seconds: round((performance.now() - started) / 1000, 1) };
}

interface RunOptions {
  readonly seed: number;
  readonly featureSet: FeatureSet;
  readonly scenario: DriftScenario;
  readonly customers: number;
  readonly warmupDays: number;
  readonly historyDays: number;
  readonly streamDays: number;
  readonly driftDay: number;
  readonly driftIntensity: number;
  readonly policies: readonly RetrainPolicy[];
  /** Days back from an alert that the analysts' case of a confirmed fraud reaches on its card. */
  readonly caseDays: number;
  /** Target ε of the DP-SGD reruns (empty: none). */
  readonly dpEpsilons: readonly number[];
  /** δ and clip norm of the reruns (TRAINER_DP_DELTA, TRAINER_DP_CLIP_NORM). */
  readonly dp: { readonly delta: number; readonly clipNorm: number };
}

/** The policies whose retraining is the trainer's FineTuneJob, so DP-SGD applies to them. */
const DP_POLICIES: readonly RetrainPolicy[] = ['triggered', 'periodic'];

async function runScenario(
  o: RunOptions,
  training: TrainingSettings,
  drift: ReplayInput['drift'],
  capacity: number,
  chartPath: string,
): Promise<Record<string, BenchValue>> {
  const started = performance.now();
  log(
    `seed ${o.seed}, ${o.scenario}: simulating ${o.warmupDays} + ${o.historyDays} + ${o.streamDays} days of ${o.customers} customers`,
  );
  const stream = await buildQualityStream({
    seed: o.seed,
    featureSet: o.featureSet,
    customers: o.customers,
    scenario: o.scenario,
    warmupDays: o.warmupDays,
    historyDays: o.historyDays,
    streamDays: o.streamDays,
    driftDay: o.driftDay,
    driftIntensity: o.driftIntensity,
  });
  const base = await timed(() => trainStreamBase(stream, training, capacity));
  log(
    `seed ${o.seed}, ${o.scenario}: base model AP ${base.value.validation.average_precision.toFixed(3)}, ${base.value.train.epochsRun} epochs in ${base.seconds} s`,
  );
  const input: ReplayInput = {
    stream,
    base: base.value,
    training,
    drift,
    k: capacity,
    analystCapacity: capacity,
    caseDays: o.caseDays,
    seed: o.seed,
    onDay: (line) => log(`seed ${o.seed}, ${o.scenario}: ${line}`),
  };
  const runs: Partial<Record<RetrainPolicy, ReplayResult>> = {};
  const seconds: Partial<Record<RetrainPolicy, number>> = {};
  for (const policy of o.policies) {
    const run = await timed(() => replayPolicy(policy, input));
    runs[policy] = run.value;
    seconds[policy] = run.seconds;
  }
  // The fine-tuning policies again with DP-SGD, on the same stream, base model and analysts' seed.
  const privateRuns: Record<string, BenchValue> = {};
  const keys = dpRunKeys(o.dpEpsilons);
  for (const [k, epsilon] of o.dpEpsilons.entries()) {
    const privacy = {
      targetEpsilon: epsilon,
      noiseMultiplier: null,
      delta: o.dp.delta,
      clipNorm: o.dp.clipNorm,
    };
    const perPolicy: Record<string, BenchValue> = {};
    for (const policy of o.policies.filter((p) => DP_POLICIES.includes(p))) {
      const run = await timed(() => replayPolicy(policy, { ...input, training: { ...training, privacy } }));
      perPolicy[policy] = {
        ap_mean_after_drift: round(meanFrom(run.value.apByDay, o.driftDay)),
        ap_by_day: run.value.apByDay.map((v) => round(v)),
        retrains: run.value.retrains.length,
        deployments: run.value.retrains.filter((r) => r.status === 'SHADOW').length,
        retrain_log: run.value.retrains.map(
          (r) =>
            `day ${r.day} ${r.trigger} ${r.status}` +
            (r.averagePrecisionGain === null ? '' : ` AP gain ${r.averagePrecisionGain.toFixed(3)}`),
        ),
        retrain_reasons: run.value.retrains.map((r) => `day ${r.day} ${r.status}: ${r.reason}`),
        seconds: run.seconds,
      };
      log(
        `seed ${o.seed}, ${o.scenario}: ${policy} with DP-SGD at epsilon ${epsilon}: AP after the onset ${meanFrom(run.value.apByDay, o.driftDay).toFixed(3)} in ${run.seconds} s`,
      );
    }
    privateRuns[keys[k] ?? String(epsilon)] = perPolicy;
  }
  const triggered = runs.triggered;
  if (!triggered) throw new Error('the triggered policy must run');
  const summary = (p: RetrainPolicy) => {
    const r = runs[p];
    return r ? policySummary(r, o.driftDay) : undefined;
  };
  const goals = qualityGoals(
    o.scenario,
    {
      static: summary('static'),
      triggered: policySummary(triggered, o.driftDay),
      periodic: summary('periodic'),
      oracle: summary('oracle'),
    },
    o.driftDay,
  );
  const policies: Record<string, BenchValue> = {};
  for (const p of o.policies) {
    const r = runs[p];
    if (r) policies[p] = { ...summarise(r, o.driftDay), seconds: seconds[p] ?? 0 };
  }
  const after = (p: RetrainPolicy) => {
    const r = runs[p];
    return r ? meanFrom(r.apByDay, o.driftDay) : Number.NaN;
  };
  writeFileSync(
    chartPath,
    renderApChart({
      title: `AP by day: ${o.scenario}, seed ${o.seed}, ${o.customers} customers`,
      subtitle:
        `Drift from stream day ${o.driftDay}. Mean AP from the onset: ` +
        o.policies
          .map((p) => `${p} ${after(p).toFixed(3)} (${runs[p]?.retrains.length ?? 0} retrains)`)
          .join(', ') +
        '.',
      driftOnsetDay: o.driftDay,
      series: (
        [
          ['triggered', '#d62728', false],
          ['periodic', '#1f77b4', false],
          ['oracle', '#2ca02c', true],
          ['static', '#555555', true],
        ] as const
      ).flatMap(([name, color, dashed]) => {
        const r = runs[name];
        return r
          ? [
              {
                name,
                color,
                values: r.apByDay,
                dashed,
                deployments: r.retrains.filter((x) => x.status === 'SHADOW').map((x) => x.day + 1),
              },
            ]
          : [];
      }),
    }),
  );
  return {
    seed: o.seed,
    scenario: o.scenario,
    drift_onset_day: o.driftDay,
    ...describeStream(stream),
    base_model: {
      validation_average_precision: round(base.value.validation.average_precision),
      validation_roc_auc: round(base.value.validation.roc_auc),
      train_rows: base.value.trainRows,
      seconds: base.seconds,
    },
    ...policies,
    ...(runs.oracle
      ? {
          oracle_ap_by_day: runs.oracle.apByDay.map((v) => round(v)),
          oracle_kind: 'prequential-instant-labels',
        }
      : {}),
    ...(o.dpEpsilons.length > 0 ? { dp_sgd: privateRuns } : {}),
    triggered_to_periodic_ap_ratio: round(after('triggered') / after('periodic')),
    triggered_to_oracle_ap_ratio: round(after('triggered') / after('oracle')),
    goals,
    chart: chartPath,
    seconds: round((performance.now() - started) / 1000, 1),
  };
}

/** A scalar result as table text ('-' when absent). */
function cell(v: BenchValue | undefined): string {
  if (v === undefined || v === null || (typeof v === 'number' && Number.isNaN(v))) return '-';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : v.toFixed(3);
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

function table(runs: readonly Record<string, BenchValue>[]): string {
  const lines = [
    '| seed | scenario | family | static | triggered | periodic | oracle | trig/periodic | trig/oracle | retrains (trig/periodic) | first request / serving (onset) | false alarms | goals met |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const r of runs) {
    const p = (name: string) => r[name] as Record<string, BenchValue> | undefined;
    const t = p('triggered');
    const goals = (r.goals ?? {}) as Record<string, BenchValue>;
    const met = Object.values(goals).filter((g) => g === true).length;
    const failed = Object.entries(goals)
      .filter(([, g]) => g !== true)
      .map(([name]) => name);
    lines.push(
      `| ${cell(r.seed)} | ${cell(r.scenario)} | ${cell(r.family)} | ${cell(p('static')?.ap_mean_after_drift)} | ` +
        `${cell(t?.ap_mean_after_drift)} | ${cell(p('periodic')?.ap_mean_after_drift)} | ${cell(p('oracle')?.ap_mean_after_drift)} | ` +
        `${cell(r.triggered_to_periodic_ap_ratio)} | ${cell(r.triggered_to_oracle_ap_ratio)} | ` +
        `${cell(t?.retrains)} / ${cell(p('periodic')?.retrains)} | ` +
        `${cell(t?.first_retrain_request_day)} / ${cell(t?.first_redeployment_day)} (${cell(r.drift_onset_day)}) | ` +
        `${cell(t?.false_alarms_before_onset)} | ${met}/${Object.keys(goals).length}${failed.length > 0 ? ` (missed: ${failed.join(', ')})` : ''} |`,
    );
  }
  return lines.join('\n');
}

/**
 * The keys of the DP runs in the results: the ε, and `ε#2`, `ε#3` for a repeated one (a DP run's noise
 * is drawn afresh each time, so `--dp-epsilon 3,3,3` measures its spread).
 */
function dpRunKeys(epsilons: readonly number[]): string[] {
  const seen = new Map<number, number>();
  return epsilons.map((e) => {
    const n = (seen.get(e) ?? 0) + 1;
    seen.set(e, n);
    return n === 1 ? String(e) : `${e}#${n}`;
  });
}

/** AP from the onset without DP and at each target ε, per fine-tuning policy (empty without --dp-epsilon). */
function privacyTable(runs: readonly Record<string, BenchValue>[], epsilons: readonly number[]): string {
  if (epsilons.length === 0) return '';
  const keys = dpRunKeys(epsilons);
  const lines = [
    `| seed | scenario | policy | no DP | ${keys.map((e) => `ε = ${e}`).join(' | ')} | retrains / deployed (no DP; ${keys.map((e) => `ε ${e}`).join('; ')}) |`,
    `| --- | --- | --- | --- | ${epsilons.map(() => '---').join(' | ')} | --- |`,
  ];
  for (const r of runs) {
    const dp = (r.dp_sgd ?? {}) as Record<string, Record<string, Record<string, BenchValue>>>;
    for (const policy of DP_POLICIES) {
      const plain = r[policy] as Record<string, BenchValue> | undefined;
      if (!plain) continue;
      const at = (key: string) => dp[key]?.[policy];
      lines.push(
        `| ${cell(r.seed)} | ${cell(r.scenario)} | ${policy} | ${cell(plain.ap_mean_after_drift)} | ` +
          `${keys.map((e) => cell(at(e)?.ap_mean_after_drift)).join(' | ')} | ` +
          `${cell(plain.retrains)}/${cell(plain.deployments)}; ${keys.map((e) => `${cell(at(e)?.retrains)}/${cell(at(e)?.deployments)}`).join('; ')} |`,
      );
    }
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  // Strict: a mistyped option is an error, not a silent run on the defaults.
  const { values } = parseArgs({ args: process.argv.slice(2), options: OPTIONS, strict: true });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const started = performance.now();
  const seeds = listOption(values.seeds, values.seed ?? '7').map(Number);
  if (seeds.some((s) => !Number.isInteger(s) || s < 0))
    throw new Error('--seeds must be non-negative integers');
  const scenarios = listOption(values.scenarios, values.scenario ?? 'new-fraud-pattern,stable');
  for (const s of scenarios) if (!isDriftScenario(s)) throw new Error(`unknown scenario ${s}`);
  const requested = values.policies?.split(',') as RetrainPolicy[] | undefined;
  const customers = intOption(values, 'customers', 1000);
  const streamDays = intOption(values, 'days', 28);
  const historyDays = intOption(values, 'history-days', 21);
  const warmupDays = intOption(values, 'warmup-days', 30, 0);
  const driftDay = intOption(values, 'drift-day', 7, 0);
  const driftIntensity = Number(values['drift-intensity'] ?? 1);
  if (!(driftIntensity >= 0 && Number.isFinite(driftIntensity)))
    throw new Error('--drift-intensity must be a number >= 0');
  const featureSet = featureSetOf(values['feature-set'] ?? DEFAULT_FEATURE_SET.version);
  const families = listOption(values.family, 'mlp');
  for (const f of families)
    if (!(MODEL_FAMILIES as readonly string[]).includes(f))
      throw new Error(`--family takes ${MODEL_FAMILIES.join(', ')}; got ${f}`);
  if (driftDay >= streamDays) throw new Error('--drift-day must fall inside the stream (< --days)');
  const caseDays = intOption(values, 'case-days', DEFAULT_CASE_DAYS, 0);
  const dpEpsilons = listOption(values['dp-epsilon'], '').map(Number);
  if (dpEpsilons.some((e) => !(e > 0))) throw new Error('--dp-epsilon must be positive numbers');
  const jsonPath = values.json ?? 'bench-results/quality.json';
  Logger.overrideLogger(['error']);

  const capacity = analystCapacity(customers);
  const env = {
    DRIFT_ANALYST_DAILY_CAPACITY: String(capacity),
    TRAINER_CARD_PRECISION_K: String(capacity),
    ...processEnv(),
  };
  const trainingConfig = loadConfig(trainingConfigFragment, env);
  const training = trainingSettingsFrom(trainingConfig);
  const dp = { delta: trainingConfig.TRAINER_DP_DELTA, clipNorm: trainingConfig.TRAINER_DP_CLIP_NORM };
  const drift = driftSettingsFromConfig(loadConfig(driftConfigFragment, env));

  const results: Record<string, BenchValue>[] = [];
  for (const seed of seeds) {
    for (const scenario of scenarios as DriftScenario[]) {
      const quiet = QUIET_SCENARIOS.includes(scenario);
      const policies = (
        requested ?? (quiet ? ['triggered'] : ['static', 'triggered', 'periodic', 'oracle'])
      ).filter((p): p is RetrainPolicy => ['static', 'triggered', 'periodic', 'oracle'].includes(p));
      if (!policies.includes('triggered')) policies.unshift('triggered');
      for (const family of families as ModelFamily[]) {
        // The sequence family reads fs-v1-seq16 (fs-v1 and the card's history block); the MLP the chosen set.
        const familySet = family === 'sequence' ? FS_V1_SEQ16 : featureSet;
        const chart = `${jsonPath.replace(/\.json$/, '')}.${seed}.${scenario}.${family}.html`;
        results.push({
          family,
          ...(await runScenario(
            {
              seed,
              featureSet: familySet,
              scenario,
              customers,
              warmupDays,
              historyDays,
              streamDays,
              driftDay,
              driftIntensity,
              policies,
              caseDays,
              dpEpsilons,
              dp,
            },
            { ...training, modelFamily: family },
            drift,
            capacity,
            chart,
          )),
        });
        log(
          `seed ${seed}, ${scenario}, ${family}: done\n${table(results.slice(-1))}\n${privacyTable(results.slice(-1), dpEpsilons)}`,
        );
      }
    }
  }
  reportBench('drift recovery: AP by day under each retraining policy', jsonPath, {
    cpus: cpus().length,
    feature_set: featureSet.version,
    families,
    customers,
    analyst_capacity_per_day: capacity,
    warmup_days: warmupDays,
    history_days: historyDays,
    stream_days: streamDays,
    drift_intensity: driftIntensity,
    settings: {
      drift_ap_tolerance: drift.apTolerance,
      drift_auc_tolerance: drift.aucTolerance,
      drift_cooldown_days: drift.cooldownMs / DAY_MS,
      drift_retrain_budget: drift.retrainBudget,
      drift_retrain_budget_window_days: drift.retrainBudgetWindowMs / DAY_MS,
      chargeback_window_days: drift.chargebackWindowMs / DAY_MS,
      training_window_days: drift.trainingWindowMs / DAY_MS,
      investigation_share: drift.evidence.investigationShare,
      analyst_case_days: caseDays,
      fine_tune_epochs: training.fineTuneEpochs,
      gate_min_ap_gain: training.gate.minAveragePrecisionGain,
      dp_epsilons: dpEpsilons,
      dp_delta: dp.delta,
      dp_clip_norm: dp.clipNorm,
    },
    runs: results,
    seconds: round((performance.now() - started) / 1000, 1),
  });
  console.log(`\n${table(results)}`);
  if (dpEpsilons.length > 0) console.log(`\n${privacyTable(results, dpEpsilons)}`);
}

runBench(main);
