import { describe, expect, it } from 'vitest';
import { centroidOf, microaggregate } from './microaggregation';
import { mulberry32 } from './seeded-random';

describe(microaggregate.name, () => {
  it('partitions every point into groups of k to 2k - 1', () => {
    const random = mulberry32(4);
    for (const [n, k] of [
      [97, 5],
      [10, 5],
      [14, 5],
      [5, 5],
      [200, 3],
    ] as const) {
      const points = Array.from({ length: n }, () => [random(), random() * 3, random() - 0.5]);
      const groups = microaggregate(points, k);
      expect(groups.flat().sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
      for (const g of groups) {
        expect(g.length).toBeGreaterThanOrEqual(k);
        expect(g.length).toBeLessThanOrEqual(2 * k - 1);
      }
    }
  });

  it('forms no group from fewer than k points', () => {
    expect(microaggregate([[1], [2], [3]], 5)).toEqual([]);
    expect(() => microaggregate([[1]], 0)).toThrow(RangeError);
  });

  it('groups two separated clusters of k each as themselves, with their means as centroids', () => {
    // Five points around (0, 0) and five around (10, 10): MDAV takes the furthest from the overall
    // mean (5, 5), which is in one cluster, and its 4 nearest are the rest of that cluster.
    const near = [
      [0, 0],
      [1, 0],
      [0, 1],
      [-1, 0],
      [0, -1],
    ];
    const far = near.map(([x, y]) => [(x ?? 0) + 10, (y ?? 0) + 10]);
    const points = [...near, ...far];
    const groups = microaggregate(points, 5)
      .map((g) => [...g].sort((a, b) => a - b))
      .sort((a, b) => (a[0] ?? 0) - (b[0] ?? 0));
    expect(groups).toEqual([
      [0, 1, 2, 3, 4],
      [5, 6, 7, 8, 9],
    ]);
    expect(centroidOf(points, groups[0] ?? [])).toEqual([0, 0]);
    expect(centroidOf(points, groups[1] ?? [])).toEqual([10, 10]);
  });

  it('is deterministic', () => {
    const random = mulberry32(9);
    const points = Array.from({ length: 60 }, () => [Math.floor(random() * 4), Math.floor(random() * 4)]);
    expect(microaggregate(points, 4)).toEqual(microaggregate(points, 4));
  });
});
