import { Module, type DynamicModule } from '@nestjs/common';
import { FeaturePipeline, configuredFeatureSet, createFeatureStore } from '@fraudstream/features';
import { KafkaModule } from '@fraudstream/kafka';
import { OnnxWorkerPool, SerialFeatureExtractor } from '@fraudstream/model';
import { ObservabilityModule } from '@fraudstream/observability';
import { DeploymentEventsPublisher } from './deployment-events.publisher';
import { OutputRecordsPublisher } from './output-records.publisher';
import { modelManagerProvider, transactionScorerProvider } from './model-manager.provider';
import { FeatureStateLifecycle } from './feature-state.lifecycle';
import { APP_CONFIG, type ScorerConfig } from './scorer.config';
import { scorerConsumersProvider } from './scorer.consumers';
import { ScorerLifecycle } from './scorer.lifecycle';
import { FEATURE_EXTRACTOR, INFERENCE_RUNTIME } from './scorer.tokens';

const FEATURE_PIPELINE = Symbol('FeaturePipeline');

/** Composition root of the scorer app. */
@Module({})
export class ScorerModule {
  static forRoot(config: ScorerConfig): DynamicModule {
    const featureSet = configuredFeatureSet(config);
    return {
      module: ScorerModule,
      imports: [ObservabilityModule, KafkaModule.forRoot(config, 'scorer')],
      providers: [
        { provide: APP_CONFIG, useValue: config },
        { provide: INFERENCE_RUNTIME, useFactory: () => new OnnxWorkerPool(config.SCORER_WORKERS) },
        {
          provide: FEATURE_PIPELINE,
          useFactory: () => new FeaturePipeline(createFeatureStore(config), featureSet),
        },
        {
          provide: FEATURE_EXTRACTOR,
          inject: [FEATURE_PIPELINE],
          useFactory: (pipeline: FeaturePipeline) =>
            new SerialFeatureExtractor(pipeline, featureSet.names, featureSet.version),
        },
        {
          provide: FeatureStateLifecycle,
          inject: [FEATURE_PIPELINE],
          useFactory: (pipeline: FeaturePipeline) =>
            new FeatureStateLifecycle(pipeline, config.SCORER_FEATURE_SNAPSHOT_PATH),
        },
        DeploymentEventsPublisher,
        OutputRecordsPublisher,
        modelManagerProvider,
        transactionScorerProvider,
        scorerConsumersProvider,
        ScorerLifecycle,
      ],
    };
  }
}
