import { Logger } from '@nestjs/common';
import { describeError, type ModelDeployment, type ModelStage } from '@fraudstream/contracts';
import {
  newDeploymentId,
  type AuditEntry,
  type ChangeContext,
  type ModelManifest,
  type ModelRegistry,
} from '@fraudstream/registry';
import type { DeploymentPublisher } from './training-io.types';

/** Ids of the events already on ml.model-deployments.v1 (the reconciler's view of the topic). */
export interface DeploymentHistory {
  announcedIds(): Promise<ReadonlySet<string>>;
}

/** Who decided, why, at which event time; for a job, the request it answers; the numbers behind it. */
export type AnnouncementContext = Omit<ChangeContext, 'deploymentId'>;

/** One stage change of a multi-step decision (a rollback rejects the current version, then restores the previous one). */
export interface StageChangeSpec {
  readonly version: string;
  readonly to: ModelStage;
}

/** The events of a decision, and whether they reached the topic (if not, the reconciler sends them). */
export interface Announcement {
  readonly events: readonly ModelDeployment[];
  readonly published: boolean;
}

/** What the fine-tuning job needs of the announcer. */
export interface StageAnnouncer {
  transition(version: string, to: ModelStage, context: AnnouncementContext): Promise<Announcement>;
  jobFailed(version: string, context: AnnouncementContext): Promise<Announcement>;
}

/** Audit actions that ml.model-deployments.v1 announces. */
const ANNOUNCED: ReadonlySet<AuditEntry['action']> = new Set(['STAGE_CHANGE', 'JOB_FAILED']);

/**
 * The one component that changes a model's stage: it writes the registry transition (the audit log,
 * with the id of the deployment event that announces it) and then publishes that event. The audit
 * log is the outbox: if the process dies or the broker is away between the two, `reconcile()` (at
 * start and periodically, in the trainer) finds the audit entries whose events the topic lacks and
 * publishes them with their recorded ids, followed by every later entry's event again, so the
 * topic's tail ends in the registry's order and every scorer converges on the registry's state.
 * Consumers apply stage changes by version (a second PRODUCTION event for the serving version is a
 * no-op), so the events sent twice change nothing.
 */
export class DeploymentAnnouncer implements StageAnnouncer {
  private readonly logger = new Logger(DeploymentAnnouncer.name);

  constructor(
    private readonly registry: ModelRegistry,
    private readonly publisher: DeploymentPublisher,
    private readonly history: DeploymentHistory | null = null,
  ) {}

  /** Moves `version` to `to` (retiring the production model when promoting) and announces it. */
  transition(version: string, to: ModelStage, context: AnnouncementContext): Promise<Announcement> {
    return this.transitions([{ version, to }], context);
  }

  /** Applies several stage changes in order and announces them together. */
  async transitions(
    changes: readonly StageChangeSpec[],
    context: AnnouncementContext,
  ): Promise<Announcement> {
    const ids = new Set<string>();
    for (const change of changes) {
      const deploymentId = newDeploymentId();
      const applied = await this.registry.transition(change.version, change.to, {
        ...context,
        deploymentId,
        retiredDeploymentId: newDeploymentId,
      });
      for (const c of applied) if (c.deploymentId) ids.add(c.deploymentId);
    }
    return this.announce(ids);
  }

  /** Records a fine-tuning job that ended without a model (`version` is its parent) and announces JOB_FAILED. */
  async jobFailed(version: string, context: AnnouncementContext): Promise<Announcement> {
    const deploymentId = newDeploymentId();
    await this.registry.recordJobFailure(version, { ...context, deploymentId });
    return this.announce(new Set([deploymentId]));
  }

