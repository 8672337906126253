/*
 * The verdicts of a window, as pure functions of its statistics, its sampled rows and the settings:
 * distribution drift at close, provisional performance at close, mature performance and label drift
 * at maturity. Each returns what it found with its reasons; the detector assembles the event and
 * asks the policy.
 */
import type { DriftSeverity, DriftVerdict } from '@fraudstream/contracts';
import type { EvaluationMetrics } from '@fraudstream/registry';
import {
  averagePrecision,
  averagePrecisionUpperBound,
  clusterBootstrap,
  erfc,
  recallAtThreshold,
  rocAuc,
  rocAucStandardError,
  twoProportionZTest,
} from '@fraudstream/stats';
import type { DriftSettings } from './drift.config';
import type { DriftWindow, WindowDistributionStats } from './drift-window';
import type { ReferenceManifest } from './reference-model';
import { fraudBy, type SampledRow } from './row-reservoir';
import { twoWayDesignEffect } from './sequential-tests';

/** What a window's labels say about the model, as its drift event reports it. */
export interface Performance {
  readonly matureLabels: number;
  readonly positives: number;
  readonly fraudRate: number | null;
  readonly fraudRatePValue: number | null;
  /**
   * The two-way (card, terminal) design effect the fraud-rate test's variance was scaled by: 1 when
   * the window's frauds are independent rows, null when the test ran plain or not at all.
   */
  readonly fraudRateDesignEffect: number | null;
  readonly averagePrecision: number | null;
  readonly rocAuc: number | null;
  readonly recall: number | null;
  readonly cardPrecision: number | null;
  /**
   * Standard errors of the AP and ROC-AUC by a bootstrap over clusters of rows, the larger of by
   * card and by terminal (null: not measured). Frauds come in clusters (a stolen card, a
   * compromised terminal), so they are wider than the closed forms that count frauds as independent.
   */
  readonly averagePrecisionSe: number | null;
  readonly rocAucSe: number | null;
}

/** Resamples of the cluster bootstrap of a mature window's AP and ROC-AUC. */
const PERFORMANCE_BOOTSTRAP_RESAMPLES = 200;

export const NO_PERFORMANCE: Performance = {
  matureLabels: 0,
  positives: 0,
  fraudRate: null,
  fraudRatePValue: null,
  fraudRateDesignEffect: null,
  averagePrecision: null,
  rocAuc: null,
  recall: null,
  cardPrecision: null,
  averagePrecisionSe: null,
  rocAucSe: null,
};

/** A verdict, its severity and the reasons behind it. */
export interface Verdict {
  readonly verdict: DriftVerdict;
  readonly severity: DriftSeverity;
  readonly reasons: readonly string[];
}

/** Verdicts by seriousness: a later finding replaces an earlier one only if more serious. */
export const VERDICT_RANK: Readonly<Record<DriftVerdict, number>> = {
  INSUFFICIENT_DATA: 0,
  NO_DRIFT: 1,
  COVARIATE_DRIFT: 2,
  PREDICTION_DRIFT: 3,
  LABEL_DRIFT: 4,
  PERFORMANCE_DRIFT: 5,
};

function round(x: number, digits = 4): string {
  return Number.isFinite(x) ? x.toFixed(digits) : String(x);
}

function finiteOrNull(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}

/** Feature and score drift of a closed window (drifted: significant after BH and PSI above the floor). */
export function distributionVerdict(stats: WindowDistributionStats, settings: DriftSettings): Verdict {
  const reasons: string[] = [];
  const drifted = stats.features.filter((f) => f.drifted);
  if (drifted.length > 0) {
    reasons.push(
      `${drifted.length} feature(s) drifted: ${drifted
        .map((f) => `${f.feature} (PSI ${round(f.psi)}, adjusted p ${f.p_value_adjusted.toExponential(2)})`)
        .join(', ')}`,
    );
  }
  if (stats.prediction.drifted) {
    reasons.push(
      `score distribution drifted (PSI ${round(stats.prediction.psi)}, KS ${round(stats.prediction.ks_statistic)})`,
    );
  }
  const verdict: DriftVerdict = stats.prediction.drifted
    ? 'PREDICTION_DRIFT'
    : drifted.length > 0
      ? 'COVARIATE_DRIFT'
      : 'NO_DRIFT';
  if (verdict === 'NO_DRIFT') return { verdict, severity: 'NONE', reasons };
  const major = stats.maxPsi >= settings.psiMajor || drifted.length >= settings.featuresK;
  return { verdict, severity: major ? 'MEDIUM' : 'LOW', reasons };
}

