import type { ModelStage } from '@fraudstream/contracts';
import type { ModelManifest } from './manifest.types';

/** What happened to a model, as recorded in the append-only audit log. */
export type AuditAction =
  | 'REGISTERED'
  | 'STAGE_CHANGE'
  | 'JOB_FAILED'
  /** Four-eyes promotion (REGISTRY_PROMOTION_APPROVALS > 1): a request, an approval, a refusal; no stage changes. */
  | 'PROMOTION_REQUESTED'
  | 'PROMOTION_APPROVED'
  | 'PROMOTION_REFUSED';

/** One line of the audit log: who or what did what to which version, when (wall and event time) and why. */
export interface AuditEntry {
  /** Wall-clock time of the record (ISO 8601), for auditors. */
  readonly at: string;
  /** Event time of the loop when the decision was taken (UTC epoch ms). */
  readonly event_time: number;
  readonly action: AuditAction;
  readonly version: string;
  /** Stage before the change (null for a registration or a failed job). */
  readonly from_stage: ModelStage | null;
  /** Stage after the change (CANDIDATE for a registration, null for a failed job or a promotion request, approval or refusal). */
  readonly to_stage: ModelStage | null;
  /** Who or what decided: `trainer:<instance>`, `cli:<user>`, `gate`, `shadow-monitor`, `rollback`. */
  readonly actor: string;
  readonly reason: string;
  readonly request_id: string | null;
  /** The ml.model-deployments.v1 event that announced the change, when one was sent. */
  readonly deployment_id: string | null;
  /** The numbers behind the decision (gate metrics, shadow statistics). */
  readonly metrics: Readonly<Record<string, number>>;
}

/** A version's artifact read back from a store with its checksum verified. */
export interface VerifiedArtifact {
  readonly version: string;
  readonly onnx: Uint8Array;
  readonly manifest: ModelManifest;
  /** URI of model.onnx (file:// or s3://); manifest.json lies beside it. */
  readonly uri: string;
}

/**
 * Where artifacts, manifests and the audit log live. Versions are immutable: writing an existing
 * version fails with VersionExistsError. Reads verify the ONNX bytes against the manifest's sha256.
 */
export interface ModelStore {
  /** `file` or `s3`, for logs. */
  readonly kind: string;
  /** Stores model.onnx and manifest.json of a new version; returns the URI of model.onnx. */
  putVersion(onnxBytes: Uint8Array, manifest: ModelManifest): Promise<string>;
  hasVersion(version: string): Promise<boolean>;
  listVersions(): Promise<string[]>;
  readManifest(version: string): Promise<ModelManifest>;
  /** The ONNX bytes and manifest, the bytes' sha256 checked against the manifest. */
  readVerified(version: string): Promise<VerifiedArtifact>;
  /** URI of a version's model.onnx. */
  artifactUri(version: string): string;
  /** Appends one entry; earlier entries are never rewritten. */
  appendAudit(entry: AuditEntry): Promise<void>;
  /** Every entry in the order it was appended. */
  readAudit(): Promise<AuditEntry[]>;
}
