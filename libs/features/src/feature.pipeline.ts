import type { Label, Transaction } from '@fraudstream/contracts';
import type { AppliedBatch, FeatureBatchKeys, FeatureBatchSource, FeatureStore } from './feature-store.types';
import { assembleFeatureVector, type CardAggregates, type TerminalAggregates } from './feature-vector';
import { MemoryFeatureStore } from './memory-feature.store';
import type { WindowCounters } from './window-counters';

const PIPELINE_SNAPSHOT_MAGIC = 'fraudstream-feature-pipeline';

function byEventTime(a: Label, b: Label): number {
  return a.event_time - b.event_time;
}

/**
 * The online feature pipeline, the one implementation used at scoring time (and, through the logged
 * vectors, at training time). Per batch it loads the touched cards and terminals from its store,
 * and for each transaction in event-time order: applies the labels known by then, computes the
 * vector from the state BEFORE the transaction, then counts the transaction.
 *
 * Labels are queued by applyLabels() and take effect only once a transaction's event time reaches
 * the label's event_time (label.event_time <= tx.event_time), whatever order they arrive in: the
 * terminal fraud rates never see a label the bank did not have when the payment happened.
 */
export class FeaturePipeline {
  /** Queued labels from index `head` on (taken ones are skipped, not spliced out, until compaction). */
  private pending: Label[] = [];
  private head = 0;
  private pendingSorted = true;
  private readonly windows = new Float64Array(6);
  private readonly cardAgg: CardAggregates = {
    count1d: 0,
    cents1d: 0,
    count7d: 0,
    cents7d: 0,
    count30d: 0,
    cents30d: 0,
  };
  private readonly terminalAgg: TerminalAggregates = {
    count1d: 0,
    frauds1d: 0,
    count7d: 0,
    frauds7d: 0,
    count30d: 0,
    frauds30d: 0,
  };

  constructor(readonly store: FeatureStore = new MemoryFeatureStore()) {}

  /** Labels waiting for the event time to reach them. */
  get pendingLabelCount(): number {
    return this.pending.length - this.head;
  }

  /**
   * Queues labels for the terminal fraud rates. Only fraud labels count (a verdict of "legitimate"
   * changes no feature); each transaction counts once however many labels it gets.
   */
  applyLabels(labels: readonly Label[]): Promise<void> {
    for (const label of labels) {
      if (!label.is_fraud) continue;
      const last = this.pending.length > this.head ? this.pending[this.pending.length - 1] : undefined;
      if (last && last.event_time > label.event_time) this.pendingSorted = false;
      this.pending.push(label);
    }
    return Promise.resolve();
  }

  /**
   * Feature vectors (FEATURE_NAMES order) of a batch, in input order, each computed from the state
   * before that transaction; the state then includes the batch. A batch not in event-time order is
   * processed in event-time order (stable), so its result does not depend on how it was cut.
   *
   * With `source` (the input partition and each transaction's offset), the state records the
   * partition's last applied offset and the batch's vectors with its increments, atomically. A
   * transaction whose offset the state already covers (its batch is handled again: after a kill
   * between the state's commit and the offsets', a retry, a rebalance) is not counted again, and
   * gets the vector it was first computed with: the one from the state before its own update.
   */
  async computeBatch(transactions: readonly Transaction[], source?: FeatureBatchSource): Promise<number[][]> {
    const n = transactions.length;
    if (n === 0) return [];
    if (source && source.offsets.length !== n) {
      throw new Error(`${n} transactions but ${source.offsets.length} offsets`);
    }
    const order = eventTimeOrder(transactions);
    const maxTime = transactions[order[n - 1] ?? 0]?.event_time ?? 0;
    const labels = this.takeLabelsUpTo(maxTime);

    const cardIds = new Set<string>();
    const terminalIds = new Set<string>();
    for (const tx of transactions) {
      cardIds.add(tx.card_id);
      terminalIds.add(tx.terminal_id);
    }
    const fraudLabels = new Map<string, number>();
    for (const label of labels) {
      terminalIds.add(label.terminal_id);
      fraudLabels.set(label.transaction_id, label.transaction_time);
    }
    try {
      const keys: FeatureBatchKeys = source
        ? {
            cardIds,
            terminalIds,
            fraudLabels,
            partition: { topic: source.topic, partition: source.partition },
          }
        : { cardIds, terminalIds, fraudLabels };
      return await this.computeInSession(transactions, order, labels, keys, source);
    } catch (error) {
      // Nothing was persisted (a remote store commits last): keep the labels for the retry.
      this.pending.push(...labels);
      this.pendingSorted = false;
      throw error;
    }
  }

