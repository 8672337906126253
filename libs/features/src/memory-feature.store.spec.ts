import { DAY_MS, HOUR_MS } from '@fraudstream/contracts';
import { describe, expect, it } from 'vitest';
import type { QueuedLabel } from './feature-store.types';
import { MemoryFeatureStore } from './memory-feature.store';

const T0 = Date.UTC(2026, 0, 5, 12, 0, 0);

function label(id: string, terminal: string, transactionTime: number, eventTime: number): QueuedLabel {
  return {
    transaction_id: id,
    terminal_id: terminal,
    transaction_time: transactionTime,
    event_time: eventTime,
  };
}

/** The terminal's known frauds in its 30-day window at `time`. */
function frauds30d(store: MemoryFeatureStore, terminal: string, time: number): number {
  return store.terminal(terminal).windows(time, new Float64Array(6))[5] ?? 0;
}

describe(MemoryFeatureStore.name, () => {
  it('queues a label per terminal and counts it once its event time is reached', async () => {
    const store = new MemoryFeatureStore();
    await store.enqueueLabels([label('a', 'm1', T0, T0 + DAY_MS), label('b', 'm2', T0, T0 + HOUR_MS)]);
    expect(store.pendingLabelCount).toBe(2);
    store.applyDueLabels('m1', T0 + DAY_MS - 1);
    expect(frauds30d(store, 'm1', T0 + DAY_MS)).toBe(0);
    store.applyDueLabels('m1', T0 + DAY_MS);
    expect(frauds30d(store, 'm1', T0 + DAY_MS)).toBe(1);
    expect(frauds30d(store, 'm2', T0 + DAY_MS)).toBe(0);
    expect(store.pendingLabelCount).toBe(1);
  });

  it('keeps the earlier of two labels of one transaction, and drops a label of a counted one', async () => {
    const store = new MemoryFeatureStore();
    // The chargeback first, then the analyst's earlier verdict, then the chargeback again (a replay).
    await store.enqueueLabels([label('a', 'm1', T0, T0 + 3 * DAY_MS)]);
    await store.enqueueLabels([label('a', 'm1', T0, T0 + 2 * HOUR_MS)]);
    await store.enqueueLabels([label('a', 'm1', T0, T0 + 3 * DAY_MS)]);
    expect(store.queuedLabels()).toEqual([label('a', 'm1', T0, T0 + 2 * HOUR_MS)]);
    store.applyDueLabels('m1', T0 + 2 * HOUR_MS);
    await store.enqueueLabels([label('a', 'm1', T0, T0 + 3 * DAY_MS)]);
    expect(store.pendingLabelCount).toBe(0);
    store.applyDueLabels('m1', T0 + 4 * DAY_MS);
    expect(frauds30d(store, 'm1', T0 + 4 * DAY_MS)).toBe(1);
  });

  it('takes due labels in event-time order whatever order they were queued in', async () => {
    const store = new MemoryFeatureStore();
    await store.enqueueLabels([
      label('c', 'm1', T0 + 2 * HOUR_MS, T0 + 5 * HOUR_MS),
      label('a', 'm1', T0, T0 + HOUR_MS),
      label('b', 'm1', T0 + HOUR_MS, T0 + 3 * HOUR_MS),
    ]);
    expect(store.queuedLabels().map((l) => l.transaction_id)).toEqual(['a', 'b', 'c']);
    store.applyDueLabels('m1', T0 + 4 * HOUR_MS);
    expect(store.queuedLabels().map((l) => l.transaction_id)).toEqual(['c']);
    expect(frauds30d(store, 'm1', T0 + 4 * HOUR_MS)).toBe(2);
  });

  it('keeps the vectors of every batch recorded at or above keepFrom, and drops the rest at commit()', async () => {
    const store = new MemoryFeatureStore();
    const partition = { topic: 'tx', partition: 2 };
    const record = async (from: number, to: number, keepFrom: number) => {
      const session = await store.begin({ cardIds: new Set(), terminalIds: new Set(), partition });
      const vectors = new Map(
        Array.from({ length: to - from }, (_, k): [number, number[]] => [from + k, [from + k]]),
      );
      session.recordApplied({ lastOffset: to - 1, vectors, keepFrom });
      await session.commit();
    };
    const kept = () => [...(store.appliedBatch('tx', 2)?.vectors.keys() ?? [])];
    await record(0, 5, 0);
    await record(5, 10, 0);
    expect(kept()).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(
      (await store.begin({ cardIds: new Set(), terminalIds: new Set(), partition })).applied?.vectors.get(2),
    ).toEqual([2]);
    await record(10, 12, 7);
    expect(kept()).toEqual([7, 8, 9, 10, 11]);
    expect(store.appliedBatch('tx', 2)?.lastOffset).toBe(11);
    // A batch that named no record leaves it as it was.
    await (await store.begin({ cardIds: new Set(), terminalIds: new Set(), partition })).commit();
    expect(kept()).toEqual([7, 8, 9, 10, 11]);
    expect(store.appliedBatch('tx', 3)).toBeNull();
  });

  it('drops the queued labels with the rest of the state on restore()', async () => {
    const store = new MemoryFeatureStore();
    const empty = store.snapshot();
    await store.enqueueLabels([label('a', 'm1', T0, T0 + HOUR_MS)]);
    store.restore(empty);
    expect(store.pendingLabelCount).toBe(0);
  });
});
