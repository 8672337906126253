import { describe, expect, it } from 'vitest';
import { mulberry32 } from './seeded-random';
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

  it('is NaN for an empty live window or a NaN count, not a large number', () => {
    expect(populationStabilityIndex([0.5, 0.5], [0, 0])).toBeNaN();
    expect(populationStabilityIndex([0.5, 0.5], [3, Number.NaN])).toBeNaN();
  });

  it('refuses different bin counts and negative counts', () => {
    expect(() => populationStabilityIndex([0.5, 0.5], [1, 2, 3])).toThrow(RangeError);
    expect(() => populationStabilityIndex([0.5, 0.5], [1, -2])).toThrow(RangeError);
  });
});

describe(jensenShannonDistance.name, () => {
  it('is 1 for disjoint and 0 for equal distributions', () => {
    expect(jensenShannonDistance([1, 0], [0, 1])).toBeCloseTo(1, 12);
    expect(jensenShannonDistance([2, 2], [5, 5])).toBeCloseTo(0, 12);
  });

  it('is exactly 0 for the same distribution given as shares and as counts', () => {
    expect(jensenShannonDistance([0.1, 0.2, 0.7], [10, 20, 70])).toBe(0);
    expect(jensenShannonDistance([1 / 3, 1 / 3, 1 / 3], [7, 7, 7])).toBe(0);
  });

  it('is NaN for an empty side or a NaN, like scipy', () => {
    expect(jensenShannonDistance([0, 0], [1, 1])).toBeNaN();
    expect(jensenShannonDistance([Number.NaN, 1], [1, 1])).toBeNaN();
  });

  it('is symmetric and within [0, 1] on random counts', () => {
    const random = mulberry32(11);
    for (let t = 0; t < 200; t++) {
      const k = 2 + Math.floor(random() * 8);
      const p = Array.from({ length: k }, () => Math.floor(random() * 20));
      const q = Array.from({ length: k }, () => Math.floor(random() * 20));
      p[0] = (p[0] ?? 0) + 1;
      q[k - 1] = (q[k - 1] ?? 0) + 1;
      const d = jensenShannonDistance(p, q);
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThanOrEqual(1);
      expect(jensenShannonDistance(q, p)).toBeCloseTo(d, 14);
    }
  });

  it('matches the hand-computed divergence of [1/2, 1/2] and [1, 0]', () => {
    // M = [3/4, 1/4]; KL(P||M) = 1/2 log2(2/3) + 1/2 log2(2); KL(Q||M) = log2(4/3)
    const jsd = 0.5 * (0.5 * Math.log2(2 / 3) + 0.5) + 0.5 * Math.log2(4 / 3);
    expect(jensenShannonDistance([0.5, 0.5], [1, 0])).toBeCloseTo(Math.sqrt(jsd), 12);
    expect(Math.sqrt(jsd)).toBeCloseTo(0.557923, 5);
  });
});

