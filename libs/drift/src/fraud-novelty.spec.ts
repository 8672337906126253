import { describe, expect, it } from 'vitest';
import { FraudNoveltyIndex } from './fraud-novelty';

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
