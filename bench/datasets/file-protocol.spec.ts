import { DAY_MS, type Transaction } from '@fraudstream/contracts';
import type { ImportedDataset } from '@fraudstream/datasets';
import { initTfjsWasm, MlpNetwork } from '@fraudstream/training';
import { describe, expect, it } from 'vitest';
import {
  cardPrecisionBound,
  cardsTiedAtCut,
  evaluateIndices,
  averagePrecisionWithScenarioFirst,
  handbookTrainTest,
  meanLogit,
  scenarioRecall,
  validationWindow,
  type LabelledFile,
} from './file-protocol';

const START = Date.UTC(2018, 3, 1);

/** One transaction per (day, card), fraud where listed. */
function file(rows: readonly [day: number, card: string, fraud: boolean][]): LabelledFile {
  const transactions: Transaction[] = rows.map(([day, card], i) => ({
    transaction_id: String(i),
    card_id: card,
    terminal_id: 't',
    amount: 1,
    currency: 'EUR',
    channel: 'CARD_PRESENT',
    event_time: START + day * DAY_MS + i,
    ingest_time: START + day * DAY_MS + i,
  }));
  const dataset: ImportedDataset = {
    transactions,
    isFraud: Uint8Array.from(rows.map(([, , f]) => (f ? 1 : 0))),
    scenarios: rows.map(([, , f]) => (f ? 'unknown' : 'none')),
    labels: [],
    stats: {
      rowsRead: rows.length,
      transactions: rows.length,
      rejectedTransactions: 0,
      labelRowsRead: 0,
      rejectedLabels: 0,
      labelsFromFlags: 0,
      labelsFromFile: 0,
      frauds: 0,
      firstEventTime: null,
      lastEventTime: null,
      seconds: 0,
    },
  };
  return {
    dataset,
    start: START,
    features: { indices: new Int32Array(0), values: new Float32Array(0), width: 0 },
    rowOf: new Int32Array(0),
  };
}

describe(handbookTrainTest.name, () => {
  it("removes from test day d the cards with a fraud up to train end + d - 1, as the handbook's get_train_test_set", () => {
    // Train days 0-1, delay 2 days (2-3), test days 4-5.
    const f = file([
      [0, 'a', true], // known from the training days: out of both test days
      [1, 'x', false],
      [1, 'b', false],
      [2, 'b', true], // a fraud on delay day 2 = train end + 1 - 1: known from test day 1 on
      [3, 'c', true], // delay day 3 = train end + 2 - 1: would be known from test day 2 (none)
      [4, 'a', false],
      [4, 'b', false],
      [4, 'c', false],
      [5, 'a', true],
      [5, 'b', false],
      [5, 'c', true],
      [5, 'd', false],
    ]);
    const { train, test } = handbookTrainTest(f, {
      trainStartDay: 0,
      trainDays: 2,
      delayDays: 2,
      testDays: 2,
    });
    expect(train).toEqual([0, 1, 2]);
    const cards = test.map(
      (i) =>
        `${Math.floor(((f.dataset.transactions[i]?.event_time ?? 0) - START) / DAY_MS)}${f.dataset.transactions[i]?.card_id}`,
    );
    expect(cards).toEqual(['4b', '4c', '5c', '5d']);
  });

  it('evaluates AP, ROC-AUC and card precision@k with cards detected on an earlier day removed', () => {
    const f = file([
      [0, 'a', true],
      [0, 'b', false],
      [1, 'a', true],
      [1, 'b', false],
      [1, 'c', true],
    ]);
    const m = evaluateIndices(f, [0, 1, 2, 3, 4], [0.9, 0.1, 0.8, 0.7, 0.2], 1);
    expect(m.average_precision).toBeCloseTo((1 + 1 + 3 / 4) / 3, 12);
    expect(m.roc_auc).toBeCloseTo(5 / 6, 12);
    // Day 0: a (fraud) is the top card; day 1: a is removed, b (0.7) tops c (0.2): precision 0.
    expect(m.card_precision_at_k).toBe(0.5);
  });
});

describe(validationWindow.name, () => {
  it('moves the protocol back by its test length, so the selection week ends the day before the test week', () => {
    const w = { trainStartDay: 115, trainDays: 7, delayDays: 7, testDays: 7 };
    const v = validationWindow(w);
    expect(v).toEqual({ trainStartDay: 108, trainDays: 7, delayDays: 7, testDays: 7 });
    const testStart = w.trainStartDay + w.trainDays + w.delayDays;
    expect(v.trainStartDay + v.trainDays + v.delayDays + v.testDays).toBe(testStart);
  });
});

describe(scenarioRecall.name, () => {
  it("counts each scenario's frauds among the top N scores, N the number of frauds", () => {
    const f = file([
      [0, 'a', true],
      [0, 'b', true],
      [0, 'c', true],
      [0, 'd', false],
      [0, 'e', false],
    ]);
    const scenarios = ['large-amount', 'compromised-terminal', 'compromised-terminal', 'none', 'none'];
    const withScenarios = { dataset: { ...f.dataset, scenarios } } as Pick<LabelledFile, 'dataset'>;
    // Top 3: a (0.9), d (0.8, legitimate), b (0.7); c (0.1) is missed.
    const r = scenarioRecall(withScenarios, [0, 1, 2, 3, 4], [0.9, 0.7, 0.1, 0.8, 0.2]);
    expect(r).toEqual([
      { scenario: 'compromised-terminal', frauds: 2, detected: 1, recall: 0.5 },
      { scenario: 'large-amount', frauds: 1, detected: 1, recall: 1 },
    ]);
  });
});

