import { readFileSync } from 'node:fs';
import { join } from 'node:path';
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
import {
  averagePrecision,
  cardPrecisionTopK,
  precisionAtThreshold,
  recallAtThreshold,
  rocAuc,
  type EvaluationRow,
} from './evaluation.stats';
import { quantileSorted } from './feature-profile';
import { ksTwoSidedSurvival, smirnovSurvival } from './kolmogorov-distribution';
import { chiSquareSurvival, erfc, normalCdf, normalSurvival } from './special-functions';

/*
 * Every statistic against the reference implementation's value on seeded random inputs (ties,
 * binary data, small samples, NaN and empty cases included): fixtures/reference-values.json,
 * written by fixtures/generate_fixtures.py with scipy, scikit-learn, statsmodels and the Fraud
 * Detection Handbook's code (docs/statistics.md says how to regenerate it).
 */

/** JSON numbers, with NaN and the infinities as strings. */
type Num = number | 'NaN' | 'Infinity' | '-Infinity';

interface Fixtures {
  kolmogorovSmirnov: { name: string; a: Num[]; b: Num[]; statistic: Num; pValue: Num }[];
  ksTwoSided: { n: number; d: Num; sf: Num; smirnov: Num }[];
  wasserstein1: { name: string; a: Num[]; b: Num[]; distance: Num }[];
  jensenShannon: { name: string; p: Num[]; q: Num[]; distance: Num }[];
  populationStabilityIndex: { name: string; fractions: Num[]; counts: Num[]; psi: Num }[];
  chiSquareGoodnessOfFit: {
    name: string;
    shares: Num[];
    observed: Num[];
    statistic: Num;
    pValue: Num;
    df: number;
  }[];
  special: {
    chiSquareSurvival: { x: number; df: number; sf: Num }[];
    normal: { z: number; sf: Num; cdf: Num }[];
    erfc: { x: number; erfc: Num }[];
  };
  twoProportionZTest: {
    name: string;
    successesA: number;
    totalA: number;
    successesB: number;
    totalB: number;
    z: Num;
    pValue: Num;
  }[];
  benjaminiHochberg: { name: string; pValues: Num[]; adjusted: Num[] }[];
  ranking: {
    name: string;
    scores: Num[];
    labels: number[];
    threshold: number;
    averagePrecision: Num;
    rocAuc: Num;
    precision: Num;
    recall: Num;
  }[];
  cardPrecision: {
    name: string;
    k: number;
    cardId: string[];
    day: number[];
    score: Num[];
    isFraud: boolean[];
    precisionByDay: Num[];
    mean: Num;
    dailyPrecisionByDay: Num[];
    dailyMean: Num;
  }[];
  quantile: { sorted: Num[]; q: number[]; quantiles: Num[] }[];
}

const fixtures = JSON.parse(
  readFileSync(join(__dirname, '..', 'fixtures', 'reference-values.json'), 'utf8'),
) as Fixtures;

function num(x: Num): number {
  return typeof x === 'number' ? x : Number(x);
}
const nums = (xs: readonly Num[]): number[] => xs.map(num);

/**
 * Relative agreement (absolute below `floor`, where the reference itself is a rounding residue).
 * The tolerances below are far tighter than the 1e-6 the statistics promise, to catch any drift.
 */
function expectClose(actual: number, expected: number, relative: number, floor = 1e-300): void {
  if (Number.isNaN(expected)) {
    expect(actual).toBeNaN();
    return;
  }
  if (!Number.isFinite(expected)) {
    expect(actual).toBe(expected);
    return;
  }
  const error = Math.abs(actual - expected);
  const allowed = Math.max(relative * Math.abs(expected), floor);
  if (error > allowed) expect.fail(`${actual} differs from ${expected} by ${error} (allowed ${allowed})`);
}

describe('kolmogorovSmirnov against scipy ks_2samp(method="asymp")', () => {
  it.each(fixtures.kolmogorovSmirnov.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const result = kolmogorovSmirnov(nums(c.a), nums(c.b));
    expectClose(result.statistic, num(c.statistic), 1e-12);
    expectClose(result.pValue, num(c.pValue), 1e-9, 1e-300);
  });
});

describe('ksTwoSidedSurvival against scipy kstwo.sf, smirnovSurvival against scipy.special.smirnov', () => {
  it.each(fixtures.ksTwoSided.map((c) => [c.n, num(c.d), c] as const))('n %i, d %f', (n, d, c) => {
    // The one-sided sum over n terms carries ~n·1e-15 of rounding: 8e-10 at n = 100,000.
    expectClose(ksTwoSidedSurvival(n, d), num(c.sf), 1e-8, 1e-300);
    expectClose(smirnovSurvival(n, d), num(c.smirnov), 1e-8, 1e-300);
  });
});

describe('wasserstein1 against scipy wasserstein_distance', () => {
  it.each(fixtures.wasserstein1.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    expectClose(wasserstein1(nums(c.a), nums(c.b)), num(c.distance), 1e-12, 1e-15);
  });
});

