import { z } from 'zod';
import { FEATURE_SET_VERSION, FEATURE_SET_VERSIONS, featureSetOf, type FeatureSet } from './feature-set';
import type { FeatureStore } from './feature-store.types';
import { MemoryFeatureStore } from './memory-feature.store';
import { RedisFeatureStore } from './redis-feature.store';

/**
 * Env fragment naming the feature set an app computes or trains on (the scorer, the trainer): one
 * set per loop; the scorer refuses a model trained on another (docs/features.md).
 */
export const featureSetConfigFragment = z.object({
  FEATURE_SET: z.enum(FEATURE_SET_VERSIONS).default(FEATURE_SET_VERSION),
});

/** Env fragment of an app that computes features (the scorer). */
export const featuresConfigFragment = z.object({
  ...featureSetConfigFragment.shape,
  FEATURE_STORE: z.enum(['memory', 'redis']).default('memory'),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'expected redis://host:port or rediss://host:port')
    .default('redis://127.0.0.1:6379'),
  /**
   * Key prefix in Redis (default `fraudstream:<FEATURE_SET>`); versioned so a new feature set never
   * reads the vectors an old one recorded.
   */
  FEATURE_STORE_KEY_PREFIX: z.string().min(1).optional(),
});

export type FeaturesConfig = z.infer<typeof featuresConfigFragment>;

/** The feature set the config names. */
export function configuredFeatureSet(config: Pick<FeaturesConfig, 'FEATURE_SET'>): FeatureSet {
  return featureSetOf(config.FEATURE_SET);
}

/** The store the config names: in memory (default) or Redis. */
export function createFeatureStore(config: FeaturesConfig): FeatureStore {
  const keyPrefix = config.FEATURE_STORE_KEY_PREFIX ?? `fraudstream:${config.FEATURE_SET}`;
  return config.FEATURE_STORE === 'redis'
    ? RedisFeatureStore.connect(config.REDIS_URL, { keyPrefix })
    : new MemoryFeatureStore();
}
