import type { Transaction } from '@fraudstream/contracts';
import type { FeaturePipeline } from '@fraudstream/features';
import type { ScoredTransaction } from './mature-labels';
import { segmentsOf } from './training-rows';

/** Transactions per pipeline batch: the scorer's micro-batches are of this order. */
const BATCH = 2048;

/**
 * The rows the scorer would log for `transactions` (in event-time order): their feature vectors
 * computed by `pipeline` in micro-batches, as CHAMPION rows of `modelVersion`.
 */
export async function logFeatureRows(
  pipeline: FeaturePipeline,
  transactions: readonly Transaction[],
  modelVersion: string,
): Promise<ScoredTransaction[]> {
  const rows: ScoredTransaction[] = [];
  for (let i = 0; i < transactions.length; i += BATCH) {
    const batch = transactions.slice(i, i + BATCH);
    const vectors = await pipeline.computeBatch(batch);
    batch.forEach((tx, j) =>
      rows.push({
        transaction_id: tx.transaction_id,
        card_id: tx.card_id,
        event_time: tx.event_time,
        features: vectors[j] ?? [],
        feature_set_version: pipeline.featureSet.version,
        role: 'CHAMPION',
        model_version: modelVersion,
        ...segmentFields(tx),
      }),
    );
  }
  return rows;
}

/** The transaction's segments as the scorer copies them into its score (nothing when it has none). */
function segmentFields(tx: Transaction): Pick<ScoredTransaction, 'age_band' | 'region'> {
  const segments = segmentsOf(tx);
  return segments ? { age_band: segments.age_band ?? null, region: segments.region ?? null } : {};
}
