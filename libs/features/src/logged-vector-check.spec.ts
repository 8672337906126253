import { DAY_MS, type Transaction } from '@fraudstream/contracts';
import { describe, expect, it } from 'vitest';
import { cardPayment } from '../../../tests/support/sample-records';
import { FeaturePipeline } from './feature.pipeline';
import { FS_V1 } from './feature-set';
import { checkLoggedVectors, type LoggedVector } from './logged-vector-check';
import { computeFeaturesOffline } from './offline-features';

// 2026-01-05 is a Monday.
const T0 = Date.UTC(2026, 0, 5, 0, 0, 0);

/**
 * Four days of payments, one every 15 minutes, by 8 cards at 3 terminals. The cards fall in two
 * partitions (even and odd card numbers) as a card-keyed topic splits them; the terminals are shared.
 */
function stream(): Transaction[] {
  const out: Transaction[] = [];
  for (let i = 0; i < 4 * 96; i++)
    out.push(cardPayment(`t${i}`, `card-${i % 8}`, `term-${i % 3}`, 10 + (i % 7), T0 + i * 15 * 60_000));
  return out;
}
const partitionOf = (t: Transaction) => Number(t.card_id.slice(5)) % 2;

async function logged(batches: readonly Transaction[][]): Promise<LoggedVector[]> {
  const pipeline = new FeaturePipeline(undefined, FS_V1);
  const out: LoggedVector[] = [];
  for (const batch of batches) {
    const vectors = await pipeline.computeBatch(batch);
    batch.forEach((t, i) => out.push({ transactionId: t.transaction_id, features: vectors[i] as number[] }));
  }
  return out;
}

describe('checkLoggedVectors', () => {
  it('finds nothing off when the scorer took the partitions in step (batches in event-time order)', async () => {
    const transactions = stream();
    const batches = Array.from({ length: 8 }, (_, b) => transactions.slice(b * 48, b * 48 + 48));
    const check = checkLoggedVectors(transactions, [], await logged(batches), FS_V1, T0);
    expect(check.days).toEqual([0, 1, 2, 3].map((day) => ({ day, rows: 96, differing: 0 })));
    expect(check.features).toEqual([]);
  });

  it('finds the terminal windows off, and only them, when one partition ran two days ahead of the other', async () => {
    const transactions = stream();
    const byPartition = [0, 1].map((p) => transactions.filter((t) => partitionOf(t) === p));
    const twoDays = (list: Transaction[], from: number) =>
      list.filter((t) => t.event_time >= T0 + from * DAY_MS && t.event_time < T0 + (from + 2) * DAY_MS);
    // A backlog taken unevenly: partition 0's first two days, then partition 1's, and so on.
    const batches = [0, 2].flatMap((d) => [
      twoDays(byPartition[0] ?? [], d),
      twoDays(byPartition[1] ?? [], d),
    ]);
    const check = checkLoggedVectors(transactions, [], await logged(batches), FS_V1, T0);

    expect(check.days.map((d) => d.rows)).toEqual([96, 96, 96, 96]);
    // Partition 1's payments see partition 0's later ones in the terminal's buckets; partition 0's
    // of days 2-3 miss partition 1's of the day before.
    expect(check.days.every((d) => d.differing > 24)).toBe(true);
    const off = check.features.map((f) => f.name);
    expect(off).toContain('terminal_tx_count_1d');
    expect(off).toContain('terminal_tx_count_7d');
    expect(off.every((name) => name.startsWith('terminal_'))).toBe(true);
  });

  it('takes 32-bit rounding as equal and counts a value off by more, per day and per feature', () => {
    const transactions = stream();
    const exact = computeFeaturesOffline(transactions, [], FS_V1);
    const amountRatio = FS_V1.names.indexOf('amount_to_card_mean_7d');
    const vectors: LoggedVector[] = transactions.map((t, i) => {
      const features = Float32Array.from(exact[i] ?? []);
      if (i === 100) features[amountRatio] = (features[amountRatio] ?? 0) + 0.5;
      return { transactionId: t.transaction_id, features };
    });
    vectors.push({ transactionId: 'not-in-the-stream', features: new Float32Array(FS_V1.names.length) });
    const check = checkLoggedVectors(transactions, [], vectors, FS_V1, T0);
    expect(check.days).toEqual([
      { day: 0, rows: 96, differing: 0 },
      { day: 1, rows: 96, differing: 1 },
      { day: 2, rows: 96, differing: 0 },
      { day: 3, rows: 96, differing: 0 },
    ]);
    expect(check.features).toEqual([{ name: 'amount_to_card_mean_7d', differing: 1 }]);
  });
});
