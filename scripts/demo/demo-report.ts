import { DAY_MS, type DriftEvent, type ModelDeployment, type RetrainRequest } from '@fraudstream/contracts';
import { driftDecisionTime } from '@fraudstream/drift';
import type { LoggedVectorCheck, LoggedVectorDay } from '@fraudstream/features';
import type { ModelManifest, SegmentMetrics, SegmentTable } from '@fraudstream/registry';
import { averagePrecision } from '@fraudstream/stats';
import type { ChampionScore } from './loop-observer';

/** Verdicts that are not drift. */
const QUIET = new Set(['NO_DRIFT', 'INSUFFICIENT_DATA']);

/** A deployment event as the report lists it. */
export interface ReportDeployment {
  readonly version: string;
  readonly event_day: number;
  readonly stage: string;
  readonly kind: string;
  readonly request_id: string | null;
  readonly reason: string;
}

/** Average precision of each event day's champion scores against the simulator's truth (null: no fraud that day or no scores). */
export function apByDay(
  champion: ReadonlyMap<string, ChampionScore>,
  truth: ReadonlyMap<string, boolean>,
  days: number,
): (number | null)[] {
  const scores: number[][] = Array.from({ length: days }, () => []);
  const labels: boolean[][] = Array.from({ length: days }, () => []);
  for (const [id, row] of champion) {
    const isFraud = truth.get(id);
    if (isFraud === undefined || row.day < 0 || row.day >= days) continue;
    scores[row.day]?.push(row.score);
    labels[row.day]?.push(isFraud);
  }
  return scores.map((s, day) => {
    const l = labels[day] ?? [];
    return s.length > 0 && l.some(Boolean) ? averagePrecision(s, l) : null;
  });
}

/** The first model promoted to PRODUCTION after the base model (the loop's first redeployment). */
export function firstRedeployment(
  deployments: readonly ModelDeployment[],
  baseVersion: string | null,
): ModelDeployment | null {
  return (
    deployments.find(
      (d) => d.kind === 'STAGE_CHANGE' && d.stage === 'PRODUCTION' && d.model_version !== baseVersion,
    ) ?? null
  );
}

/** Event day (from day 0 at `startTime`) of the first drift event at or after the onset whose verdict is drift. */
export function firstDriftEventDay(
  events: readonly DriftEvent[],
  startTime: number,
  onsetDay: number,
): number | null {
  const days = events
    .filter((e) => !QUIET.has(e.verdict))
    .map((e) => Math.floor((e.window_start - startTime) / DAY_MS))
    .filter((day) => day >= onsetDay);
  return days.length > 0 ? Math.min(...days) : null;
}

/** Event day of the first retrain request (null: none). */
export function firstRetrainRequestDay(
  requests: readonly RetrainRequest[],
  startTime: number,
): number | null {
  const days = requests.map((r) => Math.floor((r.event_time - startTime) / DAY_MS));
  return days.length > 0 ? Math.min(...days) : null;
}

/**
 * Event day on which each retrain-recommending drift event was decided (a close at its window's
 * end, a mature verdict a chargeback window later, early evidence at its check): the day whose
 * data made the monitor ask, whether or not a request followed (an open request or the cooldown
 * suppresses one).
 */
export function recommendationDays(
  events: readonly DriftEvent[],
  startTime: number,
  chargebackWindowMs: number,
): number[] {
  return events
    .filter((e) => e.retrain_recommended)
    .map((e) => Math.floor((driftDecisionTime(e, chargebackWindowMs) - 1 - startTime) / DAY_MS));
}

/** Retrain-recommending drift events decided before the onset day: false alarms. */
export function falseAlarmsBeforeOnset(
  events: readonly DriftEvent[],
  startTime: number,
  onsetDay: number,
  chargebackWindowMs: number,
): number {
  return recommendationDays(events, startTime, chargebackWindowMs).filter((d) => d < onsetDay).length;
}

function mean(values: readonly (number | null | undefined)[]): number | null {
  const present = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  return present.length === values.length && present.length > 0
    ? present.reduce((a, b) => a + b, 0) / present.length
    : null;
}

/** Mean of `ap` over `days` (null when a day has no AP). */
export function meanAp(ap: readonly (number | null)[], days: readonly number[]): number | null {
  return mean(days.map((d) => ap[d]));
}

