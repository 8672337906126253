import { describe, expect, it } from 'vitest';
import { durbinCdf, ksTwoSidedSurvival, pelzGoodCdf, smirnovSurvival } from './kolmogorov-distribution';

describe(ksTwoSidedSurvival.name, () => {
  it('has the closed forms of its edges', () => {
    expect(ksTwoSidedSurvival(10, 0)).toBe(1);
    expect(ksTwoSidedSurvival(10, 0.04)).toBe(1); // below 1/(2n): D_n is never that small
    expect(ksTwoSidedSurvival(10, 1)).toBe(0);
    // Ruben-Gambino: P(D_n >= d) = 2(1 − d)ⁿ above 1 − 1/n
    expect(ksTwoSidedSurvival(10, 0.95)).toBeCloseTo(2 * 0.05 ** 10, 25);
    // n = 1: D_1 is uniform on [1/2, 1]
    expect(ksTwoSidedSurvival(1, 0.75)).toBeCloseTo(0.5, 14);
  });

  it('is NaN for a size that is not a positive integer (scipy kstwo)', () => {
    expect(ksTwoSidedSurvival(0, 0.5)).toBeNaN();
    expect(ksTwoSidedSurvival(2.5, 0.5)).toBeNaN();
    expect(ksTwoSidedSurvival(10, Number.NaN)).toBeNaN();
  });

  it('falls monotonically in d across the switches between methods', () => {
    for (const n of [7, 140, 141, 1667, 20000]) {
      let previous = 1;
      for (let i = 1; i < 400; i++) {
        const d = (i / 400) ** 2;
        const p = ksTwoSidedSurvival(n, d);
        expect(p).toBeLessThanOrEqual(previous + 1e-12);
        previous = p;
      }
    }
  });
});

describe(durbinCdf.name, () => {
  it('agrees with Pelz-Good where both are accurate', () => {
    expect(durbinCdf(1000, 0.03)).toBeCloseTo(pelzGoodCdf(1000, 0.03), 6);
  });
});

describe(smirnovSurvival.name, () => {
  it('is 1 − d for a single value and 1 at d = 0', () => {
    expect(smirnovSurvival(1, 0.3)).toBeCloseTo(0.7, 14);
    expect(smirnovSurvival(5, 0)).toBe(1);
    expect(smirnovSurvival(5, 1)).toBe(0);
  });
});
