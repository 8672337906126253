import { pathToFileURL } from 'node:url';
import { isAbsolute, resolve } from 'node:path';
import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { describeError } from '@fraudstream/contracts';
import { ModelManager, type InferenceRuntime } from '@fraudstream/model';
import { HealthRegistry, MetricsRegistry, terminateOnFatal } from '@fraudstream/observability';
import { APP_CONFIG, type ScorerConfig } from './scorer.config';
import { SCORER_CONSUMERS, type ScorerConsumers } from './scorer.consumers';
import { scorerMetrics, type ScorerMetrics } from './scorer.metrics';
import { INFERENCE_RUNTIME } from './scorer.tokens';

/** A MODEL_PATH as a file:// URI (a relative path is taken from the working directory). */
function modelUri(path: string): string {
  if (/^[a-z][a-z0-9+.-]*:/i.test(path)) return path;
  return pathToFileURL(isAbsolute(path) ? path : resolve(path)).toString();
}

/**
 * Start-up order: replay the deployments (so the current champion is known), fall back to the
 * bootstrap model, then consume labels and, once a champion is loaded, transactions. Shutdown stops
 * the transactions consumer first (its in-flight batch finishes and commits), then the others, then
 * the ONNX workers.
 */
@Injectable()
export class ScorerLifecycle
  implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown
{
  private readonly logger = new Logger(ScorerLifecycle.name);
  private readonly metrics: ScorerMetrics;
  private scoring: Promise<void> | null = null;
  private stopping = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: ScorerConfig,
    @Inject(INFERENCE_RUNTIME) private readonly runtime: InferenceRuntime,
    private readonly models: ModelManager,
    @Inject(SCORER_CONSUMERS) private readonly consumers: ScorerConsumers,
    health: HealthRegistry,
    registry: MetricsRegistry,
  ) {
    this.metrics = scorerMetrics(registry);
    const { transactions, deployments } = consumers;
    health.register('transactions-consumer', () => ({ up: transactions.healthy }));
    health.register('deployments-consumer', () => ({ up: deployments.healthy }));
    health.register('model', () => ({
      up: this.models.champion !== null,
      details: {
        champion: this.models.champion?.version ?? null,
        challenger: this.models.challenger?.version ?? null,
      },
    }));
  }

  async onApplicationBootstrap(): Promise<void> {
    const { deployments, labels } = this.consumers;
    // A champion that arrives later (the first PRODUCTION deployment) starts the scoring; a failure
    // to start then is fatal: the process must not stay up without consuming.
    this.models.onChampion(() => {
      this.startScoringOnceModelLoaded().catch((error: unknown) =>
        terminateOnFatal(this.logger, 'the transactions consumer did not start', error),
      );
    });
    await deployments.start();
    const replayed = await deployments.caughtUp(this.config.SCORER_DEPLOYMENTS_REPLAY_TIMEOUT_MS);
    if (!replayed)
      this.logger.warn({ msg: 'deployment history not fully replayed in time; serving what is loaded' });
    if (!this.models.champion && this.config.MODEL_PATH) {
      await this.models.loadBootstrap(modelUri(this.config.MODEL_PATH));
    }
    await labels.start();
    if (!this.models.champion)
      this.logger.warn({ msg: 'no model yet: transactions wait for a PRODUCTION deployment' });
    await this.startScoringOnceModelLoaded();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    if (this.scoring) await this.scoring.catch(() => undefined);
    if (this.scoring) await this.consumers.transactions.stop();
    await this.consumers.labels.stop();
    await this.consumers.deployments.stop();
    this.metrics.modelLoaded.set(0);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.models.close();
    await this.runtime.close();
  }

  private startScoringOnceModelLoaded(): Promise<void> {
    if (this.scoring || this.stopping || !this.models.champion) return this.scoring ?? Promise.resolve();
    this.scoring = this.consumers.transactions.start().then(
      () => {
        this.metrics.modelLoaded.set(1);
        this.logger.log({ msg: 'scoring', modelVersion: this.models.champion?.version ?? null });
      },
      (error: unknown) => {
        this.logger.error({ msg: 'transactions consumer failed to start', error: describeError(error) });
        throw error;
      },
    );
    return this.scoring;
  }
}
