import { randomUUID } from 'node:crypto';
import type { ModelStage } from '@fraudstream/contracts';
import { compareVersions } from './artifact-checks';
import type { ModelManifest } from './manifest.types';
import type { ManifestSigner, ManifestVerifier } from './manifest-signing';
import {
  approvalRefusal,
  missingApprovalReason,
  openPromotionRequests,
  principalOf,
  type PromotionRequest,
} from './promotion-approvals';
import { ArtifactVerificationError, PromotionApprovalError, StageTransitionError } from './registry.errors';
import type { AuditEntry, ModelStore, VerifiedArtifact } from './registry.types';

/** Stages a model may move to from each stage. PRODUCTION → RETIRED happens when another takes over. */
const ALLOWED: Readonly<Record<ModelStage, readonly ModelStage[]>> = {
  CANDIDATE: ['SHADOW', 'PRODUCTION', 'REJECTED'],
  SHADOW: ['PRODUCTION', 'REJECTED'],
  PRODUCTION: ['RETIRED', 'REJECTED'],
  // A retired model comes back on a rollback.
  RETIRED: ['PRODUCTION'],
  REJECTED: [],
};

/** A version with its current stage (from the audit log) and manifest. */
export interface RegisteredModel {
  readonly version: string;
  readonly stage: ModelStage;
  readonly manifest: ModelManifest;
}

/** Who decided a change, why, and the event time it was decided at. */
export interface ChangeContext {
  readonly actor: string;
  readonly reason: string;
  readonly eventTime: number;
  readonly requestId?: string | null;
  readonly deploymentId?: string | null;
  readonly metrics?: Readonly<Record<string, number>>;
}

/** One stage change applied by {@link ModelRegistry.transition}. */
export interface StageChange {
  readonly version: string;
  readonly from: ModelStage;
  readonly to: ModelStage;
  /** The deployment event that announces it (recorded in the audit entry), when one is due. */
  readonly deploymentId: string | null;
}

/**
 * The keys of a registry: the signer of the manifests it registers (null for a registry that never
 * registers, like the console's) and the verifier of the versions it moves to SHADOW or PRODUCTION.
 */
export interface RegistryKeys {
  readonly signer: ManifestSigner | null;
  readonly verifier: ManifestVerifier;
}

/** How a registry is run: its wall clock (audit `at`) and the four-eyes rule. */
export interface RegistryOptions {
  readonly wallClock?: () => Date;
  /**
   * Distinct principals a promotion to PRODUCTION needs, the requester included
   * (REGISTRY_PROMOTION_APPROVALS). 1, the default: whoever promotes decides alone. A rollback
   * (RETIRED → PRODUCTION) restores a version that was approved to serve and needs none.
   */
  readonly promotionApprovals?: number;
}

/** Stages a version is served in: moving there needs an artifact that verifies. */
const SERVED: ReadonlySet<ModelStage> = new Set(['SHADOW', 'PRODUCTION']);

/**
 * The lifecycle over a {@link ModelStore}: registration, stage changes validated against the allowed
 * transitions, and the current stages, all derived from the append-only audit log (a version's stage
 * is the `to_stage` of its last stage entry). Manifests never change after registration.
 */
export class ModelRegistry {
  private readonly wallClock: () => Date;
  /** Distinct principals a promotion to PRODUCTION needs (1: no approval). */
  readonly promotionApprovals: number;

  constructor(
    readonly store: ModelStore,
    private readonly keys: RegistryKeys,
    options: RegistryOptions = {},
  ) {
    this.wallClock = options.wallClock ?? (() => new Date());
    const approvals = options.promotionApprovals ?? 1;
    if (!Number.isInteger(approvals) || approvals < 1)
      throw new Error(`promotionApprovals must be an integer >= 1, got ${approvals}`);
    this.promotionApprovals = approvals;
  }

  /**
   * Stores a new version as CANDIDATE, its manifest signed by the registry's signer (a registry
   * without one stores the manifest as given), and records who registered it. Returns the artifact URI.
   */
  async register(onnxBytes: Uint8Array, manifest: ModelManifest, context: ChangeContext): Promise<string> {
    const stored = this.keys.signer ? this.keys.signer.sign(manifest) : manifest;
    const uri = await this.store.putVersion(onnxBytes, stored);
    await this.store.appendAudit(
      this.entry('REGISTERED', manifest.version, null, 'CANDIDATE', {
        ...context,
        requestId: context.requestId ?? manifest.training.request_id,
      }),
    );
    return uri;
  }

