import { Inject, Injectable } from '@nestjs/common';
import { validateDeployment, validateScore, type ModelDeployment, type Score } from '@fraudstream/contracts';
import { StreamConsumerFactory, type StreamConsumer } from '@fraudstream/kafka';
import { MetricsRegistry } from '@fraudstream/observability';
import type { DeploymentLifecycle, LifecycleDecision } from '@fraudstream/training';
import { APP_CONFIG, type TrainerConfig } from './trainer.config';
import { trainerMetrics, type TrainerMetrics } from './trainer.metrics';
import { DEPLOYMENT_LIFECYCLE } from './trainer.tokens';

/**
 * Feeds the deployment lifecycle: tx.scores.v1 (shadow rows and the champion's alert rate, from the
 * newest offsets: a shadow period starts after its SHADOW event) and ml.model-deployments.v1
 * (scorers' LOAD_REFUSED reports → rollback). Decisions are events, so the offsets commit after them.
 */
@Injectable()
export class LifecycleConsumer {
  private readonly scores: StreamConsumer<Score>;
  private readonly deployments: StreamConsumer<ModelDeployment>;
  private readonly metrics: TrainerMetrics;

  constructor(
    factory: StreamConsumerFactory,
    @Inject(APP_CONFIG) config: TrainerConfig,
    @Inject(DEPLOYMENT_LIFECYCLE) private readonly lifecycle: DeploymentLifecycle,
    metrics: MetricsRegistry,
  ) {
    this.metrics = trainerMetrics(metrics);
    this.scores = factory.create<Score>({
      groupId: `${config.TRAINER_LIFECYCLE_GROUP_ID}.scores`,
      topics: [config.SCORES_TOPIC],
      validate: validateScore,
      handle: async (messages) => {
        this.count(await this.lifecycle.observeScores(messages.map((m) => m.value)));
      },
    });
    this.deployments = factory.create<ModelDeployment>({
      groupId: `${config.TRAINER_LIFECYCLE_GROUP_ID}.deployments`,
      topics: [config.DEPLOYMENTS_TOPIC],
      validate: validateDeployment,
      handle: async (messages) => {
        this.count(await this.lifecycle.onDeploymentEvents(messages.map((m) => m.value)));
      },
    });
  }

  async start(): Promise<void> {
    await this.lifecycle.refreshShadows();
    await this.deployments.start();
    await this.scores.start();
  }

  async stop(): Promise<void> {
    await this.scores.stop();
    await this.deployments.stop();
  }

  get healthy(): boolean {
    return this.scores.healthy && this.deployments.healthy;
  }

  private count(decisions: readonly LifecycleDecision[]): void {
    for (const d of decisions) this.metrics.lifecycleDecisions.inc({ stage: d.stage });
  }
}
