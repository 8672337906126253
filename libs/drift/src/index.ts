export {
  averagePrecision,
  cardPrecisionAtK,
  evaluateModel,
  eventDay,
  precisionAtThreshold,
  recallAtThreshold,
  rocAuc,
} from './evaluation.stats';
export type { EvaluationRow } from './evaluation.stats';
export {
  DEFAULT_PROFILE_SAMPLE_SIZE,
  binCounts,
  binIndex,
  buildFeatureProfile,
  quantileSorted,
} from './feature-profile';
export {
  PSI_EPSILON,
  benjaminiHochberg,
  chiSquareGoodnessOfFit,
  jensenShannonDistance,
  kolmogorovSmirnov,
  populationStabilityIndex,
  twoProportionZTest,
  wasserstein1,
} from './distribution.stats';
export type { ChiSquareResult, KsResult, TwoProportionResult } from './distribution.stats';
export { chiSquareSurvival, kolmogorovSurvival, normalCdf } from './special-functions';
export { defaultDriftSettings, driftConfigFragment, driftSettingsFromConfig } from './drift.config';
export type { DriftConfig, DriftSettings } from './drift.config';
export { DriftDetector } from './drift-detector';
export { driftDecisionTime } from './drift-decision-time';
export { FraudNoveltyIndex, MIN_REFERENCE_FRAUDS, robustScaling } from './fraud-novelty';
export type { FraudNoveltyReference, FraudNoveltySettings } from './fraud-novelty';
export { EarlyEvidenceMonitor } from './early-evidence.monitor';
export { investigationAlert } from './investigation-alert';
export type {
  EarlyAlarm,
  EarlyAlarmKind,
  EarlyEvidenceSettings,
  EarlyEvidenceStats,
  Investigation,
} from './early-evidence.monitor';
export { BernoulliCusum, Sprt } from './sequential-tests';
export type { CusumSettings, SprtDecision, SprtSettings } from './sequential-tests';
export { LabelDelayModel } from './label-delay.model';
export type {
  DriftDetectorSnapshot,
  DriftOutputs,
  DriftSkipCounts,
  DriftStatus,
  WatermarkInput,
} from './drift-detector';
export { ReferenceMismatchError, prepareReference } from './reference-model';
export type { PreparedReference, ReferenceManifest } from './reference-model';
export { driftMetrics, recordDriftOutputs } from './drift.metrics';
export type { DriftMetrics } from './drift.metrics';
export { CheckpointError, FileCheckpointStore, MemoryCheckpointStore } from './checkpoint-store.adapter';
export type { DriftCheckpoint, DriftCheckpointStore } from './checkpoint-store.adapter';
export { ArtifactManifestSource, ManifestLoadError, parseReferenceManifest } from './manifest-source.adapter';
export type { ManifestSource } from './manifest-source.adapter';
export { validateDeployment, validateLabel, validateScore } from './record-validation';
export { DriftMonitorService } from './drift-monitor.service';
export type { DriftMonitorOptions, DriftOutputSink, PositionedRecord } from './drift-monitor.service';
