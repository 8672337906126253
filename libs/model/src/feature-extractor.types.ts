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

/** A transaction sent twice: its index in the batch and where the copy that was counted and scored was read. */
export interface DuplicateInBatch {
  readonly index: number;
  readonly first: { readonly partition: number; readonly offset: number };
}

/** A batch's feature vectors, and which of its transactions are duplicates (they have no vector). */
export interface ExtractedFeatures {
  /** One vector per transaction, in `names` order, in input order; null for a duplicate. */
  readonly vectors: readonly (readonly number[] | null)[];
  readonly duplicates: readonly DuplicateInBatch[];
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
   * gets the vector it was first computed with, and one whose id the state counted at another place
   * (sent twice) is a duplicate.
   */
  computeBatch(
    transactions: readonly Transaction[],
    positions?: TransactionPositions,
  ): Promise<ExtractedFeatures>;
  /**
   * Feeds fraud labels to label-based features (terminal fraud rates); resolves once they are queued
   * in the feature state (durably, for a remote store), so the caller may commit them.
   */
  applyLabels(labels: readonly Label[]): Promise<void>;
}
