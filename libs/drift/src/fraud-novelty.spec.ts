import { describe, expect, it } from 'vitest';
import { FraudNoveltyIndex, robustScaling } from './fraud-novelty';

describe(robustScaling.name, () => {
  it('centres on the median and scales by the inter-quartile range of log1p, the std where the IQR is 0', () => {
    // log1p of 0, e-1, e^2-1, e^3-1, e^4-1 = 0, 1, 2, 3, 4: median 2; quantiles at 0.25 -> index 1, 0.75 -> index 3.
    const rows = [0, Math.E - 1, Math.E ** 2 - 1, Math.E ** 3 - 1, Math.E ** 4 - 1].map((v) => [v, 1]);
    const { centre, scale } = robustScaling(rows, [0, 1]);
    expect(centre[0]).toBeCloseTo(2, 12);
    expect(scale[0]).toBeCloseTo(2, 12);
    // A constant column has IQR 0 and std 0: scale 1 (no division by zero).
    expect(scale[1]).toBe(1);
  });
});

describe(FraudNoveltyIndex.name, () => {
  // Reference frauds on a line 0..9 in the first feature (log space is ignored by centre 0, scale 1 on log1p values).
  const frauds = Array.from({ length: 10 }, (_, i) => [Math.exp(i) - 1, 0]);
  const index = new FraudNoveltyIndex({ features: [0, 1], centre: [0, 0], scale: [1, 1], frauds }, { k: 1 });

  it('measures the distance to the k-th nearest reference fraud in the robust space', () => {
    // log1p(e^4.5 - 1) = 4.5: nearest reference points at 4 and 5, distance 0.5.
    expect(index.novelty([Math.exp(4.5) - 1, 0]).distance).toBeCloseTo(0.5, 6);
    expect(index.novelty([Math.exp(20) - 1, 0]).distance).toBeCloseTo(11, 6);
  });

  it('gives empirical p-values from the reference frauds held out one by one', () => {
    // Every reference fraud is 1 away from its nearest other one: the null is ten distances of 1.
    // A distance of 0.5 is exceeded (>=) by all ten: (10 + 1) / 11 = 1; a distance of 11 by none: 1 / 11.
    expect(index.novelty([Math.exp(4.5) - 1, 0]).pValue).toBeCloseTo(1, 12);
    expect(index.novelty([Math.exp(20) - 1, 0]).pValue).toBeCloseTo(1 / 11, 12);
  });

  it('names the features that set a row apart from its nearest reference fraud', () => {
    const reasons = index.distinguishingFeatures([Math.exp(9) - 1, Math.exp(3) - 1], ['amount', 'count']);
    expect(reasons[0]).toMatchObject({ feature: 'count' });
    expect(reasons[0]?.gap).toBeCloseTo(3, 6);
    expect(reasons[1]?.gap).toBeCloseTo(0, 6);
  });
});
