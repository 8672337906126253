export type {
  EvaluationMetrics,
  FeatureProfile,
  DifferentialPrivacy,
  DifferentialPrivacyFit,
  CumulativeDifferentialPrivacy,
  ModelCard,
  ModelPrivacy,
  DistilledStudentCompression,
  Int8WeightsCompression,
  ModelCompression,
  ModelFamily,
  ModelManifest,
  NoveltyReference,
  SequenceInputLayout,
  ManifestSignature,
  ReferenceProfile,
  SeasonalScoreProfile,
  SegmentMetrics,
  SegmentTable,
  TrainingLineage,
} from './manifest.types';
export { MODEL_FAMILIES, NO_PRIVACY_STATEMENT, modelFamilyOf } from './manifest.types';
export type { AuditAction, AuditEntry, ModelStore, VerifiedArtifact } from './registry.types';
export {
  ArtifactNotFoundError,
  ArtifactVerificationError,
  ChecksumMismatchError,
  ManifestError,
  PromotionApprovalError,
  SignatureError,
  StageTransitionError,
  VersionExistsError,
} from './registry.errors';
export { compareVersions, sha256Hex } from './artifact-checks';
export { FileSystemModelStore } from './file-system-model.store';
export { S3ModelStore, S3RequestError } from './s3-model.store';
export type { S3StoreOptions } from './s3-model.store';
export type { SignatureFailure } from './registry.errors';
export { ModelRegistry, newDeploymentId } from './model-registry.service';
export type {
  ChangeContext,
  RegisteredModel,
  RegistryKeys,
  RegistryOptions,
  StageChange,
} from './model-registry.service';
export { PRINCIPAL_PATTERN, principalOf } from './promotion-approvals';
export { formatModelCard, formatSegmentTable, modelCardView } from './model-card.view';
export type { CardApproval, ModelCardView } from './model-card.view';
export type { PromotionApproval, PromotionRequest } from './promotion-approvals';
export {
  ManifestSigner,
  TrustedKeys,
  TrustedKeysFile,
  canonicalManifestBytes,
  keyIdOf,
} from './manifest-signing';
export type { ManifestVerifier } from './manifest-signing';
export {
  LOCAL_KEY_RING_DIR,
  ensureLocalKeyRing,
  ephemeralKeys,
  keyRingFiles,
  localKeyRingKeys,
} from './local-key-ring';
export type { KeyRingFiles } from './local-key-ring';
export { resolveCodeRevision } from './code-revision';
export { UriArtifactReader, createArtifactReader, manifestUriOf } from './artifact-reader';
export type { ArtifactReader } from './artifact-reader';
export {
  createManifestSigner,
  createRegistryKeys,
  createManifestVerifier,
  createModelStore,
  registryConfigFragment,
  registryOptionsOf,
  requireS3Settings,
} from './registry.config';
export type { RegistryConfig } from './registry.config';
