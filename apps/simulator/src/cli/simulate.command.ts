import { parseArgs } from 'node:util';
import { DAY_MS, Topics } from '@fraudstream/contracts';
import {
  DEFAULT_CASE_DAYS,
  DRIFT_SCENARIOS,
  HANDBOOK_SIMULATION,
  isDriftScenario,
} from '@fraudstream/simulation';
import { launchSimulation, type SimulateCommand } from '../simulation.launcher';
import type { DayProgress, Pacing, RunSummary } from '../simulation.runner';
import { intArg, positiveArg } from './cli-args';

export type { SimulateCommand } from '../simulation.launcher';

export const SIMULATE_USAGE = `npm run simulate -- [options]
  --seed N              seed (default 7); the same seed and options give the same records
  --days N              simulated days (default 1)
  --scenario NAME       ${DRIFT_SCENARIOS.join(' | ')} (default stable)
  --drift-day N         first day (0-based) of the drift scenario (default 7)
  --drift-intensity X   effect size of the drift scenario (default 1; 0 = none)
  --customers N         customers (default 5000)      --terminals N   terminals (default 10000)
  --start ISO           event time of day 0 (default 2026-01-05T00:00:00Z)
  --out DIR             write NDJSON files (transactions, labels, truth) instead of Kafka
  --handbook-csv FILE   write the Fraud Detection Handbook's dataset as a handbook-format CSV
                        (.csv.gz compresses): its generator's parameters (5,000 customers, 10,000
                        terminals, 183 days from 2018-04-01, ...); --seed, --days, --customers,
                        --terminals, --start, --scenario still apply
  --rate N              at most N transactions per second (Kafka)
  --day-seconds S       one simulated day per S wall seconds (Kafka); default: as fast as the broker takes it
  --unpaced-days N      send the first N days as fast as the broker takes them, then pace (default 0)
  --analysts N          also review alerts from fraud.alerts.v1: N verdicts per simulated day
  --investigation-share X  share of the analysts' verdicts kept for INVESTIGATE alerts (default 0.2)
  --case-days N         a confirmed fraud's case labels its card's transactions of the N days before
                        the alert too (at most 7; default 0: the alerted one only)
  --linger S            keep reviewing alerts S seconds after the last day (default 10 with --analysts)
  --transactions-topic T, --labels-topic T, --alerts-topic T   topic overrides (tests)
  --batch-size N        events per produce request (default 2000)
  --quiet               no progress lines`;

