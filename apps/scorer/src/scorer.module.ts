import { Module, type DynamicModule } from '@nestjs/common';
import { ObservabilityModule } from '@fraudstream/observability';
import { APP_CONFIG, type ScorerConfig } from './scorer.config';

/** Composition root of the scorer app. */
@Module({})
export class ScorerModule {
  static forRoot(config: ScorerConfig): DynamicModule {
    return {
      module: ScorerModule,
      imports: [ObservabilityModule],
      providers: [{ provide: APP_CONFIG, useValue: config }],
    };
  }
}
