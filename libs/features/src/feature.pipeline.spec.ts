import { DAY_MS, HOUR_MS, type Label, type Transaction } from '@fraudstream/contracts';
import { describe, expect, it } from 'vitest';
import { feedInEventTime } from '../../../tests/support/event-time-feed';
import { runGroupCommitWithKills } from '../../../tests/support/group-commit-kills';
import { cardPayment as tx, chargebackOf, withResends } from '../../../tests/support/sample-records';
import {
  DAY_BUCKETS,
  FEATURE_COUNT,
  FEATURE_NAMES,
  FS_V1,
  FS_V1_SEQ16,
  FS_V2,
  SEQUENCE_STEP_WIDTH,
  SEQUENCE_STEPS,
  WINDOW_DAYS,
  featureIndex,
  featureSetOf,
  isNight,
  isWeekend,
  type FeatureName,
  type SequenceStepFeature,
} from './feature-set';
import { UnknownFeatureSetError, UnsupportedFeatureStoreError } from './features.errors';
import { assembleFeatureVector, emptyCardAggregates, emptyTerminalAggregates } from './feature-vector';
import { FeaturePipeline, type FeatureStateGap } from './feature.pipeline';
import { COUNTED_ID_HORIZON_DAYS, type FeatureStore } from './feature-store.types';
import { MemoryFeatureStore } from './memory-feature.store';
import { computeFeaturesOffline } from './offline-features';
import { replayFeatures } from './replay-features';

// 2026-01-05 is a Monday.
const T0 = Date.UTC(2026, 0, 5, 12, 0, 0);

const f = (vector: number[] | undefined, name: FeatureName): number | undefined =>
  vector?.[featureIndex(name)];
const fs = (vector: number[] | undefined, name: FeatureName): number | undefined =>
  vector?.[featureIndex(name, FS_V1_SEQ16)];
/** Feature `feature` of step `k` of the sequence block (k = SEQUENCE_STEPS - 1: the latest earlier transaction). */
const step = (vector: number[] | undefined, k: number, feature: SequenceStepFeature) =>
  fs(vector, `seq_${String(k).padStart(2, '0')}_${feature}`);
const f2 = (vector: number[] | undefined, name: FeatureName): number | undefined =>
  vector?.[featureIndex(name, FS_V2)];

/**
 * A small deterministic stream: 40 cards, 15 terminals, 3000 transactions at most `stepMinutes`
 * apart (10: about 10 days; 40: about 42, past fs-v2's longest delayed window), labels 1-5 days late.
 */
function randomStream(stepMinutes = 10): { transactions: Transaction[]; labels: Label[] } {
  let s = 12345;
  const rand = () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
  const transactions: Transaction[] = [];
  let time = T0;
  for (let i = 0; i < 3000; i++) {
    time += Math.floor(rand() * stepMinutes * 60_000);
    transactions.push(
      tx(
        `t${i}`,
        `c${Math.floor(rand() * 40)}`,
        `m${Math.floor(rand() * 15)}`,
        Math.round(rand() * 20000) / 100,
        time,
      ),
    );
  }
  const labels = transactions
    .filter(() => rand() < 0.05)
    .flatMap((t) => {
      const l = chargebackOf(t, t.event_time + Math.floor((1 + rand() * 4) * DAY_MS));
      // Some get a second (analyst) label earlier: counted once.
      return rand() < 0.3
        ? [l, { ...l, source: 'ANALYST' as const, event_time: t.event_time + 2 * HOUR_MS }]
        : [l];
    });
  return { transactions, labels };
}

/**
 * Feeds transactions and labels to a pipeline as one event-time-ordered stream, in batches; three
 * labels each time arrive before their event time (the pipeline must hold them back).
 */
function runOnline(
  pipeline: FeaturePipeline,
  transactions: readonly Transaction[],
  labels: readonly Label[],
  batchSize: number,
): Promise<number[][]> {
  const sorted = [...labels].sort((x, y) => x.event_time - y.event_time);
  return feedInEventTime(pipeline, transactions, sorted, { batchSize, early: 3 });
}

/**
 * Feeds one partition's transactions (offset = index) as a scorer would, killed after every
 * `killEvery`-th batch updated the state but before its offsets committed: the next batch starts
 * again from the committed offset, cut to another size. Returns what a read_committed reader sees:
 * the vectors of the committed batches, in offset order.
 */
async function runWithKills(
  pipeline: FeaturePipeline,
  transactions: readonly Transaction[],
  sizes: readonly number[],
  killEvery: number,
  withOffsets: boolean,
): Promise<{ committed: number[][]; kills: number }> {
  const committed: number[][] = [];
  let at = 0;
  let step = 0;
  let kills = 0;
  while (at < transactions.length) {
    const batch = transactions.slice(at, at + (sizes[step % sizes.length] ?? 1));
    const offsets = batch.map((_, k) => at + k);
    const vectors = await pipeline.computeBatch(
      batch,
      withOffsets ? { topic: 'tx', partition: 0, offsets } : undefined,
    );
    step++;
    if (step % killEvery === 0) {
      kills++;
      continue;
    }
    committed.push(...vectors);
    at += batch.length;
  }
  return { committed, kills };
}

