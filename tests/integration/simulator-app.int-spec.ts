import type { INestApplication } from '@nestjs/common';
import { bootstrapApp } from '@fraudstream/observability';
import { generateDataset } from '@fraudstream/simulation';
import { afterEach, describe, expect, it } from 'vitest';
import { loadSimulatorConfig } from '../../apps/simulator/src/simulator.config';
import { SimulatorModule } from '../../apps/simulator/src/simulator.module';
import { createTestTopic, testClients, uniqueName } from '../support/kafka-env';
import { waitFor } from '../support/wait-for';

interface Health {
  status: string;
  components: { simulation?: { up: boolean; details: { finished: boolean; transactions: number } } };
}

describe(SimulatorModule.name, () => {
  let app: INestApplication | null = null;

  afterEach(async () => {
    await app?.close();
    app = null;
  });

  async function boot(env: Record<string, string>): Promise<string> {
    const config = loadSimulatorConfig({ ...process.env, HTTP_PORT: '0', LOG_LEVEL: 'warn', ...env });
    app = await bootstrapApp('simulator', SimulatorModule.forRoot(config), config);
    return app.getUrl();
  }

  it('boots with /health and /metrics and simulates nothing unless asked', async () => {
    const url = await boot({});
    const health = (await (await fetch(`${url}/health`)).json()) as Health;
    expect(health.status).toBe('up');
    expect(health.components.simulation?.details.transactions).toBe(0);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toContain('fraudstream_simulator_simulated_seconds');
  });

  it('runs the configured simulation at boot and reports it on /health and /metrics', async () => {
    const { kafka, serde } = testClients();
    const tx = await createTestTopic(kafka, serde, 'simapp-tx', 'tx.transactions.v1.avsc');
    const labels = await createTestTopic(kafka, serde, 'simapp-labels', 'fraud.labels.v1.avsc');
    const url = await boot({
      SIMULATOR_AUTOSTART: 'true',
      SIM_SEED: '3',
      SIM_DAYS: '2',
      SIM_CUSTOMERS: '30',
      SIM_TERMINALS: '60',
      SIM_DAY_SECONDS: '0',
      SIM_ANALYST_CAPACITY: '0',
      SIM_TRANSACTIONS_TOPIC: tx.name,
      SIM_LABELS_TOPIC: labels.name,
      KAFKA_CLIENT_ID: uniqueName('simapp'),
    });
    const expected = generateDataset({ seed: 3, days: 2, customers: 30, terminals: 60 }).transactions.length;
    const health = await waitFor(
      async () => {
        const h = (await (await fetch(`${url}/health`)).json()) as Health;
        return h.components.simulation?.details.finished ? h : null;
      },
      60_000,
      'the simulation to finish',
    );
    expect(health.status).toBe('up');
    expect(health.components.simulation?.details.transactions).toBe(expected);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    // Two simulated days, in seconds.
    expect(metrics).toMatch(/^fraudstream_simulator_simulated_seconds 172800$/m);
    const admin = kafka.admin();
    await admin.connect();
    try {
      const offsets = await admin.fetchTopicOffsets(tx.name);
      expect(offsets.reduce((n, p) => n + Number(p.high), 0)).toBe(expected);
    } finally {
      await admin.disconnect();
    }
  });
});
