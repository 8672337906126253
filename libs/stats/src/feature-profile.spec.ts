import { describe, expect, it } from 'vitest';
import { binCounts, binIndex, buildFeatureProfile, quantileSorted } from './feature-profile';

describe(quantileSorted.name, () => {
  it('interpolates linearly between order statistics (numpy default)', () => {
    // position (n-1)q = 9 * 0.25 = 2.25 -> 3 + 0.25 * (4 - 3)
    expect(quantileSorted([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.25)).toBeCloseTo(3.25, 12);
    expect(quantileSorted([7], 0.9)).toBe(7);
  });
});

describe(binIndex.name, () => {
  it('puts a value equal to an edge in the bin below it (bins are right-closed)', () => {
    const edges = [1, 2, 3];
    expect([0.5, 1, 1.5, 2, 3, 3.1].map((v) => binIndex(edges, v))).toEqual([0, 0, 1, 1, 2, 3]);
    expect(binCounts(edges, [0.5, 1, 1.5, 2, 3, 3.1])).toEqual([2, 2, 1, 1]);
  });
});

describe(buildFeatureProfile.name, () => {
  it('cuts 1..10 into five equal quantile bins and summarises it', () => {
    const profile = buildFeatureProfile('amount', [10, 9, 8, 7, 6, 5, 4, 3, 2, 1], 5, 4);
    // quantiles 0.2..0.8 at positions 1.8, 3.6, 5.4, 7.2
    expect(profile.quantile_edges.map((e) => Number(e.toFixed(10)))).toEqual([2.8, 4.6, 6.4, 8.2]);
    expect(profile.bin_fractions).toEqual([0.2, 0.2, 0.2, 0.2, 0.2]);
    expect(profile.mean).toBe(5.5);
    expect(profile.std).toBeCloseTo(Math.sqrt(99 / 12), 12); // population std of 1..n: sqrt((n²-1)/12)
    expect([profile.min, profile.max, profile.median]).toEqual([1, 10, 5.5]);
    // order statistics floor((j + 0.5) * 10 / 4) = 1, 3, 6, 8
    expect(profile.sample).toEqual([2, 4, 7, 9]);
  });

  it('de-duplicates edges of a binary feature', () => {
    const profile = buildFeatureProfile('is_night', [0, 0, 0, 0, 0, 0, 0, 1, 1, 1]);
    // deciles: 0 up to the 0.6 quantile, 0.3 at 0.7 (position 6.3), then 1
    expect(profile.quantile_edges.map((e) => Number(e.toFixed(10)))).toEqual([0, 0.3, 1]);
    expect(profile.bin_fractions).toEqual([0.7, 0, 0.3, 0]);
    expect(profile.sample).toHaveLength(10);
  });

  it('refuses empty and non-finite data', () => {
    expect(() => buildFeatureProfile('x', [])).toThrow(RangeError);
    expect(() => buildFeatureProfile('x', [1, Number.NaN])).toThrow(RangeError);
  });
});
