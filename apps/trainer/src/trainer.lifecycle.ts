import { Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { HealthRegistry } from '@fraudstream/observability';
import { LifecycleConsumer } from './lifecycle.consumer';
import { RetrainRequestsConsumer } from './retrain-requests.consumer';

/** Starts the lifecycle watch, then the request worker; stops them in reverse (in-flight batches commit). */
@Injectable()
export class TrainerLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(
    private readonly requests: RetrainRequestsConsumer,
    private readonly lifecycle: LifecycleConsumer,
    health: HealthRegistry,
  ) {
    health.register('retrain-requests-consumer', () => ({ up: this.requests.healthy }));
    health.register('lifecycle-consumers', () => ({ up: this.lifecycle.healthy }));
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.lifecycle.start();
    await this.requests.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.requests.stop();
    await this.lifecycle.stop();
  }
}
