import { describe, expect, it } from 'vitest';
import { averagePrecision, rocAuc } from './evaluation.stats';
import { pairedCardBootstrap, weightedRankingMetrics, type PairedRow } from './paired-bootstrap';
import { mulberry32, normal } from './seeded-random';

describe(weightedRankingMetrics.name, () => {
  it('equals AP and ROC-AUC of the rows repeated by their integer weights, ties included', () => {
    const scores = [0.9, 0.8, 0.8, 0.5, 0.4, 0.4, 0.2, 0.1];
    const labels = [true, false, true, false, true, false, false, true];
    const weights = [2, 1, 3, 0, 1, 2, 4, 1];
    const repeatedScores: number[] = [];
    const repeatedLabels: boolean[] = [];
    scores.forEach((s, i) => {
      for (let copy = 0; copy < (weights[i] ?? 0); copy++) {
        repeatedScores.push(s);
        repeatedLabels.push(labels[i] ?? false);
      }
    });
    const weighted = weightedRankingMetrics(scores, labels, weights);
    expect(weighted.averagePrecision).toBeCloseTo(averagePrecision(repeatedScores, repeatedLabels), 12);
    expect(weighted.rocAuc).toBeCloseTo(rocAuc(repeatedScores, repeatedLabels), 12);
  });

  it('is NaN without weight on both classes', () => {
    expect(weightedRankingMetrics([0.5, 0.4], [true, false], [1, 0]).rocAuc).toBeNaN();
  });
});

/** Independent rows (one card each): positives score N(shift, 1), negatives N(0, 1). */
function separatedRows(n: number, frauds: number, shift: number, seed: number): PairedRow[] {
  const random = mulberry32(seed);
  return Array.from({ length: n }, (_, i) => {
    const isFraud = i < frauds;
    return {
      cardId: `card-${i}`,
      isFraud,
      scoreA: normal(random) + (isFraud ? shift : 0),
      scoreB: 0.5,
    };
  });
}

describe(pairedCardBootstrap.name, () => {
  it("matches DeLong's standard error when model B carries no information", () => {
    // B scores every row alike: its ROC-AUC is exactly 0.5 in every resample, so the difference's
    // spread is A's own, whose nonparametric variance DeLong et al. (Biometrics 1988) give in closed
    // form: var(V10) / m + var(V01) / n over the structural components, computed here directly.
    const rows = separatedRows(2_000, 100, 1.5, 11);
    const result = pairedCardBootstrap(rows, { resamples: 400, seed: 3 });
    const positives = rows.filter((r) => r.isFraud).map((r) => r.scoreA);
    const negatives = rows.filter((r) => !r.isFraud).map((r) => r.scoreA);
    const beats = (p: number, n: number) => (p > n ? 1 : p === n ? 0.5 : 0);
    const v10 = positives.map((p) => negatives.reduce((s, n) => s + beats(p, n), 0) / negatives.length);
    const v01 = negatives.map((n) => positives.reduce((s, p) => s + beats(p, n), 0) / positives.length);
    const variance = (xs: number[]) => {
      const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
      return xs.reduce((s, x) => s + (x - mean) ** 2, 0) / (xs.length - 1);
    };
    const delong = Math.sqrt(variance(v10) / positives.length + variance(v01) / negatives.length);
    expect(result.resamples).toBe(400);
    expect(result.rocAucDifferenceSe / delong).toBeGreaterThan(0.85);
    expect(result.rocAucDifferenceSe / delong).toBeLessThan(1.15);
  });

  it('is zero when both models rank the rows alike, whatever their scores', () => {
    const rows = separatedRows(500, 40, 1, 5).map((r) => ({ ...r, scoreB: 1 / (1 + Math.exp(-r.scoreA)) }));
    const result = pairedCardBootstrap(rows, { resamples: 50, seed: 1 });
    expect(result.averagePrecisionDifferenceSe).toBeCloseTo(0, 12);
    expect(result.rocAucDifferenceSe).toBeCloseTo(0, 12);
  });

  it('resamples cards, not rows: a card of many frauds makes the difference noisier', () => {
    // The same scores, once with each fraud on its own card, once with the frauds on four cards.
    const spread = separatedRows(1_000, 40, 1, 7).map((r, i) => ({
      ...r,
      scoreB: r.scoreA + (i % 2 === 0 ? 0.8 : -0.8) * (r.isFraud ? 1 : 0),
    }));
    const clustered = spread.map((r, i) => (r.isFraud ? { ...r, cardId: `stolen-${i % 4}` } : r));
    const independent = pairedCardBootstrap(spread, { resamples: 300, seed: 2 });
    const byCard = pairedCardBootstrap(clustered, { resamples: 300, seed: 2 });
    expect(byCard.averagePrecisionDifferenceSe).toBeGreaterThan(
      1.5 * independent.averagePrecisionDifferenceSe,
    );
  });

  it('is deterministic for a seed, and NaN when no resample holds both classes', () => {
    const rows = separatedRows(300, 20, 1, 9).map((r, i) => ({ ...r, scoreB: r.scoreA + (i % 3) * 0.1 }));
    const first = pairedCardBootstrap(rows, { resamples: 30, seed: 8 });
    expect(pairedCardBootstrap(rows, { resamples: 30, seed: 8 })).toEqual(first);
    const oneClass = rows.filter((r) => !r.isFraud);
    const none = pairedCardBootstrap(oneClass, { resamples: 30, seed: 8 });
    expect(none.resamples).toBe(0);
    expect(none.averagePrecisionDifferenceSe).toBeNaN();
  });

  it('refuses a score that is not a finite number', () => {
    expect(() =>
      pairedCardBootstrap([{ cardId: 'c', isFraud: true, scoreA: Number.NaN, scoreB: 0 }], {
        resamples: 1,
        seed: 1,
      }),
    ).toThrow(/row 0/);
  });
});