/** The provisional look at a closed window. */
export interface ProvisionalPerformance {
  readonly positives: number;
  readonly auc: number | null;
  readonly recall: number;
  readonly degraded: boolean;
  readonly reason: string;
}

/**
 * An early look at performance when a window closes, before its labels are mature: the frauds
 * confirmed so far against every other transaction of the window. ROC-AUC and recall barely move
 * when not-yet-confirmed frauds sit among the negatives (they are ~1 % of them), and recall over
 * confirmed frauds is unbiased while the chargeback delay does not depend on the score; average
 * precision would be biased, so it waits for maturity, and so does any retraining on it.
 * Null with too few confirmed frauds.
 */
export function provisionalPerformance(
  rows: readonly SampledRow[],
  boundary: number,
  manifest: ReferenceManifest,
  settings: DriftSettings,
): ProvisionalPerformance | null {
  const labels = rows.map((r) => fraudBy(r, boundary));
  let positives = 0;
  for (const l of labels) if (l) positives++;
  if (positives < settings.minMaturePositives) return null;
  const scores = Float64Array.from(rows, (r) => r.score);
  const validation = manifest.metrics.validation;
  const auc = finiteOrNull(rocAuc(scores, labels));
  const recall = recallAtThreshold(scores, labels, manifest.threshold);
  const aucDrop = auc === null ? 0 : validation.roc_auc - auc;
  const recallDrop =
    validation.recall_at_threshold > 0
      ? (validation.recall_at_threshold - recall) / validation.recall_at_threshold
      : 0;
  const degraded = aucDrop > settings.aucTolerance || recallDrop > settings.recallTolerance;
  const summary =
    `ROC-AUC ${auc === null ? 'n/a' : round(auc)} vs validation ${round(validation.roc_auc)}, ` +
    `recall ${round(recall)} vs ${round(validation.recall_at_threshold)} on ${positives} frauds confirmed so far ` +
    `(unlabelled transactions counted as legitimate)`;
  return {
    positives,
    auc,
    recall,
    degraded,
    reason: degraded
      ? `provisional performance drop: ${summary}; retraining waits for mature labels`
      : `provisional performance holds: ${summary}`,
  };
}

/** Performance once the window is mature: confirmed frauds are positives, everything else a mature negative. */
export function maturePerformance(w: DriftWindow, boundary: number, settings: DriftSettings): Performance {
  const rows = w.reservoir.rows();
  const scores = Float64Array.from(rows, (r) => r.score);
  const labels = rows.map((r) => fraudBy(r, boundary));
  let positives = 0;
  for (const l of labels) if (l) positives++;
  const ref = w.reference.manifest;
  const enoughRate = rows.length >= settings.minMatureLabels;
  const enough = enoughRate && positives >= settings.minMaturePositives;
  const rate = rows.length > 0 ? positives / rows.length : null;
  const spread = enough ? clusteredSpread(rows, labels, w.start) : null;
  const test = enoughRate ? fraudRateTest(rows, labels, positives, ref, settings) : null;
  return {
    matureLabels: rows.length,
    positives,
    fraudRate: enoughRate ? rate : null,
    fraudRatePValue: test ? test.pValue : null,
    fraudRateDesignEffect: test?.designEffect ?? null,
    averagePrecision: enough ? averagePrecision(scores, labels) : null,
    rocAuc: enough ? finiteOrNull(rocAuc(scores, labels)) : null,
    recall: enough ? recallAtThreshold(scores, labels, ref.threshold) : null,
    cardPrecision: enough && w.rowCount >= settings.minWindowCount ? w.cardPrecisionAtK(boundary) : null,
    averagePrecisionSe: spread?.averagePrecisionSe ?? null,
    rocAucSe: spread?.rocAucSe ?? null,
  };
}

/** A row's terminal cluster: its terminal, or the row alone when the terminal is not known. */
function terminalCluster(row: SampledRow): string {
  return row.terminal || `row:${row.id}`;
}

