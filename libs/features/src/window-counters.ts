import { DAY_MS, HOUR_MS } from '@fraudstream/contracts';

// Local copies of imported constants (the time units, and feature-set's ring sizes): compiled to
// CommonJS, an imported binding is a getter call on every access, which the per-transaction loops
// below cannot afford. The spec checks the ring sizes agree with feature-set's.
const HOUR = HOUR_MS;
const DAY = DAY_MS;
const HOUR_BUCKETS = 24;
const DAY_BUCKETS = 38;
const WINDOW_DAYS = 30;

/** Bit set by WindowCounters.add when the hourly (1) and the daily (2) ring took the increment. */
export const APPLIED_HOUR = 1;
export const APPLIED_DAY = 2;

const VALUES = 2 * HOUR_BUCKETS + 2 * DAY_BUCKETS;
const SLOTS = VALUES + HOUR_BUCKETS + DAY_BUCKETS;
const HOUR_A = 0;
const HOUR_B = HOUR_BUCKETS;
const DAY_A = 2 * HOUR_BUCKETS;
const DAY_B = 2 * HOUR_BUCKETS + DAY_BUCKETS;
/** Each ring slot's bucket, as its absolute index + 1 (0: empty slot). */
const HOUR_TAG = VALUES;
const DAY_TAG = VALUES + HOUR_BUCKETS;

/** Sums of the two channels over a window. */
export interface WindowSums {
  a: number;
  b: number;
}

/**
 * Bounded event-time counters of one card or terminal: two channels (a card counts transactions
 * in `a` and amount cents in `b`; a terminal counts transactions in `a` and known frauds in `b`)
 * in a ring of 24 hourly and a ring of 38 daily buckets (the 30-day window, and a terminal's
 * delayed windows reaching 37 days back). Memory is fixed: 186 float64 slots (1,488 bytes: the
 * values and, per slot, which bucket it holds) plus two integers, whatever the traffic.
 *
 * Each slot knows its bucket, and an increment only ever replaces the one slot its bucket maps to,
 * and only when that slot holds an older bucket: one record, however far in the future, cannot
 * evict the card's other buckets (a ring that moved its head to the newest bucket would drop them
 * all, and every later payment would see empty windows). A window sums exactly the buckets it
 * covers. An increment whose slot holds a newer bucket is dropped: it lies a whole ring behind.
 */
export class WindowCounters {
  /** Absolute hour / day index (epoch ms / bucket) of the newest bucket in each ring; -1 when empty. */
  lastHour = -1;
  lastDay = -1;

  constructor(readonly slots: Float64Array = new Float64Array(SLOTS)) {}

  static readonly SLOT_COUNT = SLOTS;
  static readonly RING_SIZES = {
    hourMs: HOUR,
    dayMs: DAY,
    hours: HOUR_BUCKETS,
    days: DAY_BUCKETS,
    windowDays: WINDOW_DAYS,
  } as const;

  /** Adds (a, b) to the buckets of `eventTime`; returns APPLIED_HOUR | APPLIED_DAY for the rings that took it. */
  add(eventTime: number, a: number, b: number): number {
    return this.addHour(Math.floor(eventTime / HOUR), a, b) | this.addDay(Math.floor(eventTime / DAY), a, b);
  }

  addHour(hour: number, a: number, b: number): number {
    if (!this.take(HOUR_A, HOUR_B, HOUR_TAG, HOUR_BUCKETS, hour, a, b)) return 0;
    if (hour > this.lastHour) this.lastHour = hour;
    return APPLIED_HOUR;
  }

  addDay(day: number, a: number, b: number): number {
    if (!this.take(DAY_A, DAY_B, DAY_TAG, DAY_BUCKETS, day, a, b)) return 0;
    if (day > this.lastDay) this.lastDay = day;
    return APPLIED_DAY;
  }

  /** Whether the hourly ring holds the bucket of hour `hour` (its slot was not taken by another). */
  holdsHour(hour: number): boolean {
    return this.slots[HOUR_TAG + (hour % HOUR_BUCKETS)] === hour + 1;
  }

  holdsDay(day: number): boolean {
    return this.slots[DAY_TAG + (day % DAY_BUCKETS)] === day + 1;
  }

  private take(
    offA: number,
    offB: number,
    offTag: number,
    size: number,
    index: number,
    a: number,
    b: number,
  ): boolean {
    const slot = index % size;
    const held = (this.slots[offTag + slot] as number) - 1;
    if (held > index) return false;
    if (held < index) {
      this.slots[offTag + slot] = index + 1;
      this.slots[offA + slot] = 0;
      this.slots[offB + slot] = 0;
    }
    this.slots[offA + slot] = (this.slots[offA + slot] as number) + a;
    this.slots[offB + slot] = (this.slots[offB + slot] as number) + b;
    return true;
  }

