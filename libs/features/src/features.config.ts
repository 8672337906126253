import { z } from 'zod';
import { FEATURE_SET_VERSION } from './feature-set';
import type { FeatureStore } from './feature-store.types';
import { MemoryFeatureStore } from './memory-feature.store';
import { RedisFeatureStore } from './redis-feature.store';

/** Env fragment of an app that computes features (the scorer). */
export const featuresConfigFragment = z.object({
  FEATURE_STORE: z.enum(['memory', 'redis']).default('memory'),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'expected redis://host:port or rediss://host:port')
    .default('redis://127.0.0.1:6379'),
  /** Key prefix in Redis; versioned so a new feature set never reads an old one's state. */
  FEATURE_STORE_KEY_PREFIX: z.string().min(1).default(`fraudstream:${FEATURE_SET_VERSION}`),
});

export type FeaturesConfig = z.infer<typeof featuresConfigFragment>;

/** The store the config names: in memory (default) or Redis. */
export function createFeatureStore(config: FeaturesConfig): FeatureStore {
  return config.FEATURE_STORE === 'redis'
    ? RedisFeatureStore.connect(config.REDIS_URL, { keyPrefix: config.FEATURE_STORE_KEY_PREFIX })
    : new MemoryFeatureStore();
}
