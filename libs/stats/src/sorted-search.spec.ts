import { describe, expect, it } from 'vitest';
import { lowerBound } from './sorted-search';

describe(lowerBound.name, () => {
  const sorted = [1, 3, 3, 3, 7, 9];
  const firstAtLeast = (x: number) => lowerBound(sorted.length, (i) => (sorted[i] ?? 0) >= x);

  it('finds the first index at which the predicate holds, against a linear scan', () => {
    for (let x = 0; x <= 10; x++) {
      const linear = sorted.findIndex((v) => v >= x);
      expect(firstAtLeast(x)).toBe(linear === -1 ? sorted.length : linear);
    }
    expect(firstAtLeast(3)).toBe(1);
    expect(lowerBound(sorted.length, (i) => (sorted[i] ?? 0) > 3)).toBe(4);
  });

  it('gives n when the predicate never holds, and 0 on an empty range', () => {
    expect(firstAtLeast(10)).toBe(6);
    expect(lowerBound(0, () => true)).toBe(0);
  });
});
