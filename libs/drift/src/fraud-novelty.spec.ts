import { describe, expect, it } from 'vitest';
import { seededRandom } from './drift-test.fixtures';
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

  it("gives the domain classifier's AUC: 0.5 for frauds like the reference, near 1 for new ones", () => {
    const random = seededRandom(5);
    const gaussian = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
    // Reference frauds and live frauds from the same cloud in log space, then a cloud moved away.
    const cloud = (shift: number) => [Math.exp(3 + shift + gaussian()) - 1, Math.exp(3 + gaussian()) - 1];
    const reference = Array.from({ length: 400 }, () => cloud(0));
    const knn = new FraudNoveltyIndex({ features: [0, 1], centre: [3, 3], scale: [1, 1], frauds: reference });
    const distances = (shift: number) =>
      Array.from({ length: 150 }, () => knn.novelty(cloud(shift)).distance);
    const same = knn.domainAuc(distances(0));
    expect(same?.auc).toBeGreaterThan(0.4);
    expect(same?.auc).toBeLessThan(0.6);
    expect(same?.pValue).toBeGreaterThan(0.01);
    const moved = knn.domainAuc(distances(3));
    expect(moved?.auc).toBeGreaterThan(0.9);
    expect(moved?.pValue).toBeLessThan(1e-6);
    expect(knn.domainAuc([])).toBeNull();
  });

  it('counts a live distance tied with reference ones as one half', () => {
    // The null is ten distances of 1: a live distance of 1 ties all, 0.5 loses to all, 2 beats all.
    expect(index.domainAuc([1])?.auc).toBeCloseTo(0.5, 12);
    expect(index.domainAuc([0.5])?.auc).toBe(0);
    expect(index.domainAuc([2, 2])?.auc).toBe(1);
  });
});
