/*
 * TypeScript shapes of the Avro records in schemas/. Timestamps are UTC epoch milliseconds (Avro long,
 * logicalType timestamp-millis, decoded as numbers). contracts.spec.ts checks these against the .avsc files.
 */

export type Channel = 'CARD_PRESENT' | 'CARD_NOT_PRESENT';

export interface Transaction {
  transaction_id: string;
  card_id: string;
  terminal_id: string;
  amount: number;
  currency: string;
  channel: Channel;
  event_time: number;
  ingest_time: number;
  /** The cardholder's age band (a fairness segment, never a feature); absent or null when unknown. */
  age_band?: string | null;
  /** The cardholder's home region (a fairness segment, never a feature); absent or null when unknown. */
  region?: string | null;
  /**
   * During a tokenisation key rotation, before the cutover: the card's token under the next key
   * (its feature windows are kept under both), else null or absent.
   */
  card_token_next?: string | null;
}

/**
 * Customer attributes the evaluation reports fairness on (docs/trainer.md): each is a segment of
 * its own, carried on transactions and copied into their scores, and never a model feature.
 */
export const SEGMENT_ATTRIBUTES = ['age_band', 'region'] as const;

export type SegmentAttribute = (typeof SEGMENT_ATTRIBUTES)[number];

export type ScoreRole = 'CHAMPION' | 'CHALLENGER';

export interface Score {
  transaction_id: string;
  card_id: string;
  terminal_id: string;
  amount: number;
  event_time: number;
  ingest_time: number;
  scored_at: number;
  score: number;
  threshold: number;
  is_alert: boolean;
  model_version: string;
  role: ScoreRole;
  feature_set_version: string;
  features: number[];
  /** Copied from the transaction (a fairness segment, not a feature); absent or null when unknown. */
  age_band?: string | null;
  region?: string | null;
}

export type Severity = 'LOW' | 'MEDIUM' | 'HIGH' | 'CRITICAL';

export interface Reason {
  feature: string;
  value: number;
  contribution: number;
}

/**
 * SCORE: the model scored the transaction at or above its threshold. INVESTIGATE: the drift monitor
 * asks the analysts to look at a transaction the model did not alert on, because it resembles
 * frauds the model missed and no fraud it learnt from (investigation sampling, docs/drift.md).
 */
export type AlertKind = 'SCORE' | 'INVESTIGATE';

export interface Alert {
  alert_id: string;
  kind: AlertKind;
  /** Event time at which the alert was raised when later than the transaction (INVESTIGATE), else null. */
  raised_at: number | null;
  /** Why, in words, beyond the reasons (e.g. "new pattern: like confirmed missed fraud tx-..."). */
  note: string;
  transaction_id: string;
  card_id: string;
  terminal_id: string;
  amount: number;
  event_time: number;
  score: number;
  threshold: number;
  model_version: string;
  severity: Severity;
  reasons: Reason[];
}

export type LabelSource = 'CHARGEBACK' | 'ANALYST';

export interface Label {
  transaction_id: string;
  card_id: string;
  terminal_id: string;
  is_fraud: boolean;
  source: LabelSource;
  transaction_time: number;
  event_time: number;
  /** The alert an analyst's verdict answers (ANALYST labels from the console or the desk), else null. */
  alert_id?: string | null;
  /** Who gave the verdict (the console's user name, or the simulator's desk), else null. */
  analyst?: string | null;
}

/**
 * A case's state in fraud operations: OPEN (in the queue), CLAIMED (an analyst works it, until
 * `claimed_until`), ESCALATED (handed on for a second opinion, still open), CLOSED (a verdict was
 * given: its label is on fraud.labels.v1).
 */
export type CaseStatus = 'OPEN' | 'CLAIMED' | 'ESCALATED' | 'CLOSED';

export type CaseVerdict = 'FRAUD' | 'LEGITIMATE';

export type CaseAction = 'CLAIM' | 'RELEASE' | 'ESCALATE' | 'VERDICT';

/** One step of a case's history: who did what, when, with their comment. */
export interface CaseNote {
  action: CaseAction;
  analyst: string;
  /** Wall-clock time of the action (UTC epoch ms). */
  at: number;
  comment: string;
}

/** The whole state of one case (compacted topic: the latest record per alert is the case). */
export interface CaseRecord {
  alert_id: string;
  transaction_id: string;
  card_id: string;
  status: CaseStatus;
  /** The analyst holding the claim while CLAIMED, else null. */
  claimed_by: string | null;
  /** Wall-clock time the claim lapses (UTC epoch ms) while CLAIMED, else null. */
  claimed_until: number | null;
  verdict: CaseVerdict | null;
  decided_by: string | null;
  /** Event time of the verdict's label, else null. */
  decided_event_time: number | null;
  /** Oldest first, the most recent CONTRACT_LIMITS.maxCaseNotes. */
  history: CaseNote[];
  /** Wall-clock time of the last change (UTC epoch ms). */
  updated_at: number;
}

