import type { Label, Transaction } from '@fraudstream/contracts';
import type { ExtractedFeatures, FeatureExtractor, TransactionPositions } from './feature-extractor.types';

/** The part of libs/features' FeaturePipeline the scorer calls. */
export interface FeatureComputation {
  computeScoring(
    transactions: readonly Transaction[],
    positions?: TransactionPositions,
  ): Promise<ExtractedFeatures>;
  applyLabels(labels: readonly Label[]): Promise<void>;
}

/**
 * Adapts a feature pipeline to the scorer, running its batches one at a time: the consumer scores
 * several partitions concurrently, and partitions share terminals, whose state a store session reads
 * and writes back; serialising the (cheap) feature step keeps those updates from overwriting each
 * other while the (expensive) ONNX runs of the partitions still overlap.
 */
export class SerialFeatureExtractor implements FeatureExtractor {
  private tail: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly pipeline: FeatureComputation,
    readonly names: readonly string[],
    readonly version: string,
  ) {}

  computeBatch(
    transactions: readonly Transaction[],
    positions?: TransactionPositions,
  ): Promise<ExtractedFeatures> {
    return this.serialised(() => this.pipeline.computeScoring(transactions, positions));
  }

  applyLabels(labels: readonly Label[]): Promise<void> {
    return this.serialised(() => this.pipeline.applyLabels(labels));
  }

  private serialised<R>(task: () => Promise<R>): Promise<R> {
    const run = this.tail.then(task);
    this.tail = run.catch(() => undefined);
    return run;
  }
}