describe(FeaturePipeline.name, () => {
  it('computes card windows, amount ratios and time flags from the state before each transaction', async () => {
    const pipeline = new FeaturePipeline();
    const a = tx('a', 'c1', 'm1', 10, T0);
    const b = tx('b', 'c1', 'm1', 30, T0 + 2 * HOUR_MS);
    const c = tx('c', 'c1', 'm2', 100, T0 + 2 * DAY_MS); // Wednesday 12:00
    const d = tx('d', 'c1', 'm2', 7.5, Date.UTC(2026, 0, 10, 3, 0, 0)); // Saturday 03:00
    const [va, vb, vc, vd] = await pipeline.computeBatch([a, b, c, d]);
    expect(va).toHaveLength(FEATURE_COUNT);
    expect(f(va, 'card_tx_count_30d')).toBe(0);
    expect(f(va, 'amount_to_card_mean_30d')).toBe(1);
    expect(f(vb, 'card_tx_count_1d')).toBe(1);
    expect(f(vb, 'card_mean_amount_1d')).toBe(10);
    expect(f(vb, 'amount_to_card_mean_7d')).toBe(3);
    expect(f(vb, 'terminal_tx_count_1d')).toBe(1);
    // Two days later the 1-day window is empty, the 7-day window holds both (mean 20).
    expect(f(vc, 'card_tx_count_1d')).toBe(0);
    expect(f(vc, 'card_tx_count_7d')).toBe(2);
    expect(f(vc, 'card_mean_amount_7d')).toBe(20);
    expect(f(vc, 'amount_to_card_mean_7d')).toBe(5);
    expect(f(vc, 'terminal_tx_count_30d')).toBe(0);
    expect(f(vc, 'is_night')).toBe(0);
    expect(f(vc, 'is_weekend')).toBe(0);
    expect(f(vd, 'is_night')).toBe(1);
    expect(f(vd, 'is_weekend')).toBe(1);
    expect(f(vd, 'card_mean_amount_30d')).toBeCloseTo(140 / 3, 12);
    expect(f(vd, 'log_amount')).toBeCloseTo(Math.log(8.5), 12);
    expect(FEATURE_NAMES[0]).toBe('amount');
  });

  it('sets the night and weekend flags as isNight/isWeekend define them, hour by hour over two weeks', () => {
    const empty = emptyCardAggregates();
    const noFrauds = emptyTerminalAggregates();
    for (let h = 0; h < 14 * 24; h++) {
      const t = T0 + h * HOUR_MS + 1234;
      const v = assembleFeatureVector(tx('n', 'c', 'm', 1, t), empty, noFrauds);
      expect([f(v, 'is_night'), f(v, 'is_weekend')]).toEqual([isNight(t) ? 1 : 0, isWeekend(t) ? 1 : 0]);
    }
    expect(isWeekend(Date.UTC(2026, 0, 10))).toBe(true);
    expect(isWeekend(Date.UTC(2026, 0, 9))).toBe(false);
  });

  it('uses a fraud label only from its event time on (no leakage of late labels)', async () => {
    const store = new MemoryFeatureStore();
    const pipeline = new FeaturePipeline(store);
    const first = tx('x1', 'c1', 'm1', 50, T0);
    await pipeline.computeBatch([first]);
    // The chargeback is known three days later; it arrives (wall-clock) right away.
    await pipeline.applyLabels([chargebackOf(first, T0 + 3 * DAY_MS)]);
    const [before] = await pipeline.computeBatch([tx('x2', 'c2', 'm1', 5, T0 + 2 * DAY_MS)]);
    expect(f(before, 'terminal_tx_count_7d')).toBe(1);
    expect(f(before, 'terminal_fraud_rate_7d')).toBe(0);
    expect(store.pendingLabelCount).toBe(1);
    const [after] = await pipeline.computeBatch([tx('x3', 'c3', 'm1', 5, T0 + 3 * DAY_MS)]);
    // 1 known fraud among the 2 earlier transactions of the terminal in 7 days.
    expect(f(after, 'terminal_fraud_rate_7d')).toBe(0.5);
    expect(f(after, 'terminal_fraud_rate_1d')).toBe(0);
    expect(store.pendingLabelCount).toBe(0);
  });

  it('counts a transaction once when it gets both an analyst verdict and a chargeback', async () => {
    const pipeline = new FeaturePipeline();
    const first = tx('y1', 'c1', 'm1', 50, T0);
    await pipeline.computeBatch([first]);
    const chargeback = chargebackOf(first, T0 + 2 * HOUR_MS);
    await pipeline.applyLabels([chargeback, { ...chargeback, source: 'ANALYST' }]);
    const [v] = await pipeline.computeBatch([tx('y2', 'c2', 'm1', 5, T0 + 3 * HOUR_MS)]);
    expect(f(v, 'terminal_fraud_rate_1d')).toBe(1);
  });

  it("applies a label at its own terminal's event time, not at another partition's", async () => {
    const store = new MemoryFeatureStore();
    const pipeline = new FeaturePipeline(store);
    const first = tx('p1', 'c1', 'm1', 50, T0);
    await pipeline.computeBatch([first]);
    await pipeline.applyLabels([chargebackOf(first, T0 + 2 * HOUR_MS)]);
    // Another partition, further in event time, scores another terminal: the label stays queued.
    await pipeline.computeBatch([tx('p2', 'c2', 'm2', 5, T0 + 5 * HOUR_MS)]);
    expect(store.pendingLabelCount).toBe(1);
    // m1's own partition is behind the label's event time: no leak.
    const [behind] = await pipeline.computeBatch([tx('p3', 'c3', 'm1', 5, T0 + HOUR_MS)]);
    expect(f(behind, 'terminal_fraud_rate_1d')).toBe(0);
    const [after] = await pipeline.computeBatch([tx('p4', 'c4', 'm1', 5, T0 + 3 * HOUR_MS)]);
    expect(f(after, 'terminal_fraud_rate_1d')).toBe(0.5); // 1 fraud among p1 and p3
    expect(store.pendingLabelCount).toBe(0);
  });

  it('counts a label handed over again after it took effect once (the labels consumer replays it)', async () => {
    const store = new MemoryFeatureStore();
    const pipeline = new FeaturePipeline(store);
    const first = tx('q1', 'c1', 'm1', 50, T0);
    await pipeline.computeBatch([first]);
    const label = chargebackOf(first, T0 + HOUR_MS);
    await pipeline.applyLabels([label]);
    await pipeline.computeBatch([tx('q2', 'c2', 'm1', 5, T0 + 2 * HOUR_MS)]);
    await pipeline.applyLabels([label, { ...label, source: 'ANALYST' }]);
    expect(store.pendingLabelCount).toBe(0);
    const [v] = await pipeline.computeBatch([tx('q3', 'c3', 'm1', 5, T0 + 3 * HOUR_MS)]);
    expect(f(v, 'terminal_fraud_rate_1d')).toBe(0.5); // 1 fraud among q1 and q2, not 2
  });

  it('computes the same vectors online, in any batch size, as offline from the full stream', async () => {
    const { transactions, labels } = randomStream();
    const offline = computeFeaturesOffline(transactions, labels);
    for (const batchSize of [1, 7, 500]) {
      const online = await runOnline(new FeaturePipeline(), transactions, labels, batchSize);
      expect(online).toEqual(offline);
    }
    expect(await replayFeatures(transactions, [...labels].reverse(), new FeaturePipeline(), 64)).toEqual(
      offline,
    );
    // The stream is rich enough for the comparison to mean something.
    expect(offline.some((v) => (f(v, 'terminal_fraud_rate_30d') ?? 0) > 0)).toBe(true);
    expect(offline.some((v) => (f(v, 'card_tx_count_1d') ?? 0) >= 2)).toBe(true);
  });

  it("keeps a card's windows across a key rotation when its next token came before the cutover", async () => {
    const { transactions, labels } = randomStream();
    const cutover = T0 + 6 * DAY_MS;
    const next = (card: string) => `${card}/next-key`;
    // From the cutover each card has a new id; before it, with the bridge, each transaction names it.
    const rotated = (bridge: boolean) =>
      transactions.map((t) =>
        t.event_time >= cutover
          ? { ...t, card_id: next(t.card_id) }
          : bridge
            ? { ...t, card_token_next: next(t.card_id) }
            : t,
      );
    const renamedLabels = labels.map((l) =>
      l.transaction_time >= cutover ? { ...l, card_id: next(l.card_id) } : l,
    );
    const asIs = computeFeaturesOffline(transactions, labels);
    const bridged = await runOnline(new FeaturePipeline(), rotated(true), renamedLabels, 50);
    expect(bridged).toEqual(asIs);
    expect(computeFeaturesOffline(rotated(true), renamedLabels)).toEqual(asIs);

    // Without the bridge every card starts empty at the cutover: its 30-day count drops.
    const unbridged = await runOnline(new FeaturePipeline(), rotated(false), renamedLabels, 50);
    const after = transactions.flatMap((t, i) => (t.event_time >= cutover ? [i] : []));
    expect(after.length).toBeGreaterThan(500);
    const lower = after.filter(
      (i) => (f(unbridged[i], 'card_tx_count_30d') ?? 0) < (f(asIs[i], 'card_tx_count_30d') ?? 0),
    );
    expect(lower.length).toBe(after.length);
  });

  it('restores a snapshot into a fresh pipeline that continues exactly like the original', async () => {
    const { transactions, labels } = randomStream();
    const half = Math.floor(transactions.length / 2);
    const originalStore = new MemoryFeatureStore();
    const original = new FeaturePipeline(originalStore);
    await runOnline(original, transactions.slice(0, half), labels.slice(0, 40), 100);
    // Labels known early, still queued at the snapshot.
    await original.applyLabels(labels.slice(40));
    const restoredStore = new MemoryFeatureStore();
    const restored = new FeaturePipeline(restoredStore);
    restored.restore(original.snapshot());
    expect(originalStore.pendingLabelCount).toBeGreaterThan(0);
    expect(restoredStore.pendingLabelCount).toBe(originalStore.pendingLabelCount);
    const rest = transactions.slice(half);
    expect(await restored.computeBatch(rest)).toEqual(await original.computeBatch(rest));
  });

  it('keeps the labels queued when the store fails, so a retried batch still sees them', async () => {
    const memory = new MemoryFeatureStore();
    let failNext = false;
    const flaky: FeatureStore = {
      kind: 'redis',
      reachable: true,
      keepsCardHistory: false,
      enqueueLabels: (labels) => memory.enqueueLabels(labels),
      begin: (keys) => (failNext ? Promise.reject(new Error('store unreachable')) : memory.begin(keys)),
      close: () => memory.close(),
    };
    const pipeline = new FeaturePipeline(flaky);
    const first = tx('r1', 'c1', 'm1', 50, T0);
    await pipeline.computeBatch([first]);
    await pipeline.applyLabels([chargebackOf(first, T0 + HOUR_MS)]);
    const next = tx('r2', 'c2', 'm1', 5, T0 + 2 * HOUR_MS);
    failNext = true;
    await expect(pipeline.computeBatch([next])).rejects.toThrow('store unreachable');
    expect(memory.pendingLabelCount).toBe(1);
    failNext = false;
    const [v] = await pipeline.computeBatch([next]);
    expect(f(v, 'terminal_fraud_rate_1d')).toBe(1);
  });

  it('orders an out-of-order batch by event time and returns vectors in input order', async () => {
    const a = tx('o1', 'c1', 'm1', 10, T0);
    const b = tx('o2', 'c1', 'm1', 20, T0 + HOUR_MS);
    const [vb, va] = await new FeaturePipeline().computeBatch([b, a]);
    expect(f(va, 'card_tx_count_1d')).toBe(0);
    expect(f(vb, 'card_tx_count_1d')).toBe(1);
  });

  describe('a batch handled again (offsets the state already counts)', () => {
    const sizes = [50, 13, 200, 1, 77, 320, 9];

    it('equals the offline recomputation across kills between the state update and the offset commit', async () => {
      const { transactions, labels } = randomStream();
      const offline = computeFeaturesOffline(transactions, labels);
      const pipeline = new FeaturePipeline();
      await pipeline.applyLabels(labels);
      const { committed, kills } = await runWithKills(pipeline, transactions, sizes, 3, true);
      expect(kills).toBeGreaterThan(10);
      expect(committed).toEqual(offline);
      // The state counts each transaction once: the next payment of a card sees its whole history.
      const last = transactions.at(-1);
      if (!last) throw new Error('empty stream');
      const after = tx('next', last.card_id, last.terminal_id, 1, last.event_time + 1);
      const [expected] = computeFeaturesOffline([...transactions, after], labels).slice(-1);
      expect(await pipeline.computeBatch([after])).toEqual([expected]);
    });

    it('counts the replayed transactions twice without offsets (what the offsets prevent)', async () => {
      const { transactions, labels } = randomStream();
      const pipeline = new FeaturePipeline();
      await pipeline.applyLabels(labels);
      const { committed } = await runWithKills(pipeline, transactions, sizes, 3, false);
      const offline = computeFeaturesOffline(transactions, labels);
      const counts = (vectors: number[][]) =>
        vectors.reduce((sum, v) => sum + (f(v, 'card_tx_count_30d') ?? 0), 0);
      expect(counts(committed)).toBeGreaterThan(counts(offline));
    });

    it('serves a replay that covers part of the applied batch, then counts only what is new', async () => {
      const { transactions } = randomStream();
      const stream = transactions.slice(0, 60);
      const source = (from: number, to: number) => ({
        topic: 'tx',
        partition: 3,
        offsets: stream.slice(from, to).map((_, k) => 1000 + from + k),
      });
      const clean = new FeaturePipeline();
      const expected = [
        ...(await clean.computeBatch(stream.slice(0, 20), source(0, 20))),
        ...(await clean.computeBatch(stream.slice(20, 60), source(20, 60))),
      ];
      const pipeline = new FeaturePipeline();
      await pipeline.computeBatch(stream.slice(0, 20), source(0, 20));
      const first = await pipeline.computeBatch(stream.slice(20, 40), source(20, 40));
      // Killed; handled again as 20-29 (all counted already), then 30-59 (10 counted, 20 new).
      const again = await pipeline.computeBatch(stream.slice(20, 30), source(20, 30));
      const rest = await pipeline.computeBatch(stream.slice(30, 60), source(30, 60));
      expect(again).toEqual(first.slice(0, 10));
      expect([...expected.slice(0, 20), ...again, ...rest]).toEqual(expected);
      const store = pipeline.store as MemoryFeatureStore;
      expect(store.appliedBatch('tx', 3)?.lastOffset).toBe(1059);
      // Without a committed offset, the record keeps the vectors from the last batch's first offset.
      expect([...(store.appliedBatch('tx', 3)?.vectors.keys() ?? [])]).toEqual(
        Array.from({ length: 30 }, (_, k) => 1030 + k),
      );
      // Another partition's offsets are its own: the same numbers there are new transactions.
      expect(store.appliedBatch('tx', 4)).toBeNull();
    });

    it('replays two handled, uncommitted batches with the vectors they were scored with, windows unchanged', async () => {
      const { transactions } = randomStream();
      const stream = transactions.slice(0, 60);
      const source = (from: number, to: number) => ({
        topic: 'tx',
        partition: 3,
        offsets: stream.slice(from, to).map((_, k) => 1000 + from + k),
        committedOffset: 1000,
      });
      const store = new MemoryFeatureStore();
      const pipeline = new FeaturePipeline(store);
      // Group commit: the second batch is handled while the first one's transaction is open.
      const a = await pipeline.computeBatch(stream.slice(0, 20), source(0, 20));
      const b = await pipeline.computeBatch(stream.slice(20, 40), source(20, 40));
      const state = store.snapshot();
      // Killed before either committed: read again from 1000, cut otherwise.
      const again = [
        ...(await pipeline.computeBatch(stream.slice(0, 30), source(0, 30))),
        ...(await pipeline.computeBatch(stream.slice(30, 40), source(30, 40))),
      ];
      expect(again).toEqual([...a, ...b]);
      expect(store.snapshot().equals(state)).toBe(true);
      const rest = await pipeline.computeBatch(stream.slice(40, 60), source(40, 60));
      const clean = new FeaturePipeline();
      expect([...again, ...rest]).toEqual(await clean.computeBatch(stream, source(0, 60)));
    });

    it('forgets the vectors of batches once a transaction commits past them', async () => {
      const { transactions } = randomStream();
      const store = new MemoryFeatureStore();
      const pipeline = new FeaturePipeline(store);
      const batch = (from: number, to: number, committedOffset: number) =>
        pipeline.computeBatch(transactions.slice(from, to), {
          topic: 'tx',
          partition: 0,
          offsets: transactions.slice(from, to).map((_, k) => from + k),
          committedOffset,
        });
      const kept = () => [...(store.appliedBatch('tx', 0)?.vectors.keys() ?? [])];
      const range = (from: number, to: number) => Array.from({ length: to - from }, (_, k) => from + k);
      await batch(0, 20, 0);
      await batch(20, 40, 0);
      expect(kept()).toEqual(range(0, 40));
      // The transaction of the first two committed (offset 40) before the third was handled.
      await batch(40, 60, 40);
      expect(kept()).toEqual(range(40, 60));
      await batch(60, 70, 50);
      expect(kept()).toEqual(range(50, 70));
      expect(store.appliedBatch('tx', 0)?.lastOffset).toBe(69);
      // A restored snapshot keeps what was kept.
      const restored = new MemoryFeatureStore();
      restored.restore(store.snapshot());
      expect([...(restored.appliedBatch('tx', 0)?.vectors.keys() ?? [])]).toEqual(range(50, 70));
    });

    it('equals the offline recomputation under group commit, kills falling with several batches uncommitted', async () => {
      const { transactions, labels } = randomStream();
      const offline = computeFeaturesOffline(transactions, labels);
      const store = new MemoryFeatureStore();
      let mostKept = 0;
      const { committed, kills, replayed } = await runGroupCommitWithKills({
        connect: () => store, // the state outlives the killed process
        transactions,
        labels,
        sizes,
        inFlight: 3,
        killEvery: 7,
        afterBatch: (kept, at) => {
          const record = kept.appliedBatch('tx', 0);
          mostKept = Math.max(mostKept, record?.vectors.size ?? 0);
          // Every offset handled above the committed one is still served from the record.
          for (let o = Math.max(at, 0); o <= (record?.lastOffset ?? -1); o++) {
            if (!record?.vectors.has(o)) throw new Error(`offset ${o} above the committed ${at} not kept`);
          }
        },
      });
      expect(kills).toBeGreaterThan(10);
      expect(replayed).toBeGreaterThan(5);
      expect(committed).toEqual(offline);
      // Bounded by the batches in flight (3 of at most 320) and the one committed meanwhile.
      expect(mostKept).toBeLessThanOrEqual(4 * 320);
    });

    it('does not count again a transaction older than the recorded batch (offsets moved back)', async () => {
      const a = tx('b1', 'c1', 'm1', 10, T0);
      const b = tx('b2', 'c1', 'm1', 20, T0 + HOUR_MS);
      const c = tx('b3', 'c1', 'm1', 30, T0 + 2 * HOUR_MS);
      const pipeline = new FeaturePipeline();
      const at = (offsets: number[]) => ({ topic: 'tx', partition: 0, offsets });
      await pipeline.computeBatch([a], at([0]));
      await pipeline.computeBatch([b], at([1]));
      // Offset 0 is covered but no longer recorded: computed from today's state, not counted.
      await pipeline.computeBatch([a], at([0]));
      const [vc] = await pipeline.computeBatch([c], at([2]));
      expect(f(vc, 'card_tx_count_1d')).toBe(2);
    });

    it('carries the applied batches in its snapshot: a restored pipeline serves the replay', async () => {
      const { transactions, labels } = randomStream();
      const offline = computeFeaturesOffline(transactions, labels);
      const at = (from: number, to: number) => ({
        topic: 'tx',
        partition: 0,
        offsets: transactions.slice(from, to).map((_, k) => from + k),
      });
      const original = new FeaturePipeline();
      await original.applyLabels(labels);
      const head = await original.computeBatch(transactions.slice(0, 1000), at(0, 1000));
      // The state (and the snapshot) went past the committed offset 1000 by one batch.
      await original.computeBatch(transactions.slice(1000, 1500), at(1000, 1500));
      const restored = new FeaturePipeline(new MemoryFeatureStore());
      restored.restore(original.snapshot());
      const tail = await restored.computeBatch(transactions.slice(1000), at(1000, transactions.length));
      expect([...head, ...tail]).toEqual(offline);
    });
  });

  describe('a transaction sent twice (the same id at another place of the input)', () => {
    const at = (partition: number, ...offsets: number[]) => ({ topic: 'tx', partition, offsets });

    it('neither counts nor scores the second copy, in the same batch or a later one, and names where the first was read', async () => {
      const a = tx('p1', 'c1', 'm1', 10, T0);
      const b = tx('p2', 'c1', 'm1', 20, T0 + HOUR_MS);
      const pipeline = new FeaturePipeline();
      const first = await pipeline.computeScoring([a, b, { ...a }], at(0, 10, 11, 12));
      expect(first.duplicates).toEqual([{ index: 2, first: { partition: 0, offset: 10 } }]);
      expect(first.vectors[2]).toBeNull();
      const later = await pipeline.computeScoring([{ ...b }], at(0, 13));
      expect(later).toEqual({
        vectors: [null],
        duplicates: [{ index: 0, first: { partition: 0, offset: 11 } }],
      });
      // computeBatch gives a duplicate an empty vector.
      expect(await pipeline.computeBatch([{ ...a }], at(0, 14))).toEqual([[]]);
      // The card counts two payments, not five.
      const [next] = await pipeline.computeBatch([tx('p3', 'c1', 'm1', 30, T0 + 2 * HOUR_MS)], at(0, 15));
      expect(f(next, 'card_tx_count_1d')).toBe(2);
      expect(f(next, 'card_mean_amount_1d')).toBe(15);
      expect(f(next, 'terminal_tx_count_1d')).toBe(2);
    });

    it('recognises the copy on another partition, and stays a duplicate when its batch is handled again', async () => {
      const a = tx('p1', 'c1', 'm1', 10, T0);
      const pipeline = new FeaturePipeline();
      const [va] = await pipeline.computeBatch([a], at(0, 5));
      const copy = await pipeline.computeScoring([tx('q1', 'c2', 'm2', 5, T0), { ...a }], at(1, 7, 8));
      expect(copy.duplicates).toEqual([{ index: 1, first: { partition: 0, offset: 5 } }]);
      // A kill before the offsets committed: both batches come again, at their own places.
      expect(await pipeline.computeBatch([a], at(0, 5))).toEqual([va]);
      const again = await pipeline.computeScoring([tx('q1', 'c2', 'm2', 5, T0), { ...a }], at(1, 7, 8));
      expect(again.duplicates).toEqual(copy.duplicates);
      expect(again.vectors[0]).toEqual(copy.vectors[0]);
    });

    it('equals the offline recomputation of the stream without its copies, across kills', async () => {
      const { transactions, labels } = randomStream();
      // Every 25th transaction sent again 3 transactions later (an upstream retry).
      const { sent, copies } = withResends(transactions, 25, 3);
      const pipeline = new FeaturePipeline();
      await pipeline.applyLabels(labels);
      const { committed, kills } = await runWithKills(pipeline, sent, [50, 13, 200, 1, 77], 3, true);
      expect(kills).toBeGreaterThan(10);
      expect(committed.filter((_, i) => copies.has(i))).toEqual([...copies].map(() => []));
      expect(committed.filter((_, i) => !copies.has(i))).toEqual(
        computeFeaturesOffline(transactions, labels),
      );
    });

    it(`forgets the ids of days more than ${COUNTED_ID_HORIZON_DAYS} before the newest, and its snapshot carries them`, async () => {
      const a = tx('p1', 'c1', 'm1', 10, T0);
      const original = new FeaturePipeline();
      await original.computeBatch([a], at(0, 0));
      const restored = new FeaturePipeline(new MemoryFeatureStore());
      restored.restore(original.snapshot());
      expect((await restored.computeScoring([{ ...a }], at(0, 1))).duplicates).toHaveLength(1);
      // A payment (of another card) 2 days on: the first's day is beyond the horizon, a copy now counts.
      await restored.computeBatch(
        [tx('p2', 'c2', 'm1', 10, T0 + (COUNTED_ID_HORIZON_DAYS + 1) * DAY_MS)],
        at(0, 2),
      );
      expect((await restored.computeScoring([{ ...a }], at(0, 3))).duplicates).toEqual([]);
    });

    it('leaves batches without offsets alone (offline recomputation, replays of a file)', async () => {
      const a = tx('p1', 'c1', 'm1', 10, T0);
      const pipeline = new FeaturePipeline();
      const vectors = await pipeline.computeBatch([a, { ...a }]);
      expect(vectors.map((v) => v.length)).toEqual([FEATURE_COUNT, FEATURE_COUNT]);
    });
  });

  describe('a store behind the offsets (feature state lost)', () => {
    const stream = randomStream().transactions.slice(0, 90);
    const source = (from: number, to: number, committedOffset?: number) => ({
      topic: 'tx',
      partition: 2,
      offsets: stream.slice(from, to).map((_, k) => from + k),
      ...(committedOffset === undefined ? {} : { committedOffset }),
    });
    const watched = (store = new MemoryFeatureStore()) => {
      const gaps: FeatureStateGap[] = [];
      return { gaps, pipeline: new FeaturePipeline(store, undefined, { onStateGap: (g) => gaps.push(g) }) };
    };

    it('says so when the state it counted vanished, and goes on scoring from what is left', async () => {
      const { gaps, pipeline } = watched();
      await pipeline.computeBatch(stream.slice(0, 30), source(0, 30, 0));
      await pipeline.computeBatch(stream.slice(30, 60), source(30, 60, 30));
      expect(gaps).toEqual([]);
      // A Redis restarted without persistence: the whole state is gone under the running scorer.
      pipeline.restore(new FeaturePipeline().snapshot());
      const after = await pipeline.computeBatch(stream.slice(60, 90), source(60, 90, 60));
      expect(gaps).toEqual([
        {
          topic: 'tx',
          partition: 2,
          storeLastOffset: null,
          expectedLastOffset: 59,
          evidence: 'counted-here',
        },
      ]);
      // Scored from the empty state, as a cold pipeline would, and counted.
      expect(after).toEqual(await new FeaturePipeline().computeBatch(stream.slice(60, 90), source(60, 90)));
      await pipeline.computeBatch(stream.slice(60, 90), source(60, 90, 60));
      expect(gaps).toHaveLength(1);
    });

    it('says so once per partition when the committed offsets are ahead of a state that never counted them', async () => {
      const { gaps, pipeline } = watched();
      await pipeline.computeBatch(stream.slice(30, 60), source(30, 60, 30));
      await pipeline.computeBatch(stream.slice(60, 90), source(60, 90, 60));
      expect(gaps).toEqual([
        { topic: 'tx', partition: 2, storeLastOffset: null, expectedLastOffset: 29, evidence: 'committed' },
      ]);
    });

    it('takes committed offsets it never counted for dead letters or markers, not for a gap', async () => {
      const store = new MemoryFeatureStore();
      const { gaps, pipeline } = watched(store);
      await pipeline.computeBatch(stream.slice(0, 30), source(0, 30, 0));
      // Offsets 30-39 were dead-lettered (never counted) and committed with the batch before.
      await pipeline.computeBatch(stream.slice(40, 60), source(40, 60, 40));
      // A restart after a graceful stop whose last offsets were a transaction marker.
      const { gaps: restartGaps, pipeline: restarted } = watched(store);
      await restarted.computeBatch(stream.slice(60, 90), source(60, 90, 62));
      expect([...gaps, ...restartGaps]).toEqual([]);
    });

    it('stays silent for a first start, replays, a reset back, and another replica counting further', async () => {
      const store = new MemoryFeatureStore();
      const { gaps, pipeline } = watched(store);
      await pipeline.computeBatch(stream.slice(0, 30), source(0, 30, 0));
      // Killed before the commit: handled again from the committed offset.
      await pipeline.computeBatch(stream.slice(0, 40), source(0, 40, 0));
      // Another replica took the partition meanwhile and counted further in the shared store.
      await new FeaturePipeline(store).computeBatch(stream.slice(40, 70), source(40, 70, 40));
      await pipeline.computeBatch(stream.slice(70, 90), source(70, 90, 70));
      // The group's offsets moved back by an operator: read again, already counted.
      await pipeline.computeBatch(stream.slice(10, 20), source(10, 20, 10));
      expect(gaps).toEqual([]);
      // A restart that restored the state as it was committed (a graceful stop's snapshot).
      const { gaps: restartGaps, pipeline: restarted } = watched(store);
      await restarted.computeBatch(stream.slice(89, 90), source(89, 90, 89));
      expect(restartGaps).toEqual([]);
    });
  });

  describe('fs-v2: terminal windows delayed by the chargeback window', () => {
    it("sees a terminal's frauds of 8 days ago under a fixed 7-day chargeback delay, where fs-v1 sees none", async () => {
      const pipeline = new FeaturePipeline(new MemoryFeatureStore(), FS_V2);
      const day = (d: number, hours = 0) => T0 + d * DAY_MS + hours * HOUR_MS;
      // Day -8 (12:00, 13:00): two payments at m1, the first a fraud known 7 days later (day -1).
      const old = [tx('o1', 'c1', 'm1', 10, day(-8)), tx('o2', 'c2', 'm1', 10, day(-8, 1))];
      // Day -3: a payment at m1, inside the 7-day delay: never in a delayed window at day 0.
      const recent = tx('r1', 'c3', 'm1', 10, day(-3));
      await pipeline.applyLabels([chargebackOf(old[0] as Transaction, day(-1))]);
      await pipeline.computeBatch([...old, recent]);
      const [v] = await pipeline.computeBatch([tx('n1', 'c4', 'm1', 10, day(0))]);
      expect(v).toHaveLength(FS_V2.names.length);
      // The delayed windows end with day -8: both old payments, one of them fraud.
      expect(f2(v, 'terminal_delayed_tx_count_1d')).toBe(2);
      expect(f2(v, 'terminal_delayed_fraud_rate_1d')).toBe(0.5);
      expect(f2(v, 'terminal_delayed_tx_count_7d')).toBe(2);
      expect(f2(v, 'terminal_delayed_fraud_rate_7d')).toBe(0.5);
      expect(f2(v, 'terminal_delayed_tx_count_30d')).toBe(2);
      expect(f2(v, 'terminal_delayed_fraud_rate_30d')).toBe(0.5);
      // fs-v1's windows end today: the 7-day one holds only the recent payment, no fraud; the 30-day
      // rate is diluted by it (1 fraud among 3).
      expect(f2(v, 'terminal_tx_count_7d')).toBe(1);
      expect(f2(v, 'terminal_fraud_rate_7d')).toBe(0);
      expect(f2(v, 'terminal_fraud_rate_30d')).toBeCloseTo(1 / 3, 12);
      // The first 19 features are fs-v1's, value for value.
      const v1 = new FeaturePipeline(new MemoryFeatureStore(), FS_V1);
      await v1.applyLabels([chargebackOf(old[0] as Transaction, day(-1))]);
      await v1.computeBatch([...old, recent]);
      const [w] = await v1.computeBatch([tx('n1', 'c4', 'm1', 10, day(0))]);
      expect(v?.slice(0, FEATURE_COUNT)).toEqual(w);
    });

    it('counts a fraud in the delayed windows only once its label is known, and moves the windows by day', async () => {
      const pipeline = new FeaturePipeline(new MemoryFeatureStore(), FS_V2);
      const day = (d: number, hours = 0) => T0 + d * DAY_MS + hours * HOUR_MS;
      const fraud = tx('o1', 'c1', 'm1', 10, day(-8));
      await pipeline.applyLabels([chargebackOf(fraud, day(0, 6))]); // known late: 8 days and 6 hours
      await pipeline.computeBatch([fraud]);
      const [before] = await pipeline.computeBatch([tx('n1', 'c2', 'm1', 10, day(0, 1))]);
      expect(f2(before, 'terminal_delayed_tx_count_1d')).toBe(1);
      expect(f2(before, 'terminal_delayed_fraud_rate_1d')).toBe(0);
      const [after] = await pipeline.computeBatch([tx('n2', 'c3', 'm1', 10, day(0, 7))]);
      expect(f2(after, 'terminal_delayed_fraud_rate_1d')).toBe(1);
      // A day later day -8 has left the 1-day window (day -7 holds nothing), not the 7-day one.
      const [next] = await pipeline.computeBatch([tx('n3', 'c4', 'm1', 10, day(1))]);
      expect(f2(next, 'terminal_delayed_tx_count_1d')).toBe(0);
      expect(f2(next, 'terminal_delayed_tx_count_7d')).toBe(1);
      expect(f2(next, 'terminal_delayed_fraud_rate_7d')).toBe(1);
      // 37 days after day -8 it is still in the delayed 30-day window (with n1-n3 of days 0 and 1);
      // 38 days after, out of it.
      const [last] = await pipeline.computeBatch([tx('n4', 'c5', 'm1', 10, day(29))]);
      expect(f2(last, 'terminal_delayed_tx_count_30d')).toBe(4);
      expect(f2(last, 'terminal_delayed_fraud_rate_30d')).toBe(0.25);
      const [gone] = await pipeline.computeBatch([tx('n5', 'c6', 'm1', 10, day(30))]);
      expect(f2(gone, 'terminal_delayed_tx_count_30d')).toBe(3);
      expect(f2(gone, 'terminal_delayed_fraud_rate_30d')).toBe(0);
    });

    it('computes the same vectors online, in any batch size, as offline from the full stream', async () => {
      const { transactions, labels } = randomStream(40);
      const offline = computeFeaturesOffline(transactions, labels, FS_V2);
      for (const batchSize of [1, 500]) {
        const online = await runOnline(
          new FeaturePipeline(new MemoryFeatureStore(), FS_V2),
          transactions,
          labels,
          batchSize,
        );
        expect(online).toEqual(offline);
      }
      // Long enough that the delayed 30-day window fills and slides.
      const last = transactions.at(-1)?.event_time ?? 0;
      expect(last - (transactions[0]?.event_time ?? 0)).toBeGreaterThan(
        (WINDOW_DAYS + FS_V2.terminalDelayDays + 1) * DAY_MS,
      );
      expect(offline.some((v) => (f2(v, 'terminal_delayed_fraud_rate_30d') ?? 0) > 0)).toBe(true);
      expect(offline.some((v) => (f2(v, 'terminal_delayed_fraud_rate_1d') ?? 0) > 0)).toBe(true);
    });

    it('refuses to restore a snapshot of another feature set', async () => {
      const v1 = new FeaturePipeline(new MemoryFeatureStore(), FS_V1);
      await v1.computeBatch([tx('a', 'c1', 'm1', 10, T0)]);
      const v2 = new FeaturePipeline(new MemoryFeatureStore(), FS_V2);
      expect(() => v2.restore(v1.snapshot())).toThrow(
        'feature state snapshot is for fs-v1, this pipeline computes fs-v2',
      );
    });

    it('names every set by its version, and every delayed window fits in the daily ring', () => {
      expect(featureSetOf('fs-v1')).toBe(FS_V1);
      expect(featureSetOf('fs-v2')).toBe(FS_V2);
      expect(featureSetOf('fs-v1-seq16')).toBe(FS_V1_SEQ16);
      expect(() => featureSetOf('fs-v9')).toThrow(UnknownFeatureSetError);
      expect(FS_V1.names).toEqual(FEATURE_NAMES);
      expect(FS_V2.names.slice(0, FEATURE_COUNT)).toEqual(FEATURE_NAMES);
      expect(new Set(FS_V2.names).size).toBe(FS_V2.names.length);
      for (const set of [FS_V1, FS_V2, FS_V1_SEQ16])
        expect(WINDOW_DAYS + set.terminalDelayDays + 1).toBeLessThanOrEqual(DAY_BUCKETS);
    });
  });

  describe("fs-v1-seq16: the card's last 16 transactions as a [K, S] block", () => {
    const seqPipeline = () => new FeaturePipeline(new MemoryFeatureStore(), FS_V1_SEQ16);
    const K = SEQUENCE_STEPS;

    it('lays out the flat features, then K steps of S named features, with the flat part equal to fs-v1', async () => {
      expect(FS_V1_SEQ16.names.length).toBe(FEATURE_COUNT + K * SEQUENCE_STEP_WIDTH);
      expect(FS_V1_SEQ16.flatWidth).toBe(FEATURE_COUNT);
      expect(FS_V1_SEQ16.names.slice(0, FEATURE_COUNT)).toEqual(FEATURE_NAMES);
      expect(new Set(FS_V1_SEQ16.names).size).toBe(FS_V1_SEQ16.names.length);
      const { transactions, labels } = randomStream();
      const v1 = computeFeaturesOffline(transactions, labels, FS_V1);
      const seq = computeFeaturesOffline(transactions, labels, FS_V1_SEQ16);
      expect(seq.map((v) => v.slice(0, FEATURE_COUNT))).toEqual(v1);
    });

    it('holds the earlier transactions of the card, right-aligned and zero-padded, computed before each one', async () => {
      const pipeline = seqPipeline();
      const night = Date.UTC(2026, 0, 6, 2, 0, 0); // 02:00 UTC
      const first = { ...tx('s1', 'c1', 'm1', 10, night), channel: 'CARD_NOT_PRESENT' as const };
      const second = tx('s2', 'c1', 'm1', 30, night + 9 * 60_000);
      const other = tx('o1', 'c2', 'm9', 999, night + 10 * 60_000);
      const third = tx('s3', 'c1', 'm2', 50, night + 10 * 60_000 + 59 * 60_000);
      const [v1, v2, , v3] = await pipeline.computeBatch([first, second, other, third]);
      // The first transaction of a card: an all-zero block.
      expect(v1?.slice(FEATURE_COUNT).every((x) => x === 0)).toBe(true);
      // The second sees the first in the last row, every other row padding.
      expect(step(v2, K - 1, 'present')).toBe(1);
      expect(step(v2, K - 2, 'present')).toBe(0);
      expect(step(v2, K - 1, 'log_amount')).toBeCloseTo(Math.log1p(10), 12);
      expect(step(v2, K - 1, 'log_gap_minutes')).toBeCloseTo(Math.log1p(9), 12);
      expect(step(v2, K - 1, 'card_not_present')).toBe(1);
      expect(step(v2, K - 1, 'night')).toBe(1);
      expect(step(v2, K - 1, 'new_terminal')).toBe(1);
      expect(step(v2, K - 1, 'amount_to_card_mean')).toBe(1);
      // The third: 10 then 30 (mean 20), the second at a terminal the card had used.
      expect(step(v3, K - 2, 'log_gap_minutes')).toBeCloseTo(Math.log1p(69), 12);
      expect(step(v3, K - 1, 'log_gap_minutes')).toBeCloseTo(Math.log1p(60), 12);
      expect(step(v3, K - 1, 'new_terminal')).toBe(0);
      expect(step(v3, K - 1, 'card_not_present')).toBe(0);
      expect(step(v3, K - 2, 'amount_to_card_mean')).toBeCloseTo(0.5, 12);
      expect(step(v3, K - 1, 'amount_to_card_mean')).toBeCloseTo(1.5, 12);
      expect(step(v3, K - 3, 'present')).toBe(0);
    });

    it('keeps the last K only, and judges a terminal new against the K before it', async () => {
      const pipeline = seqPipeline();
      // K + 4 transactions at terminals m0..m(K+3), then one back at m0 (out of the ring: new again).
      const txs = Array.from({ length: K + 5 }, (_, i) =>
        tx(`r${i}`, 'c1', `m${i === K + 4 ? 0 : i}`, i + 1, T0 + i * 60_000),
      );
      txs.push(tx('last', 'c1', 'm0', 1, T0 + (K + 5) * 60_000));
      const vectors = await pipeline.computeBatch(txs);
      const last = vectors.at(-1);
      // Row K-1 is the previous transaction (amount K + 5), row 0 the one K before the last.
      expect(step(last, K - 1, 'log_amount')).toBeCloseTo(Math.log1p(K + 5), 12);
      expect(step(last, 0, 'log_amount')).toBeCloseTo(Math.log1p(6), 12);
      expect(step(last, K - 1, 'new_terminal')).toBe(1);
      for (let k = 0; k < K; k++) expect(step(last, k, 'present')).toBe(1);
    });

    it('computes the same block online, in any batch size, as offline from the full stream', async () => {
      const { transactions: plain, labels } = randomStream();
      // Some card-not-present payments, so the channel column is not constant.
      const transactions = plain.map((t, i) =>
        i % 3 === 0 ? { ...t, channel: 'CARD_NOT_PRESENT' as const } : t,
      );
      const offline = computeFeaturesOffline(transactions, labels, FS_V1_SEQ16);
      for (const batchSize of [1, 7, 500]) {
        const online = await runOnline(seqPipeline(), transactions, labels, batchSize);
        expect(online).toEqual(offline);
      }
      // Cards fill their ring (75 transactions each on average), and novelty takes both values.
      expect(offline.filter((v) => step(v, 0, 'present') === 1).length).toBeGreaterThan(1000);
      const novelty = new Set(offline.map((v) => step(v, K - 1, 'new_terminal')));
      expect(novelty).toEqual(new Set([0, 1]));
    });

    it('equals the offline recomputation across kills between the state update and the offset commit', async () => {
      const { transactions, labels } = randomStream();
      const offline = computeFeaturesOffline(transactions, [], FS_V1_SEQ16);
      expect(labels.length).toBeGreaterThan(0);
      const { committed, kills } = await runWithKills(seqPipeline(), transactions, [7, 50, 3], 4, true);
      expect(kills).toBeGreaterThan(10);
      expect(committed).toEqual(offline);
    });

    it("keeps a card's history across a key rotation when its next token came before the cutover", async () => {
      const { transactions } = randomStream();
      const cutover = T0 + 6 * DAY_MS;
      const next = (card: string) => `${card}/next-key`;
      const rotated = transactions.map((t) =>
        t.event_time >= cutover
          ? { ...t, card_id: next(t.card_id) }
          : { ...t, card_token_next: next(t.card_id) },
      );
      const asIs = computeFeaturesOffline(transactions, [], FS_V1_SEQ16);
      expect(await runOnline(seqPipeline(), rotated, [], 50)).toEqual(asIs);
    });

    it('restores the history rings from a snapshot', async () => {
      const { transactions } = randomStream();
      const half = Math.floor(transactions.length / 2);
      const original = seqPipeline();
      await original.computeBatch(transactions.slice(0, half));
      const restored = seqPipeline();
      restored.restore(original.snapshot());
      const rest = transactions.slice(half);
      const expected = await original.computeBatch(rest);
      expect(await restored.computeBatch(rest)).toEqual(expected);
      expect(expected.some((v) => step(v, 0, 'present') === 1)).toBe(true);
    });

    it('refuses a store that keeps no card history rings, and asks the store for the rings it needs', async () => {
      const memory = new MemoryFeatureStore();
      const redisLike: FeatureStore = {
        kind: 'redis',
        reachable: true,
        keepsCardHistory: false,
        enqueueLabels: (labels) => memory.enqueueLabels(labels),
        begin: (keys) => memory.begin(keys),
        close: () => memory.close(),
      };
      expect(() => new FeaturePipeline(redisLike, FS_V1_SEQ16)).toThrow(UnsupportedFeatureStoreError);
      expect(() => new FeaturePipeline(redisLike, FS_V1)).not.toThrow();
      // A remote store loads the rings with the batch only when the set has a block.
      const asked: (boolean | undefined)[] = [];
      const recording: FeatureStore = {
        kind: 'redis',
        reachable: true,
        keepsCardHistory: true,
        enqueueLabels: (labels) => memory.enqueueLabels(labels),
        begin: (keys) => {
          asked.push(keys.cardHistory);
          return memory.begin(keys);
        },
        close: () => memory.close(),
      };
      await new FeaturePipeline(recording, FS_V1_SEQ16).computeBatch([tx('h1', 'c1', 'm1', 5, T0)]);
      await new FeaturePipeline(recording, FS_V1).computeBatch([tx('h2', 'c1', 'm1', 5, T0 + 1)]);
      expect(asked).toEqual([true, false]);
    });
  });
});
