export { Topics, TOPIC_SPECS, deadLetterTopic, valueSubject } from './topics';
export type { TopicKey, TopicName, TopicSpec } from './topics';
export { readAvroSchema, schemasDirectory } from './schema-files';
export type {
  Alert,
  AlertKind,
  CaseAction,
  CaseNote,
  CaseRecord,
  CaseStatus,
  CaseVerdict,
  Channel,
  DeploymentEventKind,
  DriftEvent,
  DriftPhase,
  DriftSeverity,
  DriftVerdict,
  EarlyEvidenceKind,
  EarlyEvidenceSummary,
  FeatureDrift,
  Label,
  LabelSource,
  ModelDeployment,
  ModelStage,
  Reason,
  RetrainRequest,
  RetrainSeverity,
  RetrainTrigger,
  Score,
  ScoreRole,
  SegmentAttribute,
  Severity,
  TopicMessages,
  Transaction,
} from './messages.types';
export { SEGMENT_ATTRIBUTES } from './messages.types';
export { DAY_MS, HOUR_MS, MINUTE_MS, SECOND_MS } from './time';
export { PoisonMessageError, RetriableError, ValidationError, describeError } from './contract.errors';
export type { PoisonKind } from './contract.errors';
export { CONTRACT_LIMITS, retrainTriggerSchema } from './message.schemas';
export {
  MESSAGE_VALIDATORS,
  validateAlert,
  validateCaseRecord,
  validateDeployment,
  validateDriftEvent,
  validateLabel,
  validateRetrainRequest,
  validateScore,
  validateTransaction,
} from './message.validators';
export { EventTimeGuard } from './event-time.guard';
export type { EventTimeGuardOptions, RecordSource } from './event-time.guard';
