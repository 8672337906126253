import { z } from 'zod';
import { FileSystemModelStore } from './file-system-model.store';
import type { ModelStore } from './registry.types';
import { S3ModelStore } from './s3-model.store';

/** Env fragment choosing and configuring the model store. */
export const registryConfigFragment = z.object({
  MODEL_STORE: z.enum(['file', 's3']).default('file'),
  MODEL_STORE_ROOT: z.string().min(1).default('var/models'),
  MODEL_STORE_S3_ENDPOINT: z.url().optional(),
  MODEL_STORE_S3_BUCKET: z.string().min(1).optional(),
  MODEL_STORE_S3_PREFIX: z.string().default('models'),
  MODEL_STORE_S3_REGION: z.string().min(1).default('us-east-1'),
  MODEL_STORE_S3_ACCESS_KEY_ID: z.string().optional(),
  MODEL_STORE_S3_SECRET_ACCESS_KEY: z.string().optional(),
  /** Recorded as the code revision in manifests when set (images built without .git). */
  GIT_SHA: z.string().optional(),
});

export type RegistryConfig = z.infer<typeof registryConfigFragment>;

const S3_REQUIRED = [
  'MODEL_STORE_S3_ENDPOINT',
  'MODEL_STORE_S3_BUCKET',
  'MODEL_STORE_S3_ACCESS_KEY_ID',
  'MODEL_STORE_S3_SECRET_ACCESS_KEY',
] as const;

/**
 * Cross-field rule for a schema containing the registry fragment: the S3 settings are required
 * once MODEL_STORE=s3. Apply with `.superRefine(...)` after composing, so boot lists them all.
 */
export function requireS3Settings(config: RegistryConfig, ctx: z.RefinementCtx): void {
  if (config.MODEL_STORE !== 's3') return;
  for (const field of S3_REQUIRED)
    if (!config[field])
      ctx.addIssue({ code: 'custom', path: [field], message: 'required when MODEL_STORE=s3' });
}

/** The store the config names (file system by default). */
export function createModelStore(config: RegistryConfig): ModelStore {
  if (config.MODEL_STORE === 'file') return new FileSystemModelStore(config.MODEL_STORE_ROOT);
  const missing = S3_REQUIRED.filter((k) => !config[k]);
  if (missing.length > 0) throw new Error(`MODEL_STORE=s3 needs ${missing.join(', ')}`);
  return new S3ModelStore({
    endpoint: config.MODEL_STORE_S3_ENDPOINT ?? '',
    bucket: config.MODEL_STORE_S3_BUCKET ?? '',
    prefix: config.MODEL_STORE_S3_PREFIX.replace(/^\/+|\/+$/g, ''),
    region: config.MODEL_STORE_S3_REGION,
    accessKeyId: config.MODEL_STORE_S3_ACCESS_KEY_ID ?? '',
    secretAccessKey: config.MODEL_STORE_S3_SECRET_ACCESS_KEY ?? '',
  });
}
