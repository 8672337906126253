import { Logger, Module, type DynamicModule } from '@nestjs/common';
import {
  FeaturePipeline,
  configuredFeatureSet,
  createFeatureStore,
  type FeatureStateGap,
} from '@fraudstream/features';
import { KafkaModule } from '@fraudstream/kafka';
import { OnnxWorkerPool, SerialFeatureExtractor } from '@fraudstream/model';
import { HealthRegistry, MetricsRegistry, ObservabilityModule } from '@fraudstream/observability';
import { DeploymentEventsPublisher } from './deployment-events.publisher';
import { OutputRecordsPublisher } from './output-records.publisher';
import { modelManagerProvider, transactionScorerProvider } from './model-manager.provider';
import { FeatureStateLifecycle } from './feature-state.lifecycle';
import { APP_CONFIG, type ScorerConfig } from './scorer.config';
import { scorerConsumersProvider } from './scorer.consumers';
import { ScorerLifecycle } from './scorer.lifecycle';
import { scorerMetrics } from './scorer.metrics';
import { FEATURE_EXTRACTOR, FEATURE_PIPELINE, INFERENCE_RUNTIME } from './scorer.tokens';

const featureStateLogger = new Logger('FeatureState');

/**
 * A feature store behind the offsets: the scorer goes on scoring (the windows refill as the stream
 * moves), and says so. Error when the state this process itself counted vanished (a Redis that
 * restarted without persistence, was flushed or evicts keys); a warning when the store has no
 * record of a partition whose offsets the group committed (a cold start: a new Redis, the memory
 * store after a crash with no snapshot).
 */
function logStateGap(gap: FeatureStateGap): void {
  const entry = {
    msg:
      gap.evidence === 'counted-here'
        ? 'feature state lost: the store no longer counts transactions this scorer counted'
        : 'feature state has no record of a partition the group committed: windows start without the transactions before them',
    topic: gap.topic,
    partition: gap.partition,
    storeLastOffset: gap.storeLastOffset,
    expectedLastOffset: gap.expectedLastOffset,
  };
  if (gap.evidence === 'counted-here') featureStateLogger.error(entry);
  else featureStateLogger.warn(entry);
}

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
          inject: [MetricsRegistry],
          useFactory: (registry: MetricsRegistry) => {
            const gaps = scorerMetrics(registry).featureStateGaps;
            return new FeaturePipeline(createFeatureStore(config), featureSet, {
              onStateGap: (gap) => {
                gaps.inc({ topic: gap.topic, evidence: gap.evidence });
                logStateGap(gap);
              },
            });
          },
        },
        {
          provide: FEATURE_EXTRACTOR,
          inject: [FEATURE_PIPELINE],
          useFactory: (pipeline: FeaturePipeline) =>
            new SerialFeatureExtractor(pipeline, featureSet.names, featureSet.version),
        },
        {
          provide: FeatureStateLifecycle,
          inject: [FEATURE_PIPELINE, HealthRegistry],
          useFactory: (pipeline: FeaturePipeline, health: HealthRegistry) =>
            new FeatureStateLifecycle(pipeline, config.SCORER_FEATURE_SNAPSHOT_PATH, health),
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
