import { binCounts } from '@fraudstream/stats';
import type { FeatureProfile } from '@fraudstream/registry';

export interface ShadowBounds {
  /** Event time a challenger is scored in shadow before its promotion is decided. */
  readonly periodMs: number;
  /** Fewer CHALLENGER rows than this after the period: keep waiting. */
  readonly minRows: number;
  /** Most PSI of the challenger's live scores against its own reference score profile. */
  readonly maxScorePsi: number;
  /** Most share of transactions the challenger may alert on. */
  readonly maxAlertRate: number;
  /** Most ratio of the challenger's alert rate to the champion's on the same period (either way). */
  readonly maxAlertRateRatio: number;
}

/** What the shadow period saw: the challenger's scores and alerts and the champion's alerts. */
export interface ShadowObservation {
  readonly challengerScores: readonly number[];
  readonly challengerAlerts: number;
  readonly championRows: number;
  readonly championAlerts: number;
  /**
   * The alert rate the challenger's threshold was cut for, when its policy is a count a day (that
   * count over the champion's transactions a day in the period); null otherwise.
   */
  readonly expectedAlertRate?: number | null;
}

export interface ShadowDecision {
  readonly passed: boolean;
  readonly reason: string;
  readonly metrics: Record<string, number>;
}

const PSI_FLOOR = 1e-4;

/** PSI of live values against a reference profile's quantile bins (empty bins floored at 1e-4). */
export function scorePsi(reference: FeatureProfile, live: readonly number[]): number {
  const counts = binCounts(reference.quantile_edges, live);
  const total = live.length;
  let psi = 0;
  counts.forEach((count, i) => {
    const e = Math.max(reference.bin_fractions[i] ?? 0, PSI_FLOOR);
    const a = Math.max(total > 0 ? count / total : 0, PSI_FLOOR);
    psi += (a - e) * Math.log(a / e);
  });
  return psi;
}

/**
 * Whether a shadowed challenger may serve: its live score distribution must still look like the
 * one it was validated on (PSI), and its alert rate must stay within what analysts can absorb and
 * near the champion's (a model alerting 5x as often would flood the queue, however good its AP).
 */
export function decideShadow(
  observation: ShadowObservation,
  referenceScore: FeatureProfile,
  bounds: ShadowBounds,
): ShadowDecision {
  const rows = observation.challengerScores.length;
  const alertRate = rows > 0 ? observation.challengerAlerts / rows : 0;
  const championRate =
    observation.championRows > 0 ? observation.championAlerts / observation.championRows : 0;
  const psi = scorePsi(referenceScore, observation.challengerScores);
  // Add-one smoothing so a quiet champion (0 alerts) does not make any challenger alert infinitely many.
  const ratio =
    (observation.challengerAlerts + 1) /
    (rows + 1) /
    ((observation.championAlerts + 1) / (observation.championRows + 1));
  const metrics = {
    shadow_rows: rows,
    shadow_champion_rows: observation.championRows,
    shadow_score_psi: psi,
    shadow_alert_rate: alertRate,
    shadow_champion_alert_rate: championRate,
    shadow_alert_rate_ratio: ratio,
    shadow_max_score_psi: bounds.maxScorePsi,
    shadow_max_alert_rate: bounds.maxAlertRate,
    shadow_max_alert_rate_ratio: bounds.maxAlertRateRatio,
    ...(observation.expectedAlertRate == null
      ? {}
      : { shadow_expected_alert_rate: observation.expectedAlertRate }),
  };
  const failures: string[] = [];
  if (psi > bounds.maxScorePsi) failures.push(`score PSI ${psi.toFixed(3)} > ${bounds.maxScorePsi}`);
  if (alertRate > bounds.maxAlertRate)
    failures.push(`alert rate ${alertRate.toFixed(4)} > ${bounds.maxAlertRate}`);
  // Far fewer alerts than the champion is a fault unless it is what the threshold was cut for: a
  // champion flooded by a shift in the legitimate traffic is not the rate to keep.
  const expected = observation.expectedAlertRate ?? null;
  const asCutFor = expected !== null && alertRate >= expected / bounds.maxAlertRateRatio;
  if (ratio > bounds.maxAlertRateRatio || (ratio < 1 / bounds.maxAlertRateRatio && !asCutFor))
    failures.push(`alert rate ${ratio.toFixed(2)}x the champion's (bound ${bounds.maxAlertRateRatio}x)`);
  const passed = failures.length === 0;
  return {
    passed,
    reason: passed
      ? `shadow ok over ${rows} rows: score PSI ${psi.toFixed(3)}, alert rate ${alertRate.toFixed(4)} (champion ${championRate.toFixed(4)})`
      : `shadow failed over ${rows} rows: ${failures.join('; ')}`,
    metrics,
  };
}
