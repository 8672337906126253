export { defaultDriftSettings, driftConfigFragment, driftSettingsFromConfig } from './drift.config';
export type { DriftConfig, DriftSettings } from './drift.config';
export { DriftDetector } from './drift-detector';
export { EventTimeClock } from './event-time.clock';
export { RetrainPolicy } from './retrain.policy';
export type { DecisionPhase, PolicyState, RetrainDecision } from './retrain.policy';
export { driftDecisionTime } from './drift-decision-time';
export { FraudNoveltyIndex, MIN_REFERENCE_FRAUDS, hasNoveltyPoints } from './fraud-novelty';
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
export { DriftMonitorService } from './drift-monitor.service';
export type {
  DriftMonitorOptions,
  DriftOutputSink,
  InputOffset,
  PositionedRecord,
} from './drift-monitor.service';