/**
 * Mean AP over the `span` event days after the deployment day, divided by the oracle's mean over
 * the same days; null when one of those days has no AP (not streamed, or no fraud).
 */
export function apRecoveryRatio(
  ap: readonly (number | null)[],
  oracleAp: readonly (number | null)[],
  deploymentDay: number | null,
  span = 3,
): { ratio: number | null; days: number[] } {
  if (deploymentDay === null) return { ratio: null, days: [] };
  const days = Array.from({ length: span }, (_, i) => deploymentDay + 1 + i);
  const live = mean(days.map((d) => ap[d]));
  const oracle = mean(days.map((d) => oracleAp[d]));
  return { ratio: live !== null && oracle !== null && oracle > 0 ? live / oracle : null, days };
}

/**
 * Transactions produced but never scored by the champion, and scores beyond one per transaction and
 * role (a redelivery the scorer did not de-duplicate).
 */
export function deliveryCounts(
  produced: ReadonlySet<string>,
  champion: ReadonlyMap<string, unknown>,
  duplicates: number,
): { produced: number; scored: number; lost: number; duplicates: number } {
  let scored = 0;
  for (const id of produced) if (champion.has(id)) scored++;
  return { produced: produced.size, scored, lost: produced.size - scored, duplicates };
}

export function reportDeployments(
  deployments: readonly ModelDeployment[],
  startTime: number,
): ReportDeployment[] {
  return deployments.map((d) => ({
    version: d.model_version,
    event_day: Math.floor((d.event_time - startTime) / DAY_MS),
    stage: d.stage,
    kind: d.kind,
    request_id: d.request_id,
    reason: d.reason,
  }));
}

/** Rounds for a readable report (AP to 4 decimals). */
export function round4(value: number | null): number | null {
  return value === null ? null : Math.round(value * 10_000) / 10_000;
}

/** The model serving at the end of the run, with its card's per-segment table. */
export interface ServingModelReport {
  readonly version: string;
  /**
   * False-positive rate and recall per customer segment on its hold-out rows (the gate's rows for a
   * fine-tuned model, with the champion it replaced beside it), rounded; null when its card has none.
   */
  readonly segments: SegmentTable | null;
}

/** The report's view of the serving model's manifest: its version and per-segment table. */
export function servingModelReport(
  manifest: Pick<ModelManifest, 'version' | 'model_card'>,
): ServingModelReport {
  const table = manifest.model_card?.segments;
  const rounded = (rows: readonly SegmentMetrics[]) =>
    rows.map((m) => ({
      ...m,
      false_positive_rate: round4(m.false_positive_rate),
      recall: round4(m.recall),
    }));
  return {
    version: manifest.version,
    segments: table
      ? {
          rows: table.rows,
          model: rounded(table.model),
          champion: table.champion ? rounded(table.champion) : null,
        }
      : null,
  };
}

/** The logged feature vectors against their offline recomputation, as the report states it. */
export interface LoggedFeaturesReport {
  readonly feature_set: string;
  /** Rows, and rows with a feature off, on the history's days (streamed at once) and on the paced ones. */
  readonly history: { readonly rows: number; readonly differing: number };
  readonly paced: { readonly rows: number; readonly differing: number };
  /** Every day the check covers (those the report keeps vectors of). */
  readonly differing_by_day: readonly LoggedVectorDay[];
  /** The features most often off, most first (at most 5). */
  readonly features: readonly { readonly name: string; readonly differing: number }[];
}

/** Sums a logged-vector check over the history (streamed at once) and the paced days after it. */
export function loggedFeaturesReport(
  check: LoggedVectorCheck,
  featureSet: string,
  historyDays: number,
): LoggedFeaturesReport {
  const sum = (history: boolean) =>
    check.days
      .filter((d) => d.day < historyDays === history)
      .reduce((acc, d) => ({ rows: acc.rows + d.rows, differing: acc.differing + d.differing }), {
        rows: 0,
        differing: 0,
      });
  return {
    feature_set: featureSet,
    history: sum(true),
    paced: sum(false),
    differing_by_day: check.days,
    features: check.features.slice(0, 5),
  };
}
