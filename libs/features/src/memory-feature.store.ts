import { DAY_MS } from '@fraudstream/contracts';
import { appendHistoryStep, type CardHistoryEntry, type CardHistoryStep } from './card-history';
import { DAY_BUCKETS, SEQUENCE_STEPS } from './feature-set';
import {
  type AppliedBatch,
  type AppliedUpdate,
  COUNTED_ID_HORIZON_DAYS,
  type CountedPlace,
  type FeatureBatchKeys,
  type FeatureBatchPartition,
  type FeatureStateSession,
  type FeatureStore,
  type QueuedLabel,
} from './feature-store.types';
import { CountedPlaces, unpackPlace } from './counted-places';
import { WindowCounters } from './window-counters';

const NO_HISTORY: readonly CardHistoryStep[] = [];

// v2: each ring slot records its bucket (WindowCounters); v3: 38 daily buckets instead of 30. An
// older snapshot is refused, the state starts cold. The state is the same for every feature set;
// the pipeline's snapshot names the set its replay vectors belong to.
const SNAPSHOT_MAGIC = 'fraudstream-feature-state-v3';

interface SnapshotHeader {
  magic: string;
  cards: { id: string; last_hour: number; last_day: number }[];
  terminals: { id: string; last_hour: number; last_day: number }[];
  labelled: { day: number; ids: string[] }[];
  /** Absent in snapshots written before the state recorded its input offsets. */
  applied?: { topic: string; partition: number; last_offset: number; vectors: [number, number[]][] }[];
  /**
   * Each card's recent-history ring, oldest first: [time, cents, card not present, terminal, new
   * terminal]. Absent in snapshots written before the state kept it (the rings then start empty).
   */
  histories?: { id: string; steps: [number, number, 0 | 1, string, 0 | 1][] }[];
  /**
   * Where the transactions of the last days were counted: per event day, [id, place] with the place
   * packed by packPlace(). Absent in snapshots written before the state kept them.
   */
  counted?: { day: number; ids: [string, number][] }[];
}

/**
 * The default, in-process feature state. Memory: about 1.6 KB per card and per terminal (1,488 bytes
 * of counters, the object and the map entry), plus about 60 bytes per labelled fraud kept for the
 * 39 days a duplicate label could still matter, and about 60 bytes per transaction of the stream's
 * last two event days (its id and where it was read, to recognise the same transaction sent again).
 * snapshot()/restore() let a restarted scorer resume warm.
 * It records each input partition's last applied offset and the vectors of the batches applied
 * above its committed offset, so a batch handled again in the same process, or after a restore, is
 * not counted twice and gets the vectors it was scored with; the snapshot carries them. Those
 * vectors are dropped as the partition's committed offset passes them (see AppliedUpdate.keepFrom):
 * with the exactly-once transport, that bounds them to the batches queued or committing, at most
 * about twice its records per transaction (ExactlyOnceOptions.maxRecordsPerTransaction) plus two
 * batches per partition, about 200 bytes a vector.
 * Queued labels wait per terminal (the pipeline's snapshot carries them, see queuedLabels()).
 */
export class MemoryFeatureStore implements FeatureStore, FeatureStateSession {
  readonly kind = 'memory' as const;
  readonly reachable = true;
  readonly keepsCardHistory = true;
  private readonly cards = new Map<string, WindowCounters>();
  /** Last SEQUENCE_STEPS transactions per card, oldest first; only a set with a sequence block fills it. */
  private readonly histories = new Map<string, CardHistoryStep[]>();
  private readonly terminals = new Map<string, WindowCounters>();
  /** Per event day, where each transaction counted was read (packPlace()); days before the horizon are dropped. */
  private readonly counted = new CountedPlaces();
  private newestCountedDay = Number.NEGATIVE_INFINITY;
  /** Ids of transactions already counted as fraud, by the day of their transaction time. */
  private readonly labelled = new Map<number, Set<string>>();
  private newestLabelDay = -1;
  /** Labels waiting for their terminal's transactions to reach their event time, in event-time order. */
  private readonly queued = new Map<string, QueuedLabel[]>();
  private queuedCount = 0;
  /**
   * The applied batches of each input partition: topic -> partition -> record. Its vectors are in
   * ascending offset order (a batch adds only offsets above the last), so pruning stops at the first
   * one kept.
   */
  private readonly appliedBatches = new Map<
    string,
    Map<number, { lastOffset: number; vectors: Map<number, readonly number[]> }>
  >();
  private partition: FeatureBatchPartition | null = null;
  private pendingApplied: AppliedUpdate | null = null;

