import type { Label, Transaction } from '@fraudstream/contracts';
import { describe, expect, it } from 'vitest';
import { SerialFeatureExtractor } from './feature-extractor.adapter';

describe(SerialFeatureExtractor.name, () => {
  it('runs one feature batch at a time, in call order', async () => {
    const log: string[] = [];
    let active = 0;
    const pipeline = {
      async computeScoring(txs: readonly Transaction[]) {
        active++;
        expect(active).toBe(1);
        log.push(`start ${txs.length}`);
        await new Promise((resolve) => setTimeout(resolve, 5));
        log.push(`end ${txs.length}`);
        active--;
        return { vectors: txs.map(() => [1]), duplicates: [] };
      },
      applyLabels(labels: readonly Label[]) {
        log.push(`labels ${labels.length}`);
        return Promise.resolve();
      },
    };
    const extractor = new SerialFeatureExtractor(pipeline, ['x'], 'fs-test');
    const tx = {} as Transaction;
    await Promise.all([
      extractor.computeBatch([tx]),
      extractor.applyLabels([]),
      extractor.computeBatch([tx, tx]),
    ]);
    expect(log).toEqual(['start 1', 'end 1', 'labels 0', 'start 2', 'end 2']);
  });
});
