import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { DriftMonitorService } from '@fraudstream/drift';
import { HealthRegistry } from '@fraudstream/observability';
import { DeploymentsConsumer } from './deployments.consumer';
import { APP_CONFIG, type DriftMonitorConfig } from './drift-monitor.config';
import { InputsConsumer } from './inputs.consumer';

/**
 * Start-up: restore the checkpoint, replay the deployments (so the reference is the current
 * production model), then consume scores and labels from the checkpoint's offsets. Shutdown: stop
 * the inputs (the in-flight batch finishes and commits), write a final checkpoint, stop the rest.
 */
@Injectable()
export class DriftMonitorLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(DriftMonitorLifecycle.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: DriftMonitorConfig,
    private readonly service: DriftMonitorService,
    private readonly deployments: DeploymentsConsumer,
    private readonly inputs: InputsConsumer,
    health: HealthRegistry,
  ) {
    health.register('inputs-consumer', () => ({ up: this.inputs.healthy }));
    health.register('deployments-consumer', () => ({ up: this.deployments.healthy }));
    health.register('reference', () => {
      const status = this.service.status();
      return { up: status.modelVersion !== null, details: { ...status, skipped: { ...status.skipped } } };
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    const offsets = await this.service.restore();
    await this.deployments.start();
    if (!(await this.deployments.replayed(this.config.DRIFT_DEPLOYMENTS_REPLAY_TIMEOUT_MS))) {
      this.logger.warn({ msg: 'deployment history not fully replayed in time' });
    }
    if (this.service.status().modelVersion === null) {
      this.logger.warn({ msg: 'no production model yet: scores are skipped until a PRODUCTION deployment' });
    }
    await this.inputs.start(offsets);
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.inputs.stop();
    await this.service.checkpoint();
    await this.deployments.stop();
    this.logger.log({ msg: 'stopped with a final checkpoint' });
  }
}
