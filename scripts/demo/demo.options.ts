import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { WINDOW_DAYS } from '@fraudstream/features';
import { isDatasetFormat, parseChargebackDelay, type DatasetFormat } from '@fraudstream/datasets';
import { DRIFT_SCENARIOS, isDriftScenario, type DriftScenario } from '@fraudstream/simulation';

export const DEMO_USAGE = `npm run demo -- [options]
  --scenario NAME      drift scenario: ${DRIFT_SCENARIOS.join(' | ')} (default new-fraud-pattern)
  --history-days N     the stream's first N days, sent at once: the bank's history. The base model is
                       trained on them after the first ${WINDOW_DAYS} (the feature windows' fill); the
                       drift monitor watches from day N (default 44)
  --drift-day N        first day (0-based) of the drift scenario, after the history (default history + 3)
  --days N             simulated days in all (default drift day + 10)
  --drift-intensity X  effect size of the drift scenario, 1 = the simulator's default (default 1)
  --customers N        simulated customers, one card each (default 1000: about 10,000 transactions a day)
  --terminals N        simulated terminals (default 2000)
  --day-seconds S      wall seconds per simulated day after the history (default 5)
  --max-hold S         longest wall time the clock waits for one retrain request's answer (default 300)
  --max-lead H         hours of event time the stream may run ahead of the drift monitor (default 2)
  --seed N             seed of the simulated world and of the base model's training (default 7)
  --no-oracle          skip the prequential oracle (a fine-tuning job per day after the onset)
  --headless           no live view: one line per event, then the summary (the default without a terminal);
                       the simulator's analyst desk answers every alert it can
  --people-share F     live view only: share of the alerts the desk leaves to people in the console
                       (default 0.1; the console's URL and sign-in are printed)
  --report FILE        write the report JSON there (default var/demo/<run>/report.json)
  --timeout S          give up waiting for the stream after S wall seconds (default 1800)
  --keep-topics        keep the run's topics (default: deleted at the end on the local infrastructure)
  --delete-topics      delete the run's topics at the end on a cluster given by KAFKA_BROKERS too
  --keep-infra         leave the local Kafka, registry and Redis running at the end when the demo
                       started them (default: stopped at the end and on Ctrl-C)
  --transactions FILE  replay a bank's file instead of simulating (docs/datasets.md): its first --days
                       days in event time, the first --history-days at once (the base model trains on
                       them as on the simulator's), then at --day-seconds; the report's truth comes
                       from the file, and --scenario, --drift-day, --drift-intensity do not apply
  --labels FILE        the file's labels with their own times (optional)
  --format NAME        the file's columns: handbook (default) | fraudstream
  --label-delay MODEL  chargebacks of the file's fraud flags: fixed:<days> | uniform:<min>-<max> (default uniform:1-7)
Every run uses its own topics (demo.<run>.<topic>), consumer groups, model registry and drift
checkpoint under var/demo/<run>/, so runs never mix.`;

/** A bank's file the demo replays instead of the simulator. */
export interface DemoFile {
  readonly transactions: string;
  readonly labels: string | null;
  readonly format: DatasetFormat;
  readonly labelDelay: string;
}

/** What one demo run does. */
export interface DemoOptions {
  /** Replay this file instead of simulating (then the scenario options do not apply). */
  readonly file: DemoFile | null;
  readonly runId: string;
  /** var/demo/<run>: registry, checkpoint, app logs, report. Absolute. */
  readonly runDir: string;
  readonly scenario: DriftScenario;
  readonly days: number;
  readonly driftDay: number;
  /** Effect size of the scenario (the simulator's `driftIntensity`). */
  readonly driftIntensity: number;
  /**
   * Days of history streamed at once before the paced part; the base model learns them after
   * `featureWarmupDays`, and the drift monitor watches from this day.
   */
  readonly historyDays: number;
  /** The feature windows' length: history days that only fill them (not trained on). */
  readonly featureWarmupDays: number;
  readonly customers: number;
  readonly terminals: number;
  readonly daySeconds: number;
  /** Longest wall time the clock is held for one retrain request. */
  readonly maxHoldSeconds: number;
  /** Hours of event time the stream may run ahead of the drift monitor (backpressure). */
  readonly maxLeadHours: number;
  readonly seed: number;
  readonly oracle: boolean;
  readonly headless: boolean;
  /** Share of the alerts the analyst desk leaves to people in the console (live view only). */
  readonly peopleShare: number;
  readonly reportPath: string;
  readonly timeoutSeconds: number;
  readonly keepTopics: boolean;
  readonly deleteTopics: boolean;
  /** Leave the local infrastructure the demo started running at the end. */
  readonly keepInfra: boolean;
}

function int(name: string, value: string | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min)
    throw new Error(`--${name} must be an integer >= ${min}, got "${value}"`);
  return n;
}