export type DriftVerdict =
  | 'INSUFFICIENT_DATA'
  | 'NO_DRIFT'
  | 'COVARIATE_DRIFT'
  | 'PREDICTION_DRIFT'
  | 'LABEL_DRIFT'
  | 'PERFORMANCE_DRIFT';

export type DriftSeverity = 'NONE' | 'LOW' | 'MEDIUM' | 'HIGH';

export interface FeatureDrift {
  feature: string;
  psi: number;
  ks_statistic: number;
  ks_p_value: number;
  js_distance: number;
  wasserstein: number;
  p_value_adjusted: number;
  drifted: boolean;
}

/** CLOSE: a window's end passed; MATURE: its labels matured; EVIDENCE: early evidence raised an alarm. */
export type DriftPhase = 'CLOSE' | 'MATURE' | 'EVIDENCE';

export type EarlyEvidenceKind = 'NONE' | 'NEW_PATTERN' | 'MISSED_FRAUDS' | 'ALERT_PRECISION';

/** The drift monitor's early-evidence statistics for the serving model, at the event's decision. */
export interface EarlyEvidenceSummary {
  /** The alarm this event raises (EVIDENCE events), or NONE. */
  kind: EarlyEvidenceKind;
  /** Frauds of the model's reference the novelty test compares with (0: the test is off). */
  reference_frauds: number;
  chargebacks: number;
  /** Chargebacks the model had scored below its threshold. */
  missed_chargebacks: number;
  /** Confirmed missed frauds unlike every reference fraud (investigation seeds). */
  novel_missed_frauds: number;
  investigations: number;
  investigation_verdicts: number;
  investigation_frauds: number;
  /** The investigations' hit-rate SPRT log-likelihood ratio, and the missed-fraud CUSUM. */
  sprt_llr: number;
  missed_cusum: number;
  /** The missed-fraud CUSUM's threshold: h times its burn-in's design effect (null during the burn-in). */
  missed_cusum_threshold: number | null;
  median_chargeback_delay_hours: number | null;
  /** Analysts' verdicts on the model's score alerts, those that found no fraud, and their CUSUM. */
  alert_reviews: number;
  false_alerts: number;
  false_alert_cusum: number;
  /**
   * The domain classifier on the fraud class: AUC of the recently confirmed frauds against the
   * model's reference frauds, its one-sided p-value, and how many frauds (null AUC: none yet).
   */
  fraud_domain_auc: number | null;
  fraud_domain_p_value: number | null;
  fraud_domain_frauds: number;
}

export interface DriftEvent {
  event_id: string;
  phase: DriftPhase;
  model_version: string;
  window_start: number;
  window_end: number;
  row_count: number;
  verdict: DriftVerdict;
  severity: DriftSeverity;
  features: FeatureDrift[];
  prediction: FeatureDrift;
  fraud_rate_reference: number;
  fraud_rate_live: number | null;
  fraud_rate_p_value: number | null;
  mature_labels: number;
  average_precision: number | null;
  roc_auc: number | null;
  recall_at_threshold: number | null;
  card_precision_at_k: number | null;
  reference_average_precision: number;
  retrain_recommended: boolean;
  reasons: string[];
  evidence: EarlyEvidenceSummary | null;
}

export type RetrainTrigger =
  | 'PERFORMANCE_DRIFT'
  | 'FEATURE_DRIFT'
  | 'LABEL_DRIFT'
  | 'SCHEDULED'
  | 'MANUAL'
  | 'NEW_PATTERN'
  | 'MISSED_FRAUDS'
  | 'ALERT_PRECISION';
export type RetrainSeverity = 'LOW' | 'MEDIUM' | 'HIGH';

export interface RetrainRequest {
  request_id: string;
  model_version: string;
  trigger: RetrainTrigger;
  reason: string;
  severity: RetrainSeverity;
  drift_event_id: string | null;
  window_start: number;
  window_end: number;
  event_time: number;
}

export type DeploymentEventKind = 'STAGE_CHANGE' | 'LOAD_REFUSED' | 'JOB_FAILED';
export type ModelStage = 'CANDIDATE' | 'SHADOW' | 'PRODUCTION' | 'RETIRED' | 'REJECTED';

export interface ModelDeployment {
  deployment_id: string;
  kind: DeploymentEventKind;
  model_version: string;
  stage: ModelStage;
  previous_version: string | null;
  parent_version: string | null;
  artifact_uri: string;
  sha256: string;
  request_id: string | null;
  reason: string;
  metrics: Record<string, number>;
  instance_id: string | null;
  event_time: number;
}

/** The record type each topic carries. */
export interface TopicMessages {
  'tx.transactions.v1': Transaction;
  'tx.scores.v1': Score;
  'fraud.alerts.v1': Alert;
  'fraud.labels.v1': Label;
  'fraud.cases.v1': CaseRecord;
  'ml.drift-events.v1': DriftEvent;
  'ml.retrain-requests.v1': RetrainRequest;
  'ml.model-deployments.v1': ModelDeployment;
}
