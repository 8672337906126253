import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import { FileSystemModelStore } from './file-system-model.store';
import { ensureLocalKeyRing, keyRingFiles } from './local-key-ring';
import { ManifestSigner, TrustedKeys, TrustedKeysFile, type ManifestVerifier } from './manifest-signing';
import type { RegistryKeys, RegistryOptions } from './model-registry.service';
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
  /** The trainer's Ed25519 private key (PEM) that signs manifests, as a file (a mounted secret)... */
  MODEL_SIGNING_KEY_FILE: z.string().min(1).optional(),
  /** ...or as the PEM text itself. Neither: the local key ring (var/keys/local, generated on first use). */
  MODEL_SIGNING_KEY: z.string().min(1).optional(),
  /**
   * PEM file of the public keys whose signatures scorers, the drift monitor and the registry accept
   * (several during a rotation); read again at every model load. Unset: the local key ring's.
   */
  MODEL_TRUSTED_KEYS_FILE: z.string().min(1).optional(),
  /**
   * Distinct principals a promotion to PRODUCTION needs, the requester included: 1 (default) lets
   * whoever promotes decide alone (the automated loop and the demo); 2 is four-eyes. Read by every
   * process that changes stages (trainer, console, `models` CLI): set it the same everywhere.
   */
  REGISTRY_PROMOTION_APPROVALS: z.coerce.number().int().min(1).max(5).default(1),
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

/** The registry options of the config (the four-eyes rule). */
export function registryOptionsOf(config: RegistryConfig): RegistryOptions {
  return { promotionApprovals: config.REGISTRY_PROMOTION_APPROVALS };
}

/**
 * The signer of the config: MODEL_SIGNING_KEY, else MODEL_SIGNING_KEY_FILE (which must exist: a
 * configured secret is never generated), else the local key ring, generated on first use.
 */
export function createManifestSigner(config: RegistryConfig): ManifestSigner {
  if (config.MODEL_SIGNING_KEY && config.MODEL_SIGNING_KEY_FILE)
    throw new Error('set MODEL_SIGNING_KEY or MODEL_SIGNING_KEY_FILE, not both');
  if (config.MODEL_SIGNING_KEY) return ManifestSigner.fromPem(config.MODEL_SIGNING_KEY);
  const file = config.MODEL_SIGNING_KEY_FILE ?? ensureLocalKeyRing().signingKeyFile;
  return ManifestSigner.fromPem(readFileSync(file, 'utf8'));
}

/**
 * The verifier of the config: the keys of MODEL_TRUSTED_KEYS_FILE (checked here, at boot, to hold at
 * least one key), else the local key ring's trust file. Both are read again at every verification.
 */
export function createManifestVerifier(config: RegistryConfig): ManifestVerifier {
  const file = config.MODEL_TRUSTED_KEYS_FILE;
  if (file === undefined) return new TrustedKeysFile(keyRingFiles().trustedKeysFile);
  if (!existsSync(file)) throw new Error(`MODEL_TRUSTED_KEYS_FILE ${file} does not exist`);
  if (TrustedKeys.fromPem(readFileSync(file, 'utf8'), file).keyIds.length === 0)
    throw new Error(`MODEL_TRUSTED_KEYS_FILE ${file} holds no PEM public key`);
  return new TrustedKeysFile(file);
}

/**
 * Signer and verifier of the config, for a registry that registers and deploys (the trainer's).
 * Fails at boot when the signing key is not among the trusted keys: every model it signed would be
 * refused at the gate and by every scorer.
 */
export function createRegistryKeys(config: RegistryConfig): RegistryKeys {
  const signer = createManifestSigner(config);
  const verifier = createManifestVerifier(config);
  const trustFile = config.MODEL_TRUSTED_KEYS_FILE ?? keyRingFiles().trustedKeysFile;
  const trusted = existsSync(trustFile)
    ? TrustedKeys.fromPem(readFileSync(trustFile, 'utf8'), trustFile)
    : null;
  if (!trusted?.keyIds.includes(signer.keyId))
    throw new Error(
      `the signing key ${signer.keyId} is not among the trusted keys of ${trustFile}: add its public key there first`,
    );
  return { signer, verifier };
}
