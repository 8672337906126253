import { describe, expect, it } from 'vitest';
import { MicroBatcher } from './micro-batcher';

/** A runner that scores a row as the sum of its values and records every run's size. */
function summingRunner(width: number, runs: number[]) {
  return (input: Float32Array, rows: number): Promise<Float32Array> => {
    runs.push(rows);
    const out = new Float32Array(rows);
    for (let r = 0; r < rows; r++)
      for (let j = 0; j < width; j++) out[r] = (out[r] ?? 0) + (input[r * width + j] ?? 0);
    return Promise.resolve(out);
  };
}

describe(MicroBatcher.name, () => {
  it('coalesces concurrent submissions into one run and returns each caller its own scores', async () => {
    const runs: number[] = [];
    const batcher = new MicroBatcher(2, summingRunner(2, runs), { maxBatchSize: 100, maxWaitMs: 5 });
    const [a, b] = await Promise.all([
      batcher.score(Float32Array.from([1, 2, 3, 4]), 2),
      batcher.score(Float32Array.from([10, 20]), 1),
    ]);
    expect(runs).toEqual([3]);
    expect(Array.from(a)).toEqual([3, 7]);
    expect(Array.from(b)).toEqual([30]);
  });

  it('runs full batches at once and splits a large submission', async () => {
    const runs: number[] = [];
    const batcher = new MicroBatcher(1, summingRunner(1, runs), { maxBatchSize: 4, maxWaitMs: 10_000 });
    const scores = await batcher.score(Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8]), 8);
    // Two full batches: neither waited for the (long) timer.
    expect(runs).toEqual([4, 4]);
    expect(Array.from(scores)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('flushes a partial batch after maxWaitMs', async () => {
    const runs: number[] = [];
    const batcher = new MicroBatcher(1, summingRunner(1, runs), { maxBatchSize: 4, maxWaitMs: 1 });
    const scores = await batcher.score(Float32Array.from([1, 2, 3, 4, 5, 6]), 6);
    expect(runs).toEqual([4, 2]);
    expect(Array.from(scores)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(batcher.pending).toBe(0);
  });

  it('rejects every caller of a failed run', async () => {
    const batcher = new MicroBatcher(1, () => Promise.reject(new Error('boom')), {
      maxBatchSize: 8,
      maxWaitMs: 1,
    });
    const results = await Promise.allSettled([
      batcher.score(Float32Array.from([1]), 1),
      batcher.score(Float32Array.from([2]), 1),
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
  });
});
