import { describe, expect, it } from 'vitest';
import { robustScaling } from './robust-scaling';

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