  get cardCount(): number {
    return this.cards.size;
  }

  get terminalCount(): number {
    return this.terminals.size;
  }

  /** Labels queued and not yet counted. */
  get pendingLabelCount(): number {
    return this.queuedCount;
  }

  /** Every queued label (the pipeline's snapshot). */
  queuedLabels(): QueuedLabel[] {
    return [...this.queued.values()].flat();
  }

  enqueueLabels(labels: readonly QueuedLabel[]): Promise<void> {
    for (const label of labels) {
      const day = Math.floor(label.transaction_time / DAY_MS);
      if (this.labelled.get(day)?.has(label.transaction_id)) continue; // counted already
      if (day <= this.newestLabelDay - DAY_BUCKETS - 1) continue; // outside every window
      let queue = this.queued.get(label.terminal_id);
      if (!queue) {
        queue = [];
        this.queued.set(label.terminal_id, queue);
      }
      const at = queue.findIndex((q) => q.transaction_id === label.transaction_id);
      if (at >= 0) {
        if ((queue[at]?.event_time ?? 0) <= label.event_time) continue; // known earlier already
        queue.splice(at, 1);
        this.queuedCount--;
      }
      // After the last one not later: equal times keep arrival order.
      let i = queue.length;
      while (i > 0 && (queue[i - 1]?.event_time ?? 0) > label.event_time) i--;
      queue.splice(i, 0, {
        transaction_id: label.transaction_id,
        terminal_id: label.terminal_id,
        transaction_time: label.transaction_time,
        event_time: label.event_time,
      });
      this.queuedCount++;
    }
    return Promise.resolve();
  }

  begin(keys: FeatureBatchKeys): Promise<FeatureStateSession> {
    // One session at a time: the pipeline's batches are serialised (SerialFeatureExtractor).
    this.partition = keys.partition ?? null;
    this.pendingApplied = null;
    return Promise.resolve(this);
  }

  get applied(): AppliedBatch | null {
    if (!this.partition) return null;
    return this.appliedBatches.get(this.partition.topic)?.get(this.partition.partition) ?? null;
  }

  recordApplied(update: AppliedUpdate): void {
    if (!this.partition) throw new Error('recordApplied() in a batch that named no input partition');
    this.pendingApplied = update;
  }

  /** The batches applied from a partition and kept (null: none). */
  appliedBatch(topic: string, partition: number): AppliedBatch | null {
    return this.appliedBatches.get(topic)?.get(partition) ?? null;
  }

