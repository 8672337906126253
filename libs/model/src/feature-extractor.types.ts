import type { Label, Transaction } from '@fraudstream/contracts';

/**
 * What the scorer needs from the feature pipeline (libs/features): the ordered names, their version
 * and a batch computation that also updates the online state.
 */
export interface FeatureExtractor {
  readonly names: readonly string[];
  readonly version: string;
  /** One vector per transaction, in `names` order; applies the transactions to the online state. */
  computeBatch(transactions: readonly Transaction[]): Promise<readonly (readonly number[])[]>;
  /** Feeds fraud labels to label-based features (terminal fraud rates). */
  applyLabels(labels: readonly Label[]): Promise<void>;
}
