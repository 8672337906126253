import { DAY_MS, type Label, type Transaction } from '@fraudstream/contracts';
import type {
  AppliedUpdate,
  CountedPlace,
  FeatureBatchKeys,
  FeatureBatchSource,
  FeatureStateSession,
  FeatureStore,
  QueuedLabel,
} from './feature-store.types';
import { writeSequenceBlock } from './card-history';
import { DEFAULT_FEATURE_SET, type FeatureSet } from './feature-set';
import {
  assembleFeatureVector,
  emptyCardAggregates,
  emptyTerminalAggregates,
  type CardAggregates,
  type TerminalAggregates,
} from './feature-vector';
import { MemoryFeatureStore } from './memory-feature.store';
import { UnsupportedFeatureStoreError } from './features.errors';
import type { WindowCounters } from './window-counters';

const PIPELINE_SNAPSHOT_MAGIC = 'fraudstream-feature-pipeline';

/**
 * Transactions of an input partition that the store's state does not count though they were
 * counted: by this pipeline (the store lost them: a Redis restarted without persistence, flushed or
 * evicting keys), or by some replica before the group committed them while the store has no record
 * of the partition at all (a new Redis, an in-memory state after a crash without a snapshot). Their
 * cards' and terminals' windows miss them until the windows move past.
 */
export interface FeatureStateGap {
  readonly topic: string;
  readonly partition: number;
  /** The highest offset the store counts for the partition; null when it has no record of it. */
  readonly storeLastOffset: number | null;
  /** The highest offset known handled: this pipeline's own last counted, or the committed offset's predecessor. */
  readonly expectedLastOffset: number;
  /** Why that offset was expected: the group committed it, or this process counted it itself. */
  readonly evidence: 'committed' | 'counted-here';
}

/**
 * A transaction whose id the state counted at another place of the input (another offset, another
 * partition) within COUNTED_ID_HORIZON_DAYS: the same payment sent twice. It is neither counted nor
 * given a vector.
 */
export interface DuplicateTransaction {
  /** Its index in the batch. */
  readonly index: number;
  /** Where the copy that was counted was read. */
  readonly first: CountedPlace;
}

/** A batch's vectors for scoring, and its duplicates. */
export interface ScoringFeatures {
  /** One vector per transaction, in input order; null for a duplicate. */
  readonly vectors: readonly (readonly number[] | null)[];
  readonly duplicates: readonly DuplicateTransaction[];
}

export interface FeaturePipelineOptions {
  /** Called (before the batch is counted) for each gap found; the batch is scored and counted as usual. */
  readonly onStateGap?: (gap: FeatureStateGap) => void;
}

/**
 * The online feature pipeline, the one implementation used at scoring time (and, through the logged
 * vectors, at training time). Per batch it loads the touched cards and terminals from its store,
 * and for each transaction in event-time order: applies its terminal's labels known by then,
 * computes the vector from the state BEFORE the transaction, then counts the transaction.
 *
 * Labels are queued in the store by applyLabels(), with their terminal, and take effect only once a
 * transaction of that terminal reaches the label's event_time (label.event_time <= tx.event_time),
 * whatever order they arrive in: the terminal fraud rates never see a label the bank did not have
 * when the payment happened. Taking a label off the queue and counting it is one step of the
 * store's batch commit, so a process killed in between loses no label (Redis).
 */
export class FeaturePipeline {
  private readonly windows = new Float64Array(12);
  private readonly cardAgg: CardAggregates = emptyCardAggregates();
  private readonly terminalAgg: TerminalAggregates = emptyTerminalAggregates();
  private readonly delayDays: number;
  /** Per input partition, the highest offset this pipeline counted (to notice a store that lost it). */
  private readonly countedUpTo = new Map<string, number>();
  /** Partitions whose committed offset was compared with the store's record once already. */
  private readonly checkedCommitted = new Set<string>();

