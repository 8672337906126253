import type { ProducerBatch } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { DeadLetterHeaders, DeadLetterPublisher, type DeadLetter } from './dead-letter.publisher';

function capture() {
  const batches: ProducerBatch[] = [];
  return {
    batches,
    producer: {
      sendBatch: async (batch: ProducerBatch) => {
        batches.push(batch);
        return [];
      },
    },
  };
}

const letter = (value: Buffer): DeadLetter => ({
  topic: 'tx',
  partition: 2,
  offset: '41',
  key: Buffer.from('card-1'),
  value,
  headers: { origin: 'fuzzer' },
  reason: 'validation',
  error: 'invalid transaction: terminal_id is longer than 128 characters',
});

describe(DeadLetterPublisher.name, () => {
  it('keeps a large value to its first 64 KiB and says how large it was', async () => {
    const { batches, producer } = capture();
    const big = Buffer.alloc(1_048_000, 7);
    await new DeadLetterPublisher(producer).publish([letter(big)]);
    const [sent] = batches[0]?.topicMessages ?? [];
    expect(sent?.topic).toBe('tx.dlq');
    const message = sent?.messages[0];
    expect((message?.value as Buffer).length).toBe(65_536);
    expect(String(message?.headers?.[DeadLetterHeaders.valueBytes])).toBe('1048000');
    expect(String(message?.headers?.[DeadLetterHeaders.truncated])).toBe('true');
    expect(String(message?.headers?.[DeadLetterHeaders.sourceOffset])).toBe('41');
    expect(String(message?.headers?.origin)).toBe('fuzzer');
  });

  it('sends a small value as it was', async () => {
    const { batches, producer } = capture();
    await new DeadLetterPublisher(producer).publish([letter(Buffer.from('abc'))]);
    const message = batches[0]?.topicMessages?.[0]?.messages[0];
    expect(message?.value).toEqual(Buffer.from('abc'));
    expect(String(message?.headers?.[DeadLetterHeaders.truncated])).toBe('false');
    expect(String(message?.headers?.[DeadLetterHeaders.reason])).toBe('validation');
  });

  it('sends the letters of a batch one by one, bare, when together they are over the limit', async () => {
    const batches: ProducerBatch[] = [];
    let calls = 0;
    const producer = {
      sendBatch: async (batch: ProducerBatch) => {
        if (++calls === 1)
          throw Object.assign(new Error('too large'), {
            name: 'KafkaJSProtocolError',
            type: 'MESSAGE_TOO_LARGE',
          });
        batches.push(batch);
        return [];
      },
    };
    await new DeadLetterPublisher(producer).publish([letter(Buffer.alloc(70_000)), letter(Buffer.alloc(10))]);
    expect(batches).toHaveLength(2);
    expect((batches[0]?.topicMessages?.[0]?.messages[0]?.value as Buffer).length).toBe(1024);
  });
});
