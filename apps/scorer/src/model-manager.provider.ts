import { Logger, type Provider } from '@nestjs/common';
import { MetricsRegistry } from '@fraudstream/observability';
import {
  ModelManager,
  TransactionScorer,
  modelMetrics,
  type FeatureExtractor,
  type InferenceRuntime,
} from '@fraudstream/model';
import { describeError } from '@fraudstream/contracts';
import { createArtifactReader, createManifestVerifier } from '@fraudstream/registry';
import { DeploymentEventsPublisher } from './deployment-events.publisher';
import { APP_CONFIG, type ScorerConfig } from './scorer.config';
import { FEATURE_EXTRACTOR, INFERENCE_RUNTIME } from './scorer.tokens';

const logger = new Logger('ModelManagerProvider');

/** The model manager: sessions in the worker pool, artifacts from the file system or S3, refusals published. */
export const modelManagerProvider: Provider = {
  provide: ModelManager,
  inject: [INFERENCE_RUNTIME, FEATURE_EXTRACTOR, APP_CONFIG, MetricsRegistry, DeploymentEventsPublisher],
  useFactory: (
    runtime: InferenceRuntime,
    features: FeatureExtractor,
    config: ScorerConfig,
    metrics: MetricsRegistry,
    publisher: DeploymentEventsPublisher,
  ) =>
    new ModelManager(runtime, createArtifactReader(config), {
      featureNames: features.names,
      featureSetVersion: features.version,
      verifier: createManifestVerifier(config),
      threads: { intraOpThreads: config.ORT_INTRA_OP_THREADS, interOpThreads: config.ORT_INTER_OP_THREADS },
      defaultProvider: config.SCORER_EXECUTION_PROVIDER,
      providerByVersion: config.SCORER_EXECUTION_PROVIDER_OVERRIDES,
      batching: { maxBatchSize: config.SCORER_MAX_BATCH_SIZE, maxWaitMs: config.SCORER_MAX_WAIT_MS },
      metrics: modelMetrics(metrics),
      onRefused: (refusal) =>
        publisher.refused(refusal).catch((error: unknown) => {
          logger.error({ msg: 'LOAD_REFUSED not published', error: describeError(error) });
        }),
    }),
};

export const transactionScorerProvider: Provider = {
  provide: TransactionScorer,
  inject: [FEATURE_EXTRACTOR, ModelManager, APP_CONFIG, MetricsRegistry],
  useFactory: (
    features: FeatureExtractor,
    models: ModelManager,
    config: ScorerConfig,
    metrics: MetricsRegistry,
  ) =>
    new TransactionScorer(features, models, {
      maxReasons: config.SCORER_MAX_REASONS,
      metrics: modelMetrics(metrics),
    }),
};