  /**
   * `featureSet` is the vector it computes (default: the live loop's, fs-v1). The store's state is
   * the same for every set; the vectors it records for replays are the set's, so a store (a Redis
   * key prefix, a snapshot) serves one set.
   */
  constructor(
    readonly store: FeatureStore = new MemoryFeatureStore(),
    readonly featureSet: FeatureSet = DEFAULT_FEATURE_SET,
    private readonly options: FeaturePipelineOptions = {},
  ) {
    this.delayDays = featureSet.terminalDelayDays;
    if (featureSet.sequenceSteps > 0 && !store.keepsCardHistory)
      throw new UnsupportedFeatureStoreError(
        `feature set ${featureSet.version} has a sequence block, and this ${store.kind} feature store keeps no card history rings`,
      );
  }

  /**
   * Queues labels for the terminal fraud rates, in the store (durably, for Redis, once the promise
   * resolves). Only fraud labels count (a verdict of "legitimate" changes no feature); each
   * transaction counts once however many labels it gets, from the earliest one's event time.
   */
  async applyLabels(labels: readonly Label[]): Promise<void> {
    const frauds: QueuedLabel[] = [];
    for (const label of labels) {
      if (!label.is_fraud) continue;
      frauds.push({
        transaction_id: label.transaction_id,
        terminal_id: label.terminal_id,
        transaction_time: label.transaction_time,
        event_time: label.event_time,
      });
    }
    if (frauds.length > 0) await this.store.enqueueLabels(frauds);
  }

  /**
   * Feature vectors (the feature set's order) of a batch, in input order, each computed from the state
   * before that transaction; the state then includes the batch. A batch not in event-time order is
   * processed in event-time order (stable), so its result does not depend on how it was cut.
   *
   * With `source` (the input partition and each transaction's offset), the state records the
   * partition's last applied offset and the batch's vectors with its increments, atomically, and
   * keeps the vectors of every batch above `source.committedOffset`. A transaction whose offset the
   * state already covers (its batch is handled again: after a kill between the state's commit and
   * the offsets', a retry, a rebalance, with any number of the partition's batches uncommitted) is
   * not counted again, and gets the vector it was first computed with: the one from the state
   * before its own update. A transaction the state already counted at another place (the same payment
   * sent twice) gets an empty vector and is not counted: computeScoring() names them.
   */
  async computeBatch(transactions: readonly Transaction[], source?: FeatureBatchSource): Promise<number[][]> {
    const { vectors, duplicates } = await this.computeScoring(transactions, source);
    // Each vector is this batch's own array; only a duplicate has none.
    if (duplicates.length === 0) return vectors as number[][];
    return vectors.map((vector) => (vector ? (vector as number[]) : []));
  }

  /**
   * computeBatch(), saying which transactions are duplicates: with `source`, a transaction whose id
   * the state counted at another place within COUNTED_ID_HORIZON_DAYS (an upstream that sent the same
   * payment twice) is not counted again and gets no vector. A batch handled again is not a duplicate
   * of itself: each of its transactions was counted at its own place.
   */
  async computeScoring(
    transactions: readonly Transaction[],
    source?: FeatureBatchSource,
  ): Promise<ScoringFeatures> {
    const n = transactions.length;
    if (n === 0) return { vectors: [], duplicates: [] };
    if (source && source.offsets.length !== n) {
      throw new Error(`${n} transactions but ${source.offsets.length} offsets`);
    }
    const order = eventTimeOrder(transactions);
    const cardIds = new Set<string>();
    const terminalIds = new Set<string>();
    for (const tx of transactions) {
      cardIds.add(tx.card_id);
      if (tx.card_token_next) cardIds.add(tx.card_token_next);
      terminalIds.add(tx.terminal_id);
    }
    const cardHistory = this.featureSet.sequenceSteps > 0;
    const keys: FeatureBatchKeys = source
      ? {
          cardIds,
          terminalIds,
          partition: { topic: source.topic, partition: source.partition },
          firstOffset: lowest(source.offsets),
          // A remote store loads where the batch's ids were counted; the memory store has them at hand.
          ...(this.store.kind === 'memory' ? {} : { counted: idsByDay(transactions) }),
          cardHistory,
        }
      : { cardIds, terminalIds, cardHistory };
    // Nothing is persisted before the session's commit: a failed batch leaves its labels queued.
    return this.computeInSession(transactions, order, keys, source);
  }

