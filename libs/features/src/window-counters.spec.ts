import { DAY_MS, HOUR_MS } from '@fraudstream/contracts';
import { describe, expect, it } from 'vitest';
import { DAY_BUCKETS, HOUR_BUCKETS } from './feature-set';
import { APPLIED_DAY, APPLIED_HOUR, WindowCounters } from './window-counters';

describe(WindowCounters.name, () => {
  it('uses the feature set bucket sizes', () => {
    expect(WindowCounters.RING_SIZES).toEqual({
      hourMs: HOUR_MS,
      dayMs: DAY_MS,
      hours: HOUR_BUCKETS,
      days: DAY_BUCKETS,
    });
  });

  it('sums the 24 hourly and the last N daily buckets ending with the query time', () => {
    const c = new WindowCounters();
    const t = 1000 * DAY_MS + 5 * HOUR_MS;
    c.add(t - 30 * HOUR_MS, 1, 10); // outside 24 h, yesterday's day bucket
    c.add(t - 2 * HOUR_MS, 1, 20);
    c.add(t - 8 * DAY_MS, 1, 40);
    const s = { a: 0, b: 0 };
    expect(c.lastDayByHour(t, s)).toEqual({ a: 1, b: 20 });
    expect(c.lastDays(t, 7, s)).toEqual({ a: 2, b: 30 });
    expect(c.lastDays(t, 30, s)).toEqual({ a: 3, b: 70 });
    expect(c.lastDays(t, 1, s)).toEqual({ a: 1, b: 20 });
  });

  it('forgets buckets that fell out of the rings and keeps fixed memory', () => {
    const c = new WindowCounters();
    c.add(0, 1, 1);
    c.add(40 * DAY_MS, 1, 1);
    const s = { a: 0, b: 0 };
    expect(c.lastDays(40 * DAY_MS, 30, s)).toEqual({ a: 1, b: 1 });
    // Too old for both rings now: dropped.
    expect(c.add(DAY_MS, 1, 1)).toBe(0);
    expect(c.add(40 * DAY_MS - 3 * HOUR_MS, 0, 1)).toBe(APPLIED_HOUR | APPLIED_DAY);
    expect(c.add(39 * DAY_MS, 0, 1)).toBe(APPLIED_DAY);
    expect(c.slots.length).toBe(108);
  });

  it('reads a window ending before the newest bucket without counting later buckets', () => {
    const c = new WindowCounters();
    c.add(10 * DAY_MS, 1, 1);
    c.add(12 * DAY_MS, 1, 1);
    expect(c.lastDays(11 * DAY_MS, 7, { a: 0, b: 0 })).toEqual({ a: 1, b: 1 });
  });
});
