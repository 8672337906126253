import type { INestApplication } from '@nestjs/common';
import type { Alert, Label, Transaction } from '@fraudstream/contracts';
import { AvroProducer, createIdempotentProducer } from '@fraudstream/kafka';
import { bootstrapApp } from '@fraudstream/observability';
import { generateDataset } from '@fraudstream/simulation';
import { SAMPLE_RECORDS } from '../support/sample-records';
import { afterEach, describe, expect, it } from 'vitest';
import { loadSimulatorConfig } from '../../apps/simulator/src/simulator.config';
import { SimulatorModule } from '../../apps/simulator/src/simulator.module';
import { createTestTopic, testClients, uniqueName } from '../support/kafka-env';
import { waitFor } from '../support/wait-for';

interface Health {
  status: string;
  components: {
    simulation?: {
      up: boolean;
      details: {
        finished: boolean;
        transactions: number;
        paused: boolean;
        retrainHold?: { holding: boolean; holds: number };
      };
    };
  };
}

function alertOf(tx: Transaction, kind: Alert['kind'], raisedAt: number | null): Alert {
  return {
    alert_id: kind === 'INVESTIGATE' ? `investigate:${tx.transaction_id}` : `${tx.transaction_id}:v1`,
    kind,
    raised_at: raisedAt,
    note: kind === 'INVESTIGATE' ? 'new pattern: like confirmed missed fraud tx-0' : '',
    transaction_id: tx.transaction_id,
    card_id: tx.card_id,
    terminal_id: tx.terminal_id,
    amount: tx.amount,
    event_time: tx.event_time,
    score: kind === 'SCORE' ? 0.9 : 0.1,
    threshold: 0.5,
    model_version: 'v1',
    severity: kind === 'SCORE' ? 'HIGH' : 'LOW',
    reasons: [{ feature: 'log_amount', value: 1, contribution: 2.5 }],
  };
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

  it('sends the unpaced days at once, holds the stream while paused, and reviews INVESTIGATE alerts within their share', async () => {
    const { kafka, serde } = testClients();
    const tx = await createTestTopic(kafka, serde, 'simapp-tx', 'tx.transactions.v1.avsc');
    const labels = await createTestTopic(kafka, serde, 'simapp-labels', 'fraud.labels.v1.avsc');
    const alerts = await createTestTopic(kafka, serde, 'simapp-alerts', 'fraud.alerts.v1.avsc');
    const seed = 1000 + Math.floor(Math.random() * 1_000_000);
    const options = { seed, days: 2, customers: 30, terminals: 60 };
    const dataset = generateDataset(options);
    const day0 = dataset.transactions.filter(
      (t) => t.event_time < dataset.transactions[0]!.event_time + 86_400_000,
    );
    const url = await boot({
      SIMULATOR_AUTOSTART: 'true',
      SIM_SEED: String(seed),
      SIM_DAYS: '2',
      SIM_CUSTOMERS: '30',
      SIM_TERMINALS: '60',
      // Day 0 at once; day 1 over 3 s unless paused.
      SIM_UNPACED_DAYS: '1',
      SIM_DAY_SECONDS: '3',
      SIM_ANALYST_CAPACITY: '10',
      SIM_ANALYST_INVESTIGATION_SHARE: '0.2',
      SIM_TRANSACTIONS_TOPIC: tx.name,
      SIM_LABELS_TOPIC: labels.name,
      SIM_ALERTS_TOPIC: alerts.name,
      KAFKA_CLIENT_ID: uniqueName('simapp'),
    });
    const admin = kafka.admin();
    await admin.connect();
    const raw = createIdempotentProducer(kafka);
    await raw.connect();
    const reader = kafka.consumer({ groupId: uniqueName('simapp-labels-reader') });
    try {
      const produced = async () =>
        (await admin.fetchTopicOffsets(tx.name)).reduce((n, p) => n + Number(p.high), 0);
      await waitFor(async () => (await produced()) >= day0.length, 30_000, 'the unpaced day 0');
      const paused = (await (
        await fetch(`${url}/simulation/pause`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ reason: 'test' }),
        })
      ).json()) as { paused: boolean; reason: string };
      expect(paused).toMatchObject({ paused: true, reason: 'test' });
      const atPause = await produced();

      // The analysts' consumer group must be reading before the alerts go out (it starts at the end).
      await waitFor(
        async () => {
          const { groups } = await admin.describeGroups([`fraudstream-simulator-analysts-${seed}`]);
          return groups[0]?.state === 'Stable';
        },
        30_000,
        'the analysts to join',
      );
      const received: Label[] = [];
      await reader.connect();
      await reader.subscribe({ topics: [labels.name], fromBeginning: true });
      await reader.run({
        eachMessage: async ({ message }) => {
          const label = await serde.decode<Label>(message.value);
          if (label.source === 'ANALYST') received.push(label);
        },
      });
      // Ten score alerts, then an investigation, all on day 0: with capacity 10 and share 0.2 the
      // score alerts get 8 reviews and the investigation still gets one.
      const [investigated, ...scored] = day0.slice(0, 11);
      const raisedAt = investigated!.event_time + 3_600_000;
      await new AvroProducer(raw, serde).sendMany([
        {
          topic: alerts.name,
          records: [
            ...scored.map((t) => ({ key: t.card_id, value: alertOf(t, 'SCORE', null) })),
            { key: investigated!.card_id, value: alertOf(investigated!, 'INVESTIGATE', raisedAt) },
          ],
        },
      ]);
      await waitFor(() => received.length >= 9, 30_000, '9 analyst verdicts');
      const verdict = received.find((l) => l.transaction_id === investigated!.transaction_id);
      const truth = dataset.truth.find((t) => t.transaction_id === investigated!.transaction_id);
      expect(verdict).toMatchObject({
        is_fraud: truth?.is_fraud,
        transaction_time: investigated!.event_time,
      });
      // Reviewed 1-6 hours after it was raised, not after the transaction, and not after the stream's
      // time when it reached the desk (all of day 0 had been sent by then).
      expect(verdict!.event_time).toBeGreaterThanOrEqual(raisedAt + 3_600_000);
      expect(verdict!.event_time).toBeLessThan(raisedAt + 6 * 3_600_000);
      expect(received.filter((l) => l.transaction_id !== investigated!.transaction_id)).toHaveLength(8);
      // Nothing was streamed while paused (beyond a write already under way when the pause came).
      const health = (await (await fetch(`${url}/health`)).json()) as Health;
      expect(health.components.simulation?.details.paused).toBe(true);
      expect((await produced()) - atPause).toBeLessThanOrEqual(5);

      // A horizon six hours into day 1: resumed, the stream stops there by itself.
      const horizonAt = day0[0]!.event_time + 86_400_000 + 6 * 3_600_000;
      const horizon = (body: unknown) =>
        fetch(`${url}/simulation/horizon`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
      expect((await horizon({ eventTime: 'soon' })).status).toBe(400);
      expect((await horizon({ eventTime: horizonAt, reason: 'the monitor is behind' })).status).toBe(200);
      await fetch(`${url}/simulation/resume`, { method: 'POST' });
      const upToHorizon = dataset.transactions.filter((t) => t.event_time <= horizonAt).length;
      await waitFor(async () => (await produced()) >= upToHorizon, 30_000, 'the stream up to the horizon');
      await new Promise((resolve) => setTimeout(resolve, 1_000)); // a second is 8 h at this pace
      expect(await produced()).toBe(upToHorizon);
      const atHorizon = (await (await fetch(`${url}/simulation`)).json()) as Record<string, unknown>;
      expect(atHorizon).toMatchObject({
        paused: false,
        atHorizon: true,
        horizon: horizonAt,
        horizonWaits: 1,
        reason: 'the monitor is behind',
      });

      await horizon({ eventTime: null });
      await waitFor(
        async () => (await produced()) === dataset.transactions.length,
        30_000,
        'the rest of the stream once the horizon is lifted',
      );
    } finally {
      await reader.disconnect();
      await raw.disconnect();
      await admin.disconnect();
    }
  });

  it('holds its clock from a retrain request until the trainer answers it', async () => {
    const { kafka, serde } = testClients();
    const tx = await createTestTopic(kafka, serde, 'simapp-tx', 'tx.transactions.v1.avsc');
    const labels = await createTestTopic(kafka, serde, 'simapp-labels', 'fraud.labels.v1.avsc');
    const requests = await createTestTopic(kafka, serde, 'simapp-requests', 'ml.retrain-requests.v1.avsc');
    const deployments = await createTestTopic(
      kafka,
      serde,
      'simapp-deployments',
      'ml.model-deployments.v1.avsc',
    );
    const holdGroup = uniqueName('simapp-hold');
    const url = await boot({
      SIMULATOR_AUTOSTART: 'true',
      SIM_SEED: '5',
      SIM_DAYS: '3',
      SIM_CUSTOMERS: '30',
      SIM_TERMINALS: '60',
      SIM_DAY_SECONDS: '4',
      SIM_ANALYST_CAPACITY: '0',
      SIM_HOLD_WHILE_RETRAINING: 'true',
      SIM_RETRAIN_REQUESTS_TOPIC: requests.name,
      SIM_DEPLOYMENTS_TOPIC: deployments.name,
      SIM_HOLD_GROUP_ID: holdGroup,
      SIM_TRANSACTIONS_TOPIC: tx.name,
      SIM_LABELS_TOPIC: labels.name,
      KAFKA_CLIENT_ID: uniqueName('simapp'),
    });
    const admin = kafka.admin();
    await admin.connect();
    const raw = createIdempotentProducer(kafka);
    await raw.connect();
    const producer = new AvroProducer(raw, serde);
    const simulation = async () =>
      ((await (await fetch(`${url}/health`)).json()) as Health).components.simulation?.details;
    try {
      await waitFor(
        async () => (await admin.describeGroups([holdGroup])).groups[0]?.state === 'Stable',
        30_000,
        'the hold consumer to join',
      );
      const request = SAMPLE_RECORDS['ml.retrain-requests.v1'];
      await producer.sendMany([
        { topic: requests.name, records: [{ key: request.request_id, value: request }] },
      ]);
      const held = await waitFor(
        async () => ((await simulation())?.paused ? simulation() : null),
        30_000,
        'the hold',
      );
      expect(held?.retrainHold).toMatchObject({ holding: true, holds: 1 });
      const answer = SAMPLE_RECORDS['ml.model-deployments.v1'];
      expect(answer.request_id).toBe(request.request_id);
      await producer.sendMany([
        { topic: deployments.name, records: [{ key: answer.model_version, value: answer }] },
      ]);
      const released = await waitFor(
        async () => ((await simulation())?.paused === false ? simulation() : null),
        30_000,
        'the release',
      );
      expect(released?.retrainHold).toMatchObject({ holding: false, holds: 1 });
      await waitFor(async () => (await simulation())?.finished, 60_000, 'the rest of the stream');
    } finally {
      await raw.disconnect();
      await admin.disconnect();
    }
  });
});
