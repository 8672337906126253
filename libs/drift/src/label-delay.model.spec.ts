import { describe, expect, it } from 'vitest';
import { HOUR_MS } from '@fraudstream/contracts';
import { LabelDelayModel } from './label-delay.model';

describe(LabelDelayModel.name, () => {
  it('learns F(age) from the observed delays, linear within an hour bucket', () => {
    const model = new LabelDelayModel(10 * HOUR_MS);
    // Delays of 0.5 h, 1.5 h, 2.5 h and 3.5 h: one a bucket.
    for (const h of [0.5, 1.5, 2.5, 3.5]) model.observe(h * HOUR_MS);
    const prior = () => 0;
    expect(model.cdf(2 * HOUR_MS, prior, 1)).toBeCloseTo(0.5, 12);
    expect(model.cdf(2.5 * HOUR_MS, prior, 1)).toBeCloseTo(0.625, 12);
    expect(model.cdf(0, prior, 1)).toBe(0);
    expect(model.cdf(10 * HOUR_MS, prior, 1)).toBe(1);
    expect(model.quantile(0.5)).toBe(2 * HOUR_MS);
  });

  it('answers with the prior until it has seen enough delays, and ignores impossible ones', () => {
    const model = new LabelDelayModel(10 * HOUR_MS);
    model.observe(-5);
    model.observe(Number.NaN);
    model.observe(HOUR_MS / 2);
    expect(model.observations).toBe(1);
    expect(model.cdf(5 * HOUR_MS, (age) => age / (10 * HOUR_MS))).toBeCloseTo(0.5, 12);
  });

  it('restores from its snapshot with the same distribution', () => {
    const model = new LabelDelayModel(48 * HOUR_MS);
    for (let i = 0; i < 100; i++) model.observe((i % 48) * HOUR_MS + 1);
    const restored = LabelDelayModel.restore(48 * HOUR_MS, model.snapshot());
    expect(restored.cdf(20 * HOUR_MS, () => 0)).toBe(model.cdf(20 * HOUR_MS, () => 0));
    expect(restored.observations).toBe(100);
  });
});