  private async computeInSession(
    transactions: readonly Transaction[],
    order: readonly number[],
    keys: FeatureBatchKeys,
    source: FeatureBatchSource | undefined,
  ): Promise<ScoringFeatures> {
    const n = transactions.length;
    const session = await this.store.begin(keys);
    const applied = source ? session.applied : null;
    const covered = applied?.lastOffset ?? Number.NEGATIVE_INFINITY;
    const partitionKey = source ? `${source.topic}\u0000${source.partition}` : '';
    if (source) this.checkGap(source, partitionKey, applied?.lastOffset ?? null);

    const out = new Array<number[] | null>(n).fill(null);
    const duplicates: DuplicateTransaction[] = [];
    let fresh = 0;
    for (let k = 0; k < n; k++) {
      const i = order[k] ?? k;
      const tx = transactions[i];
      if (!tx) continue;
      const t = tx.event_time;
      session.applyDueLabels(tx.terminal_id, t);
      const offset = source?.offsets[i];
      if (offset !== undefined && offset <= covered) {
        // Already counted. Its recorded vector is the one it was scored with; a transaction older
        // than the recorded batch (the group's offsets were moved back) gets today's state, uncounted,
        // unless it was a duplicate.
        const recorded = applied?.vectors.get(offset);
        if (recorded) {
          out[i] = [...recorded];
          continue;
        }
        const first = source && this.countedElsewhere(session, tx, source.partition, offset);
        if (first) duplicates.push({ index: i, first });
        else out[i] = this.vectorOf(session, tx);
        continue;
      }
      if (source && offset !== undefined) {
        fresh++;
        const first = this.countedElsewhere(session, tx, source.partition, offset);
        if (first) {
          duplicates.push({ index: i, first });
          continue;
        }
        session.recordCounted(tx.transaction_id, t, { partition: source.partition, offset });
      }
      out[i] = this.vectorOf(session, tx);
      const cents = Math.round(tx.amount * 100); // amountCents, inlined
      session.addCardTransaction(tx.card_id, t, cents);
      // A key rotation's bridge: the card's windows are also kept under its next token, so they
      // are whole when its transactions arrive under that token (docs/security.md).
      if (tx.card_token_next && tx.card_token_next !== tx.card_id)
        session.addCardTransaction(tx.card_token_next, t, cents);
      session.addTerminalTransaction(tx.terminal_id, t);
      if (this.featureSet.sequenceSteps > 0) {
        const entry = {
          time: t,
          cents,
          cardNotPresent: tx.channel === 'CARD_NOT_PRESENT',
          terminalId: tx.terminal_id,
        };
        session.addCardHistory(tx.card_id, entry);
        if (tx.card_token_next && tx.card_token_next !== tx.card_id)
          session.addCardHistory(tx.card_token_next, entry);
      }
    }
    // A batch the state already covers leaves the record as it is: it may hold vectors of offsets
    // this (shorter) batch did not reach.
    const update = source && fresh > 0 ? appliedUpdateOf(source, out, covered) : null;
    if (update) session.recordApplied(update);
    await session.commit();
    if (update) this.countedUpTo.set(partitionKey, update.lastOffset);
    if (duplicates.length > 0) duplicates.sort((x, y) => x.index - y.index);
    return { vectors: out, duplicates };
  }

  /** Where the state counted this transaction's id, when that is another place than `offset` of `partition`. */
  private countedElsewhere(
    session: FeatureStateSession,
    tx: Transaction,
    partition: number,
    offset: number,
  ): CountedPlace | null {
    const first = session.countedAt(tx.transaction_id, tx.event_time);
    if (!first || (first.partition === partition && first.offset === offset)) return null;
    return first;
  }

