import type { ProducerBatch } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { TransactionOutputs } from './transaction-outputs';

const batch = (...values: string[]): ProducerBatch => ({
  topicMessages: [{ topic: 'scores', messages: values.map((value) => ({ value })) }],
});

describe(TransactionOutputs.name, () => {
  it('keeps the records of successful delivery attempts only, in order', async () => {
    const outputs = new TransactionOutputs();
    await outputs.delivery(async (sink) => void (await sink.sendBatch(batch('a', 'b'))));
    // An attempt that sent part of its records and then failed (the registry away) leaves nothing.
    await expect(
      outputs.delivery(async (sink) => {
        await sink.sendBatch(batch('c'));
        throw new Error('registry away');
      }),
    ).rejects.toThrow('registry away');
    await outputs.delivery(async (sink) => void (await sink.sendBatch(batch('c'))));
    expect(outputs.records).toBe(3);
    const sent: string[] = [];
    await outputs.sendTo({
      sendBatch: (b) => {
        for (const t of b.topicMessages ?? []) for (const m of t.messages) sent.push(String(m.value));
        return Promise.resolve([]);
      },
    });
    expect(sent).toEqual(['a', 'b', 'c']);
  });
});
