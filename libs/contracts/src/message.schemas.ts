import { z } from 'zod';
import type {
  Alert,
  CaseRecord,
  DriftEvent,
  Label,
  ModelDeployment,
  RetrainRequest,
  Score,
  Transaction,
} from './messages.types';

/**
 * Explicit bounds of every field, beyond what Avro types enforce. Avro says "string"; the loop needs
 * ids short enough to key state by and copy into every score, timestamps in a sane era, amounts that
 * are money. A record outside them is dead-lettered with reason `validation` instead of being scored
 * (a 1 MB id would otherwise be copied into its score and alert records, past the broker's limit).
 * docs/contracts.md lists them.
 */
export const CONTRACT_LIMITS = {
  /** Transaction, card, terminal, alert, request, deployment, event and instance ids. */
  idLength: 128,
  /** Model versions: the registry's version names (letters, digits, `.`, `_`, `-`). */
  versionLength: 128,
  featureSetVersionLength: 64,
  /** A segment attribute's value (age band, region): a label, not free text. */
  segmentLength: 64,
  /** Human-readable reasons (deployment and retrain reasons, drift reasons). */
  reasonLength: 2000,
  /** Artifact URIs (file:// or s3://). */
  uriLength: 1024,
  /** Feature values in a score record, reasons in an alert, drift reports' features and reasons. */
  maxListItems: 256,
  /** Entries of a deployment's metrics map. */
  maxMetrics: 64,
  /** Largest amount, in currency units (a transaction above is a data error, not a payment). */
  maxAmount: 1e9,
  /** Analysts' comments on a case (each step of its history). */
  commentLength: 2000,
  /** Steps a case record keeps (the oldest go first). */
  maxCaseNotes: 50,
  /** Earliest event or ingest time accepted: 2000-01-01T00:00Z. */
  earliestTime: Date.UTC(2000, 0, 1),
  /** Latest event or ingest time accepted by the static check: 2100-01-01T00:00Z. The scorer also checks event time against its watermark. */
  latestTime: Date.UTC(2100, 0, 1),
} as const;

const L = CONTRACT_LIMITS;

const id = z
  .string()
  .min(1, { message: 'is empty', abort: true })
  .max(L.idLength, `is longer than ${L.idLength} characters`)
  .regex(/\S/, 'is blank');
const version = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'is not a version name')
  .max(L.versionLength, `is longer than ${L.versionLength} characters`);
const reason = z.string().max(L.reasonLength, `is longer than ${L.reasonLength} characters`);
const time = z
  .number()
  .int()
  .min(L.earliestTime, 'is before 2000-01-01')
  .max(L.latestTime, 'is after 2100-01-01');
const probability = z.number().min(0).max(1);
const amount = z.number().min(0, 'is negative').max(L.maxAmount, `is above ${L.maxAmount}`);
const finite = z.number();
const count = z.number().int().min(0);
const list = <T extends z.ZodType>(item: T) =>
  z.array(item).max(L.maxListItems, `has more than ${L.maxListItems} items`);

/** A segment attribute's value (an age band, a region): a short label, absent or null when unknown. */
const segment = z
  .string()
  .min(1, 'is empty')
  .max(L.segmentLength, `is longer than ${L.segmentLength} characters`)
  .regex(/\S/, 'is blank')
  .nullable()
  .optional();

export const transactionSchema = z.object({
  transaction_id: id,
  card_id: id,
  terminal_id: id,
  amount,
  currency: z.string().regex(/^[A-Z]{3}$/, 'is not an ISO 4217 code'),
  channel: z.enum(['CARD_PRESENT', 'CARD_NOT_PRESENT']),
  event_time: time,
  ingest_time: time,
  age_band: segment,
  region: segment,
  card_token_next: id.nullable().optional(),
});

export const scoreSchema = z.object({
  transaction_id: id,
  card_id: id,
  terminal_id: id,
  amount,
  event_time: time,
  ingest_time: time,
  scored_at: time,
  score: probability,
  threshold: probability,
  is_alert: z.boolean(),
  model_version: version,
  role: z.enum(['CHAMPION', 'CHALLENGER']),
  feature_set_version: z.string().min(1).max(L.featureSetVersionLength),
  features: list(finite),
  age_band: segment,
  region: segment,
});