  /**
   * Moves `version` to `to`. Promoting to PRODUCTION retires the current production model (returned
   * first in the list of changes) so exactly one version serves. A move to SHADOW or PRODUCTION reads
   * the artifact back first and refuses (ArtifactVerificationError) one whose bytes do not match the
   * manifest's sha256 or whose manifest is not signed by a trusted key. A retirement gets a
   * deployment id of its own (`retiredDeploymentId`, or a new one), so every audit entry names the
   * event that announces it. Under four-eyes (`promotionApprovals` > 1) a move to PRODUCTION other than
   * a rollback needs an open promotion request with its approvals; without them it is refused
   * (PromotionApprovalError) and nothing is recorded.
   */
  async transition(
    version: string,
    to: ModelStage,
    context: ChangeContext & { readonly retiredDeploymentId?: () => string },
  ): Promise<StageChange[]> {
    const stages = await this.stages();
    const from = stages.get(version);
    if (from === undefined) throw new StageTransitionError(`model version ${version} is not registered`);
    if (!ALLOWED[from].includes(to))
      throw new StageTransitionError(`model version ${version} cannot move from ${from} to ${to}`);
    if (this.needsApproval(from, to)) {
      const request = (await this.openPromotionRequests()).get(version) ?? null;
      if (!request || request.missing > 0)
        throw new PromotionApprovalError(
          version,
          missingApprovalReason(version, this.promotionApprovals, request),
        );
    }
    if (SERVED.has(to)) {
      try {
        await this.readVerified(version);
      } catch (error) {
        throw new ArtifactVerificationError(version, { cause: error });
      }
    }
    const { retiredDeploymentId, ...change } = context;
    const changes: StageChange[] = [];
    if (to === 'PRODUCTION') {
      for (const [other, stage] of stages) {
        if (other !== version && stage === 'PRODUCTION') {
          const deploymentId = retiredDeploymentId?.() ?? newDeploymentId();
          await this.store.appendAudit(
            this.entry('STAGE_CHANGE', other, 'PRODUCTION', 'RETIRED', {
              ...change,
              reason: `replaced by ${version}: ${change.reason}`,
              deploymentId,
              metrics: {},
            }),
          );
          changes.push({ version: other, from: 'PRODUCTION', to: 'RETIRED', deploymentId });
        }
      }
    }
    await this.store.appendAudit(this.entry('STAGE_CHANGE', version, from, to, change));
    changes.push({ version, from, to, deploymentId: change.deploymentId ?? null });
    return changes;
  }

  /** Whether moving `version` to PRODUCTION now needs approvals (four-eyes on, and not a rollback). */
  async promotionNeedsApproval(version: string): Promise<boolean> {
    const from = await this.stageOf(version);
    return from !== undefined && this.needsApproval(from, 'PRODUCTION');
  }

  /** The open promotion request of every version awaiting approval. */
  async openPromotionRequests(): Promise<Map<string, PromotionRequest>> {
    return openPromotionRequests(await this.store.readAudit(), this.promotionApprovals);
  }

  /**
   * Records a request to move `version` to PRODUCTION that waits for approvals; the version stays in
   * its stage and no event is due. Refused (nothing recorded) when four-eyes is off, when the version
   * may not move to PRODUCTION, when a request is already open, or when its artifact does not verify
   * (approvers must not be asked to approve a model every scorer would refuse).
   */
  async requestPromotion(version: string, context: ChangeContext): Promise<PromotionRequest> {
    const from = await this.stageOf(version);
    if (from === undefined) throw new StageTransitionError(`model version ${version} is not registered`);
    if (!ALLOWED[from].includes('PRODUCTION'))
      throw new StageTransitionError(`model version ${version} cannot move from ${from} to PRODUCTION`);
    if (!this.needsApproval(from, 'PRODUCTION'))
      throw new StageTransitionError(`model version ${version} needs no approval to move to PRODUCTION`);
    const open = (await this.openPromotionRequests()).get(version);
    if (open)
      throw new PromotionApprovalError(
        version,
        `${missingApprovalReason(version, this.promotionApprovals, open)} (requested by ${open.requestedBy} at ${open.at})`,
      );
    try {
      await this.readVerified(version);
    } catch (error) {
      throw new ArtifactVerificationError(version, { cause: error });
    }
    await this.store.appendAudit(this.entry('PROMOTION_REQUESTED', version, from, null, context));
    return this.requireOpen(version);
  }

  /**
   * Records `context.actor`'s approval of the open promotion request of `version` and returns the
   * request with it. Refused (PromotionApprovalError, nothing recorded) without an open request, for
   * the requester's own approval, for a second approval by the same principal, and when the request
   * already has its approvals.
   */
  async approvePromotion(version: string, context: ChangeContext): Promise<PromotionRequest> {
    const request = (await this.openPromotionRequests()).get(version);
    if (!request)
      throw new PromotionApprovalError(
        version,
        `model version ${version} has no promotion request to approve`,
      );
    const principal = principalOf(context.actor);
    const refusal =
      request.missing === 0
        ? `the promotion of ${version} already has its approvals`
        : approvalRefusal(request, principal);
    if (refusal !== null) throw new PromotionApprovalError(version, refusal);
    await this.store.appendAudit(
      this.entry('PROMOTION_APPROVED', version, request.stage, null, {
        ...context,
        reason: `approved ${request.requestedBy}'s request: ${context.reason}`,
      }),
    );
    return this.requireOpen(version);
  }

