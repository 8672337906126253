import { DAY_MS, type Alert, type Label, type Transaction } from '@fraudstream/contracts';
import { AvroProducer, type AvroSerde, type Kafka, type Producer } from '@fraudstream/kafka';
import { createCardTokeniser } from '@fraudstream/pii';
import { AnalystDesk, TruthLedger, generateDataset, simulatedCardNumber } from '@fraudstream/simulation';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AnalystAlertsConsumer } from '../../apps/simulator/src/analyst-alerts.consumer';
import { parseSimulateArgs, runSimulateCommand } from '../../apps/simulator/src/cli/simulate.command';
import { loadSimulatorConfig } from '../../apps/simulator/src/simulator.config';
import { createTestTopic, testClients, testClientsWithProducer, uniqueName } from '../support/kafka-env';
import { readTopic } from '../support/read-topic';

describe('npm run simulate (Kafka)', () => {
  let kafka: Kafka;
  let serde: AvroSerde;

  beforeAll(() => {
    ({ kafka, serde } = testClients());
  });

  it('fills the transactions topic with Confluent-framed Avro, keyed by card token, and labels keyed by transaction', async () => {
    const txTopic = await createTestTopic(kafka, serde, 'sim-tx', 'tx.transactions.v1.avsc', 3);
    const labelTopic = await createTestTopic(kafka, serde, 'sim-labels', 'fraud.labels.v1.avsc');
    const args = ['--seed', '7', '--days', '3', '--customers', '60', '--terminals', '120'];
    const command = parseSimulateArgs([
      ...args,
      '--transactions-topic',
      txTopic.name,
      '--labels-topic',
      labelTopic.name,
      '--batch-size',
      '500',
      '--quiet',
    ]);
    const summary = await runSimulateCommand(command);
    const expected = generateDataset(command.simulation);
    // The command's key: the same configuration (here the local key, none being set).
    const tokeniser = createCardTokeniser(loadSimulatorConfig());
    const tokenOf = (card: string, eventTime: number) =>
      tokeniser.tokenise(simulatedCardNumber(7, Number(card.slice('card-'.length))), eventTime);
    expect(summary.transactions).toBe(expected.transactions.length);
    expect(expected.labels.length).toBeGreaterThan(0);

    const txRecords = await readTopic(kafka, txTopic.name, expected.transactions.length);
    const txSchemaId = await serde.valueSchemaId(txTopic.name);
    for (const r of txRecords) {
      expect(r.value.readUInt8(0)).toBe(0);
      expect(r.value.readInt32BE(1)).toBe(txSchemaId);
    }
    const decoded = await Promise.all(txRecords.map((r) => serde.decode<Transaction>(r.value)));
    expect(txRecords.map((r) => r.key)).toEqual(decoded.map((t) => t.card_id));
    const byId = new Map(decoded.map((t) => [t.transaction_id, t]));
    expect(byId.size).toBe(expected.transactions.length);
    for (const tx of expected.transactions) {
      const got = byId.get(tx.transaction_id);
      expect({ ...got, ingest_time: 0 }).toEqual({
        ...tx,
        card_id: tokenOf(tx.card_id, tx.event_time),
        card_token_next: null,
        ingest_time: 0,
      });
    }

    const labelRecords = await readTopic(kafka, labelTopic.name, expected.labels.length);
    const labels = await Promise.all(labelRecords.map((r) => serde.decode<Label>(r.value)));
    expect(labelRecords.map((r) => r.key)).toEqual(labels.map((l) => l.transaction_id));
    expect(new Set(labels.map((l) => l.transaction_id))).toEqual(
      new Set(expected.labels.map((l) => l.transaction_id)),
    );
    const labelTokens = new Map(
      expected.labels.map((l) => [l.transaction_id, tokenOf(l.card_id, l.transaction_time)]),
    );
    for (const label of labels) expect(label.card_id).toBe(labelTokens.get(label.transaction_id));
  });
});

