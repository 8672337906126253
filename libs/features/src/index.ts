export {
  DAY_BUCKETS,
  DEFAULT_FEATURE_SET,
  FEATURE_COUNT,
  FEATURE_NAMES,
  FEATURE_SET_VERSION,
  FEATURE_SET_VERSIONS,
  FS_V1,
  FS_V1_SEQ16,
  FS_V2,
  HOUR_BUCKETS,
  SEQUENCE_STEP_FEATURES,
  SEQUENCE_STEP_WIDTH,
  SEQUENCE_STEPS,
  WINDOW_DAYS,
  amountCents,
  featureIndex,
  featureSetOf,
  isFeatureSetVersion,
  isNight,
  isWeekend,
} from './feature-set';
export type {
  FeatureName,
  FeatureSet,
  FeatureSetVersion,
  SequenceFeatureName,
  SequenceStepFeature,
} from './feature-set';
export type { CardHistoryEntry, CardHistoryStep } from './card-history';
export { WindowCounters } from './window-counters';
export type { WindowSums } from './window-counters';
export type {
  AppliedBatch,
  AppliedUpdate,
  CountedPlace,
  FeatureBatchKeys,
  FeatureBatchPartition,
  FeatureBatchSource,
  FeatureStateSession,
  FeatureStore,
  QueuedLabel,
} from './feature-store.types';
export { COUNTED_ID_HORIZON_DAYS } from './feature-store.types';
export {
  FeatureStateConflictError,
  UnknownFeatureSetError,
  UnsupportedFeatureStoreError,
} from './features.errors';
export { MemoryFeatureStore } from './memory-feature.store';
export { RedisFeatureStore } from './redis-feature.store';
export type { RedisFeatureStoreOptions } from './redis-feature.store';
export {
  FeaturePipeline,
  type DuplicateTransaction,
  type FeaturePipelineOptions,
  type FeatureStateGap,
  type ScoringFeatures,
} from './feature.pipeline';
export { assembleFeatureVector } from './feature-vector';
export type { CardAggregates, TerminalAggregates } from './feature-vector';
export { computeFeaturesOffline } from './offline-features';
export { checkLoggedVectors } from './logged-vector-check';
export type { LoggedVector, LoggedVectorCheck, LoggedVectorDay } from './logged-vector-check';
export { replayFeatures } from './replay-features';
export { toFeatureMatrix } from './feature-matrix';
export {
  configuredFeatureSet,
  createFeatureStore,
  featureSetConfigFragment,
  featuresConfigFragment,
} from './features.config';
export type { FeaturesConfig } from './features.config';
