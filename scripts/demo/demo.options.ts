import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DRIFT_SCENARIOS, isDriftScenario, type DriftScenario } from '@fraudstream/simulation';

export const DEMO_USAGE = `npm run demo -- [options]
  --scenario NAME      drift scenario: ${DRIFT_SCENARIOS.join(' | ')} (default new-fraud-pattern)
  --days N             simulated days streamed through the loop (default 28)
  --warmup-days N      days the scorer's online features fill before the drift monitor starts watching (default 9)
  --drift-day N        first day (0-based) of the drift scenario, at least --warmup-days (default 11)
  --drift-intensity X  effect size of the drift scenario, 1 = the simulator's default (default 3)
  --customers N        simulated customers, one card each (default 1000: about 10,000 transactions a day)
  --terminals N        simulated terminals (default 2000)
  --history-days N     simulated days the base model is trained on (default 40)
  --day-seconds S      wall seconds per simulated day (default 5)
  --seed N             seed of the streamed days; the history uses seed N+1 (default 7)
  --headless           no live view: one line per event, then the summary (the default without a terminal);
                       the simulator's analyst desk answers every alert it can
  --people-share F     live view only: share of the alerts the desk leaves to people in the console
                       (default 0.1; the console's URL and sign-in are printed)
  --report FILE        write the report JSON there (default var/demo/<run>/report.json)
  --timeout S          give up waiting for the stream after S wall seconds (default 900)
  --keep-topics        keep the run's topics (default: deleted at the end on the local infrastructure)
  --delete-topics      delete the run's topics at the end on a cluster given by KAFKA_BROKERS too
  --keep-infra         leave the local Kafka, registry and Redis running at the end when the demo
                       started them (default: stopped at the end and on Ctrl-C)
Every run uses its own topics (demo.<run>.<topic>), consumer groups, model registry and drift
checkpoint under var/demo/<run>/, so runs never mix.`;

/** What one demo run does. */
export interface DemoOptions {
  readonly runId: string;
  /** var/demo/<run>: registry, checkpoint, app logs, report. Absolute. */
  readonly runDir: string;
  readonly scenario: DriftScenario;
  readonly days: number;
  readonly driftDay: number;
  /** Effect size of the scenario (the simulator's `driftIntensity`). */
  readonly driftIntensity: number;
  /** Day from which the drift monitor watches (the scorer's feature state is cold before). */
  readonly warmupDays: number;
  readonly customers: number;
  readonly terminals: number;
  readonly historyDays: number;
  readonly daySeconds: number;
  readonly seed: number;
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
      'warmup-days': { type: 'string' },
      customers: { type: 'string' },
      terminals: { type: 'string' },
      'history-days': { type: 'string' },
      'day-seconds': { type: 'string' },
      seed: { type: 'string' },
      headless: { type: 'boolean' },
      'people-share': { type: 'string' },
      report: { type: 'string' },
      timeout: { type: 'string' },
      'keep-topics': { type: 'boolean' },
      'delete-topics': { type: 'boolean' },
      'keep-infra': { type: 'boolean' },
    },
  });
  const scenario = values.scenario ?? 'new-fraud-pattern';
  if (!isDriftScenario(scenario))
    throw new Error(`--scenario must be one of ${DRIFT_SCENARIOS.join(', ')}, got "${scenario}"`);
  const days = int('days', values.days, 28, 1);
  const driftDay = int('drift-day', values['drift-day'], 11, 0);
  const warmupDays = int('warmup-days', values['warmup-days'], 9, 0);
  if (driftDay >= days) throw new Error(`--drift-day (${driftDay}) must be below --days (${days})`);
  if (warmupDays > driftDay)
    throw new Error(`--warmup-days (${warmupDays}) must not exceed --drift-day (${driftDay})`);
  // Three times the simulator's default: at one card in 500 a day the new pattern moves a day's AP
  // by less than the day-to-day noise of a 1,000-card stream, and the loop would only react, if at
  // all, near the end of the run.
  const driftIntensity = values['drift-intensity'] === undefined ? 3 : Number(values['drift-intensity']);
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
    runId,
    runDir,
    scenario,
    days,
    driftDay,
    driftIntensity,
    warmupDays,
    customers: int('customers', values.customers, 1000, 1),
    terminals: int('terminals', values.terminals, 2_000, 1),
    historyDays: int('history-days', values['history-days'], 40, 4),
    daySeconds,
    seed: int('seed', values.seed, 7, 0),
    headless: values.headless ?? !context.isTty,
    peopleShare,
    reportPath: values.report ? resolve(context.cwd, values.report) : join(runDir, 'report.json'),
    timeoutSeconds: int('timeout', values.timeout, 900, 10),
    keepTopics: values['keep-topics'] ?? false,
    deleteTopics: values['delete-topics'] ?? false,
    keepInfra: values['keep-infra'] ?? false,
  };
}
