import { Logger } from '@nestjs/common';
import { DAY_MS, HOUR_MS, type ModelDeployment, type ModelStage, type Score } from '@fraudstream/contracts';
import {
  StageTransitionError,
  type ModelManifest,
  type ModelRegistry,
  type PromotionRequest,
} from '@fraudstream/registry';
import type { DeploymentAnnouncer, StageChangeSpec } from './deployment-announcer.service';
import { decideShadow, type ShadowDecision } from './shadow-check';
import type { TrainingSettings } from './training.settings';

/** Most challenger scores kept per shadowed model (the PSI needs a sample, not every row). */
const MAX_SHADOW_SCORES = 200_000;

interface ShadowWatch {
  readonly version: string;
  /** Event time of the SHADOW stage change. */
  readonly since: number;
  /**
   * Event time of the stream when this lifecycle began watching (its score watermark then, or the
   * first score it reads after): scorers can shadow the challenger only from about then. The job
   * that shadowed it may have taken days of event time in an accelerated replay, so the SHADOW
   * event's own time can lie far behind the stream. Null until known.
   */
  watchedFrom: number | null;
  /**
   * Event time of the first CHALLENGER score: the shadow period runs from here, since scorers load
   * the challenger only after the job that shadowed it (in an accelerated replay that is most of a
   * simulated day). Null until the first one arrives.
   */
  firstShadowRow: number | null;
  readonly manifest: ModelManifest;
  readonly scores: number[];
  challengerRows: number;
  challengerAlerts: number;
  championRows: number;
  championAlerts: number;
}

/** A decision the lifecycle took, as announced on ml.model-deployments.v1. */
export interface LifecycleDecision {
  readonly version: string;
  readonly stage: ModelStage;
  readonly reason: string;
  readonly events: readonly ModelDeployment[];
  /** Whether the events reached the topic; if not, the announcer's reconciler sends them. */
  readonly published: boolean;
  /**
   * Under four-eyes promotion: the open request when the decision is a promotion that waits for
   * approval (the version stays in `stage`, no event is sent); absent otherwise.
   */
  readonly approval?: PromotionRequest;
}

/** Who decided and when (event time). */
export interface LifecycleContext {
  readonly actor: string;
  readonly reason: string;
  readonly eventTime: number;
}

/**
 * What happens to a model after the gate: shadow → production once the shadow period (event time)
 * shows a sane score distribution and alert rate, else rejected; rollback to the previous production
 * model when scorers refuse to load the current one; and the operators' manual promote/rollback.
 * Every decision is a registry stage change (audit) plus its deployment events, both through the
 * DeploymentAnnouncer (whose reconciler sends events a crash kept from the topic); nothing edits files.
 */
