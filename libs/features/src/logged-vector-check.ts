import { DAY_MS, type Label, type Transaction } from '@fraudstream/contracts';
import type { FeatureSet } from './feature-set';
import { computeFeaturesOffline } from './offline-features';

/** A feature vector as the scorer logged it with its score. */
export interface LoggedVector {
  readonly transactionId: string;
  readonly features: ArrayLike<number>;
}

/** One day of logged vectors against the offline recomputation. */
export interface LoggedVectorDay {
  /** Days since `startTime`, by the transaction's event time. */
  readonly day: number;
  readonly rows: number;
  /** Rows with at least one feature off the recomputation. */
  readonly differing: number;
}

export interface LoggedVectorCheck {
  /** Days that have a logged vector, in order. */
  readonly days: readonly LoggedVectorDay[];
  /** Per feature, the rows where it is off, most first; features never off are left out. */
  readonly features: readonly { readonly name: string; readonly differing: number }[];
}

/**
 * Compares the feature vectors the scorer logged with the offline recomputation of the same stream
 * (`computeFeaturesOffline` over every transaction and the labels the scorer was given): what the
 * trainer learns from and the drift monitor builds a reference of, against what the definitions say.
 * A value is off beyond `tolerance` relative to the larger of 1 and the recomputed value (the logged
 * vectors are 32-bit floats). Logged vectors of transactions not in `transactions` are not counted.
 */
export function checkLoggedVectors(
  transactions: readonly Transaction[],
  labels: readonly Label[],
  logged: Iterable<LoggedVector>,
  set: FeatureSet,
  startTime: number,
  tolerance = 1e-4,
): LoggedVectorCheck {
  const offline = computeFeaturesOffline(transactions, labels, set);
  const index = new Map<string, number>();
  transactions.forEach((t, i) => index.set(t.transaction_id, i));
  const days = new Map<number, { rows: number; differing: number }>();
  const offByFeature = new Array<number>(set.names.length).fill(0);
  for (const vector of logged) {
    const i = index.get(vector.transactionId);
    if (i === undefined) continue;
    const expected = offline[i] as number[];
    const day = Math.floor(((transactions[i] as Transaction).event_time - startTime) / DAY_MS);
    const counts = days.get(day) ?? { rows: 0, differing: 0 };
    days.set(day, counts);
    counts.rows++;
    let off = false;
    for (let k = 0; k < expected.length; k++) {
      const want = expected[k] as number;
      if (Math.abs((vector.features[k] ?? Number.NaN) - want) <= tolerance * Math.max(1, Math.abs(want)))
        continue;
      offByFeature[k] = (offByFeature[k] ?? 0) + 1;
      off = true;
    }
    if (off) counts.differing++;
  }
  return {
    days: [...days.entries()].sort(([a], [b]) => a - b).map(([day, c]) => ({ day, ...c })),
    features: set.names
      .map((name, k) => ({ name, differing: offByFeature[k] ?? 0 }))
      .filter((f) => f.differing > 0)
      .sort((a, b) => b.differing - a.differing),
  };
}
