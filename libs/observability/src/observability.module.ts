import { Global, Module } from '@nestjs/common';
import { HealthRegistry } from './health-registry';
import { MetricsRegistry } from './metrics-registry';
import { ObservabilityController } from './observability.controller';

/** Health and metrics for an app: import once in its root module. */
@Global()
@Module({
  controllers: [ObservabilityController],
  providers: [MetricsRegistry, HealthRegistry],
  exports: [MetricsRegistry, HealthRegistry],
})
export class ObservabilityModule {}