describe('jensenShannonDistance against scipy jensenshannon(base=2)', () => {
  it.each(fixtures.jensenShannon.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    // scipy sums each bin's two terms separately, which leaves up to ~1e-8 of rounding after the
    // square root on nearly equal inputs; this implementation leaves ~1e-16 (see the function).
    expectClose(jensenShannonDistance(nums(c.p), nums(c.q)), num(c.distance), 1e-9, 2e-8);
  });

  it('is exactly 0 for equal and proportional inputs', () => {
    expect(jensenShannonDistance([3, 1, 0, 6], [3, 1, 0, 6])).toBe(0);
    expect(jensenShannonDistance([0.1, 0.2, 0.7], [1, 2, 7])).toBe(0);
  });
});

describe('populationStabilityIndex against its formula in numpy', () => {
  it.each(fixtures.populationStabilityIndex.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    expectClose(populationStabilityIndex(nums(c.fractions), nums(c.counts)), num(c.psi), 1e-12, 1e-15);
  });
});

describe('chiSquareGoodnessOfFit against scipy chisquare', () => {
  it.each(fixtures.chiSquareGoodnessOfFit.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const result = chiSquareGoodnessOfFit(nums(c.shares), nums(c.observed));
    expectClose(result.statistic, num(c.statistic), 1e-12, 1e-15);
    expectClose(result.pValue, num(c.pValue), 1e-10);
    expect(result.degreesOfFreedom).toBe(c.df);
  });
});

describe('special functions against scipy', () => {
  it('chiSquareSurvival = chi2.sf', () => {
    for (const c of fixtures.special.chiSquareSurvival)
      expectClose(chiSquareSurvival(c.x, c.df), num(c.sf), 1e-11);
  });

  it('normalSurvival = norm.sf, normalCdf = norm.cdf', () => {
    for (const c of fixtures.special.normal) {
      expectClose(normalSurvival(c.z), num(c.sf), 1e-12);
      expectClose(normalCdf(c.z), num(c.cdf), 1e-12);
    }
  });

  it('erfc = special.erfc', () => {
    for (const c of fixtures.special.erfc) expectClose(erfc(c.x), num(c.erfc), 1e-12);
  });
});

describe('twoProportionZTest against statsmodels proportions_ztest', () => {
  it.each(fixtures.twoProportionZTest.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const result = twoProportionZTest(c.successesA, c.totalA, c.successesB, c.totalB);
    expectClose(result.z, num(c.z), 1e-12);
    expectClose(result.pValue, num(c.pValue), 1e-10);
  });
});

describe('benjaminiHochberg against statsmodels multipletests(method="fdr_bh") on the non-NaN p-values', () => {
  it.each(fixtures.benjaminiHochberg.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const adjusted = benjaminiHochberg(nums(c.pValues));
    expect(adjusted).toHaveLength(c.adjusted.length);
    adjusted.forEach((a, i) => expectClose(a, num(c.adjusted[i] ?? 'NaN'), 1e-14, 1e-300));
  });
});

describe('ranking metrics against scikit-learn', () => {
  it.each(fixtures.ranking.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const scores = nums(c.scores);
    expectClose(averagePrecision(scores, c.labels), num(c.averagePrecision), 1e-12);
    expectClose(rocAuc(scores, c.labels), num(c.rocAuc), 1e-12);
    expectClose(precisionAtThreshold(scores, c.labels, c.threshold), num(c.precision), 1e-14);
    expectClose(recallAtThreshold(scores, c.labels, c.threshold), num(c.recall), 1e-14);
  });
});

describe("card precision@k against the Fraud Detection Handbook's card_precision_top_k", () => {
  it.each(fixtures.cardPrecision.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const rows: EvaluationRow[] = c.cardId.map((cardId, i) => ({
      cardId,
      day: c.day[i] ?? 0,
      score: num(c.score[i] ?? 'NaN'),
      isFraud: c.isFraud[i] ?? false,
    }));
    const handbook = cardPrecisionTopK(rows, c.k);
    handbook.precisionByDay.forEach((p, i) => expectClose(p, num(c.precisionByDay[i] ?? 'NaN'), 1e-14));
    expectClose(handbook.mean, num(c.mean), 1e-14);
    const daily = cardPrecisionTopK(rows, c.k, { removeDetectedCards: false });
    daily.precisionByDay.forEach((p, i) => expectClose(p, num(c.dailyPrecisionByDay[i] ?? 'NaN'), 1e-14));
    expectClose(daily.mean, num(c.dailyMean), 1e-14);
  });
});

describe('quantileSorted against numpy.quantile (linear)', () => {
  it('agrees on every case', () => {
    for (const c of fixtures.quantile)
      c.q.forEach((q, i) =>
        expectClose(quantileSorted(nums(c.sorted), q), num(c.quantiles[i] ?? 'NaN'), 1e-14, 1e-15),
      );
  });
});
