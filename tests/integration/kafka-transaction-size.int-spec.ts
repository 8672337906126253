import { DeadLetterHeaders, StreamConsumer, type Kafka, type Producer } from '@fraudstream/kafka';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { committedOffset, createPlainTopic, testClientsWithProducer, uniqueName } from '../support/kafka-env';
import { readTopic, readUntil, type TopicRecord } from '../support/read-topic';
import { waitFor } from '../support/wait-for';

/** The output topic's `max.message.bytes`: a produce request's record batch over it is refused. */
const OUTPUT_LIMIT = 2048;

describe(`${StreamConsumer.name} (exactly-once, a transaction over the broker's size limit)`, () => {
  let kafka: Kafka;
  let producer: Producer;

  beforeAll(async () => {
    ({ kafka, producer } = await testClientsWithProducer());
  });
  afterAll(() => producer.disconnect());

  it('commits a batch whose outputs are too large together message by message, and dead-letters the one too large alone', async () => {
    const input = uniqueName('size-in');
    const output = uniqueName('size-out');
    await createPlainTopic(kafka, input);
    await createPlainTopic(kafka, `${input}.dlq`);
    await createPlainTopic(kafka, output, OUTPUT_LIMIT);
    // Each input asks for an output of its size: each small one fits the limit alone, the five of
    // them together (one record batch in one produce request) do not; `m2` does not fit alone.
    const sizes = [600, 600, 5000, 600, 600];
    await producer.send({
      topic: input,
      messages: sizes.map((size, i) => ({ key: 'k', value: `m${i}:${size}` })),
    });

    const groupId = uniqueName('size-group');
    const handled: number[] = [];
    const consumer = new StreamConsumer<string>({
      kafka,
      producer,
      serde: null,
      groupId,
      topics: [input],
      fromBeginning: true,
      exactlyOnce: { transactionalIdPrefix: groupId },
      validate: (value) => (value as Buffer).toString(),
      handle: async (messages) => {
        handled.push(messages.length);
        return {
          deliver: async (sink) => {
            await sink.sendBatch({
              topicMessages: [
                {
                  topic: output,
                  messages: messages.map((m) => {
                    const [id = '', size = '0'] = m.value.split(':');
                    return { key: 'k', value: `${id}:${'x'.repeat(Number(size))}` };
                  }),
                },
              ],
            });
          },
        };
      },
    });
    await consumer.start();
    try {
      await waitFor(
        async () => (await committedOffset(kafka, groupId, input)) === '5',
        60_000,
        'the committed offset past the five messages',
      );
    } finally {
      await consumer.stop();
    }
    // One batch of five, refused; then each message handled alone.
    expect(handled).toEqual([5, 1, 1, 1, 1, 1]);

    await producer.send({ topic: output, messages: [{ key: 'k', value: 'end' }] });
    const outputs = await readUntil(kafka, output, 'end');
    expect(outputs.map((v) => v.split(':')[0])).toEqual(['m0', 'm1', 'm3', 'm4']);

    await producer.send({ topic: `${input}.dlq`, messages: [{ key: 'k', value: 'end' }] });
    expect(await readUntil(kafka, `${input}.dlq`, 'end')).toEqual(['m2:5000']);
    const letters: TopicRecord[] = await readTopic(kafka, `${input}.dlq`, 1);
    expect(letters[0]?.headers[DeadLetterHeaders.reason]).toBe('oversized');
    expect(letters[0]?.headers[DeadLetterHeaders.sourceOffset]).toBe('2');
  });
});
