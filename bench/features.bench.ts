/*
 * `npm run bench:features`: feature pipeline throughput (transactions a second on one core) with
 * in-memory and Redis state, over a simulated stream at the demo size (5,000 cards, 10,000
 * terminals, about 50k transactions a day, chargebacks interleaved by event time), plus memory per
 * card and terminal. Options: --days N (default 4), --batch N (default 1000), --redis-days N
 * (default 1), --no-redis, --json FILE.
 */
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { cpus } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { loadConfig } from '@fraudstream/config';
import { DAY_MS, type Label, type Transaction } from '@fraudstream/contracts';
import {
  FEATURE_COUNT,
  FEATURE_SET_VERSION,
  FeaturePipeline,
  MemoryFeatureStore,
  RedisFeatureStore,
  featuresConfigFragment,
} from '@fraudstream/features';
import { generateDataset } from '@fraudstream/simulation';
import { jsonPathFromArgs, reportBench } from './support/bench-report';

function intOption(argv: readonly string[], name: string, fallback: number): number {
  const i = argv.indexOf(`--${name}`);
  const value = i >= 0 ? Number(argv[i + 1]) : fallback;
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer`);
  return value;
}

/** Feeds the stream in batches, handing over the labels due by each batch's last event time. */
async function run(
  pipeline: FeaturePipeline,
  transactions: readonly Transaction[],
  labels: readonly Label[],
  batch: number,
): Promise<number> {
  let li = 0;
  const started = process.hrtime.bigint();
  for (let i = 0; i < transactions.length; i += batch) {
    const slice = transactions.slice(i, i + batch);
    const last = slice[slice.length - 1]?.event_time ?? 0;
    const from = li;
    while (li < labels.length && (labels[li]?.event_time ?? Infinity) <= last) li++;
    if (li > from) await pipeline.applyLabels(labels.slice(from, li));
    const vectors = await pipeline.computeBatch(slice);
    if (vectors.length !== slice.length || vectors[0]?.length !== FEATURE_COUNT)
      throw new Error('bad vectors');
  }
  return Number(process.hrtime.bigint() - started) / 1e9;
}

/** A forced full GC, so heap growth measures retained state only (npm scripts pass no --expose-gc). */
function gcFunction(): () => Promise<void> {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  // Array buffers are released after the collection, by a task: let it run, then collect again.
  return async () => {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 100));
    gc();
  };
}

async function main(): Promise<void> {
  const gc = gcFunction();
  const argv = process.argv.slice(2);
  const days = intOption(argv, 'days', 4);
  const batch = intOption(argv, 'batch', 1000);
  const redisDays = intOption(argv, 'redis-days', 1);
  const withRedis = !argv.includes('--no-redis');

  console.log(`simulating ${days} days at the demo size...`);
  const { transactions, labels } = generateDataset({ seed: 7, days });
  const rate = (n: number, seconds: number) => Math.round(n / seconds);

  // Memory per entity first, on a clean heap (array buffers of dropped states are freed lazily).
  await gc();
  const heapBefore = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
  const measured = new MemoryFeatureStore();
  await run(new FeaturePipeline(measured), transactions, labels, batch);
  await gc();
  const heapAfter = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
  // In memory: best of five passes on a fresh state (the first also warms the JIT up).
  const memorySeconds: number[] = [];
  for (let pass = 0; pass < 5; pass++) {
    memorySeconds.push(await run(new FeaturePipeline(new MemoryFeatureStore()), transactions, labels, batch));
  }
  const best = Math.min(...memorySeconds);

  const entities = measured.cardCount + measured.terminalCount;
  const snapshotBytes = new FeaturePipeline(measured).snapshot().length;

  const results: Parameters<typeof reportBench>[2] = {
    feature_set_version: FEATURE_SET_VERSION,
    features: FEATURE_COUNT,
    stream: {
      days,
      transactions: transactions.length,
      labels: labels.length,
      cards: measured.cardCount,
      terminals: measured.terminalCount,
      batch_size: batch,
    },
    memory: {
      tx_per_s_per_core: rate(transactions.length, best),
      passes_seconds: memorySeconds.map((s) => Number(s.toFixed(3))),
      heap_bytes_per_entity: Math.round((heapAfter - heapBefore) / entities),
      counter_bytes_per_entity: 108 * 8,
      snapshot_bytes: snapshotBytes,
      snapshot_bytes_per_entity: Math.round(snapshotBytes / entities),
    },
    cpu: cpus()[0]?.model ?? 'unknown',
  };

  if (withRedis) {
    const config = loadConfig(featuresConfigFragment);
    const redis = RedisFeatureStore.connect(config.REDIS_URL, {
      keyPrefix: `bench:${randomUUID().slice(0, 8)}`,
    });
    try {
      const end =
        (transactions[0]?.event_time ?? 0) -
        ((transactions[0]?.event_time ?? 0) % DAY_MS) +
        redisDays * DAY_MS;
      const slice = transactions.filter((t) => t.event_time < end);
      const sliceLabels = labels.filter((l) => l.event_time < end);
      const seconds = await run(new FeaturePipeline(redis), slice, sliceLabels, batch);
      const sample = [...new Set(slice.slice(0, 200).map((t) => t.card_id))].slice(0, 50);
      let bytes = 0;
      for (const id of sample) bytes += Number((await redis.redis.memory('USAGE', redis.cardKey(id))) ?? 0);
      results.redis = {
        tx_per_s_per_core: rate(slice.length, seconds),
        transactions: slice.length,
        seconds: Number(seconds.toFixed(3)),
        round_trips_per_batch: 2,
        card_bytes_per_entity: Math.round(bytes / Math.max(1, sample.length)),
        url: config.REDIS_URL,
      };
    } finally {
      await redis.clear();
      await redis.close();
    }
  }

  reportBench('Feature pipeline (one core)', jsonPathFromArgs(argv, 'features'), results);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
