import type { Label, Transaction } from '@fraudstream/contracts';
import { FeaturePipeline } from './feature.pipeline';

/**
 * The online vectors of a whole event-time-ordered stream (e.g. the simulator's NDJSON output, to
 * train a first model before any score was logged): the stream goes through a fresh FeaturePipeline
 * in batches, each label handed over as soon as the stream's event time reaches it, exactly as a
 * scorer fed in event time would see them. Same result as computeFeaturesOffline, in linear time.
 */
export async function replayFeatures(
  transactions: readonly Transaction[],
  labels: readonly Label[],
  pipeline: FeaturePipeline = new FeaturePipeline(),
  batchSize = 1000,
): Promise<number[][]> {
  const sorted = [...labels].sort((a, b) => a.event_time - b.event_time);
  const out: number[][] = [];
  let next = 0;
  for (let i = 0; i < transactions.length; i += batchSize) {
    const batch = transactions.slice(i, i + batchSize);
    let last = -Infinity;
    for (const tx of batch) last = Math.max(last, tx.event_time);
    const from = next;
    while (next < sorted.length && (sorted[next]?.event_time ?? Infinity) <= last) next++;
    if (next > from) await pipeline.applyLabels(sorted.slice(from, next));
    for (const vector of await pipeline.computeBatch(batch)) out.push(vector);
  }
  return out;
}
