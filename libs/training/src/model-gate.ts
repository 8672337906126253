import type { RetrainTrigger } from '@fraudstream/contracts';
import type { EvaluationMetrics } from '@fraudstream/registry';
import { describeRefusal, type FairnessCheck, type FairnessConfig } from './segment-fairness';

export interface GateConfig {
  /** The challenger's average precision must exceed the champion's by at least this much (on one set). */
  readonly minAveragePrecisionGain: number;
  /**
   * On the mature hold-out, the challenger's AP may not fall below the champion's by more than this
   * when its gain is on the new regime's rows (a model that learnt a new pattern need not be better
   * on the old regime's last mature day, only not worse).
   */
  readonly maxAveragePrecisionDrop: number;
  /**
   * When the new regime is judged on its whole traffic (soft targets: a request about legitimate
   * payments that moved), the hold-out day is from before the shift, and its AP may fall by this
   * share of the champion's (if more than `maxAveragePrecisionDrop`): the share of AP the drift
   * monitor's performance rule tolerates before it calls a window degraded (DRIFT_AP_TOLERANCE).
   */
  readonly maxRelativeApDropOnShift: number;
  /** ROC-AUC may not fall by more than this (mature hold-out). */
  readonly maxRocAucDrop: number;
  /** Card precision@k may not fall by more than this (mature hold-out). */
  readonly maxCardPrecisionDrop: number;
  /** Fewer frauds than this in a set of gate rows make the comparison on it noise. */
  readonly minPositives: number;
  /** How far the challenger may widen the gaps between customer segments (segment-fairness.ts). */
  readonly fairness: FairnessConfig;
  /**
   * The hold-out's sampling noise: a drop in AP or ROC-AUC is refused only beyond its tolerance AND
   * beyond `z` standard errors of the paired difference (a bootstrap over the hold-out's cards,
   * `resamples` times); z 0 or resamples 0 judge the drops on their tolerances alone.
   */
  readonly noise: { readonly z: number; readonly resamples: number };
  /**
   * Triggers whose evidence is frauds the champion misses (a new pattern, missed frauds): the
   * champion is known to fail on the new regime, so there a challenger need only be no worse on the
   * new regime's rows (`evidenceMinAveragePrecisionGain`, 0) instead of better by the margin; the
   * hold-out's drop tolerance and every other check stay as they are.
   */
  readonly evidenceTriggers: readonly RetrainTrigger[];
  readonly evidenceMinAveragePrecisionGain: number;
  /**
   * On those triggers, "no worse" on the new regime's settled rows allows the rows' own sampling
   * noise: the margin is lowered by `noise.z` standard errors of the paired difference there (a
   * bootstrap over their cards). Off: a challenger must tie or beat the champion to the last digit.
   */
  readonly evidenceNoise?: boolean;
}

/** The standard errors of the challenger-minus-champion differences on the hold-out (paired-bootstrap.ts). */
export interface HoldoutNoise {
  readonly resamples: number;
  readonly averagePrecisionDifferenceSe: number;
  readonly rocAucDifferenceSe: number;
}

export interface GateDecision {
  readonly passed: boolean;
  readonly reason: string;
  /** Every number behind the decision, for the manifest and the deployment event. */
  readonly metrics: Record<string, number>;
}

/**
 * Both models by soft-target AP on the new regime's whole traffic of the judging cards: the settled
 * rows and the unlabelled ones, each of the latter counting as the probability that its fraud label
 * is still coming (soft-labels.ts).
 */
export interface SoftGateComparison {
  readonly rows: number;
  /** Of `rows`, those whose label is settled (the `recent` comparison's rows). */
  readonly settledRows: number;
  /** The sum of the targets: the frauds the rows are expected to hold. */
  readonly expectedFrauds: number;
  readonly challenger: number;
  readonly champion: number;
}

/** What the gate judges besides the two comparisons, when the job has it. */
export interface GateEvidence {
  /** The new regime's whole traffic with soft targets (a request about legitimate payments that moved). */
  readonly soft?: SoftGateComparison | null;
  /** The segment gaps on the hold-out's rows. */
  readonly fairness?: FairnessCheck | null;
  /** The hold-out's sampling noise. */
  readonly noise?: HoldoutNoise | null;
  /** The new regime's settled rows' sampling noise (`evidenceNoise`). */
  readonly recentNoise?: HoldoutNoise | null;
  /** The request's trigger: one of `evidenceTriggers` sets the new regime's margin. */
  readonly trigger?: RetrainTrigger | null;
}