  /**
   * Publishes the events of audit entries the deployments topic lacks (and of every entry after the
   * first of them, in audit order). Returns how many events it sent. Needs the topic's history.
   */
  async reconcile(): Promise<number> {
    if (!this.history) throw new Error('reconcile needs the deployments topic history');
    const audit = await this.registry.store.readAudit();
    const announced = await this.history.announcedIds();
    const entries = audit.filter((e) => e.deployment_id !== null && ANNOUNCED.has(e.action));
    const first = entries.findIndex((e) => e.deployment_id !== null && !announced.has(e.deployment_id));
    if (first < 0) return 0;
    const due = entries.slice(first);
    const events = await this.eventsOf(audit, new Set(due.map((e) => e.deployment_id ?? '')));
    await this.publisher.publish(events);
    this.logger.warn({
      msg: 'republished registry transitions the deployments topic lacked',
      missing: due
        .filter((e) => !announced.has(e.deployment_id ?? ''))
        .map((e) => `${e.version}:${e.to_stage ?? e.action}`),
      events: events.length,
    });
    return events.length;
  }

  private async announce(ids: ReadonlySet<string>): Promise<Announcement> {
    const events = await this.eventsOf(await this.registry.store.readAudit(), ids);
    try {
      await this.publisher.publish(events);
      return { events, published: true };
    } catch (error) {
      // The registry holds the decision; the reconciler announces it once the broker answers.
      this.logger.error({
        msg: 'deployment events not published; the reconciler will send them',
        events: events.map((e) => `${e.model_version}:${e.stage}`),
        error: describeError(error),
      });
      return { events, published: false };
    }
  }

  /** The events of the audit entries with the given ids, in audit order, rebuilt from the entries. */
  private async eventsOf(audit: readonly AuditEntry[], ids: ReadonlySet<string>): Promise<ModelDeployment[]> {
    const events: ModelDeployment[] = [];
    const stages = new Map<string, ModelStage>();
    let production: string | null = null;
    let previousProduction: string | null = null;
    for (const entry of audit) {
      if (entry.deployment_id !== null && ids.has(entry.deployment_id) && ANNOUNCED.has(entry.action)) {
        const beforeProduction = entry.version === production ? previousProduction : production;
        events.push(await this.eventOf(entry, stages.get(entry.version) ?? 'CANDIDATE', beforeProduction));
      }
      if (entry.to_stage !== null && entry.action !== 'JOB_FAILED') {
        stages.set(entry.version, entry.to_stage);
        if (entry.to_stage === 'PRODUCTION' && entry.version !== production) {
          previousProduction = production;
          production = entry.version;
        }
      }
    }
    return events;
  }

  private async eventOf(
    entry: AuditEntry,
    stageBefore: ModelStage,
    previousProduction: string | null,
  ): Promise<ModelDeployment> {
    let manifest: ModelManifest | null = null;
    try {
      manifest = await this.registry.readManifest(entry.version);
    } catch {
      // A failed job's parent may be the missing piece; its event still names it.
    }
    let artifactUri = '';
    try {
      artifactUri = this.registry.artifactUri(entry.version);
    } catch {
      // A version name the store cannot even address (the request was bad).
    }
    const failed = entry.action === 'JOB_FAILED';
    const stage = failed ? stageBefore : (entry.to_stage ?? stageBefore);
    const metrics: Record<string, number> = {};
    // Avro doubles carry NaN, but consumers compare numbers: leave undefined values out.
    for (const [k, v] of Object.entries(entry.metrics ?? {}))
      if (typeof v === 'number' && Number.isFinite(v)) metrics[k] = v;
    return {
      deployment_id: entry.deployment_id ?? newDeploymentId(),
      kind: failed ? 'JOB_FAILED' : 'STAGE_CHANGE',
      model_version: entry.version,
      stage,
      previous_version: !failed && stage === 'PRODUCTION' ? previousProduction : null,
      parent_version: failed ? null : (manifest?.parent_version ?? null),
      artifact_uri: artifactUri,
      sha256: manifest?.onnx.sha256 ?? '',
      request_id: entry.request_id ?? (failed ? null : (manifest?.training.request_id ?? null)),
      reason: entry.reason,
      metrics,
      instance_id: null,
      event_time: entry.event_time,
    };
  }
}
