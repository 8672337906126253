import type { WindowCounters } from './window-counters';

/** The entities one batch touches, so a remote store can load them in one round trip. */
export interface FeatureBatchKeys {
  readonly cardIds: ReadonlySet<string>;
  readonly terminalIds: ReadonlySet<string>;
  /** Fraud labels the batch will apply: transaction id -> transaction (event) time. */
  readonly fraudLabels: ReadonlyMap<string, number>;
}

/**
 * The state of one batch. Reads go through card()/terminal(); every change goes through the add*
 * methods so a remote store can record it as an increment; commit() persists the changes.
 */
export interface FeatureStateSession {
  /** The counters of a card (empty when never seen). Do not mutate them directly. */
  card(id: string): WindowCounters;
  /** The counters of a terminal (empty when never seen). Do not mutate them directly. */
  terminal(id: string): WindowCounters;
  /** Counts one transaction of `amountCents` on the card at `eventTime`. */
  addCardTransaction(cardId: string, eventTime: number, amountCents: number): void;
  /** Counts one transaction on the terminal at `eventTime`. */
  addTerminalTransaction(terminalId: string, eventTime: number): void;
  /**
   * Counts a confirmed fraud on the terminal in the bucket of the transaction's time, once per
   * transaction id (a chargeback and an analyst verdict on the same payment count once).
   */
  addTerminalFraud(transactionId: string, terminalId: string, transactionTime: number): void;
  /** Persists the batch's changes. */
  commit(): Promise<void>;
}

/** Per-card and per-terminal feature state: in memory (one scorer) or in Redis (many replicas). */
export interface FeatureStore {
  readonly kind: 'memory' | 'redis';
  begin(keys: FeatureBatchKeys): Promise<FeatureStateSession>;
  close(): Promise<void>;
}
