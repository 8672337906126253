import { Module, type DynamicModule } from '@nestjs/common';
import { ObservabilityModule } from '@fraudstream/observability';
import { APP_CONFIG, type TrainerConfig } from './trainer.config';

/** Composition root of the trainer app. */
@Module({})
export class TrainerModule {
  static forRoot(config: TrainerConfig): DynamicModule {
    return {
      module: TrainerModule,
      imports: [ObservabilityModule],
      providers: [{ provide: APP_CONFIG, useValue: config }],
    };
  }
}
