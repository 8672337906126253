import { DAY_MS, type DriftEvent, type ModelDeployment } from '@fraudstream/contracts';
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

function mean(values: readonly (number | null | undefined)[]): number | null {
  const present = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  return present.length === values.length && present.length > 0
    ? present.reduce((a, b) => a + b, 0) / present.length
    : null;
}

/**
 * Mean AP over the `span` event days after the deployment day, divided by the oracle's mean over
 * the same days; null when one of those days has no AP (not streamed, or no fraud).
 */
export function apRecoveryRatio(
  ap: readonly (number | null)[],
  oracleAp: readonly (number | null)[],
  deploymentDay: number | null,
  span = 2,
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
