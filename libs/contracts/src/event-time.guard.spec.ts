import { describe, expect, it } from 'vitest';
import { ValidationError } from './contract.errors';
import { EventTimeGuard } from './event-time.guard';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 11, 2);
const p0 = { topic: 'tx', partition: 0 };
const p1 = { topic: 'tx', partition: 1 };

describe(EventTimeGuard.name, () => {
  it('refuses an event time more than the allowed skew ahead of the wall clock, even as the first record', () => {
    const guard = new EventTimeGuard({ maxAheadMs: DAY, now: () => NOW });
    expect(() => guard.check(Date.UTC(3000, 0, 1), p0)).toThrow(ValidationError);
    expect(() => guard.check(NOW + DAY + 1, p0)).toThrow(/ahead of the event-time watermark/);
    expect(guard.check(NOW + DAY, p0)).toBe(NOW + DAY);
  });

  it('lets a replay that runs ahead of the wall clock advance its partition watermark, one skew at a time', () => {
    const guard = new EventTimeGuard({ maxAheadMs: DAY, now: () => NOW });
    let t = NOW;
    for (let i = 0; i < 10; i++) guard.check((t += DAY / 2), p0);
    expect(guard.watermark(p0)).toBe(NOW + 5 * DAY);
    // The other partition has its own watermark: still the wall clock.
    expect(() => guard.check(NOW + 5 * DAY, p1)).toThrow(ValidationError);
    // A refused record does not move the watermark.
    expect(() => guard.check(NOW + 7 * DAY, p0)).toThrow(ValidationError);
    expect(guard.watermark(p0)).toBe(NOW + 5 * DAY);
  });

  it('accepts late records without moving the watermark back', () => {
    const guard = new EventTimeGuard({ maxAheadMs: DAY, now: () => NOW });
    guard.check(NOW, p0);
    expect(guard.check(NOW - 30 * DAY, p0)).toBe(NOW - 30 * DAY);
    expect(guard.watermark(p0)).toBe(NOW);
  });
});
