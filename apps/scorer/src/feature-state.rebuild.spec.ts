import { HOUR_MS, type Label, type Transaction } from '@fraudstream/contracts';
import { FeaturePipeline, computeFeaturesOffline } from '@fraudstream/features';
import type { PartitionFlow } from '@fraudstream/kafka';
import { describe, expect, it } from 'vitest';
import { MergedReplay } from './feature-state.rebuild';

const T0 = Date.UTC(2026, 2, 2, 0, 0, 0);

/** Partition p's i-th payment: partition 0 every 10 s, partition 1 every 20 s; terminals shared. */
function payment(partition: number, i: number): Transaction {
  return {
    transaction_id: `p${partition}-${i}`,
    card_id: `card-${partition}-${i % 7}`,
    terminal_id: `term-${i % 3}`,
    amount: 5 + ((i * 13) % 200),
    currency: 'EUR',
    channel: i % 4 === 0 ? 'CARD_NOT_PRESENT' : 'CARD_PRESENT',
    event_time: T0 + i * (partition === 0 ? 10_000 : 20_000),
    ingest_time: T0,
  };
}

function chargeback(tx: Transaction, after: number): Label {
  return {
    transaction_id: tx.transaction_id,
    card_id: tx.card_id,
    terminal_id: tx.terminal_id,
    is_fraud: true,
    source: 'CHARGEBACK',
    transaction_time: tx.event_time,
    event_time: tx.event_time + after,
  };
}

describe(MergedReplay.name, () => {
  const p0 = Array.from({ length: 120 }, (_, i) => payment(0, i));
  const p1 = Array.from({ length: 60 }, (_, i) => payment(1, i));
  const labels = [
    chargeback(p0[3] as Transaction, HOUR_MS / 4),
    chargeback(p1[5] as Transaction, HOUR_MS),
  ].sort((a, b) => a.event_time - b.event_time);
  const probes = Array.from({ length: 6 }, (_, i) => ({
    ...payment(i % 2, 500 + i),
    event_time: T0 + 30 * 60_000 + i,
  }));

  it('replays partitions read one after the other in event-time order, pausing the one ahead until the other catches up', async () => {
    const pipeline = new FeaturePipeline();
    const calls: string[] = [];
    const flow: PartitionFlow = {
      pause: (p) => calls.push(`pause ${p}`),
      resume: (p) => calls.push(`resume ${p}`),
    };
    const replay = new MergedReplay(
      pipeline,
      'tx',
      new Map([
        [0, 120],
        [1, 60],
      ]),
      labels,
      10,
      8,
    );
    replay.plan([0, 1], flow);
    // A fetch that handed partition 0's records first (its batch in hand is still handed over).
    for (const [i, tx] of p0.entries()) await replay.push(0, { tx, offset: i });
    expect(calls).toEqual(['pause 0']);
    expect(replay.replayed.size).toBe(0); // nothing placed while partition 1 is unread
    for (const [i, tx] of p1.entries()) await replay.push(1, { tx, offset: i });
    replay.end(1);
    replay.end(0);
    await replay.finish();
    expect(calls).toEqual(['pause 0', 'resume 0']);
    expect(Object.fromEntries(replay.replayed)).toEqual({ 0: 120, 1: 60 });
    expect([replay.first, replay.last]).toEqual([T0, T0 + 119 * 10_000]);

    // The state is the one of the stream in event time, labels included.
    const stream = [...p0, ...p1].sort((a, b) => a.event_time - b.event_time);
    const expected = computeFeaturesOffline([...stream, ...probes], labels).slice(stream.length);
    expect(await pipeline.computeBatch(probes)).toEqual(expected);
    // ... and it differs from the state without the labels (they count).
    expect(computeFeaturesOffline([...stream, ...probes], []).slice(stream.length)).not.toEqual(expected);
  });

  it('records where it counted: the same records again are not counted twice', async () => {
    const pipeline = new FeaturePipeline();
    const replay = new MergedReplay(pipeline, 'tx', new Map([[0, 120]]), [], 25);
    replay.plan([0], { pause: () => undefined, resume: () => undefined });
    for (const [i, tx] of p0.entries()) await replay.push(0, { tx, offset: i });
    await replay.finish();
    // A scorer handed the last batch again after the rebuild (it was below the committed offset).
    const again = await pipeline.computeScoring(p0.slice(100), {
      topic: 'tx',
      partition: 0,
      offsets: p0.slice(100).map((_, k) => 100 + k),
    });
    expect(again.duplicates).toEqual([]);
    const expected = computeFeaturesOffline([...p0, ...probes], []).slice(p0.length);
    expect(await pipeline.computeBatch(probes)).toEqual(expected);
  });
});