  /**
   * Compares the store's record of a partition with what is known counted: at every batch, the
   * offsets this pipeline counted itself (a store only moves a partition's record forward: another
   * replica counts more, never less); and once per partition, whether the store has a record at all
   * when the group has committed offsets (some replica scored and counted them, in some earlier
   * life). A record behind the committed offset is not taken as a gap: the offsets of dead-lettered
   * records and of transaction markers are committed and never counted.
   */
  private checkGap(source: FeatureBatchSource, key: string, storeLast: number | null): void {
    const report = this.options.onStateGap;
    if (!report) return;
    const have = storeLast ?? Number.NEGATIVE_INFINITY;
    const counted = this.countedUpTo.get(key);
    if (counted !== undefined && have < counted) {
      this.countedUpTo.delete(key);
      report({
        topic: source.topic,
        partition: source.partition,
        storeLastOffset: storeLast,
        expectedLastOffset: counted,
        evidence: 'counted-here',
      });
      return;
    }
    if (this.checkedCommitted.has(key) || source.committedOffset === undefined) return;
    this.checkedCommitted.add(key);
    if (storeLast === null && source.committedOffset > 0)
      report({
        topic: source.topic,
        partition: source.partition,
        storeLastOffset: storeLast,
        expectedLastOffset: source.committedOffset - 1,
        evidence: 'committed',
      });
  }

  /** The in-memory store's whole state and queued labels, as bytes (scorer restarts warm). */
  snapshot(): Buffer {
    if (!(this.store instanceof MemoryFeatureStore)) {
      throw new Error(
        `a ${this.store.kind} feature store keeps its own state; only memory state is snapshotted`,
      );
    }
    const head = Buffer.from(
      `${JSON.stringify({
        magic: PIPELINE_SNAPSHOT_MAGIC,
        feature_set_version: this.featureSet.version,
        pending: this.store.queuedLabels(),
      })}\n`,
      'utf8',
    );
    return Buffer.concat([head, this.store.snapshot()]);
  }

  /** Restores a snapshot() into this pipeline (its store must be in memory). */
  restore(bytes: Buffer): void {
    if (!(this.store instanceof MemoryFeatureStore)) {
      throw new Error(`cannot restore a snapshot into a ${this.store.kind} feature store`);
    }
    const newline = bytes.indexOf(0x0a);
    const head = JSON.parse(bytes.subarray(0, Math.max(0, newline)).toString('utf8')) as {
      magic?: string;
      feature_set_version?: string;
      pending?: QueuedLabel[];
    };
    if (newline < 0 || head.magic !== PIPELINE_SNAPSHOT_MAGIC || !Array.isArray(head.pending)) {
      throw new Error('not a feature pipeline snapshot');
    }
    // The state is the same for every set, but the vectors it keeps for replays are the set's.
    if (head.feature_set_version !== this.featureSet.version) {
      throw new Error(
        `feature state snapshot is for ${head.feature_set_version ?? 'an unnamed feature set'}, this pipeline computes ${this.featureSet.version}`,
      );
    }
    this.store.restore(bytes.subarray(newline + 1));
    // Synchronous for the memory store: the labels are queued when this returns.
    void this.store.enqueueLabels(head.pending);
  }

  /** The set's vector of `tx` from the session's state before it (windows, then the sequence block). */
  private vectorOf(session: FeatureStateSession, tx: Transaction): number[] {
    const t = tx.event_time;
    this.readCard(session.card(tx.card_id), t);
    this.readTerminal(session.terminal(tx.terminal_id), t);
    const vector = assembleFeatureVector(tx, this.cardAgg, this.terminalAgg, this.featureSet);
    const set = this.featureSet;
    if (set.sequenceSteps > 0)
      writeSequenceBlock(t, session.cardHistory(tx.card_id), set.sequenceSteps, vector, set.flatWidth);
    return vector;
  }

