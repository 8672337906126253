import { StreamConsumer, type Kafka, type Producer } from '@fraudstream/kafka';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { committedOffset, createPlainTopic, testClientsWithProducer, uniqueName } from '../support/kafka-env';
import { waitFor } from '../support/wait-for';

const MESSAGES = 400;

describe(`${StreamConsumer.name} (exactly-once, group commit)`, () => {
  let kafka: Kafka;
  let producer: Producer;

  beforeAll(async () => {
    ({ kafka, producer } = await testClientsWithProducer());
  });
  afterAll(() => producer.disconnect());

  it('tells each batch the committed offset, below its own while earlier batches wait for their transaction', async () => {
    const input = uniqueName('group-in');
    const output = uniqueName('group-out');
    await createPlainTopic(kafka, input);
    await createPlainTopic(kafka, `${input}.dlq`);
    await createPlainTopic(kafka, output);
    // In record batches of ten (a fetch returns at least one whole record batch).
    for (let i = 0; i < MESSAGES; i += 10) {
      await producer.send({
        topic: input,
        messages: Array.from({ length: 10 }, (_, k) => ({ key: 'k', value: `m${i + k}:${'x'.repeat(80)}` })),
      });
    }

    const groupId = uniqueName('group-group');
    // What each handled batch saw: its first offset and the committed offset it was told.
    const seen: { first: number; committed: string | undefined }[] = [];
    const consumer = new StreamConsumer<string>({
      kafka,
      producer,
      serde: null,
      groupId,
      topics: [input],
      fromBeginning: true,
      // About ten messages a fetch: many batches, several handled while one transaction commits.
      maxBytesPerPartition: 1024,
      exactlyOnce: { transactionalIdPrefix: groupId, handleWhileCommitting: true },
      validate: (value) => (value as Buffer).toString(),
      handle: async (messages, context) => {
        seen.push({ first: Number(messages[0]?.offset ?? -1), committed: context.committedOffset });
        return {
          deliver: async (sink) => {
            await sink.sendBatch({
              topicMessages: [
                { topic: output, messages: messages.map((m) => ({ key: 'k', value: m.value })) },
              ],
            });
          },
        };
      },
    });
    await consumer.start();
    try {
      await waitFor(
        async () => (await committedOffset(kafka, groupId, input)) === String(MESSAGES),
        60_000,
        'the committed offset past every message',
      );
    } finally {
      await consumer.stop();
    }

    expect(seen.length).toBeGreaterThan(10);
    const committed = seen.map((s) => Number(s.committed));
    // Always told, never past the batch itself, never going back.
    expect(seen.every((s) => s.committed !== undefined)).toBe(true);
    expect(seen.every((s, i) => (committed[i] ?? Infinity) <= s.first)).toBe(true);
    expect(committed.every((c, i) => i === 0 || c >= (committed[i - 1] ?? 0))).toBe(true);
    expect(committed[0]).toBe(0);
    // Batches handled while an earlier one was not committed, and the offset moving as they commit.
    expect(seen.filter((s, i) => (committed[i] ?? 0) < s.first).length).toBeGreaterThan(0);
    expect(Math.max(...committed)).toBeGreaterThan(0);
  });
});