describe(averagePrecisionWithScenarioFirst.name, () => {
  it("gives the AP with one scenario's frauds moved above every other row", () => {
    const f = file([
      [0, 'a', true],
      [0, 'b', true],
      [0, 'c', false],
      [0, 'd', false],
    ]);
    const withScenarios = {
      dataset: { ...f.dataset, scenarios: ['large-amount', 'compromised-card', 'none', 'none'] },
    } as Pick<LabelledFile, 'dataset'>;
    // Order c (0.9), b (0.5), d (0.3), a (0.1): AP (1/2 + 2/4) / 2 = 0.5.
    const scores = [0.1, 0.5, 0.9, 0.3];
    expect(evaluateIndices(f, [0, 1, 2, 3], scores, 1).average_precision).toBeCloseTo(0.5, 12);
    // a first: a, c, b, d: (1/1 + 2/3) / 2.
    expect(
      averagePrecisionWithScenarioFirst(withScenarios, [0, 1, 2, 3], scores, 'large-amount'),
    ).toBeCloseTo((1 + 2 / 3) / 2, 12);
  });
});

describe(cardPrecisionBound.name, () => {
  it("counts each day's compromised cards and gives a perfect ranking's card precision@k", () => {
    const f = file([
      [0, 'a', true],
      [0, 'b', false],
      [0, 'c', false],
      [1, 'a', true],
      [1, 'd', true],
      [1, 'b', false],
    ]);
    const bound = cardPrecisionBound(f, [0, 1, 2, 3, 4, 5], 2);
    // Day 0: one compromised card (a); day 1: a and d, as the handbook counts them.
    expect(bound.compromised_cards_by_day).toEqual([1, 2]);
    // A perfect ranking finds a on day 0 (1 of k = 2), then only d is new on day 1: (1/2 + 1/2) / 2.
    expect(bound.oracle_card_precision_at_k).toBe(0.5);
    // No model does better: the scores that rank a and d first on both days reach the same.
    const best = evaluateIndices(f, [0, 1, 2, 3, 4, 5], [0.9, 0.1, 0.2, 0.9, 0.8, 0.1], 2);
    expect(best.card_precision_at_k).toBe(0.5);
    expect(best.card_precision_by_day).toEqual([0.5, 0.5]);
  });
});

describe(cardsTiedAtCut.name, () => {
  it("counts, per day, the cards sharing the k-th card's highest score", () => {
    const f = file([
      [0, 'a', true],
      [0, 'a', false],
      [0, 'b', false],
      [0, 'c', false],
      [1, 'a', false],
      [1, 'b', false],
    ]);
    // Day 0: a 1 (its max), b 1, c 0.5: the 2nd card's score 1 is shared by a and b. Day 1: 0.9, 0.8.
    expect(cardsTiedAtCut(f, [0, 1, 2, 3, 4, 5], [1, 0.2, 1, 0.5, 0.9, 0.8], 2)).toEqual([2, 1]);
    // k = 1 on day 0: the top score is tied too; k past the day's cards takes its last.
    expect(cardsTiedAtCut(f, [0, 1, 2, 3, 4, 5], [1, 0.2, 1, 0.5, 0.9, 0.8], 1)).toEqual([2, 1]);
    expect(cardsTiedAtCut(f, [0, 1, 2, 3, 4, 5], [1, 0.2, 1, 0.5, 0.9, 0.8], 5)).toEqual([1, 1]);
  });
});

describe(meanLogit.name, () => {
  it('scores as the three networks combined into one MLP (the ensemble row is a model the scorer can serve)', async () => {
    await initTfjsWasm();
    const mean = [1, 20, 300];
    const std = [2, 30, 50];
    const nets = [1, 2, 3].map((seed) => MlpNetwork.create({ mean, std, hiddenUnits: [8, 4], seed }));
    const rows = 200;
    const x = Float32Array.from(
      { length: rows * 3 },
      (_, i) => (mean[i % 3] ?? 0) * (0.5 + ((i * 7919) % 101) / 100),
    );
    const scores = nets.map((n) => n.predict(x, rows));
    // The ensemble the trainer builds (TRAINER_BASE_ENSEMBLE=3): equal shares of the logit.
    const all = MlpNetwork.ensemble(nets);
    const combined = all.predict(x, rows);
    const averaged = meanLogit(scores);
    let maxDiff = 0;
    for (let i = 0; i < rows; i++)
      maxDiff = Math.max(maxDiff, Math.abs((averaged[i] ?? 0) - (combined[i] ?? 0)));
    expect(maxDiff).toBeLessThan(1e-4);
    // Not the plain mean of the probabilities, and not any one network's score: the check means something.
    const plain = Array.from({ length: rows }, (_, i) => scores.reduce((s, r) => s + (r[i] ?? 0), 0) / 3);
    expect(Math.max(...plain.map((p, i) => Math.abs(p - (averaged[i] ?? 0))))).toBeGreaterThan(1e-3);
    for (const one of scores)
      expect(Math.max(...Array.from(one, (p, i) => Math.abs(p - (averaged[i] ?? 0))))).toBeGreaterThan(1e-3);
    for (const n of [...nets, all]) n.dispose();
  });
});