/**
 * The window's fraud rate against the reference's: the pooled two-proportion z-test, its variance
 * scaled (with `labelClusterRobust`) by the window's two-way design effect by card and by terminal
 * (a row without a known terminal is a cluster of its own). A compromised terminal's or a stolen
 * card's frauds are not independent rows, and counted as such the test flagged quiet streams'
 * ordinary day-to-day swings as label drift. The reference rows come from the same process, so the
 * same effect is assumed for them.
 */
function fraudRateTest(
  rows: readonly SampledRow[],
  labels: readonly boolean[],
  positives: number,
  ref: ReferenceManifest,
  settings: DriftSettings,
): { pValue: number; designEffect: number | null } | null {
  const refRows = ref.reference.row_count;
  const plain = twoProportionZTest(
    positives,
    rows.length,
    Math.round(ref.reference.fraud_rate * refRows),
    refRows,
  );
  // No fraud on either side (or no reference rows): nothing to compare.
  if (Number.isNaN(plain.z)) return null;
  if (!settings.labelClusterRobust) return { pValue: plain.pValue, designEffect: null };
  const designEffect = twoWayDesignEffect(
    rows.map((row, i) => ({
      card: row.card,
      terminal: terminalCluster(row),
      success: labels[i] === true,
    })),
  );
  const z = plain.z / Math.sqrt(designEffect);
  return { pValue: Math.min(1, erfc(Math.abs(z) / Math.SQRT2)), designEffect };
}

/**
 * The cluster bootstrap's standard errors of a window's AP and ROC-AUC, by card and by terminal,
 * the larger of each (a row without a known terminal is a cluster of its own); seeded by the
 * window's start, so a replay measures alike.
 */
function clusteredSpread(
  rows: readonly SampledRow[],
  labels: readonly boolean[],
  seed: number,
): { averagePrecisionSe: number | null; rocAucSe: number | null } {
  // In id order: the reservoir's slots depend on arrival order, and the resamples must not.
  const entries = rows
    .map((row, i) => ({ row, fraud: labels[i] === true }))
    .sort((a, b) => (a.row.id < b.row.id ? -1 : a.row.id > b.row.id ? 1 : 0));
  const scores = entries.map((e) => e.row.score);
  const frauds = entries.map((e) => e.fraud);
  const options = { resamples: PERFORMANCE_BOOTSTRAP_RESAMPLES, seed: seed % 2 ** 31 };
  const byCard = clusterBootstrap(
    scores,
    frauds,
    entries.map((e) => e.row.card),
    options,
  );
  const byTerminal = clusterBootstrap(
    scores,
    frauds,
    entries.map((e) => terminalCluster(e.row)),
    options,
  );
  const larger = (a: number, b: number) => {
    const finite = [a, b].filter(Number.isFinite);
    return finite.length === 0 ? null : Math.max(...finite);
  };
  return {
    averagePrecisionSe: larger(byCard.averagePrecisionSe, byTerminal.averagePrecisionSe),
    rocAucSe: larger(byCard.rocAucSe, byTerminal.rocAucSe),
  };
}

/** Whether mature performance dropped below the validation's beyond the tolerances. */
export interface PerformanceJudgement {
  readonly degraded: boolean;
  /** HIGH beyond twice a tolerance, else MEDIUM (meaningful when degraded). */
  readonly severity: DriftSeverity;
  readonly summary: string;
  /** The window's AP, its standard error (the bound's distance over z) and the tolerated level. */
  readonly averagePrecision: MatureAp;
}

/** One mature window's AP, as several windows of one model are judged together. */
export interface MatureAp {
  readonly value: number;
  readonly standardError: number;
  /** The level under which a drop counts: (1 - tolerance) x the reference's AP. */
  readonly line: number;
}

/**
 * Several consecutive mature windows' AP judged together: their mean, with the standard error of a
 * mean of independent days. A sustained drop that no single day's bound can show (each day's
 * frauds too few, their bound wide) shows over the days together. It is a drop when every window's
 * AP is under the tolerated level (one bad day beside a good one is not sustained) and the mean's
 * upper bound is too. Null unless every window has the same level (the same model and reference).
 */
