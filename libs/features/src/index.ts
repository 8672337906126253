export {
  DAY_BUCKETS,
  FEATURE_COUNT,
  FEATURE_NAMES,
  FEATURE_SET_VERSION,
  HOUR_BUCKETS,
  amountCents,
  featureIndex,
  isNight,
  isWeekend,
} from './feature-set';
export type { FeatureName } from './feature-set';
export { WindowCounters } from './window-counters';
export type { WindowSums } from './window-counters';
export type {
  AppliedBatch,
  AppliedUpdate,
  FeatureBatchKeys,
  FeatureBatchPartition,
  FeatureBatchSource,
  FeatureStateSession,
  FeatureStore,
  QueuedLabel,
} from './feature-store.types';
export { FeatureStateConflictError } from './features.errors';
export { MemoryFeatureStore } from './memory-feature.store';
export { RedisFeatureStore } from './redis-feature.store';
export type { RedisFeatureStoreOptions } from './redis-feature.store';
export { FeaturePipeline } from './feature.pipeline';
export { assembleFeatureVector } from './feature-vector';
export type { CardAggregates, TerminalAggregates } from './feature-vector';
export { computeFeaturesOffline } from './offline-features';
export { replayFeatures } from './replay-features';
export { toFeatureMatrix } from './feature-matrix';
export { createFeatureStore, featuresConfigFragment } from './features.config';
export type { FeaturesConfig } from './features.config';
