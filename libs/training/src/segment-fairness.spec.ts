import { mulberry32, type Rng } from '@fraudstream/stats';
import { describe, expect, it } from 'vitest';
import { decideGate } from './model-gate';
import { FAIRNESS_Z, checkFairness, segmentMetrics, segmentTable } from './segment-fairness';
import type { TrainingRow } from './training-rows';
import { TEST_FAIRNESS, TEST_GATE } from './training.test-fixtures';

const CONFIG = TEST_FAIRNESS;

function row(i: number, isFraud: boolean, age_band: string | null, region: string | null): TrainingRow {
  return {
    transactionId: `t${i}`,
    cardId: `c${i}`,
    eventTime: 0,
    features: [],
    isFraud,
    ...(age_band === null && region === null ? {} : { segments: { age_band, region } }),
  };
}

/**
 * `n` rows per segment value of each attribute (crossed: every age band with every region), a
 * fraud share `fraudRate`; a model alerts on a fraud of segment s with probability `recall(s)` and
 * on a legitimate row with probability `fpr(s)` (scores 1 and 0 against a threshold of 0.5).
 */
function simulate(
  rng: Rng,
  cells: { readonly age_band: string; readonly region: string; readonly n: number }[],
  fraudRate: number,
  models: readonly {
    readonly recall: (r: TrainingRow) => number;
    readonly fpr: (r: TrainingRow) => number;
  }[],
): { rows: TrainingRow[]; scores: Float32Array[] } {
  const rows: TrainingRow[] = [];
  for (const cell of cells)
    for (let k = 0; k < cell.n; k++)
      rows.push(row(rows.length, rng() < fraudRate, cell.age_band, cell.region));
  const scores = models.map((m) =>
    Float32Array.from(rows, (r) => (rng() < (r.isFraud ? m.recall(r) : m.fpr(r)) ? 1 : 0)),
  );
  return { rows, scores };
}

const BANDS = ['18-29', '30-44', '45-64', '65+'];
const REGIONS = ['north', 'south', 'east', 'west'];
const cells = (perCell: number) =>
  BANDS.flatMap((age_band) => REGIONS.map((region) => ({ age_band, region, n: perCell })));

const metrics = (recall: number) => ({
  rows: 1000,
  positives: 40,
  average_precision: 0.7,
  roc_auc: 0.95,
  recall_at_threshold: recall,
  precision_at_threshold: 0.5,
  card_precision_at_k: 0.3,
  k: 100,
});
const GATE = TEST_GATE;
/** A challenger that wins on AP, so only the fairness rule can refuse it. */
const WINNING = { challenger: { ...metrics(0.6), average_precision: 0.75 }, champion: metrics(0.6) };

describe(segmentMetrics.name, () => {
  it('counts each attribute on its own: false-positive rate over the legitimate rows, recall over the frauds, at the threshold', () => {
    const rows = [
      row(0, true, '18-29', 'north'),
      row(1, true, '18-29', 'south'),
      row(2, false, '18-29', 'north'),
      row(3, false, '18-29', 'north'),
      row(4, false, '65+', 'south'),
      row(5, true, '65+', 'south'),
      row(6, false, null, null),
    ];
    const scores = [0.9, 0.2, 0.6, 0.1, 0.7, 0.5, 0.99];
    expect(segmentMetrics(rows, scores, 0.5)).toEqual([
      // 18-29: frauds t0 (caught) and t1 (missed); legitimate t2 (alert) and t3.
      { attribute: 'age_band', value: '18-29', rows: 4, frauds: 2, false_positive_rate: 0.5, recall: 0.5 },
      // 65+: legitimate t4 alerts; fraud t5 at exactly the threshold is caught.
      { attribute: 'age_band', value: '65+', rows: 2, frauds: 1, false_positive_rate: 1, recall: 1 },
      { attribute: 'region', value: 'north', rows: 3, frauds: 1, false_positive_rate: 0.5, recall: 1 },
      { attribute: 'region', value: 'south', rows: 3, frauds: 2, false_positive_rate: 1, recall: 0.5 },
    ]);
    // A segment without frauds has no recall; the row without segments is in none.
    expect(segmentMetrics([row(0, false, 'x', null)], [0], 0.5)).toEqual([
      { attribute: 'age_band', value: 'x', rows: 1, frauds: 0, false_positive_rate: 0, recall: null },
    ]);
    expect(segmentTable([row(0, false, null, null)], { scores: [1], threshold: 0.5 }, null)).toEqual({
      rows: 0,
      model: [],
      champion: null,
    });
  });
});

/** Both models' check on rows (challenger first, as `simulate` returns the scores). */
function check(rows: readonly TrainingRow[], scores: readonly ArrayLike<number>[]) {
  const [challenger = [], champion = []] = scores;
  return checkFairness(
    rows,
    { scores: challenger, threshold: 0.5 },
    { scores: champion, threshold: 0.5 },
    CONFIG,
  );
}

