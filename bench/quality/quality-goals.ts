import type { DriftScenario } from '@fraudstream/simulation';

/** What the goals of the quality benchmark read from each replay. */
export interface PolicySummary {
  readonly apByDay: readonly number[];
  readonly retrains: number;
  /** Stream day of the first retrain request (null: none). */
  readonly firstRequestDay: number | null;
  /** Stream day from which the first fine-tuned model served (null: none). */
  readonly firstRedeploymentDay: number | null;
  /** Retrain-recommending verdicts decided before the onset. */
  readonly falseAlarmsBeforeOnset: number;
  /** Retrain-recommending verdicts in all. */
  readonly recommendations: number;
}

/** Mean of `values[from..]` (the days from the drift onset on); NaN when there are none. */
export function meanFrom(values: readonly number[], from: number): number {
  const tail = values.slice(Math.max(0, from));
  return tail.length === 0 ? Number.NaN : tail.reduce((a, b) => a + b, 0) / tail.length;
}

/** The runs of one (seed, scenario); policies not run are absent. */
export interface ScenarioRuns {
  readonly static?: PolicySummary;
  readonly triggered: PolicySummary;
  readonly periodic?: PolicySummary;
  readonly oracle?: PolicySummary;
}

/**
 * The goals of issue-level quality, per scenario (docs/quality.md):
 * - every scenario: no retrain-recommending verdict before the onset;
 * - stable and covariate-only: zero retrains and zero retrain-recommending verdicts;
 * - the drifted ones: triggered >= 95 % of periodic's mean AP after the onset with at most a third
 *   of its retrains;
 * - new-fraud-pattern besides: the first request at most 2 days after the onset, a fine-tuned
 *   model serving at most 3 days after it, and >= 95 % of the prequential oracle's mean AP.
 */
export function qualityGoals(
  scenario: DriftScenario,
  runs: ScenarioRuns,
  onset: number,
): Record<string, boolean> {
  const t = runs.triggered;
  const after = (s: PolicySummary) => meanFrom(s.apByDay, onset);
  const goals: Record<string, boolean> = { no_false_alarm_before_onset: t.falseAlarmsBeforeOnset === 0 };
  if (scenario === 'stable' || scenario === 'covariate-only') {
    goals.zero_retrains = t.retrains === 0;
    goals.zero_retrain_recommending_verdicts = t.recommendations === 0;
    return goals;
  }
  if (runs.periodic) {
    goals.triggered_ap_at_least_95pct_of_periodic = after(t) >= 0.95 * after(runs.periodic);
    goals.triggered_retrains_at_most_third_of_periodic = t.retrains * 3 <= runs.periodic.retrains;
  }
  if (scenario === 'new-fraud-pattern') {
    goals.first_request_within_2_days = t.firstRequestDay !== null && t.firstRequestDay - onset <= 2;
    goals.serving_within_3_days = t.firstRedeploymentDay !== null && t.firstRedeploymentDay - onset <= 3;
    if (runs.oracle) goals.triggered_ap_at_least_95pct_of_oracle = after(t) >= 0.95 * after(runs.oracle);
  }
  return goals;
}
