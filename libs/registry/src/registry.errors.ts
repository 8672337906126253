/** A version directory/prefix already exists: versions are immutable, a new model needs a new version. */
export class VersionExistsError extends Error {
  constructor(readonly version: string) {
    super(`model version ${version} already exists; versions are immutable`);
    this.name = 'VersionExistsError';
  }
}

/** The requested version (or one of its files) is not in the store. */
export class ArtifactNotFoundError extends Error {
  constructor(
    readonly version: string,
    message?: string,
    options?: { cause?: unknown },
  ) {
    super(message ?? `model version ${version} is not in the registry`, options);
    this.name = 'ArtifactNotFoundError';
  }
}

/** The ONNX bytes do not hash to the sha256 the manifest records: the artifact must not be used. */
export class ChecksumMismatchError extends Error {
  constructor(
    readonly version: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`model version ${version}: sha256 ${actual} does not match the manifest's ${expected}`);
    this.name = 'ChecksumMismatchError';
  }
}

/** A manifest that does not describe the artifact it is stored with, or is not a manifest at all. */
export class ManifestError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ManifestError';
  }
}

/** A stage change the lifecycle does not allow (e.g. promoting a rejected model). */
export class StageTransitionError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StageTransitionError';
  }
}

/**
 * A version whose artifact does not verify (bytes altered or missing after registration) cannot move
 * to SHADOW or PRODUCTION: scorers would refuse it, and the registry would say it serves when it does not.
 */
export class ArtifactVerificationError extends StageTransitionError {
  constructor(
    readonly version: string,
    options: { cause: unknown },
  ) {
    super(
      `model version ${version} cannot be deployed: its artifact does not verify (${describeCause(options.cause)})`,
      options,
    );
    this.name = 'ArtifactVerificationError';
  }
}

/**
 * A move to PRODUCTION, or an approval, that the four-eyes rule refuses (REGISTRY_PROMOTION_APPROVALS):
 * no request, approvals missing, or a principal approving their own request. Nothing is recorded.
 */
export class PromotionApprovalError extends StageTransitionError {
  constructor(
    readonly version: string,
    message: string,
  ) {
    super(message);
    this.name = 'PromotionApprovalError';
  }
}

/** Why a manifest's signature was not accepted. */
export type SignatureFailure = 'unsigned' | 'unknown-key' | 'invalid';

/**
 * A manifest that is not signed, is signed by a key nobody trusts, or whose signature does not
 * verify (the manifest or the sha256 it records was altered after signing): the model must not serve.
 */
export class SignatureError extends Error {
  constructor(
    readonly failure: SignatureFailure,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'SignatureError';
  }
}

function describeCause(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}
