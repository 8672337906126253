import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { describeError } from '@fraudstream/contracts';
import { HealthRegistry } from '@fraudstream/observability';
import type { DeploymentAnnouncer, DeploymentLifecycle } from '@fraudstream/training';
import { APP_CONFIG, type TrainerConfig } from './trainer.config';
import { TRAINER_CONSUMERS, type TrainerConsumers } from './trainer.consumers';
import { DEPLOYMENT_ANNOUNCER, DEPLOYMENT_LIFECYCLE } from './trainer.tokens';

/**
 * Reconciles the registry with the deployments topic (events a crash kept from it), starts the
 * lifecycle watch (shadows under watch, then its deployments and scores consumers), then the
 * request worker; stops them in reverse (in-flight batches commit).
 * The reconciliation runs again every TRAINER_RECONCILE_INTERVAL_MS.
 */
@Injectable()
export class TrainerLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(TrainerLifecycle.name);
  private timer: NodeJS.Timeout | null = null;
  private reconciling: Promise<void> | null = null;

  constructor(
    @Inject(TRAINER_CONSUMERS) private readonly consumers: TrainerConsumers,
    @Inject(DEPLOYMENT_LIFECYCLE) private readonly lifecycle: DeploymentLifecycle,
    @Inject(DEPLOYMENT_ANNOUNCER) private readonly announcer: DeploymentAnnouncer,
    @Inject(APP_CONFIG) private readonly config: TrainerConfig,
    health: HealthRegistry,
  ) {
    const { requests, scores, deployments } = consumers;
    health.register('retrain-requests-consumer', () => ({ up: requests.healthy }));
    health.register('lifecycle-consumers', () => ({ up: scores.healthy && deployments.healthy }));
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.reconcile();
    await this.lifecycle.refreshShadows();
    await this.consumers.deployments.start();
    await this.consumers.scores.start();
    await this.consumers.requests.start();
    const interval = this.config.TRAINER_RECONCILE_INTERVAL_MS;
    if (interval > 0) this.timer = setInterval(() => void this.reconcile(), interval);
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.reconciling;
    await this.consumers.requests.stop();
    await this.consumers.scores.stop();
    await this.consumers.deployments.stop();
  }

  /** One reconciliation at a time; a failure (broker away) is logged and retried at the next tick. */
  private reconcile(): Promise<void> {
    this.reconciling ??= this.announcer
      .reconcile()
      .then(
        () => undefined,
        (error: unknown) =>
          this.logger.warn({
            msg: 'reconciliation with the deployments topic failed',
            error: describeError(error),
          }),
      )
      .finally(() => (this.reconciling = null));
    return this.reconciling;
  }
}