/**
 * Card-clustered fraud, as the simulator's compromised cards: `cards` cards of `txPerCard` payments
 * each over the crossed segments; a card is compromised with probability `compromisedShare`, and
 * then 40 % of its payments are fraud. A model finds a compromised card with probability 0.65 and
 * then alerts on 90 % of its frauds (10 % when it did not find it), and alerts on
 * 1 % of the legitimate payments; nothing depends on the segment.
 */
function clustered(rng: Rng, cards: number, txPerCard: number, compromisedShare: number) {
  const rows: TrainingRow[] = [];
  const cardOf: number[] = [];
  for (let c = 0; c < cards; c++) {
    const age_band = BANDS[c % BANDS.length] ?? null;
    const region = REGIONS[Math.floor(c / BANDS.length) % REGIONS.length] ?? null;
    const compromised = rng() < compromisedShare;
    for (let k = 0; k < txPerCard; k++) {
      rows.push({ ...row(rows.length, compromised && rng() < 0.4, age_band, region), cardId: `card-${c}` });
      cardOf.push(c);
    }
  }
  const scores = [0, 1].map(() => {
    const found = Array.from({ length: cards }, () => rng() < 0.65);
    return Float32Array.from(rows, (r, i) =>
      rng() < (r.isFraud ? (found[cardOf[i] ?? 0] ? 0.9 : 0.1) : 0.01) ? 1 : 0,
    );
  });
  return { rows, scores };
}