  commit(): Promise<void> {
    // The counters changed in place as the batch went; its record goes with them.
    const update = this.pendingApplied;
    if (this.partition && update) {
      const { topic, partition } = this.partition;
      let byPartition = this.appliedBatches.get(topic);
      if (!byPartition) {
        byPartition = new Map();
        this.appliedBatches.set(topic, byPartition);
      }
      let record = byPartition.get(partition);
      if (!record) {
        record = { lastOffset: update.lastOffset, vectors: new Map() };
        byPartition.set(partition, record);
      }
      for (const offset of record.vectors.keys()) {
        if (offset >= update.keepFrom) break;
        record.vectors.delete(offset);
      }
      for (const [offset, vector] of update.vectors) record.vectors.set(offset, vector);
      record.lastOffset = update.lastOffset;
    }
    this.pendingApplied = null;
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  // The pipeline reads an entity, then counts the transaction on it: remember the last one of each
  // kind so that is one map lookup, not two.
  private lastCardId: string | null = null;
  private lastCard: WindowCounters | null = null;
  private lastTerminalId: string | null = null;
  private lastTerminal: WindowCounters | null = null;

  card(id: string): WindowCounters {
    if (id === this.lastCardId && this.lastCard) return this.lastCard;
    let counters = this.cards.get(id);
    if (!counters) {
      counters = new WindowCounters();
      this.cards.set(id, counters);
    }
    this.lastCardId = id;
    this.lastCard = counters;
    return counters;
  }

  terminal(id: string): WindowCounters {
    if (id === this.lastTerminalId && this.lastTerminal) return this.lastTerminal;
    let counters = this.terminals.get(id);
    if (!counters) {
      counters = new WindowCounters();
      this.terminals.set(id, counters);
    }
    this.lastTerminalId = id;
    this.lastTerminal = counters;
    return counters;
  }

  addCardTransaction(cardId: string, eventTime: number, amountCents: number): void {
    this.card(cardId).add(eventTime, 1, amountCents);
  }

  addTerminalTransaction(terminalId: string, eventTime: number): void {
    this.terminal(terminalId).add(eventTime, 1, 0);
  }

  cardHistory(id: string): readonly CardHistoryStep[] {
    return this.histories.get(id) ?? NO_HISTORY;
  }

  addCardHistory(cardId: string, entry: CardHistoryEntry): void {
    let steps = this.histories.get(cardId);
    if (!steps) {
      steps = [];
      this.histories.set(cardId, steps);
    }
    appendHistoryStep(steps, entry, SEQUENCE_STEPS);
  }

  countedAt(transactionId: string, eventTime: number): CountedPlace | null {
    const packed = this.counted.packedAt(transactionId, eventTime);
    return packed === undefined ? null : unpackPlace(packed);
  }

  recordCounted(transactionId: string, eventTime: number, place: CountedPlace): void {
    const day = this.counted.record(transactionId, eventTime, place);
    if (day <= this.newestCountedDay) return;
    this.newestCountedDay = day;
    for (const old of this.counted.byDay.keys()) {
      if (old < day - COUNTED_ID_HORIZON_DAYS) this.counted.byDay.delete(old);
    }
  }

  applyDueLabels(terminalId: string, time: number): void {
    if (this.queuedCount === 0) return;
    const queue = this.queued.get(terminalId);
    if (!queue) return;
    while ((queue[0]?.event_time ?? Infinity) <= time) {
      const label = queue.shift();
      if (!label) break;
      this.queuedCount--;
      this.countFraud(label.transaction_id, terminalId, label.transaction_time);
    }
    if (queue.length === 0) this.queued.delete(terminalId);
  }

  private countFraud(transactionId: string, terminalId: string, transactionTime: number): void {
    const day = Math.floor(transactionTime / DAY_MS);
    if (day <= this.newestLabelDay - DAY_BUCKETS - 1) return; // outside every window
    let ids = this.labelled.get(day);
    if (!ids) {
      ids = new Set();
      this.labelled.set(day, ids);
    }
    if (ids.has(transactionId)) return;
    ids.add(transactionId);
    if (day > this.newestLabelDay) {
      this.newestLabelDay = day;
      for (const old of this.labelled.keys()) {
        if (old <= day - DAY_BUCKETS - 1) this.labelled.delete(old);
      }
    }
    this.terminal(terminalId).add(transactionTime, 0, 1);
  }

  /** The whole state as bytes: a JSON header line, then the counters as float64s in header order. */
  snapshot(): Buffer {
    const header: SnapshotHeader = {
      magic: SNAPSHOT_MAGIC,
      cards: [...this.cards].map(([id, c]) => ({ id, last_hour: c.lastHour, last_day: c.lastDay })),
      terminals: [...this.terminals].map(([id, c]) => ({ id, last_hour: c.lastHour, last_day: c.lastDay })),
      labelled: [...this.labelled].map(([day, ids]) => ({ day, ids: [...ids] })),
      applied: [...this.appliedBatches].flatMap(([topic, byPartition]) =>
        [...byPartition].map(([partition, batch]) => ({
          topic,
          partition,
          last_offset: batch.lastOffset,
          vectors: [...batch.vectors].map(([offset, vector]): [number, number[]] => [offset, [...vector]]),
        })),
      ),
      histories: [...this.histories].map(([id, steps]) => ({
        id,
        steps: steps.map((s): [number, number, 0 | 1, string, 0 | 1] => [
          s.time,
          s.cents,
          s.cardNotPresent ? 1 : 0,
          s.terminalId,
          s.newTerminal ? 1 : 0,
        ]),
      })),
      counted: [...this.counted.byDay].map(([day, ids]) => ({ day, ids: [...ids] })),
    };
    const head = Buffer.from(`${JSON.stringify(header)}\n`, 'utf8');
    // Pad so the float64 body starts 8-byte aligned.
    const pad = (8 - (head.length % 8)) % 8;
    const body = Buffer.alloc(pad + (this.cards.size + this.terminals.size) * WindowCounters.SLOT_COUNT * 8);
    let offset = pad;
    for (const counters of [...this.cards.values(), ...this.terminals.values()]) {
      Buffer.from(counters.slots.buffer, counters.slots.byteOffset, counters.slots.byteLength).copy(
        body,
        offset,
      );
      offset += counters.slots.byteLength;
    }
    return Buffer.concat([head, body]);
  }

  /** Replaces the state with a snapshot(); refuses a snapshot of another layout. */
  restore(bytes: Buffer): void {
    const newline = bytes.indexOf(0x0a);
    if (newline < 0) throw new Error('feature state snapshot has no header');
    const header = JSON.parse(bytes.subarray(0, newline).toString('utf8')) as SnapshotHeader;
    if (header.magic !== SNAPSHOT_MAGIC) throw new Error('not a feature state snapshot of this layout');
    const headLength = newline + 1;
    let offset = headLength + ((8 - (headLength % 8)) % 8);
    const size = WindowCounters.SLOT_COUNT * 8;
    const read = (entry: { last_hour: number; last_day: number }): WindowCounters => {
      const slots = new Float64Array(WindowCounters.SLOT_COUNT);
      Buffer.from(slots.buffer).set(bytes.subarray(offset, offset + size));
      offset += size;
      const counters = new WindowCounters(slots);
      counters.lastHour = entry.last_hour;
      counters.lastDay = entry.last_day;
      return counters;
    };
    this.cards.clear();
    this.histories.clear();
    this.counted.byDay.clear();
    this.newestCountedDay = Number.NEGATIVE_INFINITY;
    this.terminals.clear();
    this.labelled.clear();
    this.appliedBatches.clear();
    this.queued.clear();
    this.queuedCount = 0;
    this.lastCardId = null;
    this.lastCard = null;
    this.lastTerminalId = null;
    this.lastTerminal = null;
    for (const entry of header.cards) this.cards.set(entry.id, read(entry));
    for (const entry of header.terminals) this.terminals.set(entry.id, read(entry));
    for (const { id, steps } of header.histories ?? []) {
      this.histories.set(
        id,
        steps.map(([time, cents, cardNotPresent, terminalId, newTerminal]) => ({
          time,
          cents,
          cardNotPresent: cardNotPresent === 1,
          terminalId,
          newTerminal: newTerminal === 1,
        })),
      );
    }
    for (const { day, ids } of header.counted ?? []) {
      this.counted.byDay.set(day, new Map(ids));
      this.newestCountedDay = Math.max(this.newestCountedDay, day);
    }
    this.newestLabelDay = -1;
    for (const { day, ids } of header.labelled) {
      this.labelled.set(day, new Set(ids));
      this.newestLabelDay = Math.max(this.newestLabelDay, day);
    }
    for (const entry of header.applied ?? []) {
      let byPartition = this.appliedBatches.get(entry.topic);
      if (!byPartition) {
        byPartition = new Map();
        this.appliedBatches.set(entry.topic, byPartition);
      }
      // Sorted: snapshots written when the record held one batch need not be in offset order.
      const vectors = [...entry.vectors].sort((a, b) => a[0] - b[0]);
      byPartition.set(entry.partition, { lastOffset: entry.last_offset, vectors: new Map(vectors) });
    }
  }
}
