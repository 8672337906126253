import { randomBytes } from 'node:crypto';
import type { Label, Transaction } from '@fraudstream/contracts';
import type { AvroProducer, OutgoingRecord } from '@fraudstream/kafka';
import { CardTokeniser, TokenKey, isCardToken, tokenKeyId, tokenWith } from '@fraudstream/pii';
import { TransactionSimulator, simulatedCardNumber, type SimulationEvent } from '@fraudstream/simulation';
import { describe, expect, it } from 'vitest';
import { CardIngress } from './card-ingress';
import { KafkaSimulationSink } from './simulation.sink';

type Sent = { topic: string; records: readonly OutgoingRecord<unknown>[] };

function fakeProducer(): { producer: AvroProducer; sent: Sent[] } {
  const sent: Sent[] = [];
  const producer = {
    sendMany: (batches: readonly Sent[]) => {
      sent.push(...batches);
      return Promise.resolve();
    },
  } as unknown as AvroProducer;
  return { producer, sent };
}

const topics = { transactions: 'tx', labels: 'labels' };
const newKey = () => TokenKey.fromBase64(randomBytes(32).toString('base64'), 'test key');

/** Ten days of a small population: chargebacks fall due days after their payments. */
function simulatedEvents(): { simulator: TransactionSimulator; events: SimulationEvent[] } {
  const simulator = new TransactionSimulator({ seed: 3, days: 10, customers: 80, terminals: 160 });
  const events: SimulationEvent[] = [];
  while (simulator.hasNextDay) events.push(...simulator.nextDay());
  // The ingress maps the customers of this run's population; a fresh one generates the same events.
  return {
    simulator: new TransactionSimulator({ seed: 3, days: 10, customers: 80, terminals: 160 }),
    events,
  };
}

describe(KafkaSimulationSink.name, () => {
  it('publishes card tokens only: no record holds a card number or a simulator card id', async () => {
    const { simulator, events } = simulatedEvents();
    const key = newKey();
    const { producer, sent } = fakeProducer();
    const sink = new KafkaSimulationSink(
      producer,
      CardIngress.forSimulator(new CardTokeniser([{ key, from: null }]), simulator),
      topics,
      { now: () => 0, sleep: () => Promise.resolve() },
    );
    await sink.write(events);

    const transactions = sent.filter((s) => s.topic === 'tx').flatMap((s) => s.records);
    const labels = sent.filter((s) => s.topic === 'labels').flatMap((s) => s.records);
    expect(transactions.length).toBe(events.filter((e) => e.kind === 'transaction').length);
    expect(labels.length).toBeGreaterThan(0);
    const bytes = JSON.stringify(sent);
    const raw = simulator.population.customers.flatMap((c) => [c.id, simulatedCardNumber(3, c.index)]);
    expect(raw.filter((id) => bytes.includes(id))).toEqual([]);

    const source = new Map(
      events.flatMap((e) =>
        e.kind === 'transaction' ? [[e.transaction.transaction_id, e.transaction]] : [],
      ),
    );
    for (const record of transactions) {
      const tx = record.value as Transaction;
      const original = source.get(tx.transaction_id);
      const pan = simulatedCardNumber(3, Number(original?.card_id.slice('card-'.length)));
      expect(tx.card_id).toBe(tokenWith(key, pan));
      expect(record.key).toBe(tx.card_id);
      expect({ ...tx, card_id: original?.card_id, ingest_time: 0 }).toEqual({
        ...original,
        card_token_next: null,
        ingest_time: 0,
      });
    }
    const tokenOf = new Map(transactions.map((r) => [(r.value as Transaction).transaction_id, r.key]));
    for (const record of labels) {
      const label = record.value as Label;
      expect(isCardToken(label.card_id)).toBe(true);
      // Chargebacks due on the simulated days name payments of earlier days of this stream, or of
      // before day 0, whose token is then the same card's.
      const paymentToken = tokenOf.get(label.transaction_id);
      if (paymentToken !== undefined) expect(label.card_id).toBe(paymentToken);
    }
  });

  it("tokenises across a key rotation: each payment with its time's key and the next key's token before the cutover, a chargeback with its payment's key", async () => {
    const { simulator, events } = simulatedEvents();
    const previous = newKey();
    const current = newKey();
    const rotation = simulator.dayStart(5);
    const ingress = CardIngress.forSimulator(
      new CardTokeniser([
        { key: previous, from: null },
        { key: current, from: rotation },
      ]),
      simulator,
    );
    const { producer, sent } = fakeProducer();
    await new KafkaSimulationSink(producer, ingress, topics).write(events);

    const records = sent.flatMap((s) => s.records);
    const txs = records.map((r) => r.value).filter((v): v is Transaction => 'amount' in (v as object));
    const labels = records.map((r) => r.value).filter((v): v is Label => 'source' in (v as object));
    for (const tx of txs) {
      expect(tokenKeyId(tx.card_id)).toBe((tx.event_time < rotation ? previous : current).keyId);
      // Before the cutover the next key's token goes along (the bridge that keeps card windows).
      if (tx.event_time < rotation) expect(tokenKeyId(tx.card_token_next ?? '')).toBe(current.keyId);
      else expect(tx.card_token_next).toBeNull();
    }
    // The bridge names the same token the card has from the cutover on.
    const sourceCard = new Map(
      events.flatMap((e) =>
        e.kind === 'transaction' ? [[e.transaction.transaction_id, e.transaction.card_id]] : [],
      ),
    );
    const tokensOf = (pick: (tx: Transaction) => string | null | undefined, before: boolean) => {
      const tokens = new Map<string, Set<string>>();
      for (const tx of txs.filter((t) => t.event_time < rotation === before)) {
        const card = sourceCard.get(tx.transaction_id) ?? '';
        tokens.set(card, (tokens.get(card) ?? new Set()).add(pick(tx) ?? ''));
      }
      return tokens;
    };
    const bridged = tokensOf((tx) => tx.card_token_next, true);
    const after = tokensOf((tx) => tx.card_id, false);
    const both = [...after.keys()].filter((card) => bridged.has(card));
    expect(both.length).toBeGreaterThan(50);
    for (const card of both) expect([...(bridged.get(card) ?? [])]).toEqual([...(after.get(card) ?? [])]);
    const straddling = labels.filter((l) => l.transaction_time < rotation && l.event_time >= rotation);
    expect(straddling.length).toBeGreaterThan(0);
    const byId = new Map(txs.map((t) => [t.transaction_id, t.card_id]));
    for (const label of straddling) {
      expect(tokenKeyId(label.card_id)).toBe(previous.keyId);
      const paymentToken = byId.get(label.transaction_id);
      if (paymentToken !== undefined) expect(label.card_id).toBe(paymentToken);
    }
  });
});

describe(CardIngress.name, () => {
  it("tokenises a bank file's own card ids, and refuses a card outside the simulated population", () => {
    const key = newKey();
    const tokeniser = new CardTokeniser([{ key, from: null }]);
    expect(CardIngress.forFile(tokeniser).token('CUST-0042', 0)).toBe(tokenWith(key, 'CUST-0042'));
    expect(() => CardIngress.forFile(tokeniser).token('', 0)).toThrow(/empty card identifier/);
    const { simulator } = simulatedEvents();
    expect(() => CardIngress.forSimulator(tokeniser, simulator).token('card-999999', 0)).toThrow(
      'card card-999999 is not a customer of the simulated population',
    );
  });
});
