import { DAY_MS, HOUR_MS } from '@fraudstream/contracts';
import { describe, expect, it } from 'vitest';
import { DAY_BUCKETS, HOUR_BUCKETS, WINDOW_DAYS } from './feature-set';
import { APPLIED_DAY, APPLIED_HOUR, WindowCounters } from './window-counters';

describe(WindowCounters.name, () => {
  it('uses the feature set bucket sizes', () => {
    expect(WindowCounters.RING_SIZES).toEqual({
      hourMs: HOUR_MS,
      dayMs: DAY_MS,
      hours: HOUR_BUCKETS,
      days: DAY_BUCKETS,
      windowDays: WINDOW_DAYS,
    });
  });

  it('sums the delayed windows: the 1, 7 and 30 days ending the delay + 1 days before the query day', () => {
    const c = new WindowCounters();
    const t = 1000 * DAY_MS + 5 * HOUR_MS;
    c.add(t - 7 * DAY_MS, 1, 1); // day -7: inside a 7-day delay, in no delayed window
    c.add(t - 8 * DAY_MS, 1, 10); // day -8: the delayed 1-day window
    c.add(t - 14 * DAY_MS, 1, 100); // day -14: the last day of the delayed 7-day window
    c.add(t - 15 * DAY_MS, 1, 1000); // day -15: only the delayed 30-day window
    c.add(t - 37 * DAY_MS, 1, 10000); // day -37: the first day of the delayed 30-day window
    const out = new Float64Array(8).fill(-1);
    c.delayedWindows(t, 7, out, 2);
    expect([...out]).toEqual([-1, -1, 1, 10, 2, 110, 4, 11110]);
    // The ring still holds day -37: 38 daily buckets.
    expect(c.holdsDay(1000 - 37)).toBe(true);
    // The plain windows are unchanged by the longer ring: 30 days end today.
    expect(c.lastDays(t, 30, { a: 0, b: 0 })).toEqual({ a: 4, b: 1111 });
    const w = c.windows(t, new Float64Array(6));
    expect([w[4], w[5]]).toEqual([4, 1111]);
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
    // Day 40's first hour took hour 0's slot; day 0 lies outside every window ending on day 40.
    expect(c.holdsHour(0)).toBe(false);
    // A whole ring behind the bucket its slot holds (hour 24, slot of hour 960): dropped.
    expect(c.add(DAY_MS, 1, 1) & APPLIED_HOUR).toBe(0);
    expect(c.add(40 * DAY_MS - 3 * HOUR_MS, 0, 1)).toBe(APPLIED_HOUR | APPLIED_DAY);
    expect(c.add(39 * DAY_MS, 0, 1)).toBe(APPLIED_DAY);
    expect(c.lastDays(40 * DAY_MS, 30, s)).toEqual({ a: 1, b: 3 });
    expect(c.slots.length).toBe(186);
  });

  it('cannot be blinded by one record dated far in the future', () => {
    const c = new WindowCounters();
    const t = 1000 * DAY_MS + 12 * HOUR_MS;
    for (let h = 0; h < 20; h++) c.add(t - h * HOUR_MS, 1, 5);
    for (let d = 1; d < 10; d++) c.add(t - d * DAY_MS, 1, 5);
    const before = c.windows(t, new Float64Array(6)).slice();
    // Year 3000, and a record a whole day ahead: each takes one slot at most, never the others.
    c.add(Date.UTC(3000, 0, 1), 1, 1);
    c.add(t + 23 * HOUR_MS, 1, 1);
    const after = c.windows(t + HOUR_MS, new Float64Array(6));
    // An hour later: the 24-hour window lost at most the one hourly bucket a future record displaced.
    expect(after[0]).toBeGreaterThanOrEqual((before[0] ?? 0) - 2);
    expect(after[4]).toBeGreaterThanOrEqual((before[4] ?? 0) - 1);
    // And the next real payments are counted as usual.
    c.add(t + HOUR_MS, 1, 5);
    expect(c.windows(t + HOUR_MS, new Float64Array(6))[0]).toBe((after[0] ?? 0) + 1);
  });

  it('reads a window ending before the newest bucket without counting later buckets', () => {
    const c = new WindowCounters();
    c.add(10 * DAY_MS, 1, 1);
    c.add(12 * DAY_MS, 1, 1);
    expect(c.lastDays(11 * DAY_MS, 7, { a: 0, b: 0 })).toEqual({ a: 1, b: 1 });
  });
});
