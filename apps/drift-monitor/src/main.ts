import 'reflect-metadata';
import { bootstrapApp } from '@fraudstream/observability';
import { loadDriftMonitorConfig } from './drift-monitor.config';
import { DriftMonitorModule } from './drift-monitor.module';

/** Compares live features, scores, fraud rate and accuracy with the production model's reference. */
async function main(): Promise<void> {
  const config = loadDriftMonitorConfig();
  await bootstrapApp('drift-monitor', DriftMonitorModule.forRoot(config), config);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
