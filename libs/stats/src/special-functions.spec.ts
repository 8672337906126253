import { describe, expect, it } from 'vitest';
import { chiSquareSurvival, erfc, kolmogorovSurvival, logGamma, normalCdf } from './special-functions';

describe(normalCdf.name, () => {
  it('matches tabulated values', () => {
    expect(normalCdf(0)).toBeCloseTo(0.5, 7);
    expect(normalCdf(1.959963985)).toBeCloseTo(0.975, 6);
    expect(normalCdf(-1)).toBeCloseTo(0.158655254, 6);
    expect(erfc(1)).toBeCloseTo(0.157299207, 6);
  });
});

describe(logGamma.name, () => {
  it('gives ln((n-1)!) and ln(sqrt(pi)) at 1/2', () => {
    expect(logGamma(5)).toBeCloseTo(Math.log(24), 12);
    expect(logGamma(0.5)).toBeCloseTo(0.5 * Math.log(Math.PI), 12);
  });
});

describe(chiSquareSurvival.name, () => {
  it('equals exp(-x/2) with 2 degrees of freedom and erfc(sqrt(x/2)) with 1', () => {
    for (const x of [0.1, 1, 3.84, 10, 40]) {
      expect(chiSquareSurvival(x, 2)).toBeCloseTo(Math.exp(-x / 2), 12);
      expect(chiSquareSurvival(x, 1)).toBeCloseTo(erfc(Math.sqrt(x / 2)), 6);
    }
    expect(chiSquareSurvival(3.841458821, 1)).toBeCloseTo(0.05, 6);
    expect(chiSquareSurvival(0, 3)).toBe(1);
  });
});

describe(kolmogorovSurvival.name, () => {
  it('matches the Kolmogorov distribution at its classic critical values', () => {
    expect(kolmogorovSurvival(1.3580986)).toBeCloseTo(0.05, 6);
    expect(kolmogorovSurvival(1.6276236)).toBeCloseTo(0.01, 6);
    expect(kolmogorovSurvival(0.5)).toBeCloseTo(0.963945, 5);
    // both series agree where they switch
    expect(kolmogorovSurvival(1.1799999)).toBeCloseTo(kolmogorovSurvival(1.18), 6);
    expect(kolmogorovSurvival(0)).toBe(1);
  });
});
