import { describe, expect, it } from 'vitest';
import { averagePrecision, rocAuc } from './evaluation.stats';
import {
  clusterBootstrap,
  pairedCardBootstrap,
  weightedRankingMetrics,
  type PairedRow,
} from './paired-bootstrap';
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

describe(clusterBootstrap.name, () => {
  const rows = separatedRows(2_000, 80, 1, 13);
  const scores = rows.map((r) => r.scoreA);
  const labels = rows.map((r) => r.isFraud);
  const own = rows.map((r) => r.cardId);

  it('equals the paired bootstrap against an uninformative model when every row is its own cluster', () => {
    // B scores every row alike, so its ROC-AUC is 0.5 in every resample: the difference's spread is
    // A's own, drawn from the same seed over the same clusters (and that one matches DeLong's).
    const single = clusterBootstrap(scores, labels, own, { resamples: 200, seed: 6 });
    const paired = pairedCardBootstrap(rows, { resamples: 200, seed: 6 });
    expect(single.resamples).toBe(200);
    expect(single.rocAucSe).toBeCloseTo(paired.rocAucDifferenceSe, 12);
  });

  it('widens when clustered frauds look alike: eight compromised terminals are eight observations, not eighty', () => {
    // Each terminal's frauds share an offset (its payments look alike to the model): whether a low
    // terminal is in the sample moves the metrics far more than any one of its frauds.
    const random = mulberry32(21);
    const offsets = Array.from({ length: 8 }, () => 1.5 * normal(random));
    const alike = rows.map((r, i) => (r.isFraud ? 0.3 * r.scoreA + (offsets[i % 8] ?? 0) + 1 : r.scoreA));
    const terminals = rows.map((r, i) => (r.isFraud ? `compromised-${i % 8}` : r.cardId));
    const independent = clusterBootstrap(alike, labels, own, { resamples: 300, seed: 4 });
    const byTerminal = clusterBootstrap(alike, labels, terminals, { resamples: 300, seed: 4 });
    expect(byTerminal.rocAucSe).toBeGreaterThan(2 * independent.rocAucSe);
    expect(byTerminal.averagePrecisionSe).toBeGreaterThan(1.5 * independent.averagePrecisionSe);
  });

  it('is deterministic for a seed, NaN without both classes, and refuses mismatched lengths', () => {
    const clusters = rows.map((_, i) => `c-${i % 50}`);
    const first = clusterBootstrap(scores, labels, clusters, { resamples: 40, seed: 2 });
    expect(clusterBootstrap(scores, labels, clusters, { resamples: 40, seed: 2 })).toEqual(first);
    const none = clusterBootstrap([0.1, 0.2], [false, false], ['a', 'b'], { resamples: 10, seed: 1 });
    expect(none.resamples).toBe(0);
    expect(none.rocAucSe).toBeNaN();
    expect(() => clusterBootstrap([0.1], [true, false], ['a'], { resamples: 1, seed: 1 })).toThrow(
      RangeError,
    );
    expect(() => clusterBootstrap([Number.NaN], [true], ['a'], { resamples: 1, seed: 1 })).toThrow(
      RangeError,
    );
  });
});
