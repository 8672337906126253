import { boolVar, intVar, numberVar } from '@fraudstream/config';
import { DAY_MS, HOUR_MS } from '@fraudstream/contracts';
import { z } from 'zod';
import type { EarlyEvidenceSettings } from './early-evidence.monitor';

/** Env fragment of the drift monitor's windows, statistics and retraining policy (durations are event time). */
export const driftConfigFragment = z.object({
  DRIFT_WINDOW_MS: intVar(DAY_MS, 1000),
  DRIFT_ALLOWED_LATENESS_MS: intVar(10 * 60 * 1000, 0),
  DRIFT_MIN_WINDOW_COUNT: intVar(500, 1),
  DRIFT_RESERVOIR_SIZE: intVar(10_000, 100, 1_000_000),
  DRIFT_SAMPLE_SEED: intVar(20_240_601, 0, 0xffffffff),
  DRIFT_CHARGEBACK_WINDOW_MS: intVar(7 * DAY_MS, 0),
  DRIFT_ANALYST_DAILY_CAPACITY: intVar(100, 1),
  DRIFT_MIN_MATURE_LABELS: intVar(1000, 1),
  DRIFT_MIN_MATURE_POSITIVES: intVar(20, 1),
  DRIFT_FDR: numberVar(0.05, 1e-9, 1),
  DRIFT_PSI_THRESHOLD: numberVar(0.1, 0),
  DRIFT_PSI_MAJOR: numberVar(0.25, 0),
  DRIFT_FEATURES_K: intVar(2, 1),
  DRIFT_CONSECUTIVE_WINDOWS_M: intVar(2, 1),
  DRIFT_AP_TOLERANCE: numberVar(0.2, 0, 1),
  DRIFT_PERFORMANCE_CONSECUTIVE_WINDOWS: intVar(2, 1, 30),
  DRIFT_PERFORMANCE_BASELINE_WINDOWS: intVar(3, 0, 60),
  DRIFT_PERFORMANCE_CONFIDENCE_Z: numberVar(1.645, 0, 10),
  DRIFT_EARLY_FOLLOW_UP_MS: intVar(3 * DAY_MS, 0),
  DRIFT_EARLY_FOLLOW_UPS: intVar(4, 0, 10),
  DRIFT_EARLY_RETRIES: intVar(2, 0, 5),
  DRIFT_AUC_TOLERANCE: numberVar(0.1, 0, 1),
  DRIFT_LABEL_ALPHA: numberVar(0.01, 1e-12, 1),
  DRIFT_LABEL_CLUSTER_ROBUST: boolVar(true),
  DRIFT_RETRAIN_ON_COVARIATE_SHIFT: boolVar(false),
  DRIFT_RETRAIN_ON_LABEL_DRIFT: boolVar(false),
  DRIFT_RETRAIN_ON_ALERT_PRECISION: boolVar(true),
  DRIFT_COOLDOWN_MS: intVar(3 * DAY_MS, 0),
  DRIFT_RETRY_AFTER_REJECTION_MS: intVar(DAY_MS, 0),
  DRIFT_RETRAIN_BUDGET: intVar(9, 0, 1000),
  DRIFT_RETRAIN_BUDGET_WINDOW_MS: intVar(28 * DAY_MS, 0),
  DRIFT_REQUEST_TIMEOUT_MS: intVar(2 * DAY_MS, 1),
  DRIFT_TRAINING_WINDOW_MS: intVar(14 * DAY_MS, 1),
  DRIFT_MAX_PENDING_LABELS: intVar(100_000, 0),
  DRIFT_MAX_LABEL_LAG_MS: intVar(DAY_MS, 0),
  DRIFT_RECALL_TOLERANCE: numberVar(0.3, 0, 1),
  DRIFT_SEASONAL_FEATURES: z
    .string()
    .default('is_weekend')
    .transform((s) =>
      s
        .split(',')
        .map((f) => f.trim())
        .filter((f) => f.length > 0),
    ),
  DRIFT_MAX_FRAUD_CARDS_PER_DAY: intVar(50_000, 0),
  DRIFT_EVIDENCE_ENABLED: boolVar(true),
  DRIFT_EVIDENCE_CHECK_INTERVAL_MS: intVar(HOUR_MS, 60_000),
  DRIFT_EVIDENCE_SEED_ALPHA: numberVar(0.01, 0, 1),
  DRIFT_EVIDENCE_CANDIDATE_ALPHA: numberVar(0.05, 0, 1),
  DRIFT_INVESTIGATION_SHARE: numberVar(0.2, 0, 1),
  DRIFT_INVESTIGATION_LOOKBACK_MS: intVar(2 * DAY_MS, HOUR_MS),
  DRIFT_INVESTIGATIONS_PER_SEED: intVar(10, 1),
  DRIFT_INVESTIGATION_HIT_RATE_P0: numberVar(0.05, 1e-6, 1),
  DRIFT_INVESTIGATION_HIT_RATE_P1: numberVar(0.3, 1e-6, 1),
  DRIFT_INVESTIGATION_ALPHA: numberVar(0.001, 1e-9, 0.5),
  DRIFT_INVESTIGATION_BETA: numberVar(0.05, 1e-9, 0.5),
  DRIFT_INVESTIGATION_KNOWN_FRAUD_PLACE_FEATURES: z
    .string()
    .default(
      'terminal_fraud_rate_1d,terminal_fraud_rate_7d,terminal_delayed_fraud_rate_1d,terminal_delayed_fraud_rate_7d',
    )
    .transform((s) =>
      s
        .split(',')
        .map((f) => f.trim())
        .filter((f) => f.length > 0),
    ),
  DRIFT_MISSED_FRAUD_ODDS_RATIO: numberVar(3, 1.01, 1000),
  DRIFT_MISSED_FRAUD_CUSUM_H: numberVar(10, 0.1, 1000),
  DRIFT_MISSED_FRAUD_BURN_IN: intVar(300, 1),
  DRIFT_MISSED_FRAUD_CLUSTER_ROBUST: boolVar(true),
  DRIFT_FALSE_ALERT_ODDS_RATIO: numberVar(3, 1.01, 1000),
  DRIFT_FALSE_ALERT_CUSUM_H: numberVar(14, 0.1, 1000),
  DRIFT_FALSE_ALERT_BURN_IN: intVar(300, 1),
  DRIFT_FALSE_ALERT_BASELINE_MS: intVar(6 * DAY_MS, HOUR_MS),
  DRIFT_FALSE_ALERT_BASELINE_REACH_BACK: boolVar(false),
  DRIFT_FALSE_ALERT_MIN_RATE_RATIO: numberVar(2, 0, 1000),
  DRIFT_EVIDENCE_MAX_ROWS: intVar(200_000, 1000),
});

