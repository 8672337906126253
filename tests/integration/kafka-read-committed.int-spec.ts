/*
 * What a read_committed reader of the transport sees of a partition that several transactional
 * producers write at once, as the scorers' output topics are written (one producer per input
 * partition), when their transactions abort together (a broker restart): never an aborted record,
 * whatever offset the reader starts at. kafkajs 2.2.4 alone handed on the aborted records of the
 * second of two overlapping transactions to a reader starting inside them (duplicate scores after a
 * broker restart, docs/reliability.md).
 */
import { withoutAbortedRecords, type AvroSerde, type Kafka } from '@fraudstream/kafka';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestTopic, testClients, uniqueName } from '../support/kafka-env';
import { readUntil } from '../support/read-topic';

describe(`read_committed readers (${withoutAbortedRecords.name} in place of kafkajs's filter)`, () => {
  let kafka: Kafka;
  let serde: AvroSerde;
  const producers: ReturnType<Kafka['producer']>[] = [];

  beforeAll(() => {
    ({ kafka, serde } = testClients());
  });
  afterAll(async () => {
    for (const p of producers) await p.disconnect().catch(() => undefined);
  });

  it('never sees the records of overlapping aborted transactions, from any start offset', async () => {
    const { name: topic } = await createTestTopic(kafka, serde, 'read-committed', null);
    const producer = async (name: string) => {
      const p = kafka.producer({
        transactionalId: uniqueName(name),
        idempotent: true,
        maxInFlightRequests: 1,
      });
      await p.connect();
      producers.push(p);
      return p;
    };
    const [a, b, c] = await Promise.all([producer('a'), producer('b'), producer('c')]);
    const committed = await c.transaction();
    await committed.send({ topic, messages: [{ value: 'c-0' }] });
    await committed.commit();
    // Offsets: c-0 0, marker 1, then a-1 2, b-1 3, a-2 4, b-2 5, both aborted (markers 6, 7), c-1 8.
    const [ta, tb] = [await a.transaction(), await b.transaction()];
    await ta.send({ topic, messages: [{ value: 'a-1' }] });
    await tb.send({ topic, messages: [{ value: 'b-1' }] });
    await ta.send({ topic, messages: [{ value: 'a-2' }] });
    await tb.send({ topic, messages: [{ value: 'b-2' }] });
    await ta.abort();
    await tb.abort();
    const last = await c.transaction();
    await last.send({ topic, messages: [{ value: 'c-1' }, { value: 'end' }] });
    await last.commit();

    for (const start of [0, 3, 5]) {
      const expected = start === 0 ? ['c-0', 'c-1'] : ['c-1'];
      expect(await readUntil(kafka, topic, 'end', start), `read from offset ${start}`).toEqual(expected);
    }
  });
});
