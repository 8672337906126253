import { DAY_BUCKETS, DAY_MS, HOUR_BUCKETS, HOUR_MS } from './feature-set';

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

  /** Adds (a, b) to the buckets of `eventTime`; returns APPLIED_HOUR | APPLIED_DAY for the rings that took it. */
  add(eventTime: number, a: number, b: number): number {
    return (
      this.addHour(Math.floor(eventTime / HOUR_MS), a, b) | this.addDay(Math.floor(eventTime / DAY_MS), a, b)
    );
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
    const hour = Math.floor(eventTime / HOUR_MS);
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
    const day = Math.floor(eventTime / DAY_MS);
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