  /** Records a refusal of the open promotion request of `version`, which closes it; the version stays where it is. */
  async refusePromotion(version: string, context: ChangeContext): Promise<void> {
    const request = (await this.openPromotionRequests()).get(version);
    if (!request)
      throw new PromotionApprovalError(
        version,
        `model version ${version} has no promotion request to refuse`,
      );
    await this.store.appendAudit(this.entry('PROMOTION_REFUSED', version, request.stage, null, context));
  }

  /** Records a training job that ended without a model (the version is the champion it started from). */
  async recordJobFailure(version: string, context: ChangeContext): Promise<void> {
    await this.store.appendAudit(this.entry('JOB_FAILED', version, null, null, context));
  }

  /** Current stage of every registered version. */
  async stages(): Promise<Map<string, ModelStage>> {
    const stages = new Map<string, ModelStage>();
    for (const entry of await this.store.readAudit())
      if (entry.to_stage !== null && entry.action !== 'JOB_FAILED') stages.set(entry.version, entry.to_stage);
    return stages;
  }

  async stageOf(version: string): Promise<ModelStage | undefined> {
    return (await this.stages()).get(version);
  }

  /** The version in PRODUCTION, or null before the first promotion. */
  async productionVersion(): Promise<string | null> {
    for (const [version, stage] of await this.stages()) if (stage === 'PRODUCTION') return version;
    return null;
  }

  /**
   * The version that served before the current production one: the last version, other than the
   * current one, that an audit entry moved to PRODUCTION and that has not been rejected since.
   */
  async previousProductionVersion(): Promise<string | null> {
    const current = await this.productionVersion();
    const stages = await this.stages();
    const audit = await this.store.readAudit();
    for (let i = audit.length - 1; i >= 0; i--) {
      const entry = audit[i];
      if (!entry || entry.to_stage !== 'PRODUCTION' || entry.version === current) continue;
      if (stages.get(entry.version) === 'RETIRED') return entry.version;
    }
    return null;
  }

  /** Every version in natural order, with its stage and manifest. */
  async list(): Promise<RegisteredModel[]> {
    const stages = await this.stages();
    const versions = await this.store.listVersions();
    const models: RegisteredModel[] = [];
    for (const version of versions.sort(compareVersions))
      models.push({
        version,
        stage: stages.get(version) ?? 'CANDIDATE',
        manifest: await this.store.readManifest(version),
      });
    return models;
  }

  /** The audit entries that name a retrain request (to make request handling idempotent). */
  async entriesForRequest(requestId: string): Promise<AuditEntry[]> {
    return (await this.store.readAudit()).filter((e) => e.request_id === requestId);
  }

  /** The next free version name `v<n>`, one past the highest numbered `v` version. */
  async nextVersion(): Promise<string> {
    let highest = 0;
    for (const version of await this.store.listVersions()) {
      const match = /^v(\d+)$/.exec(version);
      if (match?.[1]) highest = Math.max(highest, Number(match[1]));
    }
    return `v${highest + 1}`;
  }

  /** The artifact with its checksum verified and its manifest's signature checked (SignatureError). */
  async readVerified(version: string): Promise<VerifiedArtifact> {
    const artifact = await this.store.readVerified(version);
    await this.keys.verifier.verify(artifact.manifest);
    return artifact;
  }

  readManifest(version: string): Promise<ModelManifest> {
    return this.store.readManifest(version);
  }

  artifactUri(version: string): string {
    return this.store.artifactUri(version);
  }

  private needsApproval(from: ModelStage, to: ModelStage): boolean {
    return to === 'PRODUCTION' && from !== 'RETIRED' && this.promotionApprovals > 1;
  }

  private async requireOpen(version: string): Promise<PromotionRequest> {
    const request = (await this.openPromotionRequests()).get(version);
    if (!request)
      throw new Error(`the promotion request of ${version} is not in the audit log after writing it`);
    return request;
  }

  private entry(
    action: AuditEntry['action'],
    version: string,
    from: ModelStage | null,
    to: ModelStage | null,
    context: ChangeContext,
  ): AuditEntry {
    return {
      at: this.wallClock().toISOString(),
      event_time: context.eventTime,
      action,
      version,
      from_stage: from,
      to_stage: to,
      actor: context.actor,
      reason: context.reason,
      request_id: context.requestId ?? null,
      deployment_id: context.deploymentId ?? null,
      metrics: context.metrics ?? {},
    };
  }
}

/** A fresh id for a deployment event. */
export function newDeploymentId(): string {
  return randomUUID();
}
