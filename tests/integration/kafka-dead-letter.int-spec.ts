import { ValidationError, type Transaction } from '@fraudstream/contracts';
import {
  type AvroSerde,
  DeadLetterHeaders,
  StreamConsumer,
  type Kafka,
  type Producer,
} from '@fraudstream/kafka';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestTopic, testClientsWithProducer, uniqueName } from '../support/kafka-env';
import { SAMPLE_RECORDS } from '../support/sample-records';
import { readTopic } from '../support/read-topic';
import { waitFor } from '../support/wait-for';

function validateTransaction(value: unknown): Transaction {
  const tx = value as Transaction;
  if (!(tx.amount >= 0)) throw new ValidationError(`amount must be >= 0, got ${tx.amount}`);
  return tx;
}

describe(StreamConsumer.name, () => {
  let kafka: Kafka;
  let serde: AvroSerde;
  let producer: Producer;

  beforeAll(async () => {
    ({ kafka, serde, producer } = await testClientsWithProducer());
  });
  afterAll(() => producer.disconnect());

  it('dead-letters undecodable, unknown-schema and invalid messages with their provenance while the partition moves on', async () => {
    const topic = await createTestTopic(kafka, serde, 'dlq', 'tx.transactions.v1.avsc');
    const good = (id: string): Transaction => ({
      ...SAMPLE_RECORDS['tx.transactions.v1'],
      transaction_id: id,
    });
    const garbage = Buffer.from('not avro at all');
    const unknownSchema = Buffer.concat([Buffer.from([0, 0x7f, 0xff, 0xff, 0xf0]), Buffer.from([2, 4, 6])]);
    await producer.send({
      topic: topic.name,
      messages: [
        { key: 'c', value: await serde.encode(topic.name, good('tx-a')) },
        { key: 'c', value: garbage, headers: { origin: 'fuzzer' } },
        { key: 'c', value: unknownSchema },
        { key: 'c', value: await serde.encode(topic.name, { ...good('tx-neg'), amount: -5 }) },
        { key: 'c', value: await serde.encode(topic.name, good('tx-b')) },
      ],
    });

    const handled: string[] = [];
    const groupId = uniqueName('dlq-group');
    const consumer = new StreamConsumer<Transaction>({
      kafka,
      producer,
      serde,
      groupId,
      topics: [topic.name],
      fromBeginning: true,
      validate: validateTransaction,
      handle: async (messages) => {
        handled.push(...messages.map((m) => m.value.transaction_id));
        return {};
      },
    });
    await consumer.start();
    await waitFor(() => handled.length >= 2, 30_000, 'the two good transactions');

    const letters = await readTopic(kafka, topic.dlq, 3);
    await waitFor(
      async () => {
        const admin = kafka.admin();
        await admin.connect();
        const offsets = await admin.fetchOffsets({ groupId, topics: [topic.name] });
        await admin.disconnect();
        return offsets[0]?.partitions[0]?.offset === '5';
      },
      30_000,
      'the committed offset past all five messages',
    );
    await consumer.stop();

    expect(handled).toEqual(['tx-a', 'tx-b']);
    expect(letters.map((l) => l.headers[DeadLetterHeaders.reason])).toEqual([
      'decode',
      'unknown-schema',
      'validation',
    ]);
    expect(letters.map((l) => l.headers[DeadLetterHeaders.sourceOffset])).toEqual(['1', '2', '3']);
    for (const letter of letters) {
      expect(letter.headers[DeadLetterHeaders.sourceTopic]).toBe(topic.name);
      expect(letter.headers[DeadLetterHeaders.sourcePartition]).toBe('0');
      expect(letter.headers[DeadLetterHeaders.error]?.length).toBeGreaterThan(10);
    }
    expect(letters[0]?.value).toEqual(garbage);
    expect(letters[0]?.headers.origin).toBe('fuzzer');
    expect(letters[1]?.value).toEqual(unknownSchema);
    expect(letters[2]?.headers[DeadLetterHeaders.error]).toContain('amount must be >= 0');
  });

  it('isolates a message its handler cannot process and still handles the rest of the batch', async () => {
    const topic = await createTestTopic(kafka, serde, 'dlq-handler', 'tx.transactions.v1.avsc');
    const ids = ['ok-1', 'boom', 'ok-2'];
    await producer.send({
      topic: topic.name,
      messages: await Promise.all(
        ids.map(async (id) => ({
          key: 'c',
          value: await serde.encode(topic.name, {
            ...SAMPLE_RECORDS['tx.transactions.v1'],
            transaction_id: id,
          }),
        })),
      ),
    });
    const handled: string[] = [];
    const consumer = new StreamConsumer<Transaction>({
      kafka,
      producer,
      serde,
      groupId: uniqueName('dlq-handler-group'),
      topics: [topic.name],
      fromBeginning: true,
      validate: validateTransaction,
      handle: async (messages) => {
        if (messages.some((m) => m.value.transaction_id === 'boom')) throw new Error('cannot score boom');
        handled.push(...messages.map((m) => m.value.transaction_id));
        return {};
      },
    });
    await consumer.start();
    const letters = await readTopic(kafka, topic.dlq, 1);
    await waitFor(() => handled.length >= 2, 30_000, 'the other two messages');
    await consumer.stop();
    expect(handled).toEqual(['ok-1', 'ok-2']);
    expect(letters[0]?.headers[DeadLetterHeaders.reason]).toBe('handler');
    expect(letters[0]?.headers[DeadLetterHeaders.error]).toContain('cannot score boom');
    expect(letters[0]?.headers[DeadLetterHeaders.sourceOffset]).toBe('1');
  });
});
