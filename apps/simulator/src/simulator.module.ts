import { Module, type DynamicModule } from '@nestjs/common';
import { ObservabilityModule } from '@fraudstream/observability';
import { SimulationService } from './simulation.service';
import { APP_CONFIG, type SimulatorConfig } from './simulator.config';

/** Composition root of the simulator app. */
@Module({})
export class SimulatorModule {
  static forRoot(config: SimulatorConfig): DynamicModule {
    return {
      module: SimulatorModule,
      imports: [ObservabilityModule],
      providers: [{ provide: APP_CONFIG, useValue: config }, SimulationService],
    };
  }
}
