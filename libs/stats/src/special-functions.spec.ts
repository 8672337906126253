import { describe, expect, it } from 'vitest';
import { chiSquareSurvival, erfc, gammaQ, logGamma, normalCdf, normalSurvival } from './special-functions';

describe(normalCdf.name, () => {
  it('matches tabulated values', () => {
    expect(normalCdf(0)).toBe(0.5);
    expect(normalCdf(1.959963985)).toBeCloseTo(0.975, 9);
    expect(normalCdf(-1)).toBeCloseTo(0.158655253931457, 14);
    expect(erfc(1)).toBeCloseTo(0.157299207050285, 14);
  });
});

describe(normalSurvival.name, () => {
  it('keeps relative accuracy far into the tail', () => {
    // scipy.stats.norm.sf(10) = 7.619853024160527e-24
    expect(normalSurvival(10) / 7.619853024160527e-24).toBeCloseTo(1, 12);
    expect(normalSurvival(40)).toBe(0);
  });
});

describe(logGamma.name, () => {
  it('gives ln((n-1)!) and ln(sqrt(pi)) at 1/2', () => {
    expect(logGamma(5)).toBeCloseTo(Math.log(24), 12);
    expect(logGamma(0.5)).toBeCloseTo(0.5 * Math.log(Math.PI), 12);
  });
});

describe(gammaQ.name, () => {
  it('is NaN for NaN arguments, not a tail probability', () => {
    expect(gammaQ(1, Number.NaN)).toBeNaN();
    expect(gammaQ(Number.NaN, 1)).toBeNaN();
  });
});

describe(chiSquareSurvival.name, () => {
  it('equals exp(-x/2) with 2 degrees of freedom and erfc(sqrt(x/2)) with 1', () => {
    for (const x of [0.1, 1, 3.84, 10, 40]) {
      expect(chiSquareSurvival(x, 2)).toBeCloseTo(Math.exp(-x / 2), 12);
      expect(chiSquareSurvival(x, 1)).toBeCloseTo(erfc(Math.sqrt(x / 2)), 12);
    }
    expect(chiSquareSurvival(3.841458821, 1)).toBeCloseTo(0.05, 9);
    expect(chiSquareSurvival(0, 3)).toBe(1);
    expect(chiSquareSurvival(Number.NaN, 3)).toBeNaN();
  });
});