export const alertSchema = z.object({
  alert_id: z
    .string()
    .min(1)
    .max(2 * L.idLength + 1),
  kind: z.enum(['SCORE', 'INVESTIGATE']),
  raised_at: time.nullable(),
  note: reason,
  transaction_id: id,
  card_id: id,
  terminal_id: id,
  amount,
  event_time: time,
  score: probability,
  threshold: probability,
  model_version: version,
  severity: z.enum(['LOW', 'MEDIUM', 'HIGH', 'CRITICAL']),
  reasons: list(
    z.object({ feature: z.string().min(1).max(L.idLength), value: finite, contribution: finite }),
  ),
});

const alertId = z
  .string()
  .min(1, { message: 'is empty', abort: true })
  .max(2 * L.idLength + 1, `is longer than ${2 * L.idLength + 1} characters`);

export const labelSchema = z
  .object({
    transaction_id: id,
    card_id: id,
    // The scorer's terminal fraud-rate features need it; every label source knows the terminal.
    terminal_id: id,
    is_fraud: z.boolean(),
    source: z.enum(['CHARGEBACK', 'ANALYST']),
    transaction_time: time,
    event_time: time,
    // Absent in records written before the fields existed (the schema's default is null).
    alert_id: alertId.nullable().optional(),
    analyst: id.nullable().optional(),
  })
  .refine((l) => l.transaction_time <= l.event_time, {
    message: 'a label cannot be known before its transaction',
    path: ['event_time'],
  });

const comment = z.string().max(L.commentLength, `is longer than ${L.commentLength} characters`);

export const caseRecordSchema = z
  .object({
    alert_id: alertId,
    transaction_id: id,
    card_id: id,
    status: z.enum(['OPEN', 'CLAIMED', 'ESCALATED', 'CLOSED']),
    claimed_by: id.nullable(),
    claimed_until: time.nullable(),
    verdict: z.enum(['FRAUD', 'LEGITIMATE']).nullable(),
    decided_by: id.nullable(),
    decided_event_time: time.nullable(),
    history: z
      .array(
        z.object({
          action: z.enum(['CLAIM', 'RELEASE', 'ESCALATE', 'VERDICT']),
          analyst: id,
          at: time,
          comment,
        }),
      )
      .max(L.maxCaseNotes, `has more than ${L.maxCaseNotes} items`),
    updated_at: time,
  })
  .refine((c) => (c.status === 'CLAIMED') === (c.claimed_by !== null && c.claimed_until !== null), {
    message: 'a CLAIMED case names its analyst and claim end, and only a CLAIMED case does',
    path: ['claimed_by'],
  })
  .refine((c) => (c.status === 'CLOSED') === (c.verdict !== null && c.decided_by !== null), {
    message: 'a CLOSED case names its verdict and analyst, and only a CLOSED case does',
    path: ['verdict'],
  });

const featureDrift = z.object({
  feature: z.string().min(1).max(L.idLength),
  psi: finite,
  ks_statistic: finite,
  ks_p_value: finite,
  js_distance: finite,
  wasserstein: finite,
  p_value_adjusted: finite,
  drifted: z.boolean(),
});

const earlyEvidence = z.object({
  kind: z.enum(['NONE', 'NEW_PATTERN', 'MISSED_FRAUDS', 'ALERT_PRECISION']),
  reference_frauds: count,
  chargebacks: count,
  missed_chargebacks: count,
  novel_missed_frauds: count,
  investigations: count,
  investigation_verdicts: count,
  investigation_frauds: count,
  sprt_llr: finite,
  missed_cusum: finite,
  /** Absent in events of an earlier version. */
  missed_cusum_threshold: finite.nullable().default(null),
  alert_reviews: count,
  false_alerts: count,
  false_alert_cusum: finite,
  fraud_domain_auc: finite.nullable(),
  fraud_domain_p_value: finite.nullable(),
  fraud_domain_frauds: count,
  median_chargeback_delay_hours: finite.nullable(),
});