export type DriftConfig = z.infer<typeof driftConfigFragment>;

/** The drift monitor's settings, in the units the detector works in (event-time ms). */
export interface DriftSettings {
  /** Tumbling window length. */
  readonly windowMs: number;
  /** How far behind the newest event time the watermark trails; a window closes when the watermark passes its end. */
  readonly allowedLatenessMs: number;
  /** Scores a window needs before any verdict other than INSUFFICIENT_DATA. */
  readonly minWindowCount: number;
  /** Transactions sampled per window for KS, Wasserstein and the performance metrics. */
  readonly reservoirSize: number;
  readonly sampleSeed: number;
  /** An unlabelled transaction counts as a mature negative this long after its event time. */
  readonly chargebackWindowMs: number;
  /** k of card precision@k: the analysts' daily capacity, in cards. */
  readonly analystDailyCapacity: number;
  readonly minMatureLabels: number;
  readonly minMaturePositives: number;
  /** Benjamini-Hochberg false discovery rate over the features and the score of a window. */
  readonly fdr: number;
  /** A significant feature counts as drifted only with at least this PSI (effect size). */
  readonly psiThreshold: number;
  /** PSI from which a drift is MEDIUM rather than LOW. */
  readonly psiMajor: number;
  /** k of the feature rule: this many features drifted ... */
  readonly featuresK: number;
  /** ... in this many consecutive windows. */
  readonly consecutiveWindowsM: number;
  /** Relative drop of live average precision below the validation AP that counts as performance drift. */
  readonly apTolerance: number;
  /** Absolute drop of live ROC-AUC below the validation AUC that counts as performance drift. */
  readonly aucTolerance: number;
  /** Mature windows in a row that must show a performance drop before it asks for a retrain. */
  readonly performanceConsecutiveWindows: number;
  /**
   * The production model's first mature windows whose mean AP and ROC-AUC later windows are judged
   * against (0: the manifest's validation metrics).
   */
  readonly performanceBaselineWindows: number;
  /**
   * A mature window's AP and ROC-AUC drop counts when their upper confidence bound at this z (one
   * side) is below the tolerated level (0: the point estimates).
   */
  readonly performanceConfidenceZ: number;
  /**
   * After an early-evidence request's model is promoted, one follow-up request this much event time
   * later (0: none): the first model learnt from the new pattern's first few frauds. A request like
   * any, so meant to be at least `cooldownMs`: one within the cooldown of the previous request is
   * suppressed.
   */
  readonly earlyFollowUpMs: number;
  /**
   * Follow-ups in a chain: a follow-up's promoted model gets one more while fewer than this many
   * were asked since the early-evidence retrain (0: none).
   */
  readonly earlyFollowUps: number;
  /**
   * An early-evidence request (or a follow-up) whose challenger was refused or whose job failed is
   * asked again the retry delay later, up to this many times (0: never): the evidence stands. Two:
   * the first challengers of a shift are trained on its first hours, and on a shifted stream the
   * third request of the alarm's link was the first that learnt it (docs/quality.md).
   */
  readonly earlyRetries: number;
  /** Relative drop of recall at the threshold that counts as (provisional) performance drift. */
  readonly recallTolerance: number;
  /** Significance of the fraud-rate shift test. */
  readonly labelAlpha: number;
  /**
   * Whether the fraud-rate test's variance carries the window's clustering: its frauds come by card
   * and by terminal (a stolen card, a compromised terminal), so the binomial variance, which counts
   * them as independent, is scaled by the window's two-way design effect (off: the plain test).
   */
  readonly labelClusterRobust: boolean;
  /** Retrain on a covariate shift alone (unless mature labels show performance holds); off: report only. */
  readonly retrainOnCovariateShift: boolean;
  readonly retrainOnLabelDrift: boolean;
  /** An ALERT_PRECISION alarm asks for a retrain; off: an EVIDENCE event that only warns. */
  readonly retrainOnAlertPrecision: boolean;
  /** Event time between two retrain requests. */
  readonly cooldownMs: number;
  /**
   * After the open request is answered by a rejected challenger or a failed job, the next request
   * may come this long after the answer (shortening the cooldown): the drift persists and a day
   * more of matured data is what the next attempt needs.
   */
  readonly retryAfterRejectionMs: number;
  /**
   * At most this many requests in any `retrainBudgetWindowMs` of event time (0: no budget). The
   * retries and follow-ups of an early-evidence chain come sooner than the cooldown, and a chain
   * can start again on the model it promoted; the budget keeps the long-run rate at the cooldown's
   * (9 in 28 days: 28 / 3, rounded down). A link of a chain that the budget holds back is asked
   * when the budget allows it again (other requests are suppressed, like those in a cooldown).
   */
  readonly retrainBudget: number;
  readonly retrainBudgetWindowMs: number;
  /** An open request with no deployment or failure event after this long is considered closed. */
  readonly requestTimeoutMs: number;
  /**
   * Length of the suggested training window, ending at the decision's boundary (the window's end,
   * or end + chargeback window for a mature decision); longer than the chargeback window, so the
   * drifted window's fully labelled day is inside it.
   */
  readonly trainingWindowMs: number;
  /** Labels that arrived before their score, kept until the score comes (oldest dropped beyond this). */
  readonly maxPendingLabels: number;
  readonly maxFraudCardsPerDay: number;
  /**
   * A window closes (or matures) once both the score and the label watermarks pass its boundary, or
   * the score watermark passes it by this much (labels stalled): verdicts then do not depend on how
   * the two topics interleave.
   */
  readonly maxLabelLagMs: number;
  /** Calendar features a window shorter than their period always shifts: reported, never counted as drift. */
  readonly seasonalFeatures: readonly string[];
  /** Early evidence of a new pattern: missed-fraud CUSUM, novel-fraud seeds, investigations (docs/drift.md). */
  readonly evidence: EarlyEvidenceSettings;
}

