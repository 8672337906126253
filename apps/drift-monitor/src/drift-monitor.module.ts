import { Module, type DynamicModule } from '@nestjs/common';
import { ObservabilityModule } from '@fraudstream/observability';
import { APP_CONFIG, type DriftMonitorConfig } from './drift-monitor.config';

/** Composition root of the drift-monitor app. */
@Module({})
export class DriftMonitorModule {
  static forRoot(config: DriftMonitorConfig): DynamicModule {
    return {
      module: DriftMonitorModule,
      imports: [ObservabilityModule],
      providers: [{ provide: APP_CONFIG, useValue: config }],
    };
  }
}
