export { defaultDriftSettings, driftConfigFragment, driftSettingsFromConfig } from './drift.config';
export type { DriftConfig, DriftSettings } from './drift.config';
export { DriftDetector } from './drift-detector';
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
