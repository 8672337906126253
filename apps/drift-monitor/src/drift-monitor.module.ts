import { Module, type DynamicModule } from '@nestjs/common';
import {
  DriftMonitorService,
  FileCheckpointStore,
  ArtifactManifestSource,
  driftSettingsFromConfig,
} from '@fraudstream/drift';
import { KafkaModule } from '@fraudstream/kafka';
import { MetricsRegistry, ObservabilityModule } from '@fraudstream/observability';
import { createArtifactReader, createManifestVerifier } from '@fraudstream/registry';
import { APP_CONFIG, type DriftMonitorConfig } from './drift-monitor.config';
import { driftConsumersProvider } from './drift-monitor.consumers';
import { DriftMonitorLifecycle } from './drift-monitor.lifecycle';
import { DriftOutputsPublisher } from './drift-outputs.publisher';

/** Composition root of the drift-monitor app. */
@Module({})
export class DriftMonitorModule {
  static forRoot(config: DriftMonitorConfig): DynamicModule {
    return {
      module: DriftMonitorModule,
      imports: [ObservabilityModule, KafkaModule.forRoot(config, 'drift-monitor')],
      providers: [
        { provide: APP_CONFIG, useValue: config },
        DriftOutputsPublisher,
        {
          provide: DriftMonitorService,
          inject: [DriftOutputsPublisher, MetricsRegistry],
          useFactory: (publisher: DriftOutputsPublisher, metrics: MetricsRegistry) =>
            new DriftMonitorService(
              driftSettingsFromConfig(config),
              publisher,
              new FileCheckpointStore(config.DRIFT_CHECKPOINT_PATH),
              new ArtifactManifestSource(createArtifactReader(config), createManifestVerifier(config)),
              { checkpointIntervalMs: config.DRIFT_CHECKPOINT_INTERVAL_MS },
              metrics,
            ),
        },
        driftConsumersProvider,
        DriftMonitorLifecycle,
      ],
    };
  }
}