/** Parses the simulate CLI's arguments; throws with a readable message on a bad one. */
export function parseSimulateArgs(argv: readonly string[]): SimulateCommand {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    options: {
      seed: { type: 'string' },
      days: { type: 'string' },
      scenario: { type: 'string' },
      'drift-day': { type: 'string' },
      'drift-intensity': { type: 'string' },
      customers: { type: 'string' },
      terminals: { type: 'string' },
      start: { type: 'string' },
      out: { type: 'string' },
      'handbook-csv': { type: 'string' },
      rate: { type: 'string' },
      'day-seconds': { type: 'string' },
      'unpaced-days': { type: 'string' },
      analysts: { type: 'string' },
      'investigation-share': { type: 'string' },
      'case-days': { type: 'string' },
      linger: { type: 'string' },
      'transactions-topic': { type: 'string' },
      'labels-topic': { type: 'string' },
      'alerts-topic': { type: 'string' },
      'batch-size': { type: 'string' },
      quiet: { type: 'boolean' },
    },
  });
  const scenario = values.scenario ?? 'stable';
  if (!isDriftScenario(scenario)) {
    throw new Error(`--scenario must be one of ${DRIFT_SCENARIOS.join(', ')}, got "${scenario}"`);
  }
  let startTime: number | undefined;
  if (values.start !== undefined) {
    startTime = Date.parse(values.start);
    if (!Number.isFinite(startTime) || startTime % DAY_MS !== 0) {
      throw new Error(`--start must be an ISO date at UTC midnight, got "${values.start}"`);
    }
  }
  const rate = positiveArg('rate', values.rate);
  const daySeconds = positiveArg('day-seconds', values['day-seconds']);
  if (rate !== undefined && daySeconds !== undefined)
    throw new Error('give --rate or --day-seconds, not both');
  const out = values.out ?? null;
  const handbookCsv = values['handbook-csv'] ?? null;
  if (out && handbookCsv) throw new Error('give --out or --handbook-csv, not both');
  const analysts = values.analysts === undefined ? null : intArg('analysts', values.analysts, 0);
  if ((out || handbookCsv) && (rate !== undefined || daySeconds !== undefined || analysts !== null)) {
    throw new Error(
      '--rate, --day-seconds and --analysts apply to Kafka output, not to --out or --handbook-csv',
    );
  }
  const preset = handbookCsv ? HANDBOOK_SIMULATION : {};
  const share = values['investigation-share'] === undefined ? 0.2 : Number(values['investigation-share']);
  if (!Number.isFinite(share) || share < 0 || share > 1)
    throw new Error(
      `--investigation-share must be a number in [0, 1], got "${values['investigation-share']}"`,
    );
  const caseDays = intArg('case-days', values['case-days'], DEFAULT_CASE_DAYS, 0);
  if (caseDays > 7)
    throw new Error(`--case-days must be at most 7 (the truth kept), got "${values['case-days']}"`);
  const intensity = values['drift-intensity'] === undefined ? 1 : Number(values['drift-intensity']);
  if (!Number.isFinite(intensity) || intensity < 0)
    throw new Error(`--drift-intensity must be a number >= 0, got "${values['drift-intensity']}"`);
  const pacing: Pacing =
    rate !== undefined
      ? { kind: 'rate', transactionsPerSecond: rate }
      : daySeconds !== undefined
        ? { kind: 'day-seconds', secondsPerDay: daySeconds }
        : { kind: 'max' };
  return {
    simulation: {
      ...preset,
      seed: intArg('seed', values.seed, 7),
      days: intArg('days', values.days, handbookCsv ? HANDBOOK_SIMULATION.days : 1),
      scenario,
      driftDay: intArg('drift-day', values['drift-day'], 7),
      driftIntensity: intensity,
      ...(values.customers !== undefined ? { customers: intArg('customers', values.customers, 0, 1) } : {}),
      ...(values.terminals !== undefined ? { terminals: intArg('terminals', values.terminals, 0, 1) } : {}),
      ...(startTime !== undefined ? { startTime } : {}),
    },
    out,
    handbookCsv,
    pacing,
    analysts,
    investigationShare: share,
    caseDays,
    unpacedDays: intArg('unpaced-days', values['unpaced-days'], 0),
    holdAfterUnpaced: false,
    lingerSeconds: intArg('linger', values.linger, analysts === null ? 0 : 10),
    batchSize: intArg('batch-size', values['batch-size'], 2000, 1),
    topics: {
      transactions: values['transactions-topic'] ?? Topics.transactions,
      labels: values['labels-topic'] ?? Topics.labels,
      alerts: values['alerts-topic'] ?? Topics.alerts,
    },
    quiet: values.quiet ?? false,
  };
}

function progressLine(p: DayProgress): string {
  const rate = p.elapsedMs > 0 ? Math.round((p.totalTransactions / p.elapsedMs) * 1000) : 0;
  const fraud = p.transactions > 0 ? ((100 * p.frauds) / p.transactions).toFixed(2) : '0.00';
  return (
    `day ${p.day + 1}/${p.days}  ${p.transactions.toLocaleString('en-US')} tx  ${fraud} % fraud  ` +
    `${p.labels.toLocaleString('en-US')} chargebacks  | ${rate.toLocaleString('en-US')} tx/s`
  );
}

/** Runs `npm run simulate`: to NDJSON files with --out, else to Kafka (optionally with the analyst desk). */
export function runSimulateCommand(
  command: SimulateCommand,
  print: (line: string) => void = () => undefined,
  stopped: () => boolean = () => false,
): Promise<RunSummary> {
  return launchSimulation(command, {
    stopped,
    log: print,
    ...(command.quiet ? {} : { onDay: (p: DayProgress) => print(progressLine(p)) }),
  });
}
