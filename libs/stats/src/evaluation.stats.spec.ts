import { describe, expect, it } from 'vitest';
import {
  averagePrecision,
  averagePrecisionUpperBound,
  cardPrecisionAtK,
  cardPrecisionTopK,
  dailyCardPrecisionAtK,
  evaluateModel,
  eventDay,
  precisionAtThreshold,
  recallAtThreshold,
  rocAuc,
  rocAucStandardError,
  softAveragePrecision,
  type EvaluationRow,
} from './evaluation.stats';

// scikit-learn's documentation example: average_precision_score -> 0.8333, roc_auc_score -> 0.75.
const labels = [0, 0, 1, 1];
const scores = [0.1, 0.4, 0.35, 0.8];

describe(averagePrecisionUpperBound.name, () => {
  it("is Boyd et al.'s logit bound: above the point estimate, narrower with more positives", () => {
    // expit(logit(0.717) + 1.96 / sqrt(63 * 0.717 * 0.283)), computed independently.
    expect(averagePrecisionUpperBound(0.717, 63, 1.96)).toBeCloseTo(0.8142432801, 9);
    expect(averagePrecisionUpperBound(0.717, 630, 1.96)).toBeLessThan(0.8142432801);
    expect(averagePrecisionUpperBound(0.717, 630, 1.96)).toBeGreaterThan(0.717);
    expect(averagePrecisionUpperBound(0.717, 63, 0)).toBeCloseTo(0.717, 12);
    expect(averagePrecisionUpperBound(1, 63, 1.96)).toBe(1);
    expect(averagePrecisionUpperBound(0.5, 0, 1.96)).toBe(1);
  });
});

describe(rocAucStandardError.name, () => {
  it("is Hanley and McNeil's standard error", () => {
    // A = 0.9 on 50 positives and 50 negatives: Q1 = 0.9/1.1, Q2 = 1.62/1.9 in their equation 2.
    expect(rocAucStandardError(0.9, 50, 50)).toBeCloseTo(0.0321238632, 9);
    expect(rocAucStandardError(0.9, 500, 5000)).toBeLessThan(0.01);
    expect(rocAucStandardError(0.9, 0, 50)).toBeNaN();
  });
});

describe(averagePrecision.name, () => {
  it('sums (R_n - R_{n-1}) P_n over thresholds (scikit-learn example: 0.5*1 + 0.5*2/3)', () => {
    expect(averagePrecision(scores, labels)).toBeCloseTo(0.5 + 1 / 3, 12);
  });

  it('lets tied scores cross the threshold together', () => {
    // threshold 0.5: P=1/2, R=1/2; threshold 0.2: P=2/3, R=1 -> 0.5*0.5 + 0.5*2/3
    expect(averagePrecision([0.5, 0.5, 0.2], [true, false, true])).toBeCloseTo(0.25 + 1 / 3, 12);
  });

  it('is 1 for a perfect ranking and 0 without positives', () => {
    expect(averagePrecision([0.9, 0.8, 0.1], [1, 1, 0])).toBe(1);
    expect(averagePrecision([0.9, 0.8], [0, 0])).toBe(0);
  });

  it('refuses arrays of different lengths, no rows and labels other than boolean or 0/1', () => {
    expect(() => averagePrecision([0.1], [1, 0])).toThrow(RangeError);
    expect(() => averagePrecision([], [])).toThrow(RangeError);
    expect(() => averagePrecision([0.1, 0.2], [2, 0])).toThrow(RangeError);
  });

  it('throws promptly, naming the row, on a NaN or infinite score (it used to loop forever)', () => {
    expect(() => averagePrecision([0.3, Number.NaN, 0.1], [1, 0, 1])).toThrow(/row 1 is NaN/);
    expect(() => averagePrecision([Number.POSITIVE_INFINITY, 0.1], [1, 0])).toThrow(RangeError);
  });
});

