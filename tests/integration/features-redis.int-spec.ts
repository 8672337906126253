import { randomUUID } from 'node:crypto';
import { loadConfig } from '@fraudstream/config';
import { DAY_MS, type Label, type Transaction } from '@fraudstream/contracts';
import {
  FS_V1,
  FS_V1_SEQ16,
  FS_V2,
  FeaturePipeline,
  SEQUENCE_STEP_WIDTH,
  SEQUENCE_STEPS,
  FeatureStateConflictError,
  featureIndex,
  MemoryFeatureStore,
  RedisFeatureStore,
  featuresConfigFragment,
  computeFeaturesOffline,
  COUNTED_ID_HORIZON_DAYS,
  type FeatureStateGap,
} from '@fraudstream/features';
import { generateDataset } from '@fraudstream/simulation';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { feedInEventTime } from '../support/event-time-feed';
import { runGroupCommitWithKills } from '../support/group-commit-kills';
import { chargebackOf, withResends } from '../support/sample-records';

/** The stream in event-time order, 250 transactions a batch: labels are handed over once the batch's time passes them. */
const feed = (pipeline: FeaturePipeline, transactions: Transaction[], labels: Label[]) =>
  feedInEventTime(pipeline, transactions, labels, { batchSize: 250 });

/** Every card's ring as a batch of `target` loads it. */
async function cardRings(target: RedisFeatureStore, cards: readonly string[]) {
  const session = await target.begin({
    cardIds: new Set(cards),
    terminalIds: new Set(),
    cardHistory: true,
  });
  return new Map(cards.map((id) => [id, session.cardHistory(id)]));
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

  it("says whether Redis answers (the scorer's /health reports it as feature-store)", async () => {
    expect(store.reachable).toBe(true);
    // Nothing listens on port 1: the connection never becomes ready.
    const nowhere = RedisFeatureStore.connect('redis://127.0.0.1:1', { keyPrefix: 'test:nowhere' });
    try {
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(nowhere.reachable).toBe(false);
    } finally {
      nowhere.redis.disconnect();
    }
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
    // Stale buckets are deleted: no hash keeps more than its 24 + 38 buckets of two channels.
    const key = store.terminalKey(transactions[0]?.terminal_id ?? '');
    expect(await store.redis.hlen(key)).toBeLessThanOrEqual(124);
    // A set without a sequence block keeps no history rings.
    expect(await store.redis.exists(store.historyKey(transactions[0]?.card_id ?? ''))).toBe(0);
  });

  it("gives fs-v2's delayed terminal windows the same as memory and offline, past the 38-day ring's wrap", async () => {
    const { transactions, labels } = generateDataset({
      seed: 13,
      days: 50,
      customers: 80,
      terminals: 160,
      scenario: 'stable',
    });
    const prefix = `test:${randomUUID().slice(0, 8)}`;
    const v2store = RedisFeatureStore.connect(config.REDIS_URL, { keyPrefix: prefix });
    try {
      const memory = await feed(new FeaturePipeline(new MemoryFeatureStore(), FS_V2), transactions, labels);
      const redis = await feed(new FeaturePipeline(v2store, FS_V2), transactions, labels);
      expect(redis).toEqual(memory);
      expect(memory).toEqual(computeFeaturesOffline(transactions, labels, FS_V2));
      const delayed30 = featureIndex('terminal_delayed_fraud_rate_30d', FS_V2);
      expect(memory.some((v) => (v[delayed30] ?? 0) > 0)).toBe(true);
      const busiest = transactions[transactions.length - 1]?.terminal_id ?? '';
      expect(await v2store.redis.hlen(v2store.terminalKey(busiest))).toBeLessThanOrEqual(124);
    } finally {
      await v2store.clear();
      await v2store.close();
    }
  });

  it("keeps a card's windows across a key rotation when its next token came before the cutover", async () => {
    const { transactions, labels } = generateDataset({ seed: 19, days: 40, customers: 60, terminals: 120 });
    const prefix = `test:${randomUUID().slice(0, 8)}`;
    const rotating = RedisFeatureStore.connect(config.REDIS_URL, { keyPrefix: prefix });
    try {
      const cutover = (transactions[0]?.event_time ?? 0) + 35 * 86_400_000;
      const next = (card: string) => `${card}/next-key`;
      // The ingress's bridge: before the cutover each payment names its card's next token.
      const rotated = transactions.map((t) =>
        t.event_time >= cutover
          ? { ...t, card_id: next(t.card_id) }
          : { ...t, card_token_next: next(t.card_id) },
      );
      const asIs = computeFeaturesOffline(transactions, labels);
      expect(await feed(new FeaturePipeline(rotating), rotated, labels)).toEqual(asIs);
      // The windows are kept under both tokens in Redis.
      expect(await rotating.redis.exists(rotating.cardKey(next(transactions[0]?.card_id ?? '')))).toBe(1);
    } finally {
      await rotating.clear();
      await rotating.close();
    }
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

  it.each([
    { featureSet: FS_V1, seed: 13 },
    { featureSet: FS_V1_SEQ16, seed: 23 },
  ])(
    'counts a batch handled again after a kill once, and serves its transactions the vectors they first had ($featureSet.version)',
    async ({ featureSet, seed }) => {
      const prefix = `test:${randomUUID().slice(0, 8)}`;
      const connect = () => RedisFeatureStore.connect(config.REDIS_URL, { keyPrefix: prefix });
      const { transactions, labels } = generateDataset({ seed, days: 6, customers: 80, terminals: 60 });
      const offline = computeFeaturesOffline(transactions, labels, featureSet);
      const sizes = [150, 40, 400, 7, 230];
      const committed: number[][] = [];
      let pipeline = new FeaturePipeline(connect(), featureSet);
      try {
        // Labels as the labels consumer hands them (again to each new process): the pipeline holds
        // each back until the stream's event time reaches it.
        await pipeline.applyLabels(labels);
        let at = 0;
        let kills = 0;
        for (let step = 1; at < transactions.length; step++) {
          const batch = transactions.slice(at, at + (sizes[step % sizes.length] ?? 1));
          const offsets = batch.map((_, k) => at + k);
          const vectors = await pipeline.computeBatch(batch, { topic: 'tx', partition: 0, offsets });
          if (step % 3 === 0) {
            // Killed after the state's update (windows, and rings for a sequence set), before the
            // offsets' commit: a new process, a new connection, the same Redis.
            kills++;
            await pipeline.store.close();
            pipeline = new FeaturePipeline(connect(), featureSet);
            await pipeline.applyLabels(labels);
            continue;
          }
          committed.push(...vectors);
          at += batch.length;
        }
        expect(kills).toBeGreaterThan(3);
        expect(committed).toEqual(offline);
        expect(offline.some((v) => (v[16] ?? 0) > 0)).toBe(true);
        if (featureSet.sequenceSteps > 0) {
          // Each card's ring is a clean run's.
          const clean = new MemoryFeatureStore();
          await new FeaturePipeline(clean, featureSet).computeBatch(transactions);
          const cards = [...new Set(transactions.map((t) => t.card_id))];
          const loaded = await cardRings(pipeline.store as RedisFeatureStore, cards);
          for (const id of cards) expect(loaded.get(id), id).toEqual(clean.cardHistory(id));
        }
      } finally {
        const last = pipeline.store as RedisFeatureStore;
        await last.clear();
        await last.close();
      }
    },
  );

  describe('with several batches of a partition uncommitted (group commit)', () => {
    /** Every hash of the store's cards and terminals (the windows), by key. */
    async function windows(
      target: RedisFeatureStore,
      prefix: string,
    ): Promise<Map<string, Record<string, string>>> {
      const out = new Map<string, Record<string, string>>();
      for (const kind of ['c', 't']) {
        let cursor = '0';
        do {
          const [next, keys] = await target.redis.scan(cursor, 'MATCH', `${prefix}:${kind}:*`, 'COUNT', 1000);
          for (const key of keys) out.set(key, await target.redis.hgetall(key));
          cursor = next;
        } while (cursor !== '0');
      }
      return out;
    }

    it('replays two handled, uncommitted batches with the vectors they were scored with, windows unchanged', async () => {
      const prefix = `test:${randomUUID().slice(0, 8)}`;
      const { transactions } = generateDataset({ seed: 15, days: 1, customers: 30, terminals: 10 });
      const stream = transactions.slice(0, 90);
      const source = (from: number, to: number) => ({
        topic: 'tx',
        partition: 1,
        offsets: stream.slice(from, to).map((_, k) => 700 + from + k),
        committedOffset: 700,
      });
      const first = RedisFeatureStore.connect(config.REDIS_URL, { keyPrefix: prefix });
      const second = RedisFeatureStore.connect(config.REDIS_URL, { keyPrefix: prefix });
      try {
        const killed = new FeaturePipeline(first);
        const a = await killed.computeBatch(stream.slice(0, 30), source(0, 30));
        const b = await killed.computeBatch(stream.slice(30, 60), source(30, 60));
        expect(await first.appliedFields({ topic: 'tx', partition: 1 })).toEqual(['b700-729', 'b730-759']);
        const before = await windows(first, prefix);
        // Killed before either committed; the new process reads again from 700, cut otherwise.
        const restarted = new FeaturePipeline(second);
        const again = [
          ...(await restarted.computeBatch(stream.slice(0, 45), source(0, 45))),
          ...(await restarted.computeBatch(stream.slice(45, 60), source(45, 60))),
        ];
        expect(again).toEqual([...a, ...b]);
        expect(await windows(second, prefix)).toEqual(before);
        const rest = await restarted.computeBatch(stream.slice(60, 90), source(60, 90));
        expect([...again, ...rest]).toEqual(await new FeaturePipeline().computeBatch(stream, source(0, 90)));
      } finally {
        await second.clear();
        await Promise.all([first.close(), second.close()]);
      }
    });

    it('recognises a transaction sent twice across batches, a kill and another replica, as the memory store does, and drops the days before the horizon', async () => {
      const prefix = `test:${randomUUID().slice(0, 8)}`;
      const { transactions } = generateDataset({ seed: 17, days: 5, customers: 30, terminals: 10 });
      // Every 20th transaction sent again 5 transactions later (an upstream retry).
      const { sent, copies } = withResends(transactions, 20, 5);
      const size = 40;
      const at = (from: number) => ({
        topic: 'tx',
        partition: 0,
        offsets: sent.slice(from, from + size).map((_, k) => from + k),
        committedOffset: from,
      });
      const first = RedisFeatureStore.connect(config.REDIS_URL, { keyPrefix: prefix });
      const second = RedisFeatureStore.connect(config.REDIS_URL, { keyPrefix: prefix });
      try {
        const memory = new FeaturePipeline(new MemoryFeatureStore());
        const expected: number[][] = [];
        for (let from = 0; from < sent.length; from += size)
          expected.push(...(await memory.computeBatch(sent.slice(from, from + size), at(from))));
        // One replica handles up to the middle; killed with its last two batches uncommitted, the
        // other takes the partition over from the committed offset.
        const killed = new FeaturePipeline(first);
        const middle = Math.floor(sent.length / size / 2) * size;
        const committed: number[][] = [];
        for (let from = 0; from < middle; from += size) {
          const vectors = await killed.computeBatch(sent.slice(from, from + size), {
            ...at(from),
            committedOffset: Math.max(0, from - 2 * size),
          });
          if (from < middle - 2 * size) committed.push(...vectors);
        }
        const takeover = new FeaturePipeline(second);
        for (let from = middle - 2 * size; from < sent.length; from += size)
          committed.push(...(await takeover.computeBatch(sent.slice(from, from + size), at(from))));
        expect(committed).toEqual(expected);
        expect(committed.filter((_, i) => copies.has(i))).toEqual([...copies].map(() => []));
        expect(committed.filter((_, i) => !copies.has(i))).toEqual(computeFeaturesOffline(transactions, []));
        // Only the records of the newest day and the one before are left (each day's first batch
        // deleted the day before the horizon).
        const newest = Math.floor((sent.at(-1)?.event_time ?? 0) / DAY_MS);
        const recordDays: number[] = [];
        let cursor = '0';
        do {
          const [next, keys] = await second.redis.scan(cursor, 'MATCH', `${prefix}:x:*`, 'COUNT', 1000);
          recordDays.push(...keys.map((key) => Number(key.slice(key.lastIndexOf(':') + 1))));
          cursor = next;
        } while (cursor !== '0');
        expect(recordDays.sort((x, y) => x - y)).toEqual(
          Array.from({ length: COUNTED_ID_HORIZON_DAYS + 1 }, (_, k) => newest - COUNTED_ID_HORIZON_DAYS + k),
        );
      } finally {
        await second.clear();
        await Promise.all([first.close(), second.close()]);
      }
    });

    it('deletes the batches a transaction committed past, with the next batch', async () => {
      const prefix = `test:${randomUUID().slice(0, 8)}`;
      const target = RedisFeatureStore.connect(config.REDIS_URL, { keyPrefix: prefix });
      try {
        const { transactions } = generateDataset({ seed: 16, days: 1, customers: 30, terminals: 10 });
        const pipeline = new FeaturePipeline(target);
        const batch = (from: number, to: number, committedOffset: number) =>
          pipeline.computeBatch(transactions.slice(from, to), {
            topic: 'tx',
            partition: 0,
            offsets: transactions.slice(from, to).map((_, k) => from + k),
            committedOffset,
          });
        const fields = () => target.appliedFields({ topic: 'tx', partition: 0 });
        await batch(0, 20, 0);
        await batch(20, 40, 0);
        expect(await fields()).toEqual(['b0-19', 'b20-39']);
        // The first two committed (offset 40) before the third was handled.
        await batch(40, 60, 40);
        expect(await fields()).toEqual(['b40-59']);
        // A batch partly committed stays whole.
        await batch(60, 70, 50);
        expect(await fields()).toEqual(['b40-59', 'b60-69']);
        const applied = await target.appliedBatch({ topic: 'tx', partition: 0 });
        expect(applied?.lastOffset).toBe(69);
        expect([...(applied?.vectors.keys() ?? [])].sort((x, y) => x - y)).toEqual(
          Array.from({ length: 30 }, (_, k) => 40 + k),
        );
      } finally {
        await target.clear();
        await target.close();
      }
    });

    it.each([
      { featureSet: FS_V1, seed: 17 },
      { featureSet: FS_V1_SEQ16, seed: 27 },
    ])(
      'equals the offline recomputation with kills falling while up to 3 batches wait for their transaction ($featureSet.version)',
      async ({ featureSet, seed }) => {
        const prefix = `test:${randomUUID().slice(0, 8)}`;
        const { transactions, labels } = generateDataset({ seed, days: 4, customers: 60, terminals: 40 });
        let target: RedisFeatureStore | undefined;
        try {
          const {
            committed,
            kills,
            replayed,
            store: last,
          } = await runGroupCommitWithKills({
            // A new process, a new connection, the same Redis.
            connect: () => (target = RedisFeatureStore.connect(config.REDIS_URL, { keyPrefix: prefix })),
            transactions,
            labels,
            sizes: [70, 13, 150, 4, 90],
            inFlight: 3,
            killEvery: 7,
            featureSet,
          });
          expect(kills).toBeGreaterThan(3);
          expect(replayed).toBeGreaterThan(1);
          expect(committed).toEqual(computeFeaturesOffline(transactions, labels, featureSet));
          // Only batches above the last committed offset the last batch named are kept.
          expect((await last.appliedFields({ topic: 'tx', partition: 0 })).length).toBeLessThanOrEqual(4);
        } finally {
          // The store of the process that ran last, also when the run failed.
          await target?.clear();
          await target?.close();
        }
      },
    );
  });

  describe("fs-v1-seq16: each card's history ring in Redis", () => {
    const K = SEQUENCE_STEPS;
    const S = SEQUENCE_STEP_WIDTH;
    const F = FS_V1_SEQ16.flatWidth;
    /** Feature `s` of step `k` of a vector's block. */
    const step = (v: readonly number[] | undefined, k: number, s: number) => v?.[F + k * S + s];
    const connect = (prefix: string) => RedisFeatureStore.connect(config.REDIS_URL, { keyPrefix: prefix });
    const rings = cardRings;

    it('gives the same vectors as the in-memory store and the offline recomputation, from the same rings', async () => {
      const { transactions, labels } = generateDataset({
        seed: 21,
        days: 12,
        customers: 100,
        terminals: 200,
      });
      const target = connect(`test:${randomUUID().slice(0, 8)}`);
      try {
        const memoryStore = new MemoryFeatureStore();
        const memory = await feed(new FeaturePipeline(memoryStore, FS_V1_SEQ16), transactions, labels);
        const redis = await feed(new FeaturePipeline(target, FS_V1_SEQ16), transactions, labels);
        expect(redis).toEqual(memory);
        expect(memory).toEqual(computeFeaturesOffline(transactions, labels, FS_V1_SEQ16));
        // The blocks hold something: full rings, both novelty values, both channels.
        expect(memory.filter((v) => step(v, 0, 0) === 1).length).toBeGreaterThan(transactions.length / 2);
        expect(new Set(memory.map((v) => step(v, K - 1, 5)))).toEqual(new Set([0, 1]));
        expect(new Set(memory.map((v) => step(v, K - 1, 3)))).toEqual(new Set([0, 1]));
        // The rings themselves: step for step the memory store's, at most K long, expiring 40 days after the last append.
        const cards = [...new Set(transactions.map((t) => t.card_id))];
        const loaded = await rings(target, cards);
        for (const id of cards) expect(loaded.get(id), id).toEqual(memoryStore.cardHistory(id));
        const busiest = transactions.at(-1)?.card_id ?? '';
        expect(loaded.get(busiest)?.length).toBe(K);
        expect(((await target.redis.get(target.historyKey(busiest))) ?? '').split('\n').length).toBe(K);
        const ttl = await target.redis.ttl(target.historyKey(busiest));
        expect(ttl).toBeGreaterThan(39 * 86_400);
        expect(ttl).toBeLessThanOrEqual(40 * 86_400);
      } finally {
        await target.clear();
        await target.close();
      }
    });

    it('keeps the last 16 steps of a card across batches of any size, whatever its terminal ids hold', async () => {
      const target = connect(`test:${randomUUID().slice(0, 8)}`);
      try {
        const t0 = Date.UTC(2026, 0, 5, 12);
        const odd = ['m\n1', 'm\\n1', 'm,2\\', 'm 3', 'm\n\n4'];
        const payments: Transaction[] = Array.from({ length: 60 }, (_, i) => ({
          transaction_id: `k${i}`,
          card_id: 'c-ring',
          terminal_id: odd[((i * 7) % 11) % odd.length] ?? 'm',
          amount: 1 + ((i * 13) % 50),
          currency: 'EUR',
          channel: i % 4 === 0 ? 'CARD_NOT_PRESENT' : 'CARD_PRESENT',
          event_time: t0 + i * 90_000,
          ingest_time: t0 + i * 90_000,
        }));
        const memoryStore = new MemoryFeatureStore();
        const memory = await new FeaturePipeline(memoryStore, FS_V1_SEQ16).computeBatch(payments);
        const pipeline = new FeaturePipeline(target, FS_V1_SEQ16);
        const redis: number[][] = [];
        // One payment, then more than a ring at once, then small batches.
        for (const [from, to] of [
          [0, 1],
          [1, 21],
          [21, 24],
          [24, 60],
        ] as const)
          redis.push(...(await pipeline.computeBatch(payments.slice(from, to))));
        expect(redis).toEqual(memory);
        expect((await rings(target, ['c-ring'])).get('c-ring')).toEqual(memoryStore.cardHistory('c-ring'));
        expect(new Set(memory.map((v) => step(v, K - 1, 5)))).toEqual(new Set([0, 1]));
      } finally {
        await target.clear();
        await target.close();
      }
    });

    it("keeps a card's ring across a key rotation when its next token came before the cutover", async () => {
      const { transactions, labels } = generateDataset({ seed: 31, days: 8, customers: 40, terminals: 80 });
      const target = connect(`test:${randomUUID().slice(0, 8)}`);
      try {
        const cutover = (transactions[0]?.event_time ?? 0) + 5 * 86_400_000;
        const next = (card: string) => `${card}/next-key`;
        const rotated = transactions.map((t) =>
          t.event_time >= cutover
            ? { ...t, card_id: next(t.card_id) }
            : { ...t, card_token_next: next(t.card_id) },
        );
        const asIs = computeFeaturesOffline(transactions, labels, FS_V1_SEQ16);
        expect(await feed(new FeaturePipeline(target, FS_V1_SEQ16), rotated, labels)).toEqual(asIs);
        const card = transactions[0]?.card_id ?? '';
        expect((await rings(target, [next(card)])).get(next(card))?.length).toBe(K);
      } finally {
        await target.clear();
        await target.close();
      }
    });

    it('keeps the steps of two replicas that touch one card at once, in commit order, each judged on the ring it loaded', async () => {
      const prefix = `test:${randomUUID().slice(0, 8)}`;
      const [a, b] = [connect(prefix), connect(prefix)];
      try {
        const t0 = Date.UTC(2026, 0, 5, 12);
        const keys = { cardIds: new Set(['c-two']), terminalIds: new Set<string>(), cardHistory: true };
        const first = await a.begin(keys);
        first.addCardHistory('c-two', { time: t0, cents: 100, cardNotPresent: false, terminalId: 'm0' });
        await first.commit();
        // Both load the one-step ring, then each appends a payment at m1.
        const [sa, sb] = [await a.begin(keys), await b.begin(keys)];
        sa.addCardHistory('c-two', { time: t0 + 60_000, cents: 200, cardNotPresent: true, terminalId: 'm1' });
        sb.addCardHistory('c-two', {
          time: t0 + 30_000,
          cents: 300,
          cardNotPresent: false,
          terminalId: 'm1',
        });
        await sa.commit();
        await sb.commit();
        const ring = (await rings(a, ['c-two'])).get('c-two') ?? [];
        // Appends, not overwrites: nothing lost, but in commit order (not event time), and b's step
        // is "new terminal" though a's, at the same terminal, came before it (docs/features.md).
        expect(ring.map((s) => s.cents)).toEqual([100, 200, 300]);
        expect(ring.map((s) => s.newTerminal)).toEqual([true, true, true]);
      } finally {
        await a.clear();
        await Promise.all([a.close(), b.close()]);
      }
    });

    it("appends nothing of a zombie's refused batch, and says so when a batch did not load the rings", async () => {
      const prefix = `test:${randomUUID().slice(0, 8)}`;
      const zombie = connect(prefix);
      const owner = connect(prefix);
      try {
        const { transactions } = generateDataset({ seed: 29, days: 2, customers: 10, terminals: 10 });
        const batch = transactions.slice(0, 60);
        const source = { topic: 'tx', partition: 3, offsets: batch.map((_, k) => 900 + k) };
        const cards = [...new Set(batch.map((t) => t.card_id))];
        const keys = {
          cardIds: new Set(cards),
          terminalIds: new Set(batch.map((t) => t.terminal_id)),
          partition: { topic: 'tx', partition: 3 },
          cardHistory: true,
        };
        const stale = await zombie.begin(keys);
        const owned = await new FeaturePipeline(owner, FS_V1_SEQ16).computeBatch(batch, source);
        const before = await rings(owner, cards);
        for (const t of batch) {
          stale.addCardTransaction(t.card_id, t.event_time, 100);
          stale.addCardHistory(t.card_id, {
            time: t.event_time,
            cents: 100,
            cardNotPresent: false,
            terminalId: 'z',
          });
        }
        stale.recordApplied({ lastOffset: 959, vectors: new Map([[900, [0]]]), keepFrom: 900 });
        await expect(stale.commit()).rejects.toBeInstanceOf(FeatureStateConflictError);
        expect(await rings(owner, cards)).toEqual(before);
        expect([...before.values()].some((ring) => ring.length > 1)).toBe(true);
        // Handled again, the batch is served from the record and appends nothing.
        expect(await new FeaturePipeline(zombie, FS_V1_SEQ16).computeBatch(batch, source)).toEqual(owned);
        expect(await rings(owner, cards)).toEqual(before);

        const withoutRings = await owner.begin({ ...keys, cardHistory: false });
        expect(() => withoutRings.cardHistory(cards[0] ?? '')).toThrow(/begun without cardHistory/);
        const session = await owner.begin(keys);
        expect(() => session.cardHistory('not-loaded')).toThrow(/not among the cards this batch loaded/);
      } finally {
        await owner.clear();
        await Promise.all([zombie.close(), owner.close()]);
      }
    });
  });

  it('reports a Redis that lost the state this pipeline counted (a restart without persistence), then counts afresh', async () => {
    const target = RedisFeatureStore.connect(config.REDIS_URL, {
      keyPrefix: `test:${randomUUID().slice(0, 8)}`,
    });
    try {
      const { transactions } = generateDataset({ seed: 15, days: 1, customers: 20, terminals: 10 });
      const batch = (from: number, to: number) =>
        [
          transactions.slice(from, to),
          {
            topic: 'tx',
            partition: 1,
            offsets: transactions.slice(from, to).map((_, k) => from + k),
            committedOffset: from,
          },
        ] as const;
      const gaps: FeatureStateGap[] = [];
      const pipeline = new FeaturePipeline(target, FS_V1, { onStateGap: (gap) => gaps.push(gap) });
      await pipeline.computeBatch(...batch(0, 40));
      await pipeline.computeBatch(...batch(40, 80));
      expect(gaps).toEqual([]);
      await target.clear();
      const after = await pipeline.computeBatch(...batch(80, 120));
      expect(gaps).toEqual([
        {
          topic: 'tx',
          partition: 1,
          storeLastOffset: null,
          expectedLastOffset: 79,
          evidence: 'counted-here',
        },
      ]);
      // Scored from the empty windows, as a cold start would be, and recorded: no second report.
      const cold = RedisFeatureStore.connect(config.REDIS_URL, {
        keyPrefix: `test:${randomUUID().slice(0, 8)}`,
      });
      try {
        expect(after).toEqual(await new FeaturePipeline(cold, FS_V1).computeBatch(...batch(80, 120)));
      } finally {
        await cold.clear();
        await cold.close();
      }
      expect((await target.appliedBatch({ topic: 'tx', partition: 1 }))?.lastOffset).toBe(119);
      await pipeline.computeBatch(...batch(120, 160));
      expect(gaps).toHaveLength(1);
    } finally {
      await target.clear();
      await target.close();
    }
  });

  it('refuses a batch whose partition another replica applied since its load, and writes none of it', async () => {
    const prefix = `test:${randomUUID().slice(0, 8)}`;
    const zombie = RedisFeatureStore.connect(config.REDIS_URL, { keyPrefix: prefix });
    const owner = RedisFeatureStore.connect(config.REDIS_URL, { keyPrefix: prefix });
    try {
      const { transactions } = generateDataset({ seed: 14, days: 1, customers: 20, terminals: 10 });
      const batch = transactions.slice(0, 50);
      const source = { topic: 'tx', partition: 2, offsets: batch.map((_, k) => 500 + k) };
      const keys = {
        cardIds: new Set(batch.map((t) => t.card_id)),
        terminalIds: new Set(batch.map((t) => t.terminal_id)),
        partition: { topic: 'tx', partition: 2 },
      };
      // The zombie loaded the partition, froze; its new owner applied the same batch.
      const stale = await zombie.begin(keys);
      expect(stale.applied).toBeNull();
      const owned = await new FeaturePipeline(owner).computeBatch(batch, source);
      for (const t of batch) {
        stale.addCardTransaction(t.card_id, t.event_time, 100);
        stale.addTerminalTransaction(t.terminal_id, t.event_time);
      }
      stale.recordApplied({ lastOffset: 549, vectors: new Map([[500, [0]]]), keepFrom: 500 });
      await expect(stale.commit()).rejects.toBeInstanceOf(FeatureStateConflictError);

      // The owner's record stands, and every transaction is counted once.
      const applied = await owner.appliedBatch({ topic: 'tx', partition: 2 });
      expect(applied?.lastOffset).toBe(549);
      expect(applied?.vectors.get(520)).toEqual(owned[20]);
      const end = (batch.at(-1)?.event_time ?? 0) + 1;
      const check = await owner.begin({ ...keys, partition: undefined });
      const perCard = new Map<string, number>();
      for (const t of batch) perCard.set(t.card_id, (perCard.get(t.card_id) ?? 0) + 1);
      for (const [card, count] of perCard) {
        expect(check.card(card).windows(end, new Float64Array(6))[4]).toBe(count);
      }
      // Handled again, the zombie's batch is served from the record and writes nothing.
      expect(await new FeaturePipeline(zombie).computeBatch(batch, source)).toEqual(owned);
      expect((await owner.appliedBatch({ topic: 'tx', partition: 2 }))?.lastOffset).toBe(549);
    } finally {
      await owner.clear();
      await Promise.all([zombie.close(), owner.close()]);
    }
  });

  it('keeps queued labels across a kill and counts each once, even when two replicas load it', async () => {
    const prefix = `test:${randomUUID().slice(0, 8)}`;
    const t0 = Date.UTC(2026, 0, 5, 12);
    const paid: Transaction = {
      transaction_id: 'q-paid',
      card_id: 'c1',
      terminal_id: 'm1',
      amount: 40,
      currency: 'EUR',
      channel: 'CARD_PRESENT',
      event_time: t0,
      ingest_time: t0,
    };
    const chargeback = chargebackOf(paid, t0 + 3_600_000);
    const first = RedisFeatureStore.connect(config.REDIS_URL, { keyPrefix: prefix });
    const replicas = [0, 1].map(() => RedisFeatureStore.connect(config.REDIS_URL, { keyPrefix: prefix }));
    try {
      const pipeline = new FeaturePipeline(first);
      await pipeline.computeBatch([paid]);
      await pipeline.applyLabels([chargeback]);
      // The process dies with the label queued (its consumer committed it): the store keeps it, and
      // the labels consumer's replay of it queues nothing more.
      await first.close();
      const [a, b] = replicas;
      if (!a || !b) throw new Error('no replicas');
      expect(await a.pendingLabelCount()).toBe(1);
      await new FeaturePipeline(a).applyLabels([chargeback, { ...chargeback, source: 'ANALYST' }]);
      expect(await a.pendingLabelCount()).toBe(1);

      // Both replicas load the terminal with its queued label before either commits.
      const keys = { cardIds: new Set<string>(), terminalIds: new Set(['m1']) };
      const sessions = [await a.begin(keys), await b.begin(keys)];
      for (const session of sessions) {
        session.applyDueLabels('m1', t0 + 2 * 3_600_000);
        expect(session.terminal('m1').windows(t0 + 2 * 3_600_000, new Float64Array(6))[1]).toBe(1);
      }
      for (const session of sessions) await session.commit();

      const check = await a.begin(keys);
      expect(check.terminal('m1').windows(t0 + 2 * 3_600_000, new Float64Array(6))[5]).toBe(1);
      expect(await a.pendingLabelCount()).toBe(0);
      // Counted: the replay of a counted label queues nothing.
      await new FeaturePipeline(b).applyLabels([chargeback]);
      expect(await b.pendingLabelCount()).toBe(0);
    } finally {
      await replicas[0]?.clear();
      for (const r of replicas) await r.close();
    }
  });

  it('applies a backlog of 10,000 labels in one batch', async () => {
    const prefix = `test:${randomUUID().slice(0, 8)}`;
    const backlog = RedisFeatureStore.connect(config.REDIS_URL, { keyPrefix: prefix });
    try {
      const t0 = Date.UTC(2026, 0, 5);
      const history: Transaction[] = Array.from({ length: 10_000 }, (_, i) => ({
        transaction_id: `b${i}`,
        card_id: `c${i % 500}`,
        terminal_id: 'busy',
        amount: 10,
        currency: 'EUR',
        channel: 'CARD_PRESENT',
        event_time: t0 + i * 1000,
        ingest_time: t0 + i * 1000,
      }));
      const known = t0 + 10_000 * 1000;
      const pipeline = new FeaturePipeline(backlog);
      await pipeline.computeBatch(history);
      await pipeline.applyLabels(history.map((t) => chargebackOf(t, known)));
      const next: Transaction = { ...history[0]!, transaction_id: 'after', event_time: known };
      const [vector] = await pipeline.computeBatch([next]);
      expect(vector?.[18]).toBe(1); // terminal_fraud_rate_30d: every earlier transaction a known fraud
    } finally {
      await backlog.clear();
      await backlog.close();
    }
  });

  it("lets a card's and a terminal's keys expire 40 days after their last write, and refreshes that at each", async () => {
    const prefix = `test:${randomUUID().slice(0, 8)}`;
    const target = RedisFeatureStore.connect(config.REDIS_URL, { keyPrefix: prefix });
    const FORTY_DAYS = 40 * 24 * 3600;
    /** Every key of the store's cards, terminals and rings, with its TTL in seconds. */
    const ttls = async () => {
      const out = new Map<string, number>();
      let cursor = '0';
      do {
        const [next, keys] = await target.redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
        for (const key of keys) if (/:(c|t|r):/.test(key)) out.set(key, await target.redis.ttl(key));
        cursor = next;
      } while (cursor !== '0');
      return out;
    };
    try {
      const { transactions, labels } = generateDataset({ seed: 29, days: 3, customers: 20, terminals: 15 });
      const pipeline = new FeaturePipeline(target, FS_V1_SEQ16);
      await feed(pipeline, transactions, labels);
      const written = await ttls();
      const kinds = new Set([...written.keys()].map((k) => /:(c|t|r):/.exec(k)?.[1]));
      expect(kinds).toEqual(new Set(['c', 't', 'r']));
      for (const [key, ttl] of written) {
        expect(ttl, key).toBeGreaterThan(FORTY_DAYS - 60);
        expect(ttl, key).toBeLessThanOrEqual(FORTY_DAYS);
      }
      // A write refreshes its entity's expiry: shorten one card's, then score a payment of that card.
      const first = transactions[0]!;
      const cardKey = [...written.keys()].find((k) => k.endsWith(`:c:${first.card_id}`));
      expect(cardKey).toBeDefined();
      await target.redis.expire(cardKey!, 100);
      const last = transactions.at(-1)!;
      await pipeline.computeBatch([
        { ...first, transaction_id: 'later', event_time: last.event_time + 1000 },
      ]);
      expect(await target.redis.ttl(cardKey!)).toBeGreaterThan(FORTY_DAYS - 60);
    } finally {
      await target.clear();
      await target.close();
    }
  });
});
