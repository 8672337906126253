import { RetriableError, ValidationError } from '@fraudstream/contracts';
import { describe, expect, it } from 'vitest';
import { BatchAbandonedError, backoffDelay, retryTransient } from './transient-retry';

describe(retryTransient.name, () => {
  it('waits out a transient failure of any length, doubling the wait up to the cap', async () => {
    const waits: number[] = [];
    let calls = 0;
    const result = await retryTransient(
      async () => {
        if (++calls < 8) throw new RetriableError('broker away');
        return 'sent';
      },
      { initialMs: 100, maxMs: 1000 },
      { abandonReason: () => null, sleep: async (ms) => void waits.push(ms) },
    );
    expect(result).toBe('sent');
    expect(waits).toEqual([100, 200, 400, 800, 1000, 1000, 1000]);
  });

  it('throws a non-transient error at once', async () => {
    let calls = 0;
    await expect(
      retryTransient(
        async () => {
          calls++;
          throw new ValidationError('bad');
        },
        { initialMs: 1, maxMs: 1 },
        { abandonReason: () => null },
      ),
    ).rejects.toBeInstanceOf(ValidationError);
    expect(calls).toBe(1);
  });

  it('gives the batch up when the consumer stops during an outage, and not before it fails', async () => {
    expect(
      await retryTransient(
        () => Promise.resolve('done'),
        { initialMs: 1, maxMs: 1 },
        { abandonReason: () => 'consumer stopping' },
      ),
    ).toBe('done');
    let stopping = false;
    await expect(
      retryTransient(
        async () => {
          stopping = true;
          throw new RetriableError('broker away');
        },
        { initialMs: 1, maxMs: 1 },
        { abandonReason: () => (stopping ? 'consumer stopping' : null), sleep: () => Promise.resolve() },
      ),
    ).rejects.toBeInstanceOf(BatchAbandonedError);
  });

  it('rethrows a rebalance reported by the heartbeat, so that kafkajs rejoins the group', async () => {
    const rebalance = Object.assign(new Error('rebalancing'), { type: 'REBALANCE_IN_PROGRESS' });
    await expect(
      retryTransient(
        () => Promise.reject(new RetriableError('broker away')),
        { initialMs: 1, maxMs: 1 },
        {
          abandonReason: () => null,
          beforeWait: () => Promise.reject(rebalance),
          sleep: () => Promise.resolve(),
        },
      ),
    ).rejects.toBe(rebalance);
  });

  it('computes the backoff', () => {
    expect(backoffDelay({ initialMs: 200, maxMs: 10_000 }, 0)).toBe(200);
    expect(backoffDelay({ initialMs: 200, maxMs: 10_000 }, 10)).toBe(10_000);
  });
});
