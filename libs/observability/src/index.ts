export { MetricsRegistry } from './metrics-registry';
export { HealthRegistry } from './health-registry';
export type { ComponentHealth, HealthCheck, HealthReport } from './health-registry';
export { ObservabilityModule } from './observability.module';
export { bootstrapApp, createAppLogger, redactConfig, terminateOnFatal } from './app-bootstrap';
export type { BootstrapOptions } from './app-bootstrap';
