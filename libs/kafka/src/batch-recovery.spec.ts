import { PoisonMessageError, RetriableError } from '@fraudstream/contracts';
import { describe, expect, it } from 'vitest';
import { BatchRecovery, type Delivery } from './batch-recovery';
import type { BatchContext, BatchOutcome, ConsumedMessage } from './stream-consumer.types';
import { RecordTooLargeError } from './transport.errors';
import { retryTransient } from './transient-retry';

const context: BatchContext = {
  topic: 't',
  partition: 0,
  caughtUp: true,
  heartbeat: () => Promise.resolve(),
  isRunning: () => true,
};

function message(id: string, offset: number): ConsumedMessage<string> {
  return {
    topic: 't',
    partition: 0,
    offset: String(offset),
    key: null,
    value: id,
    headers: undefined,
    timestamp: '0',
    raw: Buffer.from(id),
  };
}

const batch = ['a', 'b', 'c'].map(message);
/** The transport's retry without waiting. */
const retry = <R>(work: () => Promise<R>) =>
  retryTransient(
    work,
    { initialMs: 0, maxMs: 0 },
    { abandonReason: () => null, sleep: () => Promise.resolve() },
  );

/** At-least-once: each attempt sends through the app's producer (here one that takes everything). */
const direct: Delivery = (deliver) => deliver({ sendBatch: () => Promise.resolve([]) });

describe(BatchRecovery.name, () => {
  it('retries a delivery that fails while the broker is away without handling the batch again, and dead-letters nothing', async () => {
    let handled = 0;
    let sends = 0;
    const recovery = new BatchRecovery<string>(
      async (messages) => {
        handled += messages.length;
        return {
          deliver: async () => {
            // Three failed produce attempts: a broker restart seen by the producer.
            if (++sends <= 3) throw new RetriableError('produce request failed');
          },
        };
      },
      retry,
      direct,
    );
    expect(await recovery.process(batch, context)).toEqual([]);
    expect(handled).toBe(3);
    expect(sends).toBe(4);
  });

  it('takes a kafkajs error that says non-retriable (a sequence lost in a broker restart) for a transient one', async () => {
    let sends = 0;
    const sequenceError = Object.assign(new Error('The broker received an out of order sequence number'), {
      name: 'KafkaJSProtocolError',
      type: 'OUT_OF_ORDER_SEQUENCE_NUMBER',
      retriable: false,
    });
    const recovery = new BatchRecovery<string>(
      async () => ({
        deliver: async () => {
          if (++sends === 1) throw sequenceError;
        },
      }),
      retry,
      direct,
    );
    expect(await recovery.process(batch, context)).toEqual([]);
    expect(sends).toBe(2);
  });

  it('gives a rebalance back to kafkajs instead of isolating the batch, so a broker restart dead-letters nothing', async () => {
    // The retry heartbeats between attempts; after a broker restart the group's coordinator moved.
    const notCoordinator = Object.assign(new Error('This is not the correct coordinator for this group'), {
      name: 'KafkaJSProtocolError',
      type: 'NOT_COORDINATOR_FOR_GROUP',
      retriable: true,
    });
    let handled = 0;
    const recovery = new BatchRecovery<string>(
      async (messages) => {
        handled += messages.length;
        return {
          deliver: () => Promise.reject(new RetriableError('produce request failed')),
        };
      },
      (work) =>
        retryTransient(
          work,
          { initialMs: 0, maxMs: 0 },
          {
            abandonReason: () => null,
            sleep: () => Promise.resolve(),
            beforeWait: () => Promise.reject(notCoordinator),
          },
        ),
      direct,
    );
    await expect(recovery.process(batch, context)).rejects.toBe(notCoordinator);
    // Handled once as a batch, never message by message.
    expect(handled).toBe(3);
  });

  it('isolates the one message a handler cannot process and keeps the rest', async () => {
    const delivered: string[] = [];
    const recovery = new BatchRecovery<string>(
      async (messages) => {
        if (messages.some((m) => m.value === 'b')) throw new Error('cannot score b');
        return { deliver: async () => void delivered.push(...messages.map((m) => m.value)) };
      },
      retry,
      direct,
    );
    const failed = await recovery.process(batch, context);
    expect(failed.map((f) => [f.message.value, f.kind])).toEqual([['b', 'handler']]);
    expect(delivered).toEqual(['a', 'c']);
  });

  it('dead-letters a message whose outputs are over the broker limit as oversized, the others delivered', async () => {
    const delivered: string[] = [];
    const recovery = new BatchRecovery<string>(
      async (messages): Promise<BatchOutcome<string>> => ({
        deliver: async () => {
          if (messages.some((m) => m.value === 'c')) throw new RecordTooLargeError('over 1 MiB');
          delivered.push(...messages.map((m) => m.value));
        },
      }),
      retry,
      direct,
    );
    const failed = await recovery.process(batch, context);
    expect(failed.map((f) => [f.message.value, f.kind])).toEqual([['c', 'oversized']]);
    expect(delivered).toEqual(['a', 'b']);
  });

  it('keeps the kind of a poison error and passes on the handler rejections', async () => {
    const recovery = new BatchRecovery<string>(
      async (messages) => {
        if (messages.length > 1) throw new PoisonMessageError('validation', 'one of them is bad');
        const [m] = messages;
        if (m?.value === 'a') return { rejected: [{ message: m, reason: 'non-finite feature' }] };
        if (m?.value === 'b') throw new PoisonMessageError('validation', 'b is bad');
        return {};
      },
      retry,
      direct,
    );
    const failed = await recovery.process(batch, context);
    expect(failed.map((f) => [f.message.value, f.kind])).toEqual([
      ['a', 'rejected'],
      ['b', 'validation'],
    ]);
  });
});