export function pooledApDrop(
  windows: readonly MatureAp[],
  z: number,
): {
  readonly mean: number;
  readonly upper: number;
  readonly line: number;
  readonly dropped: boolean;
  readonly summary: string;
} | null {
  const first = windows[0];
  if (!first || windows.some((w) => w.line !== first.line)) return null;
  const n = windows.length;
  const mean = windows.reduce((a, w) => a + w.value, 0) / n;
  const se = Math.sqrt(windows.reduce((a, w) => a + w.standardError ** 2, 0)) / n;
  const upper = Math.min(1, mean + z * se);
  const dropped = upper < first.line && windows.every((w) => w.value < first.line);
  const summary = `mean AP ${round(mean)} (upper bound ${round(upper)}) vs the tolerated ${round(first.line)}`;
  return { mean, upper, line: first.line, dropped, summary };
}

/** Null when the window has too few mature labels to judge. */
export function judgePerformance(
  perf: Performance,
  validation: Pick<EvaluationMetrics, 'average_precision' | 'roc_auc'>,
  settings: DriftSettings,
  /** What `validation` is, for the reasons ("validation", or the live baseline). */
  referenceName = 'validation',
): PerformanceJudgement | null {
  if (perf.averagePrecision === null || perf.rocAuc === null) return null;
  const apDrop =
    validation.average_precision > 0
      ? (validation.average_precision - perf.averagePrecision) / validation.average_precision
      : 0;
  const aucDrop = validation.roc_auc - perf.rocAuc;
  // A drop counts when it is beyond the tolerance with confidence: the window's upper bound (z of
  // DRIFT_PERFORMANCE_CONFIDENCE_Z) still below the tolerated level. A day of ~60 frauds measures AP
  // to about +-0.1; a point estimate under the line is as often the sample as the model. The bound
  // is the wider of the closed form (frauds as independent) and the cluster bootstrap's (frauds by
  // card and by terminal): a few compromised terminals' payments are a few observations, not many.
  const z = settings.performanceConfidenceZ;
  const apClosed = averagePrecisionUpperBound(perf.averagePrecision, perf.positives, z);
  const apUpper = Math.min(1, Math.max(apClosed, perf.averagePrecision + z * (perf.averagePrecisionSe ?? 0)));
  const aucSe = rocAucStandardError(perf.rocAuc, perf.positives, perf.matureLabels - perf.positives);
  const aucClosed = Number.isFinite(aucSe) ? perf.rocAuc + z * aucSe : 1;
  const aucUpper = Math.min(1, Math.max(aucClosed, perf.rocAuc + z * (perf.rocAucSe ?? 0)));
  const apLine = (1 - settings.apTolerance) * validation.average_precision;
  const apDegraded = apUpper < apLine;
  const aucDegraded = aucUpper < validation.roc_auc - settings.aucTolerance;
  const degraded = apDegraded || aucDegraded;
  return {
    degraded,
    severity: apDrop > 2 * settings.apTolerance || aucDrop > 2 * settings.aucTolerance ? 'HIGH' : 'MEDIUM',
    summary:
      `AP ${round(perf.averagePrecision)} (upper bound ${round(apUpper)}) vs ${referenceName} ` +
      `${round(validation.average_precision)} (drop ${round(apDrop * 100, 1)} %, tolerance ` +
      `${round(settings.apTolerance * 100, 1)} %), ROC-AUC ${round(perf.rocAuc)} (upper bound ` +
      `${round(aucUpper)}) vs ${round(validation.roc_auc)} on ${perf.matureLabels} mature labels ` +
      `(${perf.positives} frauds, z ${z})`,
    averagePrecision: {
      value: perf.averagePrecision,
      standardError: z > 0 ? (apUpper - perf.averagePrecision) / z : 0,
      line: apLine,
    },
  };
}

/** The label-drift finding of a mature window, or null when its fraud rate is not significantly off. */
export function labelDrift(
  perf: Performance,
  referenceFraudRate: number,
  settings: DriftSettings,
): string | null {
  if (perf.fraudRatePValue === null || perf.fraudRate === null || perf.fraudRatePValue >= settings.labelAlpha)
    return null;
  const effect = perf.fraudRateDesignEffect;
  const clustered = effect === null ? '' : `, design effect ${round(effect, 2)}`;
  return `fraud rate ${round(perf.fraudRate, 5)} vs reference ${round(referenceFraudRate, 5)} (p ${perf.fraudRatePValue.toExponential(2)}${clustered})`;
}
