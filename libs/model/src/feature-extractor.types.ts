import type { Label, Transaction } from '@fraudstream/contracts';

/** The input partition of a batch and each transaction's offset, in input order. */
export interface TransactionPositions {
  readonly topic: string;
  readonly partition: number;
  readonly offsets: readonly number[];
  /**
   * The partition's committed offset when the batch was handled (a lower bound): the state may
   * forget the vectors below it. Absent: it keeps those from the batch's first offset on.
   */
  readonly committedOffset?: number;
}

/**
 * What the scorer needs from the feature pipeline (libs/features): the ordered names, their version
 * and a batch computation that also updates the online state.
 */
export interface FeatureExtractor {
  readonly names: readonly string[];
  readonly version: string;
  /**
   * One vector per transaction, in `names` order; applies the transactions to the online state.
   * With `positions`, a transaction whose offset the state already counts is not counted again and
   * gets the vector it was first computed with.
   */
  computeBatch(
    transactions: readonly Transaction[],
    positions?: TransactionPositions,
  ): Promise<readonly (readonly number[])[]>;
  /**
   * Feeds fraud labels to label-based features (terminal fraud rates); resolves once they are queued
   * in the feature state (durably, for a remote store), so the caller may commit them.
   */
  applyLabels(labels: readonly Label[]): Promise<void>;
}
