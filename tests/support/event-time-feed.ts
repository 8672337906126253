import type { Label, Transaction } from '@fraudstream/contracts';
import type { FeaturePipeline } from '@fraudstream/features';

/**
 * Feeds transactions and labels to a pipeline as one event-time-ordered stream, in batches of
 * `batchSize`: before each batch, the labels whose event time its last transaction reached (and the
 * next `early` ones, arriving before their time: the pipeline must hold them back). `labels` must be
 * in event-time order. Returns the batches' vectors, in input order.
 */
export async function feedInEventTime(
  pipeline: FeaturePipeline,
  transactions: readonly Transaction[],
  labels: readonly Label[],
  { batchSize, early = 0 }: { batchSize: number; early?: number },
): Promise<number[][]> {
  const out: number[][] = [];
  let li = 0;
  for (let i = 0; i < transactions.length; i += batchSize) {
    const batch = transactions.slice(i, i + batchSize);
    const last = batch[batch.length - 1]?.event_time ?? 0;
    const due: Label[] = [];
    while (li < labels.length && (labels[li]?.event_time ?? Infinity) <= last) {
      const label = labels[li++];
      if (label) due.push(label);
    }
    const ahead = labels.slice(li, li + early);
    li += ahead.length;
    await pipeline.applyLabels([...due, ...ahead]);
    out.push(...(await pipeline.computeBatch(batch)));
  }
  return out;
}
