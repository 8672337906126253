import 'reflect-metadata';
import { bootstrapApp } from '@fraudstream/observability';
import { loadSimulatorConfig } from './simulator.config';
import { SimulatorModule } from './simulator.module';

/** Generates card transactions with fraud and drift scenarios and late labels. */
async function main(): Promise<void> {
  const config = loadSimulatorConfig();
  await bootstrapApp('simulator', SimulatorModule.forRoot(config), config);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