describe(checkFairness.name, () => {
  it('refuses a challenger that misses the frauds of one region, naming the gap in the reason', () => {
    const { rows, scores } = simulate(mulberry32(1), cells(400), 0.1, [
      { recall: (r) => (r.segments?.region === 'west' ? 0.3 : 0.7), fpr: () => 0.02 },
      { recall: () => 0.7, fpr: () => 0.02 },
    ]);
    const result = check(rows, scores);
    expect(result.refusals.map((f) => [f.attribute, f.metric, f.low.value])).toEqual([
      ['region', 'recall', 'west'],
    ]);
    const refusal = result.refusals[0];
    if (!refusal) throw new Error('refused');
    // About 160 frauds a region: recall 0.7 vs 0.3 is a gap of about 0.4, the champion's near 0.
    expect(refusal.challengerGap).toBeGreaterThan(0.3);
    expect(refusal.championGap).toBeLessThan(0.15);
    expect(refusal.tolerance).toBeCloseTo(0.2 * 0.7, 1);
    const decision = decideGate(WINNING, null, GATE, { fairness: result });
    expect(decision.passed).toBe(false);
    expect(decision.reason).toMatch(
      /^gate failed: fairness: recall gap across region widened from 0\.\d{4} \(champion\) to 0\.\d{4} \(challenger: \w+ 0\.\d{4}, west 0\.\d{4}\); beyond noise by at least 0\.\d{4} > tolerance 0\.1\d{3}$/,
    );
    expect(decision.metrics.fairness_recall_gap_widening).toBeGreaterThan(0.2);
    expect(decision.metrics.gate_max_fairness_gap_widening).toBe(0.2);
  });

  it('refuses a challenger that raises the false alarms of one age band', () => {
    const { rows, scores } = simulate(mulberry32(2), cells(500), 0.05, [
      { recall: () => 0.7, fpr: (r) => (r.segments?.age_band === '65+' ? 0.06 : 0.02) },
      { recall: () => 0.7, fpr: () => 0.02 },
    ]);
    const result = check(rows, scores);
    expect(result.refusals.map((f) => [f.attribute, f.metric, f.high.value])).toEqual([
      ['age_band', 'false_positive_rate', '65+'],
    ]);
    expect(decideGate(WINNING, null, GATE, { fairness: result }).reason).toMatch(
      /fairness: false-positive rate gap across age_band widened/,
    );
  });

  it('judges against a champion whose rates are the same on every segment (a gap of 0)', () => {
    const { rows } = simulate(mulberry32(7), cells(100), 0.1, []);
    const champion = rows.map((r) => (r.isFraud ? 1 : 0));
    const challenger = rows.map((r) => (r.isFraud && r.segments?.region !== 'west' ? 1 : 0));
    const result = check(rows, [challenger, champion]);
    const recall = result.findings.find((f) => f.attribute === 'region' && f.metric === 'recall');
    expect(recall?.championGap).toBe(0);
    expect(recall?.challengerGap).toBe(1);
    expect(recall?.refused).toBe(true);
  });

  it('passes a challenger as fair as the champion, and one that narrows a gap the champion had', () => {
    const { rows, scores } = simulate(mulberry32(3), cells(400), 0.1, [
      { recall: () => 0.75, fpr: () => 0.02 },
      { recall: (r) => (r.segments?.region === 'west' ? 0.4 : 0.7), fpr: () => 0.02 },
    ]);
    const result = check(rows, scores);
    expect(result.findings).toHaveLength(4);
    expect(result.refusals).toEqual([]);
    const decision = decideGate(WINNING, null, GATE, { fairness: result });
    expect(decision.passed).toBe(true);
    expect(decision.reason).toMatch(/; no segment gap widened beyond tolerance \(4 checked\)$/);
  });

  it('leaves out a segment with too few frauds, or frauds of too few cards, however badly the challenger does on it', () => {
    const base = Array.from({ length: 400 }, (_, i) => row(i, i % 4 === 0, '30-44', 'north'));
    // 65+: three frauds (n·p = 3 × 0.7 < 5); 45-64: 40 frauds, all of 4 cards (< 10 cards).
    const few = Array.from({ length: 300 }, (_, i) => row(400 + i, i < 3, '65+', 'north'));
    const fewCards = Array.from({ length: 300 }, (_, i) => ({
      ...row(700 + i, i < 40, '45-64', 'north'),
      ...(i < 40 ? { cardId: `burst-${i % 4}` } : {}),
    }));
    const rows = [...base, ...few, ...fewCards];
    const champion = rows.map((r) => (r.isFraud ? 1 : 0));
    const challenger = rows.map((r) => (r.isFraud && r.segments?.age_band === '30-44' ? 1 : 0));
    const table = segmentTable(
      rows,
      { scores: challenger, threshold: 0.5 },
      { scores: champion, threshold: 0.5 },
    );
    expect(table.model.filter((m) => m.attribute === 'age_band').map((m) => [m.value, m.recall])).toEqual([
      ['30-44', 1],
      ['45-64', 0],
      ['65+', 0],
    ]);
    const result = check(rows, [challenger, champion]);
    expect(result.findings.filter((f) => f.metric === 'recall')).toEqual([]);
    expect(result.refusals).toEqual([]);
  });

  it('does not refuse by chance: two equally fair models on segment-blind frauds pass in 300 of 300 draws, from a hundred to thousands of frauds', () => {
    // Each draw: fresh rows and fresh, independent alerts of two models whose recall and false
    // alarms do not depend on the segment (as the simulator's fraud does not). At tolerance 0 the
    // chance of a refusal per check would be at most 0.5 % (z = 2.576).
    expect(FAIRNESS_Z).toBeCloseTo(2.576, 3);
    const rng = mulberry32(5);
    let refused = 0;
    let checks = 0;
    for (let draw = 0; draw < 300; draw++) {
      const perCell = [40, 150, 600][draw % 3] ?? 40;
      const { rows, scores } = simulate(rng, cells(perCell), 0.1, [
        { recall: () => 0.65, fpr: () => 0.01 },
        { recall: () => 0.65, fpr: () => 0.01 },
      ]);
      const result = check(rows, scores);
      checks += result.findings.length;
      if (result.refusals.length > 0) refused++;
    }
    expect(checks).toBeGreaterThan(600);
    expect(refused).toBe(0);
  });

  it("does not refuse by chance when frauds come in cards: the variance counts cards, where the rows' alone would refuse", () => {
    const rng = mulberry32(6);
    const strict = { ...CONFIG, maxGapWidening: 0 };
    const counts = { refused: 0, refusedStrict: 0, refusedAsRows: 0, checks: 0 };
    for (let draw = 0; draw < 60; draw++) {
      const { rows, scores } = clustered(rng, 600, 40, 0.1);
      const [challenger = [], champion = []] = scores;
      const run = (r: readonly TrainingRow[], config: typeof CONFIG) =>
        checkFairness(
          r,
          { scores: challenger, threshold: 0.5 },
          { scores: champion, threshold: 0.5 },
          config,
        );
      const result = run(rows, CONFIG);
      counts.checks += result.findings.filter((f) => f.metric === 'recall').length;
      if (result.refusals.length > 0) counts.refused++;
      // With no tolerance, only the bound stands between noise and a refusal: counted by card it
      // holds; the same alerts with every row its own card (independent rows) do not.
      if (run(rows, strict).refusals.length > 0) counts.refusedStrict++;
      const asRows = rows.map((r, i) => ({ ...r, cardId: `row-${i}` }));
      if (run(asRows, strict).refusals.length > 0) counts.refusedAsRows++;
    }
    expect(counts.checks).toBeGreaterThan(60);
    expect(counts.refused).toBe(0);
    expect(counts.refusedStrict).toBeLessThanOrEqual(2);
    // About one draw in five: taken as independent rows, a few cards' luck looks like a gap.
    expect(counts.refusedAsRows).toBeGreaterThan(5);
  });
});