/** Whether a request's trigger is evidence that the champion misses the new regime's frauds (`evidenceTriggers`). */
export function isEvidenceTrigger(config: GateConfig, trigger: RetrainTrigger | null | undefined): boolean {
  return trigger != null && config.evidenceTriggers.includes(trigger);
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
  evidence: GateEvidence = {},
): GateDecision {
  const soft = evidence.soft ?? null;
  const fairness = evidence.fairness ?? null;
  const noise = evidence.noise ?? null;
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
  if (soft) {
    Object.assign(metrics, {
      gate_soft_rows: soft.rows,
      gate_soft_settled_rows: soft.settledRows,
      gate_soft_expected_frauds: soft.expectedFrauds,
      challenger_soft_average_precision: soft.challenger,
      champion_soft_average_precision: soft.champion,
      soft_average_precision_gain: soft.challenger - soft.champion,
    });
  }
  const failures: string[] = [];
  if (challenger.positives < config.minPositives)
    failures.push(
      `only ${challenger.positives} frauds in the hold-out's gate rows (< ${config.minPositives})`,
    );
  const apGain = challenger.average_precision - champion.average_precision;
  const settledGain = recentUsable
    ? recent.challenger.average_precision - recent.champion.average_precision
    : null;
  // With the unlabelled rows too (soft targets), the new regime's evidence is its whole traffic, not
  // only the rows an alert or a chargeback settled: it replaces the settled rows' AP, and the
  // hold-out's win then also must not cost the new regime more than the tolerated drop.
  const recentGain = soft ? soft.challenger - soft.champion : settledGain;
  const holdoutWins =
    apGain >= config.minAveragePrecisionGain - SLACK &&
    (!soft || (recentGain ?? 0) >= -config.maxAveragePrecisionDrop - SLACK);
  // A drop within z standard errors of the paired difference is what a challenger no worse than the
  // champion shows on a hold-out this small; it is refused only beyond both bounds.
  const noiseBound = (se: number | undefined) =>
    Number.isFinite(se) && config.noise.z > 0 ? config.noise.z * (se ?? 0) : 0;
  if (noise) {
    Object.assign(metrics, {
      gate_noise_z: config.noise.z,
      gate_bootstrap_resamples: noise.resamples,
      gate_average_precision_difference_se: noise.averagePrecisionDifferenceSe,
      gate_roc_auc_difference_se: noise.rocAucDifferenceSe,
    });
  }
  const holdoutTolerance = Math.max(
    soft
      ? Math.max(config.maxAveragePrecisionDrop, config.maxRelativeApDropOnShift * champion.average_precision)
      : config.maxAveragePrecisionDrop,
    noiseBound(noise?.averagePrecisionDifferenceSe),
  );
  const rocAucTolerance = Math.max(config.maxRocAucDrop, noiseBound(noise?.rocAucDifferenceSe));
  metrics.gate_holdout_drop_tolerance = holdoutTolerance;
  metrics.gate_roc_auc_drop_tolerance = rocAucTolerance;
  // On evidence that the champion misses the new regime's frauds, no worse there is enough.
  const onEvidence = isEvidenceTrigger(config, evidence.trigger);
  // There, a tie within the settled rows' own noise is no worse either (judged on them, not on soft targets).
  const recentNoiseBound =
    onEvidence && config.evidenceNoise === true && !soft
      ? noiseBound(evidence.recentNoise?.averagePrecisionDifferenceSe)
      : 0;
  if (recentNoiseBound > 0 && evidence.recentNoise)
    metrics.gate_recent_average_precision_difference_se = evidence.recentNoise.averagePrecisionDifferenceSe;
  const recentMargin = onEvidence
    ? Math.min(config.minAveragePrecisionGain, config.evidenceMinAveragePrecisionGain) - recentNoiseBound
    : config.minAveragePrecisionGain;
  metrics.gate_new_regime_min_average_precision_gain = recentMargin;
  // The soft targets and the settled rows are two estimates of the new regime, each biased its own
  // way (the unlabelled rows' targets follow their age only; the settled rows were chosen by the
  // champion's alerts): a win on the soft targets counts when the settled rows, if they can judge,
  // show it too.
  const settledAgrees = !soft || settledGain === null || settledGain >= recentMargin - SLACK;
  const recentWins =
    recentGain !== null &&
    recentGain >= recentMargin - SLACK &&
    settledAgrees &&
    apGain >= -holdoutTolerance - SLACK;
  if (!holdoutWins && !recentWins && soft && apGain >= config.minAveragePrecisionGain - SLACK) {
    failures.push(
      `AP ${fmt(challenger.average_precision)} vs champion ${fmt(champion.average_precision)} on the hold-out, ` +
        `but on the new regime's traffic (soft targets) AP ${fmt(soft.challenger)} vs ${fmt(soft.champion)}: ` +
        `it fell by ${fmt(-(recentGain ?? 0))} (> ${fmt(config.maxAveragePrecisionDrop)})`,
    );
  } else if (!holdoutWins && !recentWins) {
    failures.push(
      `AP ${fmt(challenger.average_precision)} vs champion ${fmt(champion.average_precision)}: gain ${fmt(apGain)} < margin ${fmt(config.minAveragePrecisionGain)}` +
        (recentGain === null
          ? ''
          : `; on the new regime's ${soft ? 'traffic (soft targets)' : 'rows'} gain ${fmt(recentGain)}` +
            (recentGain < recentMargin - SLACK
              ? ` < margin${recentMargin === config.minAveragePrecisionGain ? '' : ` ${fmt(recentMargin)} (${evidence.trigger})`}`
              : !settledAgrees
                ? `, but on the settled rows among them gain ${fmt(settledGain ?? 0)} < margin`
                : ` but the hold-out's AP fell by ${fmt(-apGain)} (> ${fmt(holdoutTolerance)})`)),
    );
  }
  const aucDrop = champion.roc_auc - challenger.roc_auc;
  if (aucDrop > rocAucTolerance + SLACK)
    failures.push(
      `ROC-AUC fell by ${fmt(aucDrop)} (> ${fmt(rocAucTolerance)}` +
        (rocAucTolerance > config.maxRocAucDrop
          ? `, ${config.noise.z} standard errors of the difference)`
          : ')'),
    );
  const cpDrop = champion.card_precision_at_k - challenger.card_precision_at_k;
  if (cpDrop > config.maxCardPrecisionDrop + SLACK)
    failures.push(
      `card precision@${challenger.k} fell by ${fmt(cpDrop)} (> ${fmt(config.maxCardPrecisionDrop)})`,
    );
  // Fairness on the hold-out's rows (mature: every fraud there is known, so recall is not inflated
  // by early-confirmed frauds): a challenger may not widen a segment gap beyond noise and tolerance.
  if (fairness) {
    Object.assign(metrics, {
      gate_max_fairness_gap_widening: config.fairness.maxGapWidening,
      fairness_checks: fairness.findings.length,
      fairness_fpr_gap_widening: fairness.worst.false_positive_rate,
      fairness_recall_gap_widening: fairness.worst.recall,
    });
    for (const refusal of fairness.refusals) failures.push(`fairness: ${describeRefusal(refusal)}`);
  }
  const passed = failures.length === 0;
  metrics.gate_passed = passed ? 1 : 0;
  const win = holdoutWins
    ? `challenger AP ${fmt(challenger.average_precision)} > champion ${fmt(champion.average_precision)} + margin ${fmt(config.minAveragePrecisionGain)}`
    : soft
      ? `on the new regime's traffic (soft targets, ${soft.rows} rows) challenger AP ${fmt(soft.challenger)} > champion ${fmt(soft.champion)} + margin ${fmt(config.minAveragePrecisionGain)}, hold-out AP ${fmt(challenger.average_precision)} vs ${fmt(champion.average_precision)}`
      : `on the new regime's rows challenger AP ${fmt(recent?.challenger.average_precision ?? 0)} >= champion ${fmt(recent?.champion.average_precision ?? 0)} + margin ${fmt(recentMargin)}${recentMargin === config.minAveragePrecisionGain ? '' : ` (${evidence.trigger}: no worse is enough)`}, hold-out AP ${fmt(challenger.average_precision)} vs ${fmt(champion.average_precision)}`;
  return {
    passed,
    reason: passed
      ? `${win}; ROC-AUC ${fmt(challenger.roc_auc)} vs ${fmt(champion.roc_auc)}; card precision@${challenger.k} ${fmt(challenger.card_precision_at_k)} vs ${fmt(champion.card_precision_at_k)}` +
        fairnessNote(fairness)
      : `gate failed: ${failures.join('; ')}`,
    metrics,
  };
}

/** What the fairness rule found, for a passing reason ('' when the rows carried no segments). */
function fairnessNote(fairness: FairnessCheck | null): string {
  if (!fairness || fairness.segmentedRows === 0) return '';
  return fairness.findings.length > 0
    ? `; no segment gap widened beyond tolerance (${fairness.findings.length} checked)`
    : '; segment gaps not checked (too few frauds, false alerts or cards per segment)';
}