describe(softAveragePrecision.name, () => {
  it('is averagePrecision when every target is 0 or 1', () => {
    expect(softAveragePrecision(scores, labels)).toBeCloseTo(averagePrecision(scores, labels), 12);
  });

  it('counts a row of target t as t of a positive: [1, 0.5, 0] by score gives 2/3 + 1/3 * 0.75', () => {
    expect(softAveragePrecision([0.9, 0.8, 0.7], [1, 0.5, 0])).toBeCloseTo(2 / 3 + 0.25, 12);
  });

  it('equals the AP of each row split into four rows of its score, 4t of them positive', () => {
    const s = [0.9, 0.7, 0.7, 0.4, 0.2, 0.1];
    const t = [0.25, 1, 0, 0.5, 0.75, 0];
    const splitScores = s.flatMap((v) => [v, v, v, v]);
    const splitLabels = t.flatMap((v) => [0, 1, 2, 3].map((j) => (j < v * 4 ? 1 : 0)));
    expect(softAveragePrecision(s, t)).toBeCloseTo(averagePrecision(splitScores, splitLabels), 12);
  });

  it('is 0 without any positive weight, and refuses a target outside [0, 1] or a length mismatch', () => {
    expect(softAveragePrecision([0.3, 0.2], [0, 0])).toBe(0);
    expect(() => softAveragePrecision([0.3], [1.2])).toThrow(/not in \[0, 1\]/);
    expect(() => softAveragePrecision([0.3, 0.2], [1])).toThrow(/2 scores but 1 targets/);
  });
});

describe(rocAuc.name, () => {
  it('is the Mann-Whitney probability (scikit-learn example: 3 of 4 pairs ordered)', () => {
    expect(rocAuc(scores, labels)).toBeCloseTo(0.75, 12);
  });

  it('counts a tie between a positive and a negative as one half', () => {
    // pairs: (0.5,0.5)=1/2, (0.5,0.1)=1, (0.2,0.5)=0, (0.2,0.1)=1 -> 2.5/4
    expect(rocAuc([0.5, 0.5, 0.2, 0.1], [1, 0, 1, 0])).toBeCloseTo(0.625, 12);
  });

  it('is NaN when a class is missing', () => {
    expect(rocAuc([0.1, 0.2], [0, 0])).toBeNaN();
  });

  it('throws promptly on a NaN score and on no rows', () => {
    expect(() => rocAuc([Number.NaN, 0.2, 0.3], [1, 0, 1])).toThrow(/row 0 is NaN/);
    expect(() => rocAuc([], [])).toThrow(RangeError);
  });
});

describe(recallAtThreshold.name, () => {
  it('counts a score equal to the threshold as an alert', () => {
    expect(recallAtThreshold(scores, labels, 0.35)).toBe(1);
    expect(recallAtThreshold(scores, labels, 0.4)).toBe(0.5);
    expect(recallAtThreshold(scores, [0, 0, 0, 0], 0.4)).toBe(0);
  });
});

describe(precisionAtThreshold.name, () => {
  it('is the positive share of the alerts, 0 without alerts', () => {
    expect(precisionAtThreshold(scores, labels, 0.35)).toBeCloseTo(2 / 3, 12);
    expect(precisionAtThreshold(scores, labels, 0.4)).toBe(0.5);
    expect(precisionAtThreshold(scores, labels, 0.99)).toBe(0);
  });
});

describe(cardPrecisionAtK.name, () => {
  const rows: EvaluationRow[] = [
    // day 1: A max 0.9 (its fraud scored 0.2), B 0.8 legit, C 0.7 fraud -> top 2 = {A, B}: 1/2
    { cardId: 'A', day: 1, score: 0.9, isFraud: false },
    { cardId: 'A', day: 1, score: 0.2, isFraud: true },
    { cardId: 'B', day: 1, score: 0.8, isFraud: false },
    { cardId: 'C', day: 1, score: 0.7, isFraud: true },
    // day 2: D and E both fraud -> 2/2
    { cardId: 'D', day: 2, score: 0.5, isFraud: true },
    { cardId: 'E', day: 2, score: 0.6, isFraud: true },
  ];

  it("ranks cards by their day's max score and averages the daily shares", () => {
    expect(cardPrecisionAtK(rows, 2)).toBeCloseTo((0.5 + 1) / 2, 12);
  });

  it('divides by k even on a day with fewer cards', () => {
    // day 1 top 3 = {A, B, C}: 2/3; day 2 only two cards: 2/3
    expect(cardPrecisionAtK(rows, 3)).toBeCloseTo(2 / 3, 12);
  });

  it('refuses a non-positive k and a NaN score', () => {
    expect(() => cardPrecisionAtK(rows, 0)).toThrow(RangeError);
    expect(() => cardPrecisionAtK([{ cardId: 'A', day: 1, score: Number.NaN, isFraud: true }], 1)).toThrow(
      RangeError,
    );
  });

  it('is NaN without rows (the mean of no days)', () => {
    expect(cardPrecisionAtK([], 5)).toBeNaN();
  });
});