describe(AnalystAlertsConsumer.name, () => {
  let kafka: Kafka;
  let serde: AvroSerde;
  let producer: Producer;

  beforeAll(async () => {
    ({ kafka, serde, producer } = await testClientsWithProducer());
  });
  afterAll(() => producer.disconnect());

  it('publishes the true verdict of alerted transactions, within the daily capacity', async () => {
    const alertsTopic = await createTestTopic(kafka, serde, 'sim-alerts', 'fraud.alerts.v1.avsc');
    const labelsTopic = await createTestTopic(kafka, serde, 'sim-verdicts', 'fraud.labels.v1.avsc');
    // A low large-amount threshold makes sure the day holds frauds.
    const sim = generateDataset({ seed: 5, days: 1, customers: 40, terminals: 80, largeAmountThreshold: 60 });
    expect(sim.truth.some((t) => t.is_fraud)).toBe(true);
    const ledger = new TruthLedger();
    sim.truth.forEach((t, i) => {
      const tx = sim.transactions[i];
      if (tx) ledger.record(t, tx);
    });
    const fraudIndex = sim.truth.findIndex((t) => t.is_fraud);
    const legit = sim.truth.findIndex((t) => !t.is_fraud);
    const picked = [fraudIndex, legit, legit + 1, legit + 2]
      .map((i) => sim.transactions[i])
      .filter((t) => t !== undefined);
    const alerts: Alert[] = picked.map((t) => ({
      alert_id: `alert-${t.transaction_id}`,
      kind: 'SCORE',
      raised_at: null,
      note: '',
      transaction_id: t.transaction_id,
      card_id: t.card_id,
      terminal_id: t.terminal_id,
      amount: t.amount,
      event_time: t.event_time,
      score: 0.9,
      threshold: 0.5,
      model_version: 'v1',
      severity: 'HIGH',
      reasons: [],
    }));
    const avroProducer = new AvroProducer(producer, serde);
    const analysts = new AnalystAlertsConsumer({
      kafka,
      serde,
      producer,
      avroProducer,
      desk: new AnalystDesk({ seed: 5, capacityPerDay: 3 }),
      ledger,
      alertsTopic: alertsTopic.name,
      labelsTopic: labelsTopic.name,
      groupId: uniqueName('sim-analysts'),
      fromBeginning: true,
    });
    await avroProducer.send(
      alertsTopic.name as 'fraud.alerts.v1',
      alerts.map((a) => ({ key: a.transaction_id, value: a })),
    );
    await analysts.start();
    try {
      const records = await readTopic(kafka, labelsTopic.name, 3);
      const verdicts = await Promise.all(records.map((r) => serde.decode<Label>(r.value)));
      expect(verdicts.map((l) => l.transaction_id)).toEqual(alerts.slice(0, 3).map((a) => a.transaction_id));
      const truth = new Map(sim.truth.map((t) => [t.transaction_id, t.is_fraud]));
      for (const v of verdicts) {
        expect(v.source).toBe('ANALYST');
        expect(v.is_fraud).toBe(truth.get(v.transaction_id));
      }
      expect(verdicts[0]?.is_fraud).toBe(true);
      expect(analysts.verdicts).toBe(3);
    } finally {
      await analysts.stop();
    }
  });

  it("labels a confirmed fraud's case: the card's earlier transactions, each with its true verdict", async () => {
    const alertsTopic = await createTestTopic(kafka, serde, 'sim-case-alerts', 'fraud.alerts.v1.avsc');
    const labelsTopic = await createTestTopic(kafka, serde, 'sim-case-verdicts', 'fraud.labels.v1.avsc');
    const sim = generateDataset({ seed: 5, days: 1, customers: 40, terminals: 80, largeAmountThreshold: 60 });
    const ledger = new TruthLedger();
    sim.truth.forEach((t, i) => {
      const tx = sim.transactions[i];
      if (tx) ledger.record(t, tx);
    });
    // The day's last fraud of a card with earlier payments that day.
    const earlierOf = (t: Transaction) =>
      sim.transactions.filter((o) => o.card_id === t.card_id && o.event_time < t.event_time);
    const fraud = sim.transactions.filter((t, i) => sim.truth[i]?.is_fraud && earlierOf(t).length > 0).at(-1);
    expect(fraud).toBeDefined();
    const avroProducer = new AvroProducer(producer, serde);
    const analysts = new AnalystAlertsConsumer({
      kafka,
      serde,
      producer,
      avroProducer,
      desk: new AnalystDesk({
        seed: 5,
        capacityPerDay: 1,
        caseLookbackMs: DAY_MS,
        cardHistory: (card, from, to) => ledger.cardTransactions(card, from, to),
      }),
      ledger,
      alertsTopic: alertsTopic.name,
      labelsTopic: labelsTopic.name,
      groupId: uniqueName('sim-case-analysts'),
      fromBeginning: true,
    });
    const alert: Alert = {
      alert_id: `alert-${fraud!.transaction_id}`,
      kind: 'SCORE',
      raised_at: null,
      note: '',
      transaction_id: fraud!.transaction_id,
      card_id: fraud!.card_id,
      terminal_id: fraud!.terminal_id,
      amount: fraud!.amount,
      event_time: fraud!.event_time,
      score: 0.9,
      threshold: 0.5,
      model_version: 'v1',
      severity: 'HIGH',
      reasons: [],
    };
    await avroProducer.send(alertsTopic.name as 'fraud.alerts.v1', [
      { key: alert.transaction_id, value: alert },
    ]);
    await analysts.start();
    try {
      const earlier = earlierOf(fraud!);
      const records = await readTopic(kafka, labelsTopic.name, 1 + earlier.length);
      const labels = await Promise.all(records.map((r) => serde.decode<Label>(r.value)));
      const truth = new Map(sim.truth.map((t) => [t.transaction_id, t.is_fraud]));
      expect(labels.map((l) => l.transaction_id).sort()).toEqual(
        [fraud!.transaction_id, ...earlier.map((t) => t.transaction_id)].sort(),
      );
      for (const l of labels) {
        expect([l.source, l.alert_id, l.card_id]).toEqual(['ANALYST', alert.alert_id, fraud!.card_id]);
        expect(l.is_fraud).toBe(truth.get(l.transaction_id));
      }
    } finally {
      await analysts.stop();
    }
  });
});
