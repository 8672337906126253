import { DAY_MS } from '@fraudstream/contracts';
import { FEATURE_SET_VERSION } from '@fraudstream/features';
import type { DriftScenario } from '@fraudstream/simulation';
import { averagePrecision } from '@fraudstream/stats';
import { joinMatureLabels, type MlpNetwork, type TrainingRow, toTrainingMatrix } from '@fraudstream/training';
import { buildSimulatedHistory } from '../../apps/trainer/src/cli/simulated-history';

export const BENCH_START = Date.UTC(2026, 0, 5);

/**
 * A seeded simulated population's rows, each labelled with its eventual verdict (every label of the
 * simulation known): the benchmarks below compare models on the same rows, not label maturity.
 * `warmupDays` only fill the feature windows; day 0 of the rows is the first day after them.
 */
export async function simulatedLabelledRows(options: {
  readonly seed: number;
  readonly customers: number;
  readonly days: number;
  readonly warmupDays: number;
  readonly scenario: DriftScenario;
  readonly driftDay: number;
}): Promise<{ readonly rows: TrainingRow[]; readonly start: number }> {
  const history = await buildSimulatedHistory(
    {
      seed: options.seed,
      days: options.warmupDays + options.days,
      startTime: BENCH_START,
      customers: options.customers,
      terminals: options.customers * 2,
      maxMeanTxPerDay: 10,
      scenario: options.scenario,
      driftDay: options.warmupDays + options.driftDay,
      chargebackDelayDays: [1, 3],
    },
    { warmupDays: options.warmupDays },
  );
  const { rows } = joinMatureLabels(
    history.scores,
    history.labels,
    { chargebackWindowMs: 0, asOf: Number.MAX_SAFE_INTEGER },
    FEATURE_SET_VERSION,
  );
  return { rows, start: history.start };
}

/** The rows of days [from, to) counted from `start`. */
export function rowsOfDays(
  rows: readonly TrainingRow[],
  start: number,
  from: number,
  to: number,
): TrainingRow[] {
  return rows.filter((r) => r.eventTime >= start + from * DAY_MS && r.eventTime < start + to * DAY_MS);
}

/** A network's average precision on rows. */
export function apOn(network: MlpNetwork, rows: readonly TrainingRow[]): number {
  const m = toTrainingMatrix(rows, network.inputWidth);
  return averagePrecision(
    network.predict(m.x, m.rows),
    rows.map((r) => r.isFraud),
  );
}

/** Median, min and max. */
export function spread(values: readonly number[]): { median: number; min: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median =
    sorted.length % 2 === 1
      ? (sorted[mid] ?? Number.NaN)
      : ((sorted[mid - 1] ?? Number.NaN) + (sorted[mid] ?? Number.NaN)) / 2;
  return { median, min: sorted[0] ?? Number.NaN, max: sorted[sorted.length - 1] ?? Number.NaN };
}
