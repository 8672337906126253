import { describe, expect, it } from 'vitest';
import {
  benjaminiHochberg,
  chiSquareGoodnessOfFit,
  jensenShannonDistance,
  kolmogorovSmirnov,
  populationStabilityIndex,
  twoProportionZTest,
  wasserstein1,
} from './distribution.stats';

describe(populationStabilityIndex.name, () => {
  it('is 0.25 ln 3 for halves against 3:1 counts', () => {
    // (0.75-0.5) ln(0.75/0.5) + (0.25-0.5) ln(0.25/0.5) = 0.25 (ln 1.5 + ln 2)
    expect(populationStabilityIndex([0.5, 0.5], [3, 1])).toBeCloseTo(0.25 * Math.log(3), 12);
  });

  it('is 0 for identical shares and floors an empty bin at epsilon', () => {
    expect(populationStabilityIndex([0.2, 0.3, 0.5], [20, 30, 50])).toBeCloseTo(0, 12);
    const expected = 0.5 * Math.log(2) + (1e-4 - 0.5) * Math.log(1e-4 / 0.5);
    expect(populationStabilityIndex([0.5, 0.5], [4, 0])).toBeCloseTo(expected, 12);
  });
});

describe(jensenShannonDistance.name, () => {
  it('is 1 for disjoint and 0 for equal distributions', () => {
    expect(jensenShannonDistance([1, 0], [0, 1])).toBeCloseTo(1, 12);
    expect(jensenShannonDistance([2, 2], [5, 5])).toBeCloseTo(0, 12);
  });

  it('matches the hand-computed divergence of [1/2, 1/2] and [1, 0]', () => {
    // M = [3/4, 1/4]; KL(P||M) = 1/2 log2(2/3) + 1/2 log2(2); KL(Q||M) = log2(4/3)
    const jsd = 0.5 * (0.5 * Math.log2(2 / 3) + 0.5) + 0.5 * Math.log2(4 / 3);
    expect(jensenShannonDistance([0.5, 0.5], [1, 0])).toBeCloseTo(Math.sqrt(jsd), 12);
    expect(Math.sqrt(jsd)).toBeCloseTo(0.557923, 5);
  });
});

describe(kolmogorovSmirnov.name, () => {
  it('finds D = 1/2 between {1,2,3,4} and {3,4,5,6}, p = Q_KS(sqrt(2) / 2)', () => {
    const result = kolmogorovSmirnov([1, 2, 3, 4], [3, 4, 5, 6]);
    expect(result.statistic).toBe(0.5);
    // Q_KS(0.7071) = 2 Σ (-1)^(k-1) exp(-2 k² / 2) = 2 (e^-1 - e^-4 + e^-9 - ...)
    let series = 0;
    for (let k = 1; k < 20; k++) series += (k % 2 ? 1 : -1) * Math.exp(-k * k);
    expect(result.pValue).toBeCloseTo(2 * series, 6);
  });

  it('is 1 for disjoint samples and steps both CDFs past tied values', () => {
    expect(kolmogorovSmirnov([1, 2], [3, 4]).statistic).toBe(1);
    expect(kolmogorovSmirnov([1, 1, 2], [1, 2, 2]).statistic).toBeCloseTo(1 / 3, 12);
    expect(kolmogorovSmirnov([1, 2, 3], [1, 2, 3])).toEqual({ statistic: 0, pValue: 1 });
  });
});

describe(wasserstein1.name, () => {
  it('is the shift between translated samples and the mean gap against a point mass', () => {
    expect(wasserstein1([0, 1, 3], [5, 6, 8])).toBeCloseTo(5, 12);
    expect(wasserstein1([0], [1, 2])).toBeCloseTo(1.5, 12);
    expect(wasserstein1([1, 2, 3], [1, 2, 3])).toBe(0);
  });
});

describe(chiSquareGoodnessOfFit.name, () => {
  it('gives 10 on one degree of freedom for 30:10 against halves', () => {
    const result = chiSquareGoodnessOfFit([0.5, 0.5], [30, 10]);
    expect(result.statistic).toBeCloseTo(10, 12);
    expect(result.degreesOfFreedom).toBe(1);
    expect(result.pValue).toBeCloseTo(0.0015654, 6); // erfc(sqrt(5))
  });

  it('gives p = exp(-5) for 10:20:30 against thirds (chi2 = 10, df = 2)', () => {
    const result = chiSquareGoodnessOfFit([1 / 3, 1 / 3, 1 / 3], [10, 20, 30]);
    expect(result.statistic).toBeCloseTo(10, 12);
    expect(result.pValue).toBeCloseTo(Math.exp(-5), 9);
  });

  it('drops categories empty on both sides', () => {
    expect(chiSquareGoodnessOfFit([0.7, 0, 0.3, 0], [7, 0, 3, 0])).toEqual({
      statistic: 0,
      degreesOfFreedom: 1,
      pValue: 1,
    });
  });
});

describe(twoProportionZTest.name, () => {
  it('matches the pooled z-test of 30/100 vs 20/100', () => {
    // pooled 0.25, se = sqrt(0.25 * 0.75 * 0.02) = 0.0612372, z = 0.1 / se
    const result = twoProportionZTest(30, 100, 20, 100);
    expect(result.z).toBeCloseTo(1.6329932, 6);
    expect(result.pValue).toBeCloseTo(0.10247, 5);
    expect(twoProportionZTest(0, 10, 0, 10)).toEqual({ z: 0, pValue: 1 });
  });
});

describe(benjaminiHochberg.name, () => {
  it('adjusts step-up and keeps the input order', () => {
    // sorted 0.005, 0.01, 0.03, 0.04 -> p*m/rank = 0.02, 0.02, 0.04, 0.04 (already monotone)
    const adjusted = benjaminiHochberg([0.01, 0.04, 0.03, 0.005]);
    [0.02, 0.04, 0.04, 0.02].forEach((v, i) => expect(adjusted[i]).toBeCloseTo(v, 12));
  });

  it('enforces monotonicity and caps at 1', () => {
    // raw: 0.01*3/1 = 0.03, 0.02*3/2 = 0.03, 0.9*3/3 = 0.9 ; and a p of 1 stays 1
    const adjusted = benjaminiHochberg([0.9, 0.02, 0.01]);
    [0.9, 0.03, 0.03].forEach((v, i) => expect(adjusted[i]).toBeCloseTo(v, 12));
    expect(benjaminiHochberg([1, 1])).toEqual([1, 1]);
  });
});
