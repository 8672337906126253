export type {
  EvaluationMetrics,
  FeatureProfile,
  ModelManifest,
  NoveltyReference,
  ReferenceProfile,
  SeasonalScoreProfile,
  TrainingLineage,
} from './manifest.types';
export type { AuditAction, AuditEntry, ModelStore, VerifiedArtifact } from './registry.types';
export {
  ArtifactNotFoundError,
  ArtifactVerificationError,
  ChecksumMismatchError,
  ManifestError,
  StageTransitionError,
  VersionExistsError,
} from './registry.errors';
export { compareVersions, sha256Hex } from './artifact-checks';
export { FileSystemModelStore } from './file-system-model.store';
export { S3ModelStore, S3RequestError } from './s3-model.store';
export type { S3StoreOptions } from './s3-model.store';
export { ModelRegistry, newDeploymentId } from './model-registry.service';
export type { ChangeContext, RegisteredModel, StageChange } from './model-registry.service';
export { resolveCodeRevision } from './code-revision';
export { UriArtifactReader, createArtifactReader, manifestUriOf } from './artifact-reader';
export type { ArtifactReader } from './artifact-reader';
export { createModelStore, registryConfigFragment, requireS3Settings } from './registry.config';
export type { RegistryConfig } from './registry.config';
