/*
 * readTopicRange against the real broker: the records below an end offset per partition with their
 * places and headers, each once; a paused partition fetched only once resumed; a handler's failure
 * ending the read at once, its batch not handed over again.
 */
import type { Producer } from '@fraudstream/kafka';
import { readTopicRange, type TopicRecord } from '@fraudstream/kafka';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestTopic, testClientsWithProducer } from '../support/kafka-env';

const PARTITIONS = 2;
const PER_PARTITION = 40;

describe(readTopicRange.name, () => {
  let clients: Awaited<ReturnType<typeof testClientsWithProducer>>;
  let topic: string;

  beforeAll(async () => {
    clients = await testClientsWithProducer();
    topic = (await createTestTopic(clients.kafka, clients.serde, 'range', null, PARTITIONS)).name;
    const producer: Producer = clients.producer;
    for (let p = 0; p < PARTITIONS; p++)
      await producer.send({
        topic,
        messages: Array.from({ length: PER_PARTITION }, (_, i) => ({
          partition: p,
          value: `p${p}-${i}`,
          headers: { n: String(i) },
        })),
      });
  });
  afterAll(() => clients.producer.disconnect());

  it('hands over each record below its partition end once, in offset order, with its place and headers', async () => {
    const seen: TopicRecord[] = [];
    let planned: readonly number[] = [];
    const ended: number[] = [];
    const firsts = await readTopicRange(clients.kafka, topic, (r) => void seen.push(r), {
      ends: new Map([
        [0, 25],
        [1, PER_PARTITION + 100],
      ]),
      onPlan: (partitions) => (planned = partitions),
      onPartitionEnd: (p) => ended.push(p),
    });
    expect(planned).toEqual([0, 1]);
    expect(ended.sort()).toEqual([0, 1]);
    expect(Object.fromEntries(firsts)).toEqual({ 0: 0, 1: 0 });
    const of = (p: number) => seen.filter((r) => r.partition === p);
    expect(of(0).map((r) => r.offset)).toEqual(Array.from({ length: 25 }, (_, i) => i));
    expect(of(1).map((r) => r.value?.toString())).toEqual(
      Array.from({ length: PER_PARTITION }, (_, i) => `p1-${i}`),
    );
    expect(of(0)[7]?.headers?.n?.toString()).toBe('7');
  });

  it('does not fetch a paused partition until it is resumed', async () => {
    // Each partition in turn is paused from the start and resumed by the other's last record: the
    // other's records all come first, whichever order the fetches would have had.
    for (const paused of [0, 1]) {
      const other = 1 - paused;
      const order: number[] = [];
      let resume: (() => void) | null = null;
      await readTopicRange(
        clients.kafka,
        topic,
        (r) => {
          order.push(r.partition);
          if (r.partition === other && r.offset === PER_PARTITION - 1) resume?.();
        },
        {
          onPlan: (_, flow) => {
            flow.pause(paused);
            resume = () => flow.resume(paused);
          },
        },
      );
      expect(order).toHaveLength(PARTITIONS * PER_PARTITION);
      expect(order.slice(0, PER_PARTITION)).toEqual(Array.from({ length: PER_PARTITION }, () => other));
    }
  });

  it("fails at once with the handler's error, without handing its batch over again", async () => {
    const handled: string[] = [];
    const reading = readTopicRange(
      clients.kafka,
      topic,
      (r) => {
        handled.push(`${r.partition}:${r.offset}`);
        if (handled.length === 5) throw new Error('the store went away');
      },
      { ends: new Map([[0, PER_PARTITION]]) },
    );
    await expect(reading).rejects.toThrow('the store went away');
    expect(handled).toEqual(['0:0', '0:1', '0:2', '0:3', '0:4']);
  });
});
