import type { Transaction } from '@fraudstream/contracts';
import {
  AvroProducer,
  StreamConsumer,
  type AvroSerde,
  type BatchContext,
  type Kafka,
  type Producer,
} from '@fraudstream/kafka';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestTopic, testClientsWithProducer, uniqueName } from '../support/kafka-env';
import { SAMPLE_RECORDS } from '../support/sample-records';
import { waitFor } from '../support/wait-for';

/*
 * What a consumer that replays a backlog needs from the transport (the drift monitor holds its
 * watermarks with it): which partitions its group starts behind on, and whether a batch reached its
 * partition's end. Also that stop() leaves the handled batches committed (commits are queued off the
 * fetch path).
 */
describe('StreamConsumer backlog and batch progress', () => {
  let kafka: Kafka;
  let serde: AvroSerde;
  let producer: Producer;

  beforeAll(async () => {
    ({ kafka, serde, producer } = await testClientsWithProducer());
  });
  afterAll(() => producer.disconnect());

  async function send(topic: string, from: number, count: number): Promise<void> {
    const records = Array.from({ length: count }, (_, i) => {
      const tx: Transaction = {
        ...SAMPLE_RECORDS['tx.transactions.v1'],
        transaction_id: `tx-${from + i}`,
        card_id: `card-${(from + i) % 23}`,
      };
      return { key: tx.card_id, value: tx };
    });
    await new AvroProducer(producer, serde).sendMany([{ topic, records }]);
  }

  it('lists the partitions a group starts behind on and flags the batch that reaches a partition end', async () => {
    const topic = await createTestTopic(kafka, serde, 'backlog', 'tx.transactions.v1.avsc', 3);
    // Six produce requests: six record batches a partition, which the broker hands out one per fetch
    // at this fetch size.
    for (let i = 0; i < 6; i++) await send(topic.name, i * 100, 100);
    const groupId = uniqueName('backlog-group');
    const seen: { partition: number; count: number; caughtUp: boolean }[] = [];
    const consumer = (fromBeginning: boolean, group = groupId) =>
      new StreamConsumer<Transaction>({
        kafka,
        producer,
        serde,
        groupId: group,
        topics: [topic.name],
        fromBeginning,
        maxBytesPerPartition: 4096, // several batches per partition
        validate: (v) => v as Transaction,
        handle: (messages, context: BatchContext) => {
          seen.push({ partition: context.partition, count: messages.length, caughtUp: context.caughtUp });
          return Promise.resolve();
        },
      });

    const all = [0, 1, 2].map((partition) => ({ topic: topic.name, partition }));
    expect((await consumer(true).backlog()).sort((a, b) => a.partition - b.partition)).toEqual(all);
    // A new group that starts at the end has nothing behind it.
    expect(await consumer(false, uniqueName('backlog-latest')).backlog()).toEqual([]);

    const first = consumer(true);
    await first.start();
    await waitFor(() => seen.reduce((n, s) => n + s.count, 0) >= 600, 30_000);
    await first.stop();
    for (const p of [0, 1, 2]) {
      const batches = seen.filter((s) => s.partition === p);
      expect(batches.length).toBeGreaterThan(1);
      expect(batches.at(-1)?.caughtUp).toBe(true);
      expect(batches.slice(0, -1).every((b) => !b.caughtUp)).toBe(true);
    }

    // stop() left every handled batch committed: the group is behind on nothing.
    expect(await consumer(true).backlog()).toEqual([]);
    await send(topic.name, 600, 1); // one record: one partition behind
    expect(await consumer(true).backlog()).toHaveLength(1);
  });

  it('deletes an ephemeral group when it stops, and keeps a shared one', async () => {
    const topic = await createTestTopic(kafka, serde, 'ephemeral', 'tx.transactions.v1.avsc');
    await send(topic.name, 0, 5);
    const groups = async () => (await withAdmin((admin) => admin.listGroups())).groups.map((g) => g.groupId);
    const run = async (groupId: string, ephemeralGroup: boolean) => {
      let handled = 0;
      const consumer = new StreamConsumer<Transaction>({
        kafka,
        producer,
        serde,
        groupId,
        topics: [topic.name],
        fromBeginning: true,
        ephemeralGroup,
        validate: (v) => v as Transaction,
        handle: (messages) => {
          handled += messages.length;
          return Promise.resolve();
        },
      });
      await consumer.start();
      await waitFor(() => handled >= 5, 30_000, `${groupId} handled`);
      expect(await groups()).toContain(groupId);
      await consumer.stop();
    };
    const ephemeral = uniqueName('ephemeral');
    const shared = uniqueName('shared');
    await run(ephemeral, true);
    await run(shared, false);
    const left = await groups();
    expect(left).not.toContain(ephemeral);
    expect(left).toContain(shared);
  });

  async function withAdmin<T>(work: (admin: ReturnType<Kafka['admin']>) => Promise<T>): Promise<T> {
    const admin = kafka.admin();
    await admin.connect();
    try {
      return await work(admin);
    } finally {
      await admin.disconnect();
    }
  }
});