export class DeploymentLifecycle {
  private readonly logger = new Logger(DeploymentLifecycle.name);
  private readonly watches = new Map<string, ShadowWatch>();
  private watermark = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly registry: ModelRegistry,
    private readonly announcer: DeploymentAnnouncer,
    private readonly settings: TrainingSettings,
    private readonly actor: string,
  ) {}

  /** Starts watching every version currently in SHADOW (at start-up and after each job). */
  async refreshShadows(): Promise<string[]> {
    const stages = await this.registry.stages();
    const audit = await this.registry.store.readAudit();
    // A version whose promotion awaits approval has passed its shadow check: it is not judged again.
    const awaiting = await this.registry.openPromotionRequests();
    for (const [version, stage] of stages) {
      if (stage !== 'SHADOW' || this.watches.has(version) || awaiting.has(version)) continue;
      let since = 0;
      for (const entry of audit)
        if (entry.version === version && entry.to_stage === 'SHADOW') since = entry.event_time;
      this.watches.set(version, {
        version,
        since,
        watchedFrom: Number.isFinite(this.watermark) ? Math.max(since, this.watermark) : null,
        firstShadowRow: null,
        manifest: await this.registry.readManifest(version),
        scores: [],
        challengerRows: 0,
        challengerAlerts: 0,
        championRows: 0,
        championAlerts: 0,
      });
    }
    for (const version of [...this.watches.keys()])
      if (stages.get(version) !== 'SHADOW' || awaiting.has(version)) this.watches.delete(version);
    return [...this.watches.keys()];
  }

  /** Versions under watch. */
  get shadowed(): string[] {
    return [...this.watches.keys()];
  }

  /**
   * Feeds tx.scores.v1 rows: CHALLENGER rows of a shadowed version and the CHAMPION rows of the same
   * period. Once the event-time watermark passes the end of a shadow period, decides promotion.
   */
  async observeScores(rows: readonly Score[]): Promise<LifecycleDecision[]> {
    if (this.watches.size === 0) {
      // The stream's position still counts: a watch that starts later starts from it.
      for (const row of rows) this.watermark = Math.max(this.watermark, row.event_time);
      return [];
    }
    for (const row of rows) {
      this.watermark = Math.max(this.watermark, row.event_time);
      for (const watch of this.watches.values()) {
        if (row.event_time < watch.since) continue;
        watch.watchedFrom ??= row.event_time;
        if (row.role === 'CHALLENGER' && row.model_version === watch.version) {
          watch.firstShadowRow ??= row.event_time;
          watch.challengerRows++;
          if (row.score >= watch.manifest.threshold) watch.challengerAlerts++;
          if (watch.scores.length < MAX_SHADOW_SCORES) watch.scores.push(row.score);
        } else if (row.role === 'CHAMPION' && watch.firstShadowRow !== null) {
          // The champion's alert rate over the same stretch as the challenger's.
          watch.championRows++;
          if (row.is_alert) watch.championAlerts++;
        }
      }
    }
    const decisions: LifecycleDecision[] = [];
    const { shadow } = this.settings;
    for (const watch of [...this.watches.values()]) {
      // A challenger is judged only once scorers have shadow-scored it for a whole period.
      const watchedFrom = watch.watchedFrom;
      if (watchedFrom === null) continue;
      const start = watch.firstShadowRow ?? watchedFrom;
      if (this.watermark < start + shadow.periodMs) continue;
      let decision: ShadowDecision;
      if (watch.challengerRows < shadow.minRows) {
        // Scorers may not be shadowing it at all: give up after three periods of watching rather
        // than wait forever (counted from when the watch began, not from the SHADOW event).
        if (this.watermark < watchedFrom + 3 * shadow.periodMs) continue;
        decision = {
          passed: false,
          reason: `only ${watch.challengerRows} shadow rows after ${((this.watermark - watchedFrom) / HOUR_MS).toFixed(1)} h of event time watched (need ${shadow.minRows})`,
          metrics: { shadow_rows: watch.challengerRows },
        };
      } else {
        decision = decideShadow(
          {
            challengerScores: watch.scores,
            challengerAlerts: watch.challengerAlerts,
            championRows: watch.championRows,
            championAlerts: watch.championAlerts,
            expectedAlertRate: expectedAlertRate(watch.manifest, this.watermark - start, watch.championRows),
          },
          watch.manifest.reference.score,
          shadow,
        );
      }
      this.watches.delete(watch.version);
      const context = { actor: `${this.actor}/shadow`, reason: decision.reason, eventTime: this.watermark };
      try {
        decisions.push(
          decision.passed
            ? await this.promote(watch.version, context, decision.metrics)
            : await this.reject(watch.version, context, decision.metrics),
        );
      } catch (error) {
        // Someone (an operator) moved it meanwhile: their decision stands.
        if (!(error instanceof StageTransitionError)) throw error;
        this.logger.warn({
          msg: 'shadow decision no longer applies',
          modelVersion: watch.version,
          error: error.message,
        });
      }
    }
    return decisions;
  }

  /**
   * Reacts to scorers' LOAD_REFUSED reports: a refused production model is rejected and the previous
   * production model is deployed again; a refused shadow model is rejected. SHADOW events start a
   * watch for challengers shadowed elsewhere.
   */
  async onDeploymentEvents(events: readonly ModelDeployment[]): Promise<LifecycleDecision[]> {
    const decisions: LifecycleDecision[] = [];
    // A challenger shadowed by another process (a one-shot Job, an operator) is watched from now on.
    if (events.some((e) => e.kind === 'STAGE_CHANGE' && e.stage === 'SHADOW')) await this.refreshShadows();
    for (const event of events) {
      if (event.kind !== 'LOAD_REFUSED') continue;
      const stage = await this.registry.stageOf(event.model_version);
      const context = {
        actor: `${this.actor}/rollback`,
        reason: `scorer ${event.instance_id ?? '?'} refused ${event.model_version}: ${event.reason}`,
        eventTime: event.event_time,
      };
      if (stage === 'PRODUCTION' && this.settings.rollbackOnLoadRefused) {
        decisions.push(await this.rollback(context, 'REJECTED'));
      } else if (stage === 'SHADOW') {
        this.watches.delete(event.model_version);
        decisions.push(await this.reject(event.model_version, context, {}));
      }
    }
    return decisions;
  }

  /**
   * Moves a version to PRODUCTION (retiring the current one) and announces both changes. Under
   * four-eyes promotion (REGISTRY_PROMOTION_APPROVALS > 1) a first call records the promotion request
   * instead and returns it as `approval` (the version stays where it is, nothing is announced); the
   * move happens on the approval that completes it (`approve`). Called again while the request waits,
   * it is refused (PromotionApprovalError) and changes nothing.
   */
  async promote(
    version: string,
    context: LifecycleContext,
    metrics: Readonly<Record<string, number>> = {},
  ): Promise<LifecycleDecision> {
    if (await this.registry.promotionNeedsApproval(version)) {
      const open = (await this.registry.openPromotionRequests()).get(version);
      // An approved request whose move did not happen (the process died in between) moves now.
      if (open?.missing !== 0) return this.requestPromotion(version, context, metrics);
    }
    return this.moveToProduction(version, context, metrics);
  }

  /**
   * Records `context.actor`'s approval of the promotion request of `version`; the approval that
   * completes the request moves the version to PRODUCTION and announces it, with the approver as the
   * actor. Refused (PromotionApprovalError, nothing recorded) for the requester and without a request.
   */
  async approve(version: string, context: LifecycleContext): Promise<LifecycleDecision> {
    const request = await this.registry.approvePromotion(version, context);
    const approvers = request.approvals.map((a) => a.principal).join(', ');
    if (request.missing > 0) {
      const reason = `approved by ${approvers}; awaits ${request.missing} more approval(s)`;
      this.logger.log({ msg: 'promotion approved, more approvals needed', modelVersion: version, reason });
      return { version, stage: request.stage, reason, events: [], published: true, approval: request };
    }
    return this.moveToProduction(
      version,
      {
        ...context,
        reason: `requested by ${request.requestedBy} (${request.reason}), approved by ${approvers}: ${context.reason}`,
      },
      request.metrics,
    );
  }

  /** Refuses the promotion request of `version`: recorded, the request closed, the version left where it is. */
  async refuse(version: string, context: LifecycleContext): Promise<LifecycleDecision> {
    await this.registry.refusePromotion(version, context);
    const stage = (await this.registry.stageOf(version)) ?? 'CANDIDATE';
    this.logger.warn({ msg: 'promotion refused', modelVersion: version, reason: context.reason });
    return { version, stage, reason: context.reason, events: [], published: true };
  }

  private async requestPromotion(
    version: string,
    context: LifecycleContext,
    metrics: Readonly<Record<string, number>>,
  ): Promise<LifecycleDecision> {
    const request = await this.registry.requestPromotion(version, { ...context, metrics });
    this.watches.delete(version);
    const reason = `awaiting approval by ${request.missing} principal(s) other than ${request.requestedBy}: ${context.reason}`;
    this.logger.log({ msg: 'promotion awaits approval', modelVersion: version, reason });
    return { version, stage: request.stage, reason, events: [], published: true, approval: request };
  }

  private async moveToProduction(
    version: string,
    context: LifecycleContext,
    metrics: Readonly<Record<string, number>>,
  ): Promise<LifecycleDecision> {
    const previous = await this.registry.productionVersion();
    const { events, published } = await this.announcer.transition(version, 'PRODUCTION', {
      ...context,
      metrics,
    });
    this.watches.delete(version);
    this.logger.log({
      msg: 'promoted to production',
      modelVersion: version,
      previous,
      reason: context.reason,
    });
    return { version, stage: 'PRODUCTION', reason: context.reason, events, published };
  }

  async reject(
    version: string,
    context: LifecycleContext,
    metrics: Readonly<Record<string, number>> = {},
  ): Promise<LifecycleDecision> {
    const { events, published } = await this.announcer.transition(version, 'REJECTED', {
      ...context,
      metrics,
    });
    this.watches.delete(version);
    this.logger.warn({ msg: 'model rejected', modelVersion: version, reason: context.reason });
    return { version, stage: 'REJECTED', reason: context.reason, events, published };
  }

  /**
   * Deploys the previous production model again. The current one becomes `currentTo`: REJECTED when
   * it failed (it must not come back), RETIRED for an operator's rollback (it may).
   */
  async rollback(
    context: LifecycleContext,
    currentTo: 'REJECTED' | 'RETIRED' = 'RETIRED',
  ): Promise<LifecycleDecision> {
    const current = await this.registry.productionVersion();
    const previous = await this.registry.previousProductionVersion();
    if (!current) throw new StageTransitionError('no model is in production');
    if (!previous) throw new StageTransitionError(`no earlier production model to roll ${current} back to`);
    const changes: StageChangeSpec[] =
      currentTo === 'REJECTED'
        ? [
            { version: current, to: 'REJECTED' },
            { version: previous, to: 'PRODUCTION' },
          ]
        : [{ version: previous, to: 'PRODUCTION' }];
    const { events, published } = await this.announcer.transitions(changes, context);
    this.logger.warn({ msg: 'rolled back', from: current, to: previous, reason: context.reason });
    return { version: previous, stage: 'PRODUCTION', reason: context.reason, events, published };
  }
}

/** The alert rate a count-a-day threshold was cut for, over `rows` transactions in `spanMs`; else null. */
function expectedAlertRate(manifest: ModelManifest, spanMs: number, rows: number): number | null {
  const policy = manifest.threshold_policy;
  if (policy.kind !== 'daily-capacity' || rows <= 0 || spanMs <= 0) return null;
  return (policy.value * spanMs) / DAY_MS / rows;
}