  private readCard(counters: WindowCounters, t: number): void {
    const w = counters.windows(t, this.windows);
    const agg = this.cardAgg;
    agg.count1d = w[0] as number;
    agg.cents1d = w[1] as number;
    agg.count7d = w[2] as number;
    agg.cents7d = w[3] as number;
    agg.count30d = w[4] as number;
    agg.cents30d = w[5] as number;
  }

  private readTerminal(counters: WindowCounters, t: number): void {
    const w = counters.windows(t, this.windows);
    const agg = this.terminalAgg;
    agg.count1d = w[0] as number;
    agg.frauds1d = w[1] as number;
    agg.count7d = w[2] as number;
    agg.frauds7d = w[3] as number;
    agg.count30d = w[4] as number;
    agg.frauds30d = w[5] as number;
    if (this.delayDays === 0) return;
    counters.delayedWindows(t, this.delayDays, w, 6);
    agg.delayedCount1d = w[6] as number;
    agg.delayedFrauds1d = w[7] as number;
    agg.delayedCount7d = w[8] as number;
    agg.delayedFrauds7d = w[9] as number;
    agg.delayedCount30d = w[10] as number;
    agg.delayedFrauds30d = w[11] as number;
  }
}

/**
 * What a batch adds to its partition's record: its highest offset (or the covered one, if higher),
 * the vectors of the offsets it counted (those above `covered`) in ascending offset order, and where
 * the record may be pruned: the committed offset, or without one the batch's first offset (the
 * caller commits each batch before handling the next).
 */
function appliedUpdateOf(
  source: FeatureBatchSource,
  vectors: readonly (readonly number[] | null)[],
  covered: number,
): AppliedUpdate {
  const { offsets } = source;
  let last = covered;
  let ascending = true;
  for (let i = 0; i < offsets.length; i++) {
    const offset = offsets[i] as number;
    if (offset > last) last = offset;
    if (i > 0 && offset < (offsets[i - 1] as number)) ascending = false;
  }
  const keepFrom = Math.min(source.committedOffset ?? Number.POSITIVE_INFINITY, lowest(offsets));
  const fresh = new Map<number, readonly number[]>();
  if (ascending) {
    // A partition's batch (every batch the transport hands over): already in offset order.
    for (let i = 0; i < offsets.length; i++) {
      const offset = offsets[i] as number;
      const vector = vectors[i];
      if (vector && offset > covered) fresh.set(offset, vector);
    }
    return { lastOffset: last, vectors: fresh, keepFrom };
  }
  const order = offsets.map((_, i) => i).sort((a, b) => (offsets[a] as number) - (offsets[b] as number));
  for (const i of order) {
    const offset = offsets[i] as number;
    const vector = vectors[i];
    if (vector && offset > covered) fresh.set(offset, vector);
  }
  return { lastOffset: last, vectors: fresh, keepFrom };
}

/** The transactions' ids by event day. */
function idsByDay(transactions: readonly Transaction[]): Map<number, string[]> {
  const byDay = new Map<number, string[]>();
  for (const tx of transactions) {
    const day = Math.floor(tx.event_time / DAY_MS);
    const ids = byDay.get(day);
    if (ids) ids.push(tx.transaction_id);
    else byDay.set(day, [tx.transaction_id]);
  }
  return byDay;
}

function lowest(offsets: readonly number[]): number {
  let low = Number.POSITIVE_INFINITY;
  for (const offset of offsets) if (offset < low) low = offset;
  return low;
}

/** Indices of the transactions in stable event-time order (the identity when already ordered). */
function eventTimeOrder(transactions: readonly Transaction[]): number[] {
  const order = Array.from({ length: transactions.length }, (_, i) => i);
  let sorted = true;
  for (let i = 1; i < transactions.length; i++) {
    if ((transactions[i]?.event_time ?? 0) < (transactions[i - 1]?.event_time ?? 0)) {
      sorted = false;
      break;
    }
  }
  if (!sorted) {
    order.sort((a, b) => (transactions[a]?.event_time ?? 0) - (transactions[b]?.event_time ?? 0) || a - b);
  }
  return order;
}