  private async computeInSession(
    transactions: readonly Transaction[],
    order: readonly number[],
    labels: readonly Label[],
    keys: FeatureBatchKeys,
    source: FeatureBatchSource | undefined,
  ): Promise<number[][]> {
    const n = transactions.length;
    const session = await this.store.begin(keys);
    const applied = source ? session.applied : null;
    const covered = applied?.lastOffset ?? Number.NEGATIVE_INFINITY;

    const out = new Array<number[]>(n);
    let fresh = 0;
    let next = 0;
    for (let k = 0; k < n; k++) {
      const i = order[k] ?? k;
      const tx = transactions[i];
      if (!tx) continue;
      const t = tx.event_time;
      for (; next < labels.length; next++) {
        const label = labels[next];
        if (!label || label.event_time > t) break;
        session.addTerminalFraud(label.transaction_id, label.terminal_id, label.transaction_time);
      }
      const offset = source?.offsets[i];
      if (offset !== undefined && offset <= covered) {
        // Already counted. Its recorded vector is the one it was scored with; a transaction older
        // than the recorded batch (the group's offsets were moved back) gets today's state, uncounted.
        const recorded = applied?.vectors.get(offset);
        if (recorded) {
          out[i] = [...recorded];
          continue;
        }
        this.readCard(session.card(tx.card_id), t);
        this.readTerminal(session.terminal(tx.terminal_id), t);
        out[i] = assembleFeatureVector(tx, this.cardAgg, this.terminalAgg);
        continue;
      }
      fresh++;
      this.readCard(session.card(tx.card_id), t);
      this.readTerminal(session.terminal(tx.terminal_id), t);
      out[i] = assembleFeatureVector(tx, this.cardAgg, this.terminalAgg);
      session.addCardTransaction(tx.card_id, t, Math.round(tx.amount * 100)); // amountCents, inlined
      session.addTerminalTransaction(tx.terminal_id, t);
    }
    // A batch the state already covers leaves the record as it is: it may hold vectors of offsets
    // this (shorter) batch did not reach.
    if (source && fresh > 0) session.recordApplied(appliedBatchOf(source, out, covered));
    await session.commit();
    return out;
  }

  /** Pending labels and, for the in-memory store, the whole state, as bytes (scorer restarts warm). */
  snapshot(): Buffer {
    if (!(this.store instanceof MemoryFeatureStore)) {
      throw new Error(
        `a ${this.store.kind} feature store keeps its own state; only memory state is snapshotted`,
      );
    }
    const head = Buffer.from(
      `${JSON.stringify({ magic: PIPELINE_SNAPSHOT_MAGIC, pending: this.pending.slice(this.head) })}\n`,
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
      pending?: Label[];
    };
    if (newline < 0 || head.magic !== PIPELINE_SNAPSHOT_MAGIC || !Array.isArray(head.pending)) {
      throw new Error('not a feature pipeline snapshot');
    }
    this.store.restore(bytes.subarray(newline + 1));
    this.pending = head.pending;
    this.head = 0;
    this.pendingSorted = false;
  }

  private takeLabelsUpTo(time: number): Label[] {
    if (this.pending.length === this.head) return [];
    if (!this.pendingSorted) {
      this.pending = this.pending.slice(this.head);
      this.head = 0;
      this.pending.sort(byEventTime); // stable: equal times keep arrival order
      this.pendingSorted = true;
    }
    let end = this.head;
    while (end < this.pending.length && (this.pending[end]?.event_time ?? Infinity) <= time) end++;
    if (end === this.head) return [];
    const taken = this.pending.slice(this.head, end);
    this.head = end;
    if (this.head === this.pending.length) {
      this.pending = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.pending.length) {
      this.pending = this.pending.slice(this.head);
      this.head = 0;
    }
    return taken;
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
  }
}

/** The record of a batch: its highest offset (or the covered one, if higher) and every vector by offset. */
function appliedBatchOf(
  source: FeatureBatchSource,
  vectors: readonly number[][],
  covered: number,
): AppliedBatch {
  const byOffset = new Map<number, readonly number[]>();
  let last = covered;
  source.offsets.forEach((offset, i) => {
    const vector = vectors[i];
    if (vector) byOffset.set(offset, vector);
    if (offset > last) last = offset;
  });
  return { lastOffset: last, vectors: byOffset };
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