describe(kolmogorovSmirnov.name, () => {
  it('finds D = 1/2 between {1,2,3,4} and {3,4,5,6}, p = P(D_2 >= 1/2) = 1/2', () => {
    const result = kolmogorovSmirnov([1, 2, 3, 4], [3, 4, 5, 6]);
    expect(result.statistic).toBe(0.5);
    // Effective size round(4·4/8) = 2; for n·d = 1, P(D_n <= d) = n!/nⁿ (2nd − 1)ⁿ = 2/4 (Ruben-Gambino).
    expect(result.pValue).toBeCloseTo(0.5, 14);
  });

  it("gives scipy's p for 5 against 7 values, where the limiting distribution gives 0.102", () => {
    // scipy.stats.ks_2samp([1,2,3,4,5], [2.5,3.5,6,7,8,9,10], method='asymp'); kstwobign.sf(√(35/12)·5/7) = 0.102
    const result = kolmogorovSmirnov([1, 2, 3, 4, 5], [2.5, 3.5, 6, 7, 8, 9, 10]);
    expect(result.statistic).toBeCloseTo(5 / 7, 14);
    expect(result.pValue).toBeCloseTo(0.0466472303206997, 14);
  });

  it('is NaN for an empty sample or a NaN value, promptly', () => {
    expect(kolmogorovSmirnov([], [1, 2])).toEqual({ statistic: Number.NaN, pValue: Number.NaN });
    expect(kolmogorovSmirnov([1, Number.NaN], [1, 2])).toEqual({ statistic: Number.NaN, pValue: Number.NaN });
    expect(kolmogorovSmirnov([Number.NaN], [Number.NaN])).toEqual({
      statistic: Number.NaN,
      pValue: Number.NaN,
    });
  });

  it('refuses unsorted samples', () => {
    expect(() => kolmogorovSmirnov([2, 1], [1, 2])).toThrow(RangeError);
  });

  it('is symmetric, and its p-value falls as D grows for fixed sizes, on random samples', () => {
    const random = mulberry32(5);
    const sample = (n: number, shift: number) =>
      Float64Array.from({ length: n }, () => Math.round((random() + shift) * 100) / 100).sort();
    for (let t = 0; t < 50; t++) {
      const a = sample(20 + Math.floor(random() * 300), 0);
      const b = sample(20 + Math.floor(random() * 300), random() * 0.3);
      const ab = kolmogorovSmirnov(a, b);
      expect(kolmogorovSmirnov(b, a)).toEqual(ab);
      expect(ab.pValue).toBeGreaterThanOrEqual(0);
      expect(ab.pValue).toBeLessThanOrEqual(1);
    }
    const a = sample(200, 0);
    let previous = 1;
    for (const shift of [0.05, 0.1, 0.2, 0.4]) {
      const p = kolmogorovSmirnov(
        a,
        Float64Array.from(a, (v) => v + shift),
      ).pValue;
      expect(p).toBeLessThanOrEqual(previous);
      previous = p;
    }
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

  it('is NaN for an empty sample or a NaN value, promptly', () => {
    expect(wasserstein1([], [1])).toBeNaN();
    expect(wasserstein1([1, Number.NaN], [1, 2])).toBeNaN();
    expect(wasserstein1([Number.NaN], [Number.NaN])).toBeNaN();
  });

  it('equals the mean of |a_(i) − b_(i)| for samples of the same size', () => {
    const random = mulberry32(9);
    for (let t = 0; t < 50; t++) {
      const n = 1 + Math.floor(random() * 40);
      const a = Float64Array.from({ length: n }, () => Math.floor(random() * 10)).sort();
      const b = Float64Array.from({ length: n }, () => Math.floor(random() * 12) - 1).sort();
      let sum = 0;
      for (let i = 0; i < n; i++) sum += Math.abs((a[i] ?? 0) - (b[i] ?? 0));
      expect(wasserstein1(a, b)).toBeCloseTo(sum / n, 12);
    }
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

  it('is NaN without live counts', () => {
    const result = chiSquareGoodnessOfFit([0.5, 0.5], [0, 0]);
    expect(result.statistic).toBeNaN();
    expect(result.pValue).toBeNaN();
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
  });

  it('keeps the p-value of a large |z| positive (2·(1 − Φ(z)) is 0 from z ≈ 8.3)', () => {
    // statsmodels proportions_ztest([300, 119], [2000, 2000]): z 9.69, p 3.31e-22
    const result = twoProportionZTest(300, 2000, 119, 2000);
    expect(result.pValue).toBeGreaterThan(0);
    expect(result.pValue).toBeLessThan(1e-20);
  });

  it('is NaN when both proportions are 0 or a sample is empty, as statsmodels (0/0)', () => {
    expect(twoProportionZTest(0, 10, 0, 10)).toEqual({ z: Number.NaN, pValue: Number.NaN });
    expect(twoProportionZTest(0, 0, 3, 10)).toEqual({ z: Number.NaN, pValue: Number.NaN });
  });

  it('refuses more successes than trials', () => {
    expect(() => twoProportionZTest(11, 10, 0, 10)).toThrow(RangeError);
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

  it('keeps a NaN p-value NaN and adjusts the others as a family without it', () => {
    const adjusted = benjaminiHochberg([0.01, Number.NaN, 0.04, 0.03]);
    expect(adjusted[1]).toBeNaN();
    const without = benjaminiHochberg([0.01, 0.04, 0.03]);
    expect([adjusted[0], adjusted[2], adjusted[3]]).toEqual(without);
  });

  it('refuses p-values outside [0, 1]', () => {
    expect(() => benjaminiHochberg([0.5, 1.5])).toThrow(RangeError);
  });

  it('never lowers a p-value and keeps the order of the raw p-values, on random families', () => {
    const random = mulberry32(3);
    for (let t = 0; t < 100; t++) {
      const p = Array.from({ length: 1 + Math.floor(random() * 30) }, () => random() ** 3);
      const adjusted = benjaminiHochberg(p);
      p.forEach((raw, i) => {
        expect(adjusted[i]).toBeGreaterThanOrEqual(raw);
        p.forEach((other, j) => {
          if (raw < other) expect(adjusted[i]).toBeLessThanOrEqual(adjusted[j] ?? Number.NaN);
        });
      });
    }
  });
});
