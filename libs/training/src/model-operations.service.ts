import type { ModelRegistry } from '@fraudstream/registry';
import { DeploymentAnnouncer, type DeploymentHistory } from './deployment-announcer.service';
import { DeploymentLifecycle, type LifecycleDecision } from './deployment-lifecycle.service';
import type { DeploymentPublisher } from './training-io.types';
import type { TrainingSettings } from './training.settings';

/** Who asks for an operator's decision, and why. */
export interface OperatorRequest {
  /** Recorded in the audit log as the actor: `cli:<who>`, `console:<user>`. */
  readonly actor: string;
  readonly reason?: string;
  /** Event time of the decision; default: the newest event time in the audit log. */
  readonly eventTime?: number;
}

export type OperatorCommand = 'promote' | 'approve' | 'refuse' | 'reject' | 'rollback';

/**
 * The operators' stage changes, one code path for every front end (`npm run models`, the console):
 * promote (under four-eyes: request), approve, refuse, reject and rollback go through DeploymentLifecycle and the DeploymentAnnouncer, so each
 * is an audit entry naming its actor plus its deployment events (reconciled if the broker is away).
 * A refusal throws the registry's StageTransitionError (or ArtifactVerificationError) and records
 * nothing.
 */
export class ModelOperations {
  private readonly announcer: DeploymentAnnouncer;

  constructor(
    private readonly registry: ModelRegistry,
    publisher: DeploymentPublisher,
    history: DeploymentHistory | null,
    private readonly settings: TrainingSettings,
  ) {
    this.announcer = new DeploymentAnnouncer(registry, publisher, history);
  }

  promote(version: string, request: OperatorRequest): Promise<LifecycleDecision> {
    return this.run('promote', version, request);
  }

  /** Approves the open promotion request of `version` (four-eyes); the completing approval promotes it. */
  approve(version: string, request: OperatorRequest): Promise<LifecycleDecision> {
    return this.run('approve', version, request);
  }

  /** Refuses the open promotion request of `version` (four-eyes); the version stays where it is. */
  refuse(version: string, request: OperatorRequest): Promise<LifecycleDecision> {
    return this.run('refuse', version, request);
  }

  reject(version: string, request: OperatorRequest): Promise<LifecycleDecision> {
    return this.run('reject', version, request);
  }

  rollback(request: OperatorRequest): Promise<LifecycleDecision> {
    return this.run('rollback', null, request);
  }

  /** Publishes the deployment events of registry transitions the topic lacks; how many it sent. */
  reconcile(): Promise<number> {
    return this.announcer.reconcile();
  }

  private async run(
    command: OperatorCommand,
    version: string | null,
    request: OperatorRequest,
  ): Promise<LifecycleDecision> {
    const eventTime =
      request.eventTime ??
      (await this.registry.store.readAudit()).reduce((max, e) => Math.max(max, e.event_time), 0);
    const context = { actor: request.actor, reason: request.reason ?? `manual ${command}`, eventTime };
    const lifecycle = new DeploymentLifecycle(this.registry, this.announcer, this.settings, request.actor);
    switch (command) {
      case 'rollback':
        return lifecycle.rollback(context);
      case 'promote':
        return lifecycle.promote(required(version, command), context);
      case 'approve':
        return lifecycle.approve(required(version, command), {
          ...context,
          reason: request.reason ?? 'approved',
        });
      case 'refuse':
        return lifecycle.refuse(required(version, command), {
          ...context,
          reason: request.reason ?? 'refused',
        });
      case 'reject':
        return lifecycle.reject(required(version, command), context);
    }
  }
}

function required(version: string | null, command: OperatorCommand): string {
  if (!version) throw new Error(`${command} needs a model version`);
  return version;
}
