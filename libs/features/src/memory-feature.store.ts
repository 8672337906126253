import { DAY_MS } from '@fraudstream/contracts';
import { DAY_BUCKETS, FEATURE_SET_VERSION } from './feature-set';
import type { FeatureBatchKeys, FeatureStateSession, FeatureStore } from './feature-store.types';
import { WindowCounters } from './window-counters';

// v2: each ring slot records its bucket (WindowCounters); a v1 snapshot is refused, the state starts cold.
const SNAPSHOT_MAGIC = 'fraudstream-feature-state-v2';

interface SnapshotHeader {
  magic: string;
  feature_set_version: string;
  cards: { id: string; last_hour: number; last_day: number }[];
  terminals: { id: string; last_hour: number; last_day: number }[];
  labelled: { day: number; ids: string[] }[];
}

/**
 * The default, in-process feature state. Memory: about 1 KB per card and per terminal (864 bytes
 * of counters, the object and the map entry), plus about 60 bytes per labelled fraud kept for the
 * 31 days a duplicate label could still matter. snapshot()/restore() let a restarted scorer resume warm.
 */
export class MemoryFeatureStore implements FeatureStore, FeatureStateSession {
  readonly kind = 'memory' as const;
  private readonly cards = new Map<string, WindowCounters>();
  private readonly terminals = new Map<string, WindowCounters>();
  /** Ids of transactions already counted as fraud, by the day of their transaction time. */
  private readonly labelled = new Map<number, Set<string>>();
  private newestLabelDay = -1;

  get cardCount(): number {
    return this.cards.size;
  }

  get terminalCount(): number {
    return this.terminals.size;
  }

  begin(_keys: FeatureBatchKeys): Promise<FeatureStateSession> {
    return Promise.resolve(this);
  }

  commit(): Promise<void> {
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

  addTerminalFraud(transactionId: string, terminalId: string, transactionTime: number): void {
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
      feature_set_version: FEATURE_SET_VERSION,
      cards: [...this.cards].map(([id, c]) => ({ id, last_hour: c.lastHour, last_day: c.lastDay })),
      terminals: [...this.terminals].map(([id, c]) => ({ id, last_hour: c.lastHour, last_day: c.lastDay })),
      labelled: [...this.labelled].map(([day, ids]) => ({ day, ids: [...ids] })),
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

  /** Replaces the state with a snapshot(); refuses a snapshot of another feature set version. */
  restore(bytes: Buffer): void {
    const newline = bytes.indexOf(0x0a);
    if (newline < 0) throw new Error('feature state snapshot has no header');
    const header = JSON.parse(bytes.subarray(0, newline).toString('utf8')) as SnapshotHeader;
    if (header.magic !== SNAPSHOT_MAGIC) throw new Error('not a feature state snapshot');
    if (header.feature_set_version !== FEATURE_SET_VERSION) {
      throw new Error(
        `feature state snapshot is for ${header.feature_set_version}, this code computes ${FEATURE_SET_VERSION}`,
      );
    }
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
    this.terminals.clear();
    this.labelled.clear();
    this.lastCardId = null;
    this.lastCard = null;
    this.lastTerminalId = null;
    this.lastTerminal = null;
    for (const entry of header.cards) this.cards.set(entry.id, read(entry));
    for (const entry of header.terminals) this.terminals.set(entry.id, read(entry));
    this.newestLabelDay = -1;
    for (const { day, ids } of header.labelled) {
      this.labelled.set(day, new Set(ids));
      this.newestLabelDay = Math.max(this.newestLabelDay, day);
    }
  }
}
