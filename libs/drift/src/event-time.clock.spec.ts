import { describe, expect, it } from 'vitest';
import { HOUR_MS } from '@fraudstream/contracts';
import { EventTimeClock } from './event-time.clock';

describe(EventTimeClock.name, () => {
  it('passes a boundary once scores and labels both reach it, or the scores pass it by the label lag', () => {
    const clock = new EventTimeClock(10 * 60_000, 24 * HOUR_MS);
    expect(clock.passed(0)).toBe(false);
    clock.observeScoreTime(10 * HOUR_MS + 10 * 60_000);
    expect(clock.watermark).toBe(10 * HOUR_MS);
    // No label yet: only the lag lets a boundary pass.
    expect(clock.passed(5 * HOUR_MS)).toBe(false);
    clock.observeLabelTime(6 * HOUR_MS + 10 * 60_000);
    expect(clock.passed(5 * HOUR_MS)).toBe(true);
    expect(clock.passed(7 * HOUR_MS)).toBe(false);
    expect(clock.passedUntil()).toBe(6 * HOUR_MS);
    expect(clock.trigger(7 * HOUR_MS)).toBe(31 * HOUR_MS);
    clock.observeScoreTime(40 * HOUR_MS);
    // Scores 31 h ahead of the labels' boundary: labels are taken as stalled.
    expect(clock.passed(7 * HOUR_MS)).toBe(true);
  });

  it('holds a watermark at the slowest backlogged partition until it is released', () => {
    const clock = new EventTimeClock(0, 24 * HOUR_MS);
    clock.observeScoreTime(10 * HOUR_MS);
    clock.hold('scores', 'p1', null);
    expect(clock.watermark).toBe(Number.NEGATIVE_INFINITY);
    clock.hold('scores', 'p1', 4 * HOUR_MS);
    expect(clock.watermark).toBe(4 * HOUR_MS);
    expect(clock.release('scores', 'p1')).toBe(true);
    expect(clock.release('scores', 'p1')).toBe(false);
    expect(clock.watermark).toBe(10 * HOUR_MS);
  });

  it('restores the newest event times from its snapshot', () => {
    const clock = new EventTimeClock(0, HOUR_MS);
    clock.observeScoreTime(5);
    clock.observeLabelTime(3);
    const copy = new EventTimeClock(0, HOUR_MS);
    copy.restore(clock.snapshot());
    expect([copy.watermark, copy.labelWatermark]).toEqual([5, 3]);
  });
});
