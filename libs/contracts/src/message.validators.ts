import type { z } from 'zod';
import { ValidationError } from './contract.errors';
import {
  alertSchema,
  caseRecordSchema,
  driftEventSchema,
  labelSchema,
  modelDeploymentSchema,
  retrainRequestSchema,
  scoreSchema,
  transactionSchema,
} from './message.schemas';
import { acceptedTransaction } from './transaction-fast-check';
import type {
  Alert,
  CaseRecord,
  DriftEvent,
  Label,
  ModelDeployment,
  RetrainRequest,
  Score,
  TopicMessages,
  Transaction,
} from './messages.types';

/** Longest validation message: it goes into a dead-letter header and a log line. */
const MAX_MESSAGE = 1000;

function validator<T>(what: string, schema: z.ZodType): (value: unknown) => T {
  return (value: unknown): T => {
    const result = schema.safeParse(value);
    if (result.success) return result.data as T;
    const issues = result.error.issues
      .slice(0, 5)
      .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : what} ${issue.message}`);
    const text = `invalid ${what}: ${issues.join('; ')}`;
    throw new ValidationError(text.length > MAX_MESSAGE ? `${text.slice(0, MAX_MESSAGE)}…` : text);
  };
}

/*
 * One validator per message, backed by its schema in message.schemas.ts: every consumer of a topic
 * accepts exactly the same records. Each returns the record (without unknown fields) or throws
 * ValidationError naming the failing fields; the transport dead-letters it with reason `validation`.
 */
const parseTransaction = validator<Transaction>('transaction', transactionSchema);
/** Zod's answer; a transaction within every bound is accepted without running zod (acceptedTransaction). */
export const validateTransaction = (value: unknown): Transaction =>
  acceptedTransaction(value) ?? parseTransaction(value);
export const validateScore = validator<Score>('score', scoreSchema);
export const validateAlert = validator<Alert>('alert', alertSchema);
export const validateLabel = validator<Label>('label', labelSchema);
export const validateCaseRecord = validator<CaseRecord>('case record', caseRecordSchema);
export const validateDriftEvent = validator<DriftEvent>('drift event', driftEventSchema);
export const validateRetrainRequest = validator<RetrainRequest>('retrain request', retrainRequestSchema);
export const validateDeployment = validator<ModelDeployment>('deployment', modelDeploymentSchema);

/** The validator of each topic's records. */
export const MESSAGE_VALIDATORS: {
  readonly [K in keyof TopicMessages]: (value: unknown) => TopicMessages[K];
} = {
  'tx.transactions.v1': validateTransaction,
  'tx.scores.v1': validateScore,
  'fraud.alerts.v1': validateAlert,
  'fraud.labels.v1': validateLabel,
  'fraud.cases.v1': validateCaseRecord,
  'ml.drift-events.v1': validateDriftEvent,
  'ml.retrain-requests.v1': validateRetrainRequest,
  'ml.model-deployments.v1': validateDeployment,
};
