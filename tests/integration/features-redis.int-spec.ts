import { randomUUID } from 'node:crypto';
import { loadConfig } from '@fraudstream/config';
import type { Label, Transaction } from '@fraudstream/contracts';
import {
  FeaturePipeline,
  MemoryFeatureStore,
  RedisFeatureStore,
  featuresConfigFragment,
  computeFeaturesOffline,
} from '@fraudstream/features';
import { generateDataset } from '@fraudstream/simulation';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const BATCH = 250;

/** Feeds a simulated stream in event-time order: labels are handed over once the batch's time passes them. */
async function feed(
  pipeline: FeaturePipeline,
  transactions: Transaction[],
  labels: Label[],
): Promise<number[][]> {
  const out: number[][] = [];
  let li = 0;
  for (let i = 0; i < transactions.length; i += BATCH) {
    const batch = transactions.slice(i, i + BATCH);
    const last = batch[batch.length - 1]?.event_time ?? 0;
    const due: Label[] = [];
    while (li < labels.length && (labels[li]?.event_time ?? Infinity) <= last) {
      const label = labels[li++];
      if (label) due.push(label);
    }
    await pipeline.applyLabels(due);
    out.push(...(await pipeline.computeBatch(batch)));
  }
  return out;
}

describe(RedisFeatureStore.name, () => {
  const config = loadConfig(featuresConfigFragment);
  const store = RedisFeatureStore.connect(config.REDIS_URL, {
    keyPrefix: `test:${randomUUID().slice(0, 8)}`,
  });

  beforeAll(async () => {
    // Say why at once rather than as a timeout in each test.
    await store.redis.ping().catch((error: unknown) => {
      throw new Error(
        `Redis does not answer at ${config.REDIS_URL}: npm test starts one (scripts/infra.sh up; its messages say why it could not)`,
        { cause: error },
      );
    });
  });

  afterAll(async () => {
    await store.clear();
    await store.close();
  });

  it('gives the same features as the in-memory store and as the offline recomputation', async () => {
    // 40 days: the 30-day rings wrap, so stale Redis buckets must be dropped exactly like memory ones.
    const { transactions, labels } = generateDataset({
      seed: 11,
      days: 40,
      customers: 150,
      terminals: 300,
      scenario: 'stable',
    });
    expect(transactions.length).toBeGreaterThan(10_000);
    const memory = await feed(new FeaturePipeline(new MemoryFeatureStore()), transactions, labels);
    const redis = await feed(new FeaturePipeline(store), transactions, labels);
    expect(redis).toEqual(memory);
    expect(memory).toEqual(computeFeaturesOffline(transactions, labels));
    // The labels reached the terminal features.
    expect(memory.some((v) => (v[16] ?? 0) > 0)).toBe(true);
    // Stale buckets are deleted: no hash keeps more than its 24 + 30 buckets of two channels.
    const key = store.terminalKey(transactions[0]?.terminal_id ?? '');
    expect(await store.redis.hlen(key)).toBeLessThanOrEqual(108);
  });

  it('loses no count when two replicas update the same terminals concurrently', async () => {
    const prefix = `test:${randomUUID().slice(0, 8)}`;
    const replicas = [0, 1].map(() => RedisFeatureStore.connect(config.REDIS_URL, { keyPrefix: prefix }));
    try {
      const { transactions } = generateDataset({ seed: 12, days: 2, customers: 80, terminals: 20 });
      // Cards split between the replicas (as partitions keyed by card would), terminals shared.
      const shares = [0, 1].map((r) => transactions.filter((t) => Number(t.card_id.slice(-1)) % 2 === r));
      const pipelines = replicas.map((s) => new FeaturePipeline(s));
      for (let i = 0; i < Math.max(...shares.map((s) => s.length)); i += 100) {
        await Promise.all(pipelines.map((p, r) => p.computeBatch(shares[r]?.slice(i, i + 100) ?? [])));
      }
      const counts = new Map<string, number>();
      for (const t of transactions) counts.set(t.terminal_id, (counts.get(t.terminal_id) ?? 0) + 1);
      const end = (transactions.at(-1)?.event_time ?? 0) + 1;
      const reader = replicas[0];
      if (!reader) throw new Error('no replica');
      const session = await reader.begin({
        cardIds: new Set(),
        terminalIds: new Set(counts.keys()),
        fraudLabels: new Map(),
      });
      for (const [terminal, count] of counts) {
        // The 30-day window at the end holds every transaction of the two days.
        expect(session.terminal(terminal).windows(end, new Float64Array(6))[4]).toBe(count);
      }
      expect(counts.size).toBeGreaterThan(5);
    } finally {
      await replicas[0]?.clear();
      for (const s of replicas) await s.close();
    }
  });
});