describe(cardPrecisionTopK.name, () => {
  // Card A is compromised on days 1-3 and always the top card; B is compromised on day 3 only.
  const persistent: EvaluationRow[] = [1, 2, 3].flatMap((day) => [
    { cardId: 'A', day, score: 0.9, isFraud: true },
    { cardId: 'B', day, score: 0.5, isFraud: day === 3 },
    { cardId: 'C', day, score: 0.2, isFraud: false },
  ]);

  it("leaves out, from the next day on, a card detected on an earlier day (the handbook's default)", () => {
    const result = cardPrecisionTopK(persistent, 1);
    // day 1: A detected (1/1); days 2 and 3: A removed, top card B (legit, then fraud)
    expect(result.days).toEqual([1, 2, 3]);
    expect(result.precisionByDay).toEqual([1, 0, 1]);
    expect(result.compromisedCardsByDay).toEqual([1, 0, 1]);
    expect([...result.detectedCards].sort()).toEqual(['A', 'B']);
    expect(result.mean).toBeCloseTo(2 / 3, 14);
    expect(cardPrecisionAtK(persistent, 1)).toBeCloseTo(2 / 3, 14);
  });

  it('counts the same card every day in the per-day variant, which reads higher', () => {
    expect(cardPrecisionTopK(persistent, 1, { removeDetectedCards: false }).precisionByDay).toEqual([
      1, 1, 1,
    ]);
    expect(dailyCardPrecisionAtK(persistent, 1)).toBe(1);
  });

  it('carries detected cards over from earlier calls, so a replay can go one day at a time', () => {
    const day1 = cardPrecisionTopK(
      persistent.filter((r) => r.day === 1),
      1,
    );
    const day2 = cardPrecisionTopK(
      persistent.filter((r) => r.day === 2),
      1,
      { alreadyDetected: day1.detectedCards },
    );
    expect(day2.precisionByDay).toEqual([0]);
    expect(day2.detectedCards.has('A')).toBe(true);
  });

  it('takes days in ascending order whatever the row order', () => {
    expect(cardPrecisionTopK([...persistent].reverse(), 1).precisionByDay).toEqual([1, 0, 1]);
  });
});

describe(evaluateModel.name, () => {
  it('fills every field of EvaluationMetrics', () => {
    const rows: EvaluationRow[] = scores.map((score, i) => ({
      cardId: `c${i}`,
      day: eventDay(Date.UTC(2026, 0, 1, 12)),
      score,
      isFraud: labels[i] === 1,
    }));
    expect(evaluateModel(rows, { threshold: 0.35, k: 2 })).toEqual({
      rows: 4,
      positives: 2,
      average_precision: expect.closeTo(0.8333333, 6) as unknown,
      roc_auc: expect.closeTo(0.75, 9) as unknown,
      recall_at_threshold: 1,
      precision_at_threshold: expect.closeTo(2 / 3, 9) as unknown,
      // top 2 cards: 0.8 (fraud) and 0.4 (legit)
      card_precision_at_k: 0.5,
      k: 2,
    });
  });

  it('throws on no rows and on a NaN score instead of reporting numbers', () => {
    expect(() => evaluateModel([], { threshold: 0.5, k: 2 })).toThrow(RangeError);
    expect(() =>
      evaluateModel([{ cardId: 'a', day: 1, score: Number.NaN, isFraud: true }], { threshold: 0.5, k: 2 }),
    ).toThrow(RangeError);
  });
});
