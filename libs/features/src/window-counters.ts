import { DAY_MS, HOUR_MS } from '@fraudstream/contracts';

// Local copies of imported constants (the time units, and feature-set's ring sizes): compiled to
// CommonJS, an imported binding is a getter call on every access, which the per-transaction loops
// below cannot afford. The spec checks the ring sizes agree with feature-set's.
const HOUR = HOUR_MS;
const DAY = DAY_MS;
const HOUR_BUCKETS = 24;
const DAY_BUCKETS = 30;

/** Bit set by WindowCounters.add when the hourly (1) and the daily (2) ring took the increment. */
export const APPLIED_HOUR = 1;
export const APPLIED_DAY = 2;

const SLOTS = 2 * HOUR_BUCKETS + 2 * DAY_BUCKETS;
const HOUR_A = 0;
const HOUR_B = HOUR_BUCKETS;
const DAY_A = 2 * HOUR_BUCKETS;
const DAY_B = 2 * HOUR_BUCKETS + DAY_BUCKETS;

/** Sums of the two channels over a window. */
export interface WindowSums {
  a: number;
  b: number;
}

/**
 * Bounded event-time counters of one card or terminal: two channels (a card counts transactions
 * in `a` and amount cents in `b`; a terminal counts transactions in `a` and known frauds in `b`)
 * in a ring of 24 hourly and a ring of 30 daily buckets. Memory is fixed: 108 float64 slots
 * (864 bytes) plus two integers, whatever the traffic. Increments older than a ring are dropped
 * (they lie outside every window anyway for in-order streams).
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
  } as const;

  /** Adds (a, b) to the buckets of `eventTime`; returns APPLIED_HOUR | APPLIED_DAY for the rings that took it. */
  add(eventTime: number, a: number, b: number): number {
    return this.addHour(Math.floor(eventTime / HOUR), a, b) | this.addDay(Math.floor(eventTime / DAY), a, b);
  }

  addHour(hour: number, a: number, b: number): number {
    if (hour > this.lastHour) {
      const from = Math.max(this.lastHour + 1, hour - HOUR_BUCKETS + 1);
      for (let h = from; h <= hour; h++) {
        const slot = h % HOUR_BUCKETS;
        this.slots[HOUR_A + slot] = 0;
        this.slots[HOUR_B + slot] = 0;
      }
      this.lastHour = hour;
    } else if (hour <= this.lastHour - HOUR_BUCKETS) {
      return 0;
    }
    const slot = hour % HOUR_BUCKETS;
    this.slots[HOUR_A + slot] = (this.slots[HOUR_A + slot] ?? 0) + a;
    this.slots[HOUR_B + slot] = (this.slots[HOUR_B + slot] ?? 0) + b;
    return APPLIED_HOUR;
  }

  addDay(day: number, a: number, b: number): number {
    if (day > this.lastDay) {
      const from = Math.max(this.lastDay + 1, day - DAY_BUCKETS + 1);
      for (let d = from; d <= day; d++) {
        const slot = d % DAY_BUCKETS;
        this.slots[DAY_A + slot] = 0;
        this.slots[DAY_B + slot] = 0;
      }
      this.lastDay = day;
    } else if (day <= this.lastDay - DAY_BUCKETS) {
      return 0;
    }
    const slot = day % DAY_BUCKETS;
    this.slots[DAY_A + slot] = (this.slots[DAY_A + slot] ?? 0) + a;
    this.slots[DAY_B + slot] = (this.slots[DAY_B + slot] ?? 0) + b;
    return APPLIED_DAY;
  }

  /** Sums over the 24 hourly buckets ending with the hour of `eventTime`. */
  lastDayByHour(eventTime: number, out: WindowSums): WindowSums {
    const hour = Math.floor(eventTime / HOUR);
    const from = Math.max(hour - HOUR_BUCKETS + 1, this.lastHour - HOUR_BUCKETS + 1);
    const to = Math.min(hour, this.lastHour);
    let a = 0;
    let b = 0;
    for (let h = from; h <= to; h++) {
      const slot = h % HOUR_BUCKETS;
      a += this.slots[HOUR_A + slot] ?? 0;
      b += this.slots[HOUR_B + slot] ?? 0;
    }
    out.a = a;
    out.b = b;
    return out;
  }

  /** Sums over the `days` daily buckets ending with the day of `eventTime` (days <= 30). */
  lastDays(eventTime: number, days: number, out: WindowSums): WindowSums {
    const day = Math.floor(eventTime / DAY);
    const from = Math.max(day - days + 1, this.lastDay - DAY_BUCKETS + 1);
    const to = Math.min(day, this.lastDay);
    let a = 0;
    let b = 0;
    for (let d = from; d <= to; d++) {
      const slot = d % DAY_BUCKETS;
      a += this.slots[DAY_A + slot] ?? 0;
      b += this.slots[DAY_B + slot] ?? 0;
    }
    out.a = a;
    out.b = b;
    return out;
  }

  /**
   * All three windows in one pass: out[0..5] = a and b over 24 hours, a and b over 7 days,
   * a and b over 30 days, each ending with the bucket of `eventTime`.
   */
  windows(eventTime: number, out: Float64Array): Float64Array {
    const slots = this.slots;
    const hour = Math.floor(eventTime / HOUR);
    let a = 0;
    let b = 0;
    const lastHour = this.lastHour;
    for (let h = Math.max(hour, lastHour) - HOUR_BUCKETS + 1, to = Math.min(hour, lastHour); h <= to; h++) {
      const slot = h % HOUR_BUCKETS;
      a += slots[HOUR_A + slot] as number;
      b += slots[HOUR_B + slot] as number;
    }
    out[0] = a;
    out[1] = b;
    const day = Math.floor(eventTime / DAY);
    const lastDay = this.lastDay;
    const to = Math.min(day, lastDay);
    const from30 = Math.max(day, lastDay) - DAY_BUCKETS + 1;
    const from7 = Math.max(day - 6, from30);
    let a30 = 0;
    let b30 = 0;
    a = 0;
    b = 0;
    for (let d = from30; d <= to; d++) {
      const slot = d % DAY_BUCKETS;
      const da = slots[DAY_A + slot] as number;
      const db = slots[DAY_B + slot] as number;
      a30 += da;
      b30 += db;
      if (d >= from7) {
        a += da;
        b += db;
      }
    }
    out[2] = a;
    out[3] = b;
    out[4] = a30;
    out[5] = b30;
    return out;
  }

  /** The non-zero buckets as (absolute index, a, b), for stores that keep them as fields. */
  hourBuckets(): { index: number; a: number; b: number }[] {
    const out = [];
    for (let h = Math.max(0, this.lastHour - HOUR_BUCKETS + 1); h <= this.lastHour; h++) {
      const slot = h % HOUR_BUCKETS;
      const a = this.slots[HOUR_A + slot] ?? 0;
      const b = this.slots[HOUR_B + slot] ?? 0;
      if (a !== 0 || b !== 0) out.push({ index: h, a, b });
    }
    return out;
  }

  dayBuckets(): { index: number; a: number; b: number }[] {
    const out = [];
    for (let d = Math.max(0, this.lastDay - DAY_BUCKETS + 1); d <= this.lastDay; d++) {
      const slot = d % DAY_BUCKETS;
      const a = this.slots[DAY_A + slot] ?? 0;
      const b = this.slots[DAY_B + slot] ?? 0;
      if (a !== 0 || b !== 0) out.push({ index: d, a, b });
    }
    return out;
  }
}