/** A run id that sorts by start time and names topics safely: 20261129-051500-3fa2. */
export function newRunId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${stamp}-${randomBytes(2).toString('hex')}`;
}

/** Parses the demo's arguments; throws with a readable message on a bad one. */
export function parseDemoArgs(
  argv: readonly string[],
  context: { readonly cwd: string; readonly isTty: boolean; readonly runId?: string },
): DemoOptions {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    options: {
      scenario: { type: 'string' },
      days: { type: 'string' },
      'drift-day': { type: 'string' },
      'drift-intensity': { type: 'string' },
      'history-days': { type: 'string' },
      customers: { type: 'string' },
      terminals: { type: 'string' },
      'day-seconds': { type: 'string' },
      'max-hold': { type: 'string' },
      'max-lead': { type: 'string' },
      seed: { type: 'string' },
      'no-oracle': { type: 'boolean' },
      headless: { type: 'boolean' },
      'people-share': { type: 'string' },
      report: { type: 'string' },
      timeout: { type: 'string' },
      'keep-topics': { type: 'boolean' },
      'delete-topics': { type: 'boolean' },
      'keep-infra': { type: 'boolean' },
      transactions: { type: 'string' },
      labels: { type: 'string' },
      format: { type: 'string' },
      'label-delay': { type: 'string' },
    },
  });
  let file: DemoFile | null = null;
  if (values.transactions) {
    const format = values.format ?? 'handbook';
    if (!isDatasetFormat(format))
      throw new Error(`--format must be handbook or fraudstream, got "${format}"`);
    const labelDelay = values['label-delay'] ?? 'uniform:1-7';
    parseChargebackDelay(labelDelay);
    file = {
      transactions: resolve(context.cwd, values.transactions),
      labels: values.labels ? resolve(context.cwd, values.labels) : null,
      format,
      labelDelay,
    };
  } else if (values.labels || values.format || values['label-delay'])
    throw new Error('--labels, --format and --label-delay go with --transactions FILE');
  if (file && (values.scenario || values['drift-day'] || values['drift-intensity']))
    throw new Error('--scenario, --drift-day and --drift-intensity do not apply to --transactions FILE');
  const scenario = values.scenario ?? 'new-fraud-pattern';
  if (!isDriftScenario(scenario))
    throw new Error(`--scenario must be one of ${DRIFT_SCENARIOS.join(', ')}, got "${scenario}"`);
  // The base model needs mature days after the feature windows' fill: 7 for the chargebacks, 3 held out.
  const historyDays = int('history-days', values['history-days'], 44, WINDOW_DAYS + 11);
  // A file has no scenario switched on: its "onset" is the first watched day (the oracle's start).
  const driftDay = file ? historyDays : int('drift-day', values['drift-day'], historyDays + 3, 0);
  if (driftDay < historyDays)
    throw new Error(
      `--drift-day (${driftDay}) must not be inside the history (--history-days ${historyDays})`,
    );
  const days = int('days', values.days, driftDay + 10, 1);
  if (driftDay >= days) throw new Error(`--drift-day (${driftDay}) must be below --days (${days})`);
  const driftIntensity = values['drift-intensity'] === undefined ? 1 : Number(values['drift-intensity']);
  if (!Number.isFinite(driftIntensity) || driftIntensity < 0)
    throw new Error(`--drift-intensity must be a number >= 0, got "${values['drift-intensity']}"`);
  const daySeconds = values['day-seconds'] === undefined ? 5 : Number(values['day-seconds']);
  if (!Number.isFinite(daySeconds) || daySeconds < 0)
    throw new Error(`--day-seconds must be a number >= 0, got "${values['day-seconds']}"`);
  const peopleShare = values['people-share'] === undefined ? 0.1 : Number(values['people-share']);
  if (!Number.isFinite(peopleShare) || peopleShare < 0 || peopleShare > 1)
    throw new Error(`--people-share must be a number from 0 to 1, got "${values['people-share']}"`);
  const runId = context.runId ?? newRunId();
  const runDir = resolve(context.cwd, 'var', 'demo', runId);
  return {
    file,
    runId,
    runDir,
    scenario,
    days,
    driftDay,
    driftIntensity,
    historyDays,
    featureWarmupDays: WINDOW_DAYS,
    customers: int('customers', values.customers, 1000, 1),
    terminals: int('terminals', values.terminals, 2_000, 1),
    daySeconds,
    maxHoldSeconds: int('max-hold', values['max-hold'], 300, 1),
    maxLeadHours: int('max-lead', values['max-lead'], 2, 1),
    seed: int('seed', values.seed, 7, 0),
    oracle: !(values['no-oracle'] ?? false),
    headless: values.headless ?? !context.isTty,
    peopleShare,
    reportPath: values.report ? resolve(context.cwd, values.report) : join(runDir, 'report.json'),
    timeoutSeconds: int('timeout', values.timeout, 1800, 10),
    keepTopics: values['keep-topics'] ?? false,
    deleteTopics: values['delete-topics'] ?? false,
    keepInfra: values['keep-infra'] ?? false,
  };
}
