import type { EvaluationMetrics } from '@fraudstream/registry';

export interface GateConfig {
  /** The challenger's average precision must exceed the champion's by at least this much (on one set). */
  readonly minAveragePrecisionGain: number;
  /**
   * On the mature hold-out, the challenger's AP may not fall below the champion's by more than this
   * when its gain is on the new regime's rows (a model that learnt a new pattern need not be better
   * on the old regime's last mature day, only not worse).
   */
  readonly maxAveragePrecisionDrop: number;
  /** ROC-AUC may not fall by more than this (mature hold-out). */
  readonly maxRocAucDrop: number;
  /** Card precision@k may not fall by more than this (mature hold-out). */
  readonly maxCardPrecisionDrop: number;
  /** Fewer frauds than this in a set of gate rows make the comparison on it noise. */
  readonly minPositives: number;
}

export interface GateDecision {
  readonly passed: boolean;
  readonly reason: string;
  /** Every number behind the decision, for the manifest and the deployment event. */
  readonly metrics: Record<string, number>;
}

/** Both models on one set of rows. */
export interface GateComparison {
  readonly challenger: EvaluationMetrics;
  readonly champion: EvaluationMetrics;
}

function flatten(prefix: string, m: EvaluationMetrics): Record<string, number> {
  return {
    [`${prefix}_average_precision`]: m.average_precision,
    [`${prefix}_roc_auc`]: m.roc_auc,
    [`${prefix}_card_precision_at_k`]: m.card_precision_at_k,
    [`${prefix}_recall_at_threshold`]: m.recall_at_threshold,
    [`${prefix}_precision_at_threshold`]: m.precision_at_threshold,
  };
}

const fmt = (v: number): string => v.toFixed(4);
/** Float slack so that 0.8 − 0.7 counts as a drop of 0.1, not 0.10000000000000009. */
const SLACK = 1e-9;

/**
 * The promotion gate. On the **mature hold-out** (the newest fully labelled day's judging half),
 * ROC-AUC and card precision@k (what the analysts' queue sees) may not regress beyond their
 * tolerances. Average precision, the headline (the fraud class is rare, so ROC-AUC saturates; AP is
 * what a ranked queue feels), must improve by the margin there, or on the **new regime's rows**
 * (the settled rows since the hold-out day: early-confirmed frauds and analysts' verdicts of the
 * judging cards) while the hold-out's AP does not fall by more than `maxAveragePrecisionDrop`.
 * The drifted days are not mature when an early request comes: judged on the hold-out alone, a
 * model that learnt a new pattern could only tie the champion there; judged on the union, the new
 * pattern's few frauds drowned among the old regime's.
 */
export function decideGate(
  holdout: GateComparison,
  recent: GateComparison | null,
  config: GateConfig,
): GateDecision {
  const { challenger, champion } = holdout;
  const metrics: Record<string, number> = {
    gate_rows: challenger.rows,
    gate_positives: challenger.positives,
    gate_k: challenger.k,
    gate_min_average_precision_gain: config.minAveragePrecisionGain,
    ...flatten('challenger', challenger),
    ...flatten('champion', champion),
    average_precision_gain: challenger.average_precision - champion.average_precision,
    roc_auc_change: challenger.roc_auc - champion.roc_auc,
    card_precision_change: challenger.card_precision_at_k - champion.card_precision_at_k,
  };
  const recentUsable = recent !== null && recent.challenger.positives >= config.minPositives;
  if (recent) {
    Object.assign(metrics, {
      gate_recent_judged_rows: recent.challenger.rows,
      gate_recent_judged_positives: recent.challenger.positives,
      ...flatten('challenger_recent', recent.challenger),
      ...flatten('champion_recent', recent.champion),
      recent_average_precision_gain: recent.challenger.average_precision - recent.champion.average_precision,
    });
  }
  const failures: string[] = [];
  if (challenger.positives < config.minPositives)
    failures.push(
      `only ${challenger.positives} frauds in the hold-out's gate rows (< ${config.minPositives})`,
    );
  const apGain = challenger.average_precision - champion.average_precision;
  const recentGain = recentUsable
    ? recent.challenger.average_precision - recent.champion.average_precision
    : null;
  const holdoutWins = apGain >= config.minAveragePrecisionGain - SLACK;
  const recentWins =
    recentGain !== null &&
    recentGain >= config.minAveragePrecisionGain - SLACK &&
    apGain >= -config.maxAveragePrecisionDrop - SLACK;
  if (!holdoutWins && !recentWins) {
    failures.push(
      `AP ${fmt(challenger.average_precision)} vs champion ${fmt(champion.average_precision)}: gain ${fmt(apGain)} < margin ${fmt(config.minAveragePrecisionGain)}` +
        (recentGain === null
          ? ''
          : `; on the new regime's rows gain ${fmt(recentGain)}` +
            (recentGain >= config.minAveragePrecisionGain - SLACK
              ? ` but the hold-out's AP fell by ${fmt(-apGain)} (> ${fmt(config.maxAveragePrecisionDrop)})`
              : ` < margin`)),
    );
  }
  const aucDrop = champion.roc_auc - challenger.roc_auc;
  if (aucDrop > config.maxRocAucDrop + SLACK)
    failures.push(`ROC-AUC fell by ${fmt(aucDrop)} (> ${fmt(config.maxRocAucDrop)})`);
  const cpDrop = champion.card_precision_at_k - challenger.card_precision_at_k;
  if (cpDrop > config.maxCardPrecisionDrop + SLACK)
    failures.push(
      `card precision@${challenger.k} fell by ${fmt(cpDrop)} (> ${fmt(config.maxCardPrecisionDrop)})`,
    );
  const passed = failures.length === 0;
  metrics.gate_passed = passed ? 1 : 0;
  const win = holdoutWins
    ? `challenger AP ${fmt(challenger.average_precision)} > champion ${fmt(champion.average_precision)} + margin ${fmt(config.minAveragePrecisionGain)}`
    : `on the new regime's rows challenger AP ${fmt(recent?.challenger.average_precision ?? 0)} > champion ${fmt(recent?.champion.average_precision ?? 0)} + margin ${fmt(config.minAveragePrecisionGain)}, hold-out AP ${fmt(challenger.average_precision)} vs ${fmt(champion.average_precision)}`;
  return {
    passed,
    reason: passed
      ? `${win}; ROC-AUC ${fmt(challenger.roc_auc)} vs ${fmt(champion.roc_auc)}; card precision@${challenger.k} ${fmt(challenger.card_precision_at_k)} vs ${fmt(champion.card_precision_at_k)}`
      : `gate failed: ${failures.join('; ')}`,
    metrics,
  };
}
