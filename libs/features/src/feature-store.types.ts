import type { CardHistoryEntry, CardHistoryStep } from './card-history';
import type { WindowCounters } from './window-counters';

/** The input partition a batch was read from. */
export interface FeatureBatchPartition {
  readonly topic: string;
  readonly partition: number;
}

/**
 * Where a batch's transactions were read: one input partition and each transaction's offset, in
 * input order. With it, the state remembers what it already counts, and a batch read again (after a
 * kill, a retry, a rebalance) does not count its transactions twice.
 */
export interface FeatureBatchSource extends FeatureBatchPartition {
  /** Kafka offsets (below 2^53), one per transaction, in input order. */
  readonly offsets: readonly number[];
  /**
   * The partition's committed offset when the batch was handled, as far as the consumer knows (a
   * lower bound): offsets below it are never read again, so the state forgets their vectors. Absent:
   * the state keeps only the vectors from this batch's first offset on (one batch in flight).
   */
  readonly committedOffset?: number;
}

/**
 * What a store keeps of the batches it applied from one input partition, written in the same atomic
 * step as each batch's increments: every batch handled above the partition's committed offset, so
 * any of them read again (several may be uncommitted at a kill when transactions are grouped) gets
 * the features it was scored with.
 */
export interface AppliedBatch {
  /** The highest offset of the partition whose transaction the state counts. */
  readonly lastOffset: number;
  /**
   * The vectors by offset of the batches kept (at least those at or above the committed offset the
   * last batch named): the features each of their transactions was scored with.
   */
  readonly vectors: ReadonlyMap<number, readonly number[]>;
}

/** What one batch adds to its partition's applied batches. */
export interface AppliedUpdate {
  /** The highest offset of the partition the state counts after this batch. */
  readonly lastOffset: number;
  /** The vectors of the transactions this batch counted, by offset, in ascending offset order. */
  readonly vectors: ReadonlyMap<number, readonly number[]>;
  /**
   * Vectors of offsets below it may be forgotten (the partition committed them); a store drops them
   * whole batches at a time, so it may keep some below it.
   */
  readonly keepFrom: number;
}

/**
 * Event days for which the state keeps the ids of the transactions it counted and where each was
 * read, before the stream's newest day (by the transactions' own event time): the newest day and
 * the one before. A transaction id read again at another place (an upstream that sent a payment
 * twice) with an event time in those days is a duplicate, neither counted nor scored again.
 */
export const COUNTED_ID_HORIZON_DAYS = 1;

/** Where a counted transaction was read: its input partition and offset. */
export interface CountedPlace {
  readonly partition: number;
  readonly offset: number;
}

/**
 * A fraud label waiting in the store for its terminal's transactions to reach its event time: what
 * the terminal fraud rates need of a `Label` with `is_fraud` true.
 */
export interface QueuedLabel {
  readonly transaction_id: string;
  readonly terminal_id: string;
  /** Event time of the labelled transaction: the bucket its fraud is counted in. */
  readonly transaction_time: number;
  /** When the bank learnt it: it counts for the terminal's transactions from this time on. */
  readonly event_time: number;
}

/**
 * The entities one batch touches, so a remote store can load them in one round trip (with each
 * terminal's queued labels).
 */
export interface FeatureBatchKeys {
  readonly cardIds: ReadonlySet<string>;
  readonly terminalIds: ReadonlySet<string>;
  /** The input partition, when the batch comes from one: its applied batches are loaded too. */
  readonly partition?: FeatureBatchPartition;
  /** The batch's lowest offset in that partition: vectors below it are not needed. */
  readonly firstOffset?: number;
  /**
   * The batch's transaction ids by event day (epoch ms / DAY_MS), when it comes from an input
   * partition: a remote store loads where each was counted, if it was (countedAt()).
   */
  readonly counted?: ReadonlyMap<number, readonly string[]>;
  /**
   * Load each card's history ring too (a feature set with a sequence block): a remote store reads
   * the rings in the same round trip as the windows, and only when asked.
   */
  readonly cardHistory?: boolean;
}

/**
 * The state of one batch. Reads go through card()/terminal(); every change goes through the add*
 * methods so a remote store can record it as an increment; commit() persists the changes.
 */
export interface FeatureStateSession {
  /**
   * The batches applied from `keys.partition` as loaded by begin() (null: none, or no partition). A
   * store may leave out vectors below the first offset the batch named (`keys.firstOffset`).
   */
  readonly applied: AppliedBatch | null;
  /** The counters of a card (empty when never seen). Do not mutate them directly. */
  card(id: string): WindowCounters;
  /** The counters of a terminal (empty when never seen). Do not mutate them directly. */
  terminal(id: string): WindowCounters;
  /** Counts one transaction of `amountCents` on the card at `eventTime`. */
  addCardTransaction(cardId: string, eventTime: number, amountCents: number): void;
  /** Counts one transaction on the terminal at `eventTime`. */
  addTerminalTransaction(terminalId: string, eventTime: number): void;
  /**
   * The card's last SEQUENCE_STEPS counted transactions, oldest first (empty when never seen), for a
   * feature set with a sequence block. Do not mutate it. A remote store has it only for the cards
   * of a batch begun with `cardHistory` (else it throws).
   */
  cardHistory(id: string): readonly CardHistoryStep[];
  /**
   * Appends one transaction to the card's history ring (a set with a sequence block only), persisted
   * by commit() with the batch's other changes.
   */
  addCardHistory(cardId: string, entry: CardHistoryEntry): void;
  /**
   * Where the transaction `transactionId` of event time `eventTime` was counted (null: not counted,
   * or its day is older than the horizon the state keeps, COUNTED_ID_HORIZON_DAYS). A remote store
   * knows it for the transactions named in `FeatureBatchKeys.counted`, and those this batch recorded.
   */
  countedAt(transactionId: string, eventTime: number): CountedPlace | null;
  /** Records where the transaction of `eventTime` was counted (persisted by commit()). */
  recordCounted(transactionId: string, eventTime: number, place: CountedPlace): void;
  /**
   * Takes the terminal's queued labels whose event time is at or before `time` off the queue and
   * counts each as a confirmed fraud in the bucket of its transaction's time. A transaction counts
   * once however many labels it got; at commit() a label another replica counted meanwhile is not
   * counted again.
   */
  applyDueLabels(terminalId: string, time: number): void;
  /**
   * Adds this batch to the partition's applied batches at commit() and drops those below
   * `update.keepFrom`, in the same atomic step as the increments, provided the partition's last
   * offset is still the one begin() loaded (else commit() throws FeatureStateConflictError).
   */
  recordApplied(update: AppliedUpdate): void;
  /** Persists the batch's changes. */
  commit(): Promise<void>;
}

/** Per-card and per-terminal feature state: in memory (one scorer) or in Redis (many replicas). */
export interface FeatureStore {
  readonly kind: 'memory' | 'redis';
  /** Whether the store answers now (memory: always; Redis: its connection is ready). */
  readonly reachable: boolean;
  /** Whether it keeps each card's recent-history ring (what a set with a sequence block needs). */
  readonly keepsCardHistory: boolean;
  /**
   * Queues fraud labels with their terminals, durably once the promise resolves (Redis: one atomic
   * step). Idempotent per transaction id: a label of a transaction already counted is dropped, and
   * of two labels of one transaction the earlier event time is kept.
   */
  enqueueLabels(labels: readonly QueuedLabel[]): Promise<void>;
  begin(keys: FeatureBatchKeys): Promise<FeatureStateSession>;
  close(): Promise<void>;
}
