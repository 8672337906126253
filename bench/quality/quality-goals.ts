/** What the goals of the quality benchmark read from each replay. */
export interface PolicySummary {
  readonly apByDay: readonly number[];
  readonly retrains: number;
}

export interface QualityGoals {
  /** Triggered fine-tuning keeps at least this share of periodic retraining's mean AP after the drift. */
  readonly triggered_ap_at_least_95pct_of_periodic: boolean;
  /** ... with at most a third of its retrains. */
  readonly triggered_retrains_at_most_third_of_periodic: boolean;
  readonly triggered_ap_above_static: boolean;
  readonly stable_zero_retrains: boolean;
}

/** Mean of `values[from..]` (the days from the drift onset on); NaN when there are none. */
export function meanFrom(values: readonly number[], from: number): number {
  const tail = values.slice(Math.max(0, from));
  return tail.length === 0 ? Number.NaN : tail.reduce((a, b) => a + b, 0) / tail.length;
}

/** The four goals of the drift-recovery benchmark, from the replays and the onset day. */
export function qualityGoals(
  runs: {
    readonly static: PolicySummary;
    readonly triggered: PolicySummary;
    readonly periodic: PolicySummary;
    readonly stable: PolicySummary;
  },
  driftOnsetDay: number,
): QualityGoals {
  const after = (s: PolicySummary) => meanFrom(s.apByDay, driftOnsetDay);
  return {
    triggered_ap_at_least_95pct_of_periodic: after(runs.triggered) >= 0.95 * after(runs.periodic),
    triggered_retrains_at_most_third_of_periodic: runs.triggered.retrains * 3 <= runs.periodic.retrains,
    triggered_ap_above_static: after(runs.triggered) > after(runs.static),
    stable_zero_retrains: runs.stable.retrains === 0,
  };
}
