import { FeaturePipeline } from '@fraudstream/features';
import type { ImportedDataset } from './dataset.types';

/** Feature vectors of some of a dataset's transactions, row-major. */
export interface DatasetFeatures {
  /** Index into `dataset.transactions` of each row. */
  readonly indices: Int32Array;
  /** `indices.length` x `width` values, in the pipeline's feature set's order. */
  readonly values: Float32Array;
  readonly width: number;
}

/** Transactions per pipeline batch, of the order of the scorer's micro-batches. */
const BATCH = 2048;

/**
 * Every transaction of a file through the scorer's own FeaturePipeline, in event-time
 * micro-batches, each label taking effect at its own event time (the pipeline holds it until the
 * stream reaches it): the vectors the scorer would have logged had it scored the file live. No
 * second feature code: this is `FeaturePipeline.computeBatch`. All transactions update the state;
 * only those `keep` accepts are returned (the file's early days then only warm the windows up).
 */
export async function computeDatasetFeatures(
  dataset: ImportedDataset,
  options: { readonly keep?: (index: number) => boolean; readonly pipeline?: FeaturePipeline } = {},
): Promise<DatasetFeatures> {
  const pipeline = options.pipeline ?? new FeaturePipeline();
  const keep = options.keep ?? (() => true);
  const { transactions } = dataset;
  await pipeline.applyLabels(dataset.labels);
  let kept = 0;
  for (let i = 0; i < transactions.length; i++) if (keep(i)) kept++;
  const width = pipeline.featureSet.names.length;
  const indices = new Int32Array(kept);
  const values = new Float32Array(kept * width);
  let row = 0;
  for (let start = 0; start < transactions.length; start += BATCH) {
    const batch = transactions.slice(start, start + BATCH);
    const vectors = await pipeline.computeBatch(batch);
    vectors.forEach((vector, j) => {
      const index = start + j;
      if (!keep(index)) return;
      indices[row] = index;
      values.set(vector, row * width);
      row++;
    });
  }
  return { indices, values, width };
}
