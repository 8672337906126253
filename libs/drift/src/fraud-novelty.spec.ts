import { describe, expect, it } from 'vitest';
import { seededRandom } from './drift-test.fixtures';
import { FraudNoveltyIndex, hasNoveltyPoints } from './fraud-novelty';

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

  describe('over centroids (manifests without raw frauds)', () => {
    // Three centroids on the first axis of the robust space, at 0, 4 and 8; the null is the 9
    // summarised frauds' held-out distances 1..9, all stored.
    const centroids = [
      [0, 0],
      [4, 0],
      [8, 0],
    ];
    const nulls = [1, 2, 3, 4, 5, 6, 7, 8, 9];
    const reference = { features: [0, 1], centre: [0, 0], scale: [1, 1], centroids };
    const exact = new FraudNoveltyIndex({ ...reference, null_distances: nulls, null_count: 9 });

    it('measures the distance to the nearest centroid, whatever the k of older manifests', () => {
      // log1p(e^5 - 1) = 5: nearest centroid at 4.
      expect(exact.novelty([Math.exp(5) - 1, 0]).distance).toBeCloseTo(1, 6);
      expect(exact.novelty([Math.exp(20) - 1, 0]).distance).toBeCloseTo(12, 5);
      expect(exact.referenceFrauds).toBe(9);
    });

    it('reads p-values from the stored null: (1 + #null >= d) / (n + 1)', () => {
      // d = 1 (log1p 5): all nine are >= 1: 10 / 10. d = 12: none: 1 / 10. d = 6.5 (log1p 14.5): 7, 8, 9: 4 / 10.
      expect(exact.novelty([Math.exp(5) - 1, 0]).pValue).toBeCloseTo(1, 12);
      expect(exact.novelty([Math.exp(20) - 1, 0]).pValue).toBeCloseTo(0.1, 12);
      expect(exact.novelty([Math.exp(14.5) - 1, 0]).pValue).toBeCloseTo(0.4, 5);
    });

    it('interpolates between order statistics of a larger null', () => {
      // Order statistics 1, 5, 9 of the nine distances 1..9 (ranks 0, 4, 8). d = 6.5 lies between ranks
      // 4 and 8: 5 below up to rank 4, plus (6.5 - 5) / (9 - 5) of the 3 in between = 6.125 below.
      const summarised = new FraudNoveltyIndex({ ...reference, null_distances: [1, 5, 9], null_count: 9 });
      expect(summarised.pValueOfDistance(6.5)).toBeCloseTo((9 - 6.125 + 1) / 10, 12);
      // The exact null gives (9 - 6 + 1) / 10 there: the interpolation is within one rank of it.
      expect(exact.pValueOfDistance(6.5)).toBeCloseTo(0.4, 12);
      expect(summarised.pValueOfDistance(0.5)).toBe(1);
      expect(summarised.pValueOfDistance(10)).toBeCloseTo(0.1, 12);
      // The domain AUC counts against the nine frauds, not the three statistics stored.
      expect(summarised.domainAuc([10])?.auc).toBe(1);
    });

    it('is off without centroids, or without a null', () => {
      expect(hasNoveltyPoints({ ...reference, null_distances: [], null_count: 0 })).toBe(false);
      expect(hasNoveltyPoints({ ...reference, centroids: [], null_distances: [1], null_count: 1 })).toBe(
        false,
      );
      expect(hasNoveltyPoints({ ...reference, null_distances: nulls, null_count: 9 })).toBe(true);
      expect(hasNoveltyPoints({ features: [0], centre: [0], scale: [1], frauds: [[1]] })).toBe(true);
    });
  });
});
