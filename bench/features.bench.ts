/*
 * `npm run bench:features`: feature pipeline throughput (transactions a second on one core) with
 * in-memory and Redis state, over a simulated stream at the demo size (5,000 cards, 10,000
 * terminals, about 50k transactions a day, chargebacks interleaved by event time), plus the state's
 * memory per card and terminal once every window is whole: a longer stream at the demo's density
 * (--state-customers cards, twice as many terminals, --state-days days, past the 38-day daily
 * ring), its heap growth in memory and, in Redis, `MEMORY USAGE` of every card and terminal key
 * and the `used_memory` growth of the whole state (with a sequence block, `MEMORY USAGE` of every
 * card's history ring too). Options: --feature-set fs-v1|fs-v2|fs-v1-seq16 (default the live
 * loop's), --days N (default 4), --batch N (default 1000), --redis-days N (default 1), --state-days N
 * (default 40), --state-customers N (default 500), --offsets (every run names each batch's offsets,
 * as the scorer does: the state records the batch's vectors and the counted transaction ids), --redis-passes N (default 1), --baseline SET (each
 * Redis throughput pass also runs SET's pipeline on the same slice, in alternating order, and reports
 * the ratio per pass: a baseline from the same run, under the same load), --no-redis, --json FILE.
 * docs/features.md.
 */
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { cpus } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { loadConfig } from '@fraudstream/config';
import { DAY_MS, type Label, type Transaction } from '@fraudstream/contracts';
import {
  DEFAULT_FEATURE_SET,
  FeaturePipeline,
  MemoryFeatureStore,
  RedisFeatureStore,
  featureSetOf,
  featuresConfigFragment,
  type FeatureSet,
} from '@fraudstream/features';
import { generateDataset } from '@fraudstream/simulation';
import { jsonPathFromArgs, reportBench, runBench } from './support/bench-report';

function stringOption(argv: readonly string[], name: string): string | undefined {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
}

