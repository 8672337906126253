import type { ModelStage } from '@fraudstream/contracts';
import {
  ArtifactVerificationError,
  StageTransitionError,
  type AuditEntry,
  type ModelManifest,
  type ModelRegistry,
  type PromotionRequest,
} from '@fraudstream/registry';
import type { LifecycleDecision, ModelOperations } from '@fraudstream/training';
import { ModelRefusedError, UnknownModelError } from './console.errors';

/** One registry version as the models page shows it. */
export interface ModelEntry {
  readonly version: string;
  readonly stage: ModelStage;
  readonly manifest: ModelManifest;
  /** This version's audit trail, oldest first. */
  readonly audit: readonly AuditEntry[];
  /** Its open promotion request when the promotion awaits approval (REGISTRY_PROMOTION_APPROVALS > 1). */
  readonly promotionRequest: PromotionRequest | null;
}

export interface ModelCatalog {
  /** Newest version first. */
  readonly models: readonly ModelEntry[];
  readonly production: string | null;
  /** The version a rollback would put back, if any. */
  readonly rollbackTarget: string | null;
}

/** What the page shows of a decision. */
export interface ModelDecision {
  readonly version: string;
  readonly stage: ModelStage;
  readonly reason: string;
  readonly events: readonly { readonly version: string; readonly stage: ModelStage }[];
  /** False when the registry changed but the events did not reach Kafka (the trainer reconciles them). */
  readonly published: boolean;
  /** The open request when the promotion awaits approval by another principal (nothing was announced). */
  readonly approval: PromotionRequest | null;
}

function decisionOf(decision: LifecycleDecision): ModelDecision {
  return {
    version: decision.version,
    stage: decision.stage,
    reason: decision.reason,
    events: decision.events.map((e) => ({ version: e.model_version, stage: e.stage })),
    published: decision.published,
    approval: decision.approval ?? null,
  };
}

/**
 * The models page: the registry's versions with stage, lineage, gate metrics and audit trail, and the
 * model owners' promote and rollback through ModelOperations, the code path of `npm run models`, with
 * `console:<user>` as the actor in the audit log.
 */
export class ModelDesk {
  constructor(
    private readonly registry: ModelRegistry,
    private readonly operations: ModelOperations,
    /** The loop's event time now (the decision's event time), when known. */
    private readonly eventTime: () => number | null,
  ) {}

  async catalog(): Promise<ModelCatalog> {
    const [registered, audit, production, rollbackTarget, requests] = await Promise.all([
      this.registry.list(),
      this.registry.store.readAudit(),
      this.registry.productionVersion(),
      this.registry.previousProductionVersion(),
      this.registry.openPromotionRequests(),
    ]);
    const models = registered
      .map((m) => ({
        version: m.version,
        stage: m.stage,
        manifest: m.manifest,
        audit: audit.filter((e) => e.version === m.version),
        promotionRequest: requests.get(m.version) ?? null,
      }))
      .reverse();
    return { models, production, rollbackTarget };
  }

  async model(version: string): Promise<ModelEntry> {
    const entry = (await this.catalog()).models.find((m) => m.version === version);
    if (!entry) throw new UnknownModelError(version);
    return entry;
  }

  async promote(version: string, user: string, reason?: string): Promise<ModelDecision> {
    if (!(await this.registry.store.hasVersion(version).catch(() => false)))
      throw new UnknownModelError(version);
    const request = await this.request(user, reason);
    return this.refusing(() => this.operations.promote(version, request));
  }

  /** Approves the open promotion request of `version` as `user` (four-eyes: never the requester). */
  async approve(version: string, user: string, reason?: string): Promise<ModelDecision> {
    if (!(await this.registry.store.hasVersion(version).catch(() => false)))
      throw new UnknownModelError(version);
    const request = await this.request(user, reason);
    return this.refusing(() => this.operations.approve(version, request));
  }

  /** Refuses the open promotion request of `version` as `user`; the version stays where it is. */
  async refuse(version: string, user: string, reason?: string): Promise<ModelDecision> {
    if (!(await this.registry.store.hasVersion(version).catch(() => false)))
      throw new UnknownModelError(version);
    const request = await this.request(user, reason);
    return this.refusing(() => this.operations.refuse(version, request));
  }

  async rollback(user: string, reason?: string): Promise<ModelDecision> {
    const request = await this.request(user, reason);
    return this.refusing(() => this.operations.rollback(request));
  }

  /**
   * The decision's event time is the stream's now, never earlier than the registry's last decision:
   * readers ignore a promotion older than the one they applied.
   */
  private async request(user: string, reason: string | undefined) {
    const clock = this.eventTime();
    const newest = (await this.registry.store.readAudit()).reduce((max, e) => Math.max(max, e.event_time), 0);
    return {
      actor: `console:${user}`,
      ...(reason !== undefined ? { reason } : {}),
      ...(clock !== null && clock > newest ? { eventTime: clock } : {}),
    };
  }

  private async refusing(run: () => Promise<LifecycleDecision>): Promise<ModelDecision> {
    try {
      return decisionOf(await run());
    } catch (error) {
      if (error instanceof StageTransitionError || error instanceof ArtifactVerificationError)
        throw new ModelRefusedError(error.message, { cause: error });
      throw error;
    }
  }
}