export function driftSettingsFromConfig(c: DriftConfig): DriftSettings {
  return {
    windowMs: c.DRIFT_WINDOW_MS,
    allowedLatenessMs: c.DRIFT_ALLOWED_LATENESS_MS,
    minWindowCount: c.DRIFT_MIN_WINDOW_COUNT,
    reservoirSize: c.DRIFT_RESERVOIR_SIZE,
    sampleSeed: c.DRIFT_SAMPLE_SEED,
    chargebackWindowMs: c.DRIFT_CHARGEBACK_WINDOW_MS,
    analystDailyCapacity: c.DRIFT_ANALYST_DAILY_CAPACITY,
    minMatureLabels: c.DRIFT_MIN_MATURE_LABELS,
    minMaturePositives: c.DRIFT_MIN_MATURE_POSITIVES,
    fdr: c.DRIFT_FDR,
    psiThreshold: c.DRIFT_PSI_THRESHOLD,
    psiMajor: c.DRIFT_PSI_MAJOR,
    featuresK: c.DRIFT_FEATURES_K,
    consecutiveWindowsM: c.DRIFT_CONSECUTIVE_WINDOWS_M,
    apTolerance: c.DRIFT_AP_TOLERANCE,
    aucTolerance: c.DRIFT_AUC_TOLERANCE,
    performanceConsecutiveWindows: c.DRIFT_PERFORMANCE_CONSECUTIVE_WINDOWS,
    performanceBaselineWindows: c.DRIFT_PERFORMANCE_BASELINE_WINDOWS,
    performanceConfidenceZ: c.DRIFT_PERFORMANCE_CONFIDENCE_Z,
    earlyFollowUpMs: c.DRIFT_EARLY_FOLLOW_UP_MS,
    earlyFollowUps: c.DRIFT_EARLY_FOLLOW_UPS,
    earlyRetries: c.DRIFT_EARLY_RETRIES,
    labelAlpha: c.DRIFT_LABEL_ALPHA,
    labelClusterRobust: c.DRIFT_LABEL_CLUSTER_ROBUST,
    retrainOnCovariateShift: c.DRIFT_RETRAIN_ON_COVARIATE_SHIFT,
    retrainOnLabelDrift: c.DRIFT_RETRAIN_ON_LABEL_DRIFT,
    retrainOnAlertPrecision: c.DRIFT_RETRAIN_ON_ALERT_PRECISION,
    cooldownMs: c.DRIFT_COOLDOWN_MS,
    retryAfterRejectionMs: c.DRIFT_RETRY_AFTER_REJECTION_MS,
    retrainBudget: c.DRIFT_RETRAIN_BUDGET,
    retrainBudgetWindowMs: c.DRIFT_RETRAIN_BUDGET_WINDOW_MS,
    requestTimeoutMs: c.DRIFT_REQUEST_TIMEOUT_MS,
    trainingWindowMs: c.DRIFT_TRAINING_WINDOW_MS,
    maxPendingLabels: c.DRIFT_MAX_PENDING_LABELS,
    maxFraudCardsPerDay: c.DRIFT_MAX_FRAUD_CARDS_PER_DAY,
    maxLabelLagMs: c.DRIFT_MAX_LABEL_LAG_MS,
    recallTolerance: c.DRIFT_RECALL_TOLERANCE,
    seasonalFeatures: c.DRIFT_SEASONAL_FEATURES,
    evidence: {
      enabled: c.DRIFT_EVIDENCE_ENABLED,
      checkIntervalMs: c.DRIFT_EVIDENCE_CHECK_INTERVAL_MS,
      seedAlpha: c.DRIFT_EVIDENCE_SEED_ALPHA,
      candidateAlpha: c.DRIFT_EVIDENCE_CANDIDATE_ALPHA,
      investigationShare: c.DRIFT_INVESTIGATION_SHARE,
      analystDailyCapacity: c.DRIFT_ANALYST_DAILY_CAPACITY,
      lookbackMs: c.DRIFT_INVESTIGATION_LOOKBACK_MS,
      maxInvestigationsPerSeed: c.DRIFT_INVESTIGATIONS_PER_SEED,
      sprt: {
        p0: c.DRIFT_INVESTIGATION_HIT_RATE_P0,
        p1: c.DRIFT_INVESTIGATION_HIT_RATE_P1,
        alpha: c.DRIFT_INVESTIGATION_ALPHA,
        beta: c.DRIFT_INVESTIGATION_BETA,
      },
      knownFraudPlaceFeatures: c.DRIFT_INVESTIGATION_KNOWN_FRAUD_PLACE_FEATURES,
      missedOddsRatio: c.DRIFT_MISSED_FRAUD_ODDS_RATIO,
      missedCusumH: c.DRIFT_MISSED_FRAUD_CUSUM_H,
      missedBurnIn: c.DRIFT_MISSED_FRAUD_BURN_IN,
      missedClusterRobust: c.DRIFT_MISSED_FRAUD_CLUSTER_ROBUST,
      falseAlertOddsRatio: c.DRIFT_FALSE_ALERT_ODDS_RATIO,
      falseAlertCusumH: c.DRIFT_FALSE_ALERT_CUSUM_H,
      falseAlertBurnIn: c.DRIFT_FALSE_ALERT_BURN_IN,
      falseAlertBaselineMs: c.DRIFT_FALSE_ALERT_BASELINE_MS,
      falseAlertBaselineReachBack: c.DRIFT_FALSE_ALERT_BASELINE_REACH_BACK,
      falseAlertMinRateRatio: c.DRIFT_FALSE_ALERT_MIN_RATE_RATIO,
      maxRecentRows: c.DRIFT_EVIDENCE_MAX_ROWS,
      chargebackWindowMs: c.DRIFT_CHARGEBACK_WINDOW_MS,
    },
  };
}

/** The defaults of the env fragment, as settings (tests and the benchmark override fields). */
export function defaultDriftSettings(overrides: Partial<DriftSettings> = {}): DriftSettings {
  return { ...driftSettingsFromConfig(driftConfigFragment.parse({})), ...overrides };
}
