import { Module, type DynamicModule } from '@nestjs/common';
import { ObservabilityModule } from '@fraudstream/observability';
import { SimulationControl } from './simulation.control';
import { SimulationController } from './simulation.controller';
import { SimulationService } from './simulation.service';
import { APP_CONFIG, type SimulatorConfig } from './simulator.config';

/** Composition root of the simulator app. */
@Module({})
export class SimulatorModule {
  static forRoot(config: SimulatorConfig): DynamicModule {
    return {
      module: SimulatorModule,
      imports: [ObservabilityModule],
      controllers: [SimulationController],
      providers: [
        { provide: APP_CONFIG, useValue: config },
        { provide: SimulationControl, useValue: new SimulationControl() },
        SimulationService,
      ],
    };
  }
}