export const driftEventSchema = z.object({
  event_id: z
    .string()
    .min(1)
    .max(2 * L.idLength + 1),
  phase: z.enum(['CLOSE', 'MATURE', 'EVIDENCE']),
  model_version: version,
  window_start: time,
  window_end: time,
  row_count: count,
  verdict: z.enum([
    'INSUFFICIENT_DATA',
    'NO_DRIFT',
    'COVARIATE_DRIFT',
    'PREDICTION_DRIFT',
    'LABEL_DRIFT',
    'PERFORMANCE_DRIFT',
  ]),
  severity: z.enum(['NONE', 'LOW', 'MEDIUM', 'HIGH']),
  features: list(featureDrift),
  prediction: featureDrift,
  fraud_rate_reference: finite,
  fraud_rate_live: finite.nullable(),
  fraud_rate_p_value: finite.nullable(),
  mature_labels: count,
  average_precision: finite.nullable(),
  roc_auc: finite.nullable(),
  recall_at_threshold: finite.nullable(),
  card_precision_at_k: finite.nullable(),
  reference_average_precision: finite,
  retrain_recommended: z.boolean(),
  reasons: list(reason),
  evidence: earlyEvidence.nullable(),
});

/** What caused a retrain request. */
export const retrainTriggerSchema = z.enum([
  'PERFORMANCE_DRIFT',
  'FEATURE_DRIFT',
  'LABEL_DRIFT',
  'SCHEDULED',
  'MANUAL',
  'NEW_PATTERN',
  'MISSED_FRAUDS',
  'ALERT_PRECISION',
]);

export const retrainRequestSchema = z
  .object({
    request_id: id,
    model_version: version,
    trigger: retrainTriggerSchema,
    reason,
    severity: z.enum(['LOW', 'MEDIUM', 'HIGH']),
    drift_event_id: z
      .string()
      .max(2 * L.idLength + 1)
      .nullable(),
    window_start: time,
    window_end: time,
    event_time: time,
  })
  .refine((r) => r.window_end > r.window_start, {
    message: 'window_end must be after window_start',
    path: ['window_end'],
  });

export const modelDeploymentSchema = z
  .object({
    deployment_id: id,
    kind: z.enum(['STAGE_CHANGE', 'LOAD_REFUSED', 'JOB_FAILED']),
    model_version: version,
    stage: z.enum(['CANDIDATE', 'SHADOW', 'PRODUCTION', 'RETIRED', 'REJECTED']),
    previous_version: version.nullable(),
    parent_version: version.nullable(),
    artifact_uri: z.string().max(L.uriLength, `is longer than ${L.uriLength} characters`),
    // Empty when unknown: a failed job's parent may be missing, a refused bootstrap model has none.
    sha256: z.string().regex(/^([0-9a-fA-F]{64})?$/, 'is not a hex sha256'),
    request_id: id.nullable(),
    reason,
    metrics: z
      .record(z.string().max(L.idLength), finite)
      .refine((m) => Object.keys(m).length <= L.maxMetrics, `has more than ${L.maxMetrics} entries`),
    instance_id: id.nullable(),
    event_time: time,
  })
  .refine((d) => d.kind !== 'STAGE_CHANGE' || d.artifact_uri.length > 0, {
    message: 'a stage change must name its artifact',
    path: ['artifact_uri'],
  });

/*
 * Compile-time agreement of the schemas with the TypeScript types of messages.types.ts (which
 * contracts.spec.ts checks against the .avsc files): a schema that drifts from its type stops compiling.
 */
type Agrees<S extends z.ZodType, T> = z.infer<S> extends T ? (T extends z.infer<S> ? true : never) : never;
const _agreement: [
  Agrees<typeof transactionSchema, Transaction>,
  Agrees<typeof scoreSchema, Score>,
  Agrees<typeof alertSchema, Alert>,
  Agrees<typeof labelSchema, Label>,
  Agrees<typeof caseRecordSchema, CaseRecord>,
  Agrees<typeof driftEventSchema, DriftEvent>,
  Agrees<typeof retrainRequestSchema, RetrainRequest>,
  Agrees<typeof modelDeploymentSchema, ModelDeployment>,
] = [true, true, true, true, true, true, true, true];
