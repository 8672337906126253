import type { EvaluationMetrics } from '@fraudstream/registry';

export interface GateConfig {
  /** The challenger's average precision must exceed the champion's by at least this much. */
  readonly minAveragePrecisionGain: number;
  /** ROC-AUC may not fall by more than this. */
  readonly maxRocAucDrop: number;
  /** Card precision@k may not fall by more than this. */
  readonly maxCardPrecisionDrop: number;
  /** Fewer frauds than this in the gate's rows make the comparison noise: no promotion. */
  readonly minPositives: number;
}

export interface GateDecision {
  readonly passed: boolean;
  readonly reason: string;
  /** Every number behind the decision, for the manifest and the deployment event. */
  readonly metrics: Record<string, number>;
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
 * The promotion gate: challenger and champion on the same held-out rows. Average precision is the
 * headline (the fraud class is rare, so ROC-AUC saturates) and must improve by the margin; ROC-AUC
 * and card precision@k (what the analysts' queue sees) may not regress beyond their tolerances.
 */
export function decideGate(
  challenger: EvaluationMetrics,
  champion: EvaluationMetrics,
  config: GateConfig,
): GateDecision {
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
  const failures: string[] = [];
  if (challenger.positives < config.minPositives)
    failures.push(`only ${challenger.positives} frauds in the gate rows (< ${config.minPositives})`);
  const apGain = challenger.average_precision - champion.average_precision;
  if (!(apGain >= config.minAveragePrecisionGain - SLACK))
    failures.push(
      `AP ${fmt(challenger.average_precision)} vs champion ${fmt(champion.average_precision)}: gain ${fmt(apGain)} < margin ${fmt(config.minAveragePrecisionGain)}`,
    );
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
  return {
    passed,
    reason: passed
      ? `challenger AP ${fmt(challenger.average_precision)} > champion ${fmt(champion.average_precision)} + margin ${fmt(config.minAveragePrecisionGain)}; ROC-AUC ${fmt(challenger.roc_auc)} vs ${fmt(champion.roc_auc)}; card precision@${challenger.k} ${fmt(challenger.card_precision_at_k)} vs ${fmt(champion.card_precision_at_k)}`
      : `gate failed: ${failures.join('; ')}`,
    metrics,
  };
}