function intOption(argv: readonly string[], name: string, fallback: number): number {
  const i = argv.indexOf(`--${name}`);
  const value = i >= 0 ? Number(argv[i + 1]) : fallback;
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer`);
  return value;
}

/**
 * Feeds the stream in batches, handing over the labels due by each batch's last event time. With
 * `offsets`, each batch names its offsets (offset = index) in one partition and the committed offset
 * its own first (the scorer's path without group commit: the store records the batch's vectors).
 */
async function run(
  pipeline: FeaturePipeline,
  transactions: readonly Transaction[],
  labels: readonly Label[],
  batch: number,
  offsets = false,
): Promise<number> {
  const width = pipeline.featureSet.names.length;
  let li = 0;
  const started = process.hrtime.bigint();
  for (let i = 0; i < transactions.length; i += batch) {
    const slice = transactions.slice(i, i + batch);
    const last = slice[slice.length - 1]?.event_time ?? 0;
    const from = li;
    while (li < labels.length && (labels[li]?.event_time ?? Infinity) <= last) li++;
    if (li > from) await pipeline.applyLabels(labels.slice(from, li));
    const source = offsets
      ? { topic: 'bench', partition: 0, offsets: slice.map((_, k) => i + k), committedOffset: i }
      : undefined;
    const vectors = await pipeline.computeBatch(slice, source);
    if (vectors.length !== slice.length || vectors[0]?.length !== width) throw new Error('bad vectors');
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

/** Bytes Redis holds for the keys of one kind (their `MEMORY USAGE`, one round trip per 500 keys). */
async function redisKeyBytes(redis: RedisFeatureStore, keys: readonly string[]): Promise<number> {
  let bytes = 0;
  for (let i = 0; i < keys.length; i += 500) {
    const pipeline = redis.redis.pipeline();
    for (const key of keys.slice(i, i + 500)) pipeline.memory('USAGE', key);
    for (const [error, usage] of (await pipeline.exec()) ?? []) {
      if (error) throw error;
      bytes += Number(usage ?? 0);
    }
  }
  return bytes;
}

async function usedMemory(redis: RedisFeatureStore): Promise<number> {
  const info = await redis.redis.info('memory');
  return Number(/^used_memory:(\d+)/m.exec(info)?.[1] ?? Number.NaN);
}

async function main(): Promise<void> {
  const gc = gcFunction();
  const argv = process.argv.slice(2);
  const featureSet: FeatureSet = featureSetOf(
    stringOption(argv, 'feature-set') ?? DEFAULT_FEATURE_SET.version,
  );
  const days = intOption(argv, 'days', 4);
  const batch = intOption(argv, 'batch', 1000);
  const redisDays = intOption(argv, 'redis-days', 1);
  const stateDays = intOption(argv, 'state-days', 40);
  const stateCustomers = intOption(argv, 'state-customers', 500);
  const withRedis = !argv.includes('--no-redis');
  const withOffsets = argv.includes('--offsets');
  const redisPasses = intOption(argv, 'redis-passes', 1);
  const baselineVersion = stringOption(argv, 'baseline');
  const baseline = baselineVersion ? featureSetOf(baselineVersion) : null;
  const pipelineOf = (store: MemoryFeatureStore | RedisFeatureStore) =>
    new FeaturePipeline(store, featureSet);

  console.log(`simulating ${days} days at the demo size...`);
  const { transactions, labels } = generateDataset({ seed: 7, days });
  const rate = (n: number, seconds: number) => Math.round(n / seconds);

  // The state's size once every ring is whole: the demo's density (cards, twice as many terminals,
  // the same transactions per card a day) over more days than the daily ring holds, on a clean
  // heap (array buffers of dropped states are freed lazily).
  console.log(`simulating ${stateDays} days of ${stateCustomers} cards for the state's size...`);
  const state = generateDataset({
    seed: 7,
    days: stateDays,
    customers: stateCustomers,
    terminals: 2 * stateCustomers,
  });
  await gc();
  const heapBefore = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
  const measured = new MemoryFeatureStore();
  await run(pipelineOf(measured), state.transactions, state.labels, batch, withOffsets);
  await gc();
  const heapAfter = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
  const entities = measured.cardCount + measured.terminalCount;
  const snapshotBytes = pipelineOf(measured).snapshot().length;

  // In memory: best of five passes on a fresh state (the first also warms the JIT up).
  const memorySeconds: number[] = [];
  for (let pass = 0; pass < 5; pass++) {
    memorySeconds.push(
      await run(pipelineOf(new MemoryFeatureStore()), transactions, labels, batch, withOffsets),
    );
  }
  const best = Math.min(...memorySeconds);

  const results: Parameters<typeof reportBench>[2] = {
    feature_set_version: featureSet.version,
    features: featureSet.names.length,
    stream: {
      days,
      transactions: transactions.length,
      labels: labels.length,
      batch_size: batch,
      // With offsets, as the scorer runs it: the state also records each batch's vectors and the
      // counted transaction ids (each store keeps the last batch's vectors only here).
      offsets: withOffsets,
    },
    state_stream: {
      days: stateDays,
      transactions: state.transactions.length,
      labels: state.labels.length,
      cards: measured.cardCount,
      terminals: measured.terminalCount,
    },
    memory: {
      tx_per_s_per_core: rate(transactions.length, best),
      passes_seconds: memorySeconds.map((s) => Number(s.toFixed(3))),
      heap_bytes_per_entity: Math.round((heapAfter - heapBefore) / entities),
      snapshot_bytes: snapshotBytes,
      snapshot_bytes_per_entity: Math.round(snapshotBytes / entities),
    },
    cpu: cpus()[0]?.model ?? 'unknown',
  };

  if (withRedis) {
    const config = loadConfig(featuresConfigFragment);
    const connect = () =>
      RedisFeatureStore.connect(config.REDIS_URL, { keyPrefix: `bench:${randomUUID().slice(0, 8)}` });
    const end =
      (transactions[0]?.event_time ?? 0) - ((transactions[0]?.event_time ?? 0) % DAY_MS) + redisDays * DAY_MS;
    const slice = transactions.filter((t) => t.event_time < end);
    const sliceLabels = labels.filter((l) => l.event_time < end);
    /** One pass of `set` over the slice on a fresh key prefix: transactions a second. */
    const redisPass = async (set: FeatureSet): Promise<number> => {
      const redis = connect();
      try {
        return rate(
          slice.length,
          await run(new FeaturePipeline(redis, set), slice, sliceLabels, batch, withOffsets),
        );
      } finally {
        await redis.clear();
        await redis.close();
      }
    };
    const passes: number[] = [];
    const baselinePasses: number[] = [];
    for (let pass = 0; pass < redisPasses; pass++) {
      // Alternating which goes first, so a load that drifts during the run favours neither.
      if (baseline && pass % 2 === 0) baselinePasses.push(await redisPass(baseline));
      passes.push(await redisPass(featureSet));
      if (baseline && pass % 2 === 1) baselinePasses.push(await redisPass(baseline));
    }
    const median = (xs: readonly number[]) => {
      const sorted = [...xs].sort((x, y) => x - y);
      const mid = Math.floor(sorted.length / 2);
      return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
    };
    const throughput: Record<string, number | number[] | string> = {
      tx_per_s_per_core: Math.round(median(passes)),
      passes_tx_per_s: passes,
      transactions: slice.length,
      round_trips_per_batch: 2,
      records_offsets: withOffsets ? 1 : 0,
    };
    if (baseline) {
      throughput.baseline_feature_set_version = baseline.version;
      throughput.baseline_passes_tx_per_s = baselinePasses;
      // Per pass: this set's rate over the baseline's measured next to it.
      throughput.ratio_to_baseline_per_pass = passes.map((x, i) =>
        Number((x / (baselinePasses[i] ?? NaN)).toFixed(3)),
      );
    }
    const sized = connect();
    try {
      const before = await usedMemory(sized);
      await run(pipelineOf(sized), state.transactions, state.labels, batch, withOffsets);
      const after = await usedMemory(sized);
      const cards = [...new Set(state.transactions.map((t) => t.card_id))];
      const terminals = [...new Set(state.transactions.map((t) => t.terminal_id))];
      results.redis = {
        ...throughput,
        card_bytes_per_entity: Math.round(
          (await redisKeyBytes(
            sized,
            cards.map((id) => sized.cardKey(id)),
          )) / cards.length,
        ),
        terminal_bytes_per_entity: Math.round(
          (await redisKeyBytes(
            sized,
            terminals.map((id) => sized.terminalKey(id)),
          )) / terminals.length,
        ),
        ...(featureSet.sequenceSteps > 0
          ? {
              card_history_bytes_per_card: Math.round(
                (await redisKeyBytes(
                  sized,
                  cards.map((id) => sized.historyKey(id)),
                )) / cards.length,
              ),
            }
          : {}),
        used_memory_bytes_per_entity: Math.round((after - before) / (cards.length + terminals.length)),
        url: config.REDIS_URL,
      };
    } finally {
      await sized.clear();
      await sized.close();
    }
  }

  reportBench('Feature pipeline (one core)', jsonPathFromArgs(argv, 'features'), results);
}

runBench(main);