  /** Sums over buckets [from, to] of a ring that it holds. */
  private sum(
    offA: number,
    offB: number,
    offTag: number,
    size: number,
    from: number,
    to: number,
    out: WindowSums,
  ): WindowSums {
    let a = 0;
    let b = 0;
    const slots = this.slots;
    for (let i = Math.max(from, to - size + 1); i <= to; i++) {
      const slot = i % size;
      if (slots[offTag + slot] !== i + 1) continue;
      a += slots[offA + slot] as number;
      b += slots[offB + slot] as number;
    }
    out.a = a;
    out.b = b;
    return out;
  }

  /** Sums over the 24 hourly buckets ending with the hour of `eventTime`. */
  lastDayByHour(eventTime: number, out: WindowSums): WindowSums {
    const hour = Math.floor(eventTime / HOUR);
    return this.sum(HOUR_A, HOUR_B, HOUR_TAG, HOUR_BUCKETS, hour - HOUR_BUCKETS + 1, hour, out);
  }

  /** Sums over the `days` daily buckets ending with the day of `eventTime` (days <= 38). */
  lastDays(eventTime: number, days: number, out: WindowSums): WindowSums {
    const day = Math.floor(eventTime / DAY);
    return this.sum(DAY_A, DAY_B, DAY_TAG, DAY_BUCKETS, day - days + 1, day, out);
  }

  /**
   * All three windows in one pass: out[0..5] = a and b over 24 hours, a and b over 7 days,
   * a and b over 30 days, each ending with the bucket of `eventTime`.
   */
  windows(eventTime: number, out: Float64Array): Float64Array {
    this.dailyWindows(Math.floor(eventTime / DAY), out, 0);
    const slots = this.slots;
    const hour = Math.floor(eventTime / HOUR);
    let a = 0;
    let b = 0;
    // The slot follows h around the ring (h % HOUR_BUCKETS, without a division per bucket).
    let slot = (hour - HOUR_BUCKETS + 1) % HOUR_BUCKETS;
    for (let h = hour - HOUR_BUCKETS + 1; h <= hour; h++, slot = slot === HOUR_BUCKETS - 1 ? 0 : slot + 1) {
      if (slots[HOUR_TAG + slot] !== h + 1) continue;
      a += slots[HOUR_A + slot] as number;
      b += slots[HOUR_B + slot] as number;
    }
    // The first window is the last 24 hours, not the last daily bucket.
    out[0] = a;
    out[1] = b;
    return out;
  }

  /**
   * The delayed windows in one pass: out[at..at+5] = a and b over the 1, 7 and 30 daily buckets
   * that end `delayDays` days before the day of `eventTime` (the last is the day `delayDays` + 1
   * back), so every transaction in them is more than `delayDays` days older than `eventTime`
   * (1 <= delayDays <= 7).
   */
  delayedWindows(eventTime: number, delayDays: number, out: Float64Array, at: number): Float64Array {
    return this.dailyWindows(Math.floor(eventTime / DAY) - delayDays - 1, out, at);
  }

  /** out[at..at+5] = a and b over the 1, 7 and 30 daily buckets ending with day `last`. */
  private dailyWindows(last: number, out: Float64Array, at: number): Float64Array {
    const slots = this.slots;
    let a1 = 0;
    let b1 = 0;
    let a7 = 0;
    let b7 = 0;
    let a30 = 0;
    let b30 = 0;
    // The slot follows d around the ring (d % DAY_BUCKETS, without a division per bucket).
    let slot = (last - WINDOW_DAYS + 1) % DAY_BUCKETS;
    for (let d = last - WINDOW_DAYS + 1; d <= last; d++, slot = slot === DAY_BUCKETS - 1 ? 0 : slot + 1) {
      if (slots[DAY_TAG + slot] !== d + 1) continue;
      const da = slots[DAY_A + slot] as number;
      const db = slots[DAY_B + slot] as number;
      a30 += da;
      b30 += db;
      if (d > last - 7) {
        a7 += da;
        b7 += db;
      }
      if (d === last) {
        a1 = da;
        b1 = db;
      }
    }
    out[at] = a1;
    out[at + 1] = b1;
    out[at + 2] = a7;
    out[at + 3] = b7;
    out[at + 4] = a30;
    out[at + 5] = b30;
    return out;
  }

  /** The non-zero buckets as (absolute index, a, b), for stores that keep them as fields. */
  hourBuckets(): { index: number; a: number; b: number }[] {
    return this.buckets(HOUR_A, HOUR_B, HOUR_TAG, HOUR_BUCKETS);
  }

  dayBuckets(): { index: number; a: number; b: number }[] {
    return this.buckets(DAY_A, DAY_B, DAY_TAG, DAY_BUCKETS);
  }

  private buckets(
    offA: number,
    offB: number,
    offTag: number,
    size: number,
  ): { index: number; a: number; b: number }[] {
    const out = [];
    for (let slot = 0; slot < size; slot++) {
      const tag = this.slots[offTag + slot] as number;
      const a = this.slots[offA + slot] as number;
      const b = this.slots[offB + slot] as number;
      if (tag > 0 && (a !== 0 || b !== 0)) out.push({ index: tag - 1, a, b });
    }
    return out.sort((x, y) => x.index - y.index);
  }
}
