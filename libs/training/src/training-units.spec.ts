import { DAY_MS, type Label } from '@fraudstream/contracts';
import { describe, expect, it } from 'vitest';
import { sampleReplay, splitWindow } from './data-split';
import { joinMatureLabels, type ScoredTransaction } from './mature-labels';
import { evaluateModel } from './model-evaluation';
import { decideGate } from './model-gate';
import { selectThreshold } from './threshold';
import { TrainingJobError } from './training.errors';
import type { TrainingRow } from './training-rows';
import { TEST_GATE } from './training.test-fixtures';

describe(selectThreshold.name, () => {
  const scores = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.05];
  const labels = [1, 1, 0, 1, 0, 0, 0, 0, 0, 0];
  const times = [0, DAY_MS / 2, DAY_MS, DAY_MS + 1, 2 * DAY_MS - 1, 0, 0, 0, 0, 2 * DAY_MS];

  it('alerts on about capacity x days rows: 2 a day over 2 days → the 4 highest', () => {
    const t = selectThreshold(scores, labels, times, { kind: 'daily-capacity', value: 2 });
    expect(t).toBeCloseTo(0.55, 10); // halfway between the 4th (0.6) and 5th (0.5) scores
    expect(scores.filter((s) => s >= t)).toHaveLength(4);
  });

  it('picks the lowest threshold reaching the target precision', () => {
    // Precision at k = 1..4: 1, 1, 2/3, 3/4; target 0.75 is reached at k = 4 (the largest such k).
    expect(selectThreshold(scores, labels, times, { kind: 'target-precision', value: 0.75 })).toBeCloseTo(
      0.55,
      10,
    );
    expect(selectThreshold(scores, labels, times, { kind: 'target-precision', value: 1 })).toBeCloseTo(
      0.75,
      10,
    );
  });
});

describe(joinMatureLabels.name, () => {
  const score = (id: string, t: number, extra: Partial<ScoredTransaction> = {}): ScoredTransaction => ({
    transaction_id: id,
    card_id: 'c',
    event_time: t,
    features: [1],
    feature_set_version: 'fs',
    role: 'CHAMPION',
    model_version: 'v1',
    ...extra,
  });
  const label = (id: string, fraud: boolean, known: number): Label => ({
    transaction_id: id,
    card_id: 'c',
    terminal_id: 't',
    is_fraud: fraud,
    source: 'CHARGEBACK',
    transaction_time: 0,
    event_time: known,
  });

  it('keeps confirmed labels and matured negatives, drops immature, duplicate, shadow and foreign rows', () => {
    const asOf = 10 * DAY_MS;
    const { rows, stats } = joinMatureLabels(
      [
        score('fraud-known', 9 * DAY_MS),
        score('fraud-later', 1 * DAY_MS),
        score('old-unlabelled', 2 * DAY_MS),
        score('recent-unlabelled', 9 * DAY_MS),
        score('analyst-genuine', 9 * DAY_MS),
        score('old-unlabelled', 2 * DAY_MS),
        score('shadow', 2 * DAY_MS, { role: 'CHALLENGER' }),
        score('other-fs', 2 * DAY_MS, { feature_set_version: 'fs-0' }),
      ],
      [
        label('fraud-known', true, 9.5 * DAY_MS),
        label('fraud-later', true, 11 * DAY_MS),
        label('analyst-genuine', false, 9.2 * DAY_MS),
      ],
      { chargebackWindowMs: 7 * DAY_MS, asOf },
      'fs',
    );
    expect(rows.map((r) => [r.transactionId, r.isFraud])).toEqual([
      ['fraud-known', true],
      // Its chargeback arrives after asOf; at asOf it is a matured negative, as the bank knew it then.
      ['fraud-later', false],
      ['old-unlabelled', false],
      ['analyst-genuine', false],
    ]);
    expect(stats).toEqual({
      scoreRows: 7,
      duplicates: 1,
      otherFeatureSet: 1,
      immature: 1,
      positives: 1,
      negatives: 3,
    });
  });

  it('says of each row whether the serving model alerted on it, the immature ones apart', () => {
    const asOf = 10 * DAY_MS;
    const { rows, unsettled } = joinMatureLabels(
      [
        score('alerted', 9 * DAY_MS, { is_alert: true }),
        score('quiet', 9 * DAY_MS, { is_alert: false }),
        score('offline', 9 * DAY_MS),
        score('reviewed-alert', 9 * DAY_MS, { is_alert: true }),
      ],
      [label('reviewed-alert', false, 9.2 * DAY_MS)],
      { chargebackWindowMs: 7 * DAY_MS, asOf },
      'fs',
    );
    expect(unsettled.map((r) => [r.transactionId, r.alerted])).toEqual([
      ['alerted', true],
      ['quiet', false],
      ['offline', false],
    ]);
    // A verdict settles an alert: a labelled row, still marked as alerted.
    expect(rows.map((r) => [r.transactionId, r.isFraud, r.alerted])).toEqual([
      ['reviewed-alert', false, true],
    ]);
  });
});

describe(splitWindow.name, () => {
  it("holds out the newest mature day split by card, sends the judging cards' later rows to the gate, and keeps older rows for replay", () => {
    const rows: TrainingRow[] = [];
    for (let d = 0; d < 10; d++)
      for (let c = 0; c < 20; c++)
        rows.push({
          transactionId: `${d}-${c}`,
          cardId: `card-${c}`,
          eventTime: d * DAY_MS + 1,
          features: [0],
          isFraud: false,
        });
    // Window days 3..9, mature until day 8: hold-out is day 7.
    const split = splitWindow(rows, { start: 3 * DAY_MS, end: 10 * DAY_MS }, 8 * DAY_MS, DAY_MS);
    expect(split.older).toHaveLength(60);
    expect(split.validation.length + split.test.length).toBe(20);
    const validationCards = new Set(split.validation.map((r) => r.cardId));
    expect(split.validation.length).toBeGreaterThan(0);
    expect(split.test.some((r) => validationCards.has(r.cardId))).toBe(false);
    expect(split.train.every((r) => r.eventTime < 7 * DAY_MS || r.eventTime >= 8 * DAY_MS)).toBe(true);
    // Days 3-6 train whole (80 rows); of days 8-9 (40 rows) the judging half's cards go to the gate.
    const testCards = new Set(split.test.map((r) => r.cardId));
    expect(split.recentTest.length).toBe(2 * testCards.size);
    expect(split.recentTest.every((r) => testCards.has(r.cardId) && r.eventTime >= 8 * DAY_MS)).toBe(true);
    expect(split.train.filter((r) => r.eventTime >= 8 * DAY_MS).every((r) => !testCards.has(r.cardId))).toBe(
      true,
    );
    expect(split.train).toHaveLength(80 + 40 - split.recentTest.length);
  });
});

describe(sampleReplay.name, () => {
  it('keeps the class ratio and is deterministic', () => {
    const older = Array.from({ length: 1000 }, (_, i) => ({
      transactionId: String(i),
      cardId: 'c',
      eventTime: i,
      features: [i],
      isFraud: i % 10 === 0,
    }));
    const a = sampleReplay(older, 200, 7);
    expect(a).toHaveLength(200);
    expect(a.filter((r) => r.isFraud)).toHaveLength(20);
    expect(sampleReplay(older, 200, 7)).toEqual(a);
    expect(new Set(a.map((r) => r.transactionId)).size).toBe(200);
  });
});

describe(decideGate.name, () => {
  const metrics = (ap: number, auc: number, cp: number) => ({
    rows: 1000,
    positives: 40,
    average_precision: ap,
    roc_auc: auc,
    recall_at_threshold: 0.5,
    precision_at_threshold: 0.5,
    card_precision_at_k: cp,
    k: 100,
  });
  const config = TEST_GATE;
  const vs = (challenger: ReturnType<typeof metrics>, champion: ReturnType<typeof metrics>) => ({
    challenger,
    champion,
  });

  it('promotes only a challenger that wins by the margin without regressing elsewhere', () => {
    expect(decideGate(vs(metrics(0.62, 0.9, 0.3), metrics(0.6, 0.9, 0.3)), null, config).passed).toBe(true);
    expect(decideGate(vs(metrics(0.61, 0.9, 0.3), metrics(0.6, 0.9, 0.3)), null, config).passed).toBe(false);
    expect(decideGate(vs(metrics(0.5, 0.9, 0.3), metrics(0.6, 0.9, 0.3)), null, config).reason).toMatch(
      /AP 0.5000/,
    );
    expect(decideGate(vs(metrics(0.7, 0.85, 0.3), metrics(0.6, 0.9, 0.3)), null, config).reason).toMatch(
      /ROC-AUC fell/,
    );
    expect(decideGate(vs(metrics(0.7, 0.9, 0.2), metrics(0.6, 0.9, 0.3)), null, config).reason).toMatch(
      /card precision/,
    );
    const decision = decideGate(vs(metrics(0.7, 0.9, 0.3), metrics(0.6, 0.9, 0.3)), null, config);
    expect(decision.metrics.average_precision_gain).toBeCloseTo(0.1, 12);
    expect(decision.metrics.champion_average_precision).toBe(0.6);
  });

  it("promotes on the new regime's rows when the hold-out holds within its tolerance", () => {
    // Hold-out: 0.59 vs 0.60 (a drop of 0.01 <= 0.02); new regime: 0.50 vs 0.30.
    const newRegime = vs(metrics(0.5, 0.9, 0.3), metrics(0.3, 0.9, 0.3));
    expect(decideGate(vs(metrics(0.59, 0.9, 0.3), metrics(0.6, 0.9, 0.3)), newRegime, config).passed).toBe(
      true,
    );
    // The hold-out falls by 0.05: refused, whatever the new regime says.
    const worse = decideGate(vs(metrics(0.55, 0.9, 0.3), metrics(0.6, 0.9, 0.3)), newRegime, config);
    expect(worse.passed).toBe(false);
    expect(worse.reason).toMatch(/hold-out's AP fell by 0.0500/);
    // Too few new-regime frauds to judge on: the hold-out alone decides (no gain there: refused).
    const few = vs({ ...metrics(0.9, 0.9, 0.3), positives: 2 }, { ...metrics(0.1, 0.9, 0.3), positives: 2 });
    expect(decideGate(vs(metrics(0.6, 0.9, 0.3), metrics(0.6, 0.9, 0.3)), few, config).passed).toBe(false);
  });

  it("judges a shift's challenger on the new regime's whole traffic, the pre-shift hold-out tolerating a relative drop", () => {
    const soft = (challenger: number, champion: number) => ({
      rows: 5000,
      settledRows: 300,
      expectedFrauds: 60,
      challenger,
      champion,
    });
    const settled = vs(metrics(0.9, 0.9, 0.3), metrics(0.85, 0.9, 0.3));
    // Hold-out 0.50 vs 0.60: a drop of 0.10, within 0.2 x 0.60 = 0.12; the whole traffic gains 0.05.
    const shifted = decideGate(vs(metrics(0.5, 0.9, 0.3), metrics(0.6, 0.9, 0.3)), settled, config, {
      soft: soft(0.35, 0.3),
    });
    expect(shifted.passed).toBe(true);
    expect(shifted.reason).toMatch(/new regime's traffic \(soft targets, 5000 rows\)/);
    expect(shifted.metrics.gate_holdout_drop_tolerance).toBeCloseTo(0.12, 12);
    expect(shifted.metrics.soft_average_precision_gain).toBeCloseTo(0.05, 12);
    // Without the whole traffic (settled rows only) the same drop is refused: 0.10 > 0.02.
    expect(decideGate(vs(metrics(0.5, 0.9, 0.3), metrics(0.6, 0.9, 0.3)), settled, config).passed).toBe(
      false,
    );
    // A drop beyond the relative tolerance is refused.
    const far = decideGate(vs(metrics(0.45, 0.9, 0.3), metrics(0.6, 0.9, 0.3)), settled, config, {
      soft: soft(0.35, 0.3),
    });
    expect(far.passed).toBe(false);
    expect(far.reason).toMatch(/hold-out's AP fell by 0.1500 \(> 0.1200\)/);
    // The settled rows gain but the whole traffic does not: refused, whatever the settled rows say.
    expect(
      decideGate(vs(metrics(0.6, 0.9, 0.3), metrics(0.6, 0.9, 0.3)), settled, config, {
        soft: soft(0.3, 0.3),
      }).passed,
    ).toBe(false);
    // A hold-out win that costs the new regime's traffic more than the drop tolerated is refused.
    const costly = decideGate(vs(metrics(0.7, 0.9, 0.3), metrics(0.6, 0.9, 0.3)), settled, config, {
      soft: soft(0.25, 0.3),
    });
    expect(costly.passed).toBe(false);
    expect(costly.reason).toMatch(
      /on the new regime's traffic \(soft targets\) AP 0.2500 vs 0.3000: it fell by 0.0500/,
    );
    // ... and one within it passes on the hold-out.
    expect(
      decideGate(vs(metrics(0.7, 0.9, 0.3), metrics(0.6, 0.9, 0.3)), settled, config, {
        soft: soft(0.29, 0.3),
      }).passed,
    ).toBe(true);
  });

  it("counts a shift's win on the whole traffic only when the settled rows among it agree", () => {
    const soft = { rows: 35_000, settledRows: 448, expectedFrauds: 448, challenger: 0.53, champion: 0.5 };
    const holdout = vs(metrics(0.58, 0.9, 0.3), metrics(0.6, 0.9, 0.3)); // AP -0.02, within 0.12
    // The whole traffic gains 0.03, the settled rows among it 0.005 (< the margin 0.02): refused.
    const disagree = decideGate(holdout, vs(metrics(0.905, 0.9, 0.3), metrics(0.9, 0.9, 0.3)), config, {
      soft,
    });
    expect(disagree.passed).toBe(false);
    expect(disagree.reason).toMatch(
      /traffic \(soft targets\) gain 0.0300, but on the settled rows among them gain 0.0050 < margin/,
    );
    // Both gain: passes; the settled rows too few to judge on: the whole traffic decides alone.
    expect(
      decideGate(holdout, vs(metrics(0.93, 0.9, 0.3), metrics(0.9, 0.9, 0.3)), config, { soft }).passed,
    ).toBe(true);
    const few = vs({ ...metrics(0.8, 0.9, 0.3), positives: 2 }, { ...metrics(0.9, 0.9, 0.3), positives: 2 });
    expect(decideGate(holdout, few, config, { soft }).passed).toBe(true);
  });

  it("refuses a drop only beyond both its tolerance and the hold-out's noise (z standard errors)", () => {
    const newRegime = vs(metrics(0.5, 0.9, 0.3), metrics(0.3, 0.9, 0.3));
    const holdout = vs(metrics(0.56, 0.885, 0.3), metrics(0.6, 0.9, 0.3)); // AP -0.04, ROC-AUC -0.015
    const noisy = { resamples: 200, averagePrecisionDifferenceSe: 0.03, rocAucDifferenceSe: 0.01 };
    // Without the noise both drops are beyond their tolerances (0.02, 0.01).
    const fixed = decideGate(holdout, newRegime, config);
    expect(fixed.passed).toBe(false);
    expect(fixed.reason).toMatch(/hold-out's AP fell by 0.0400 \(> 0.0200\)/);
    expect(fixed.reason).toMatch(/ROC-AUC fell by 0.0150 \(> 0.0100\)/);
    // With standard errors of 0.03 and 0.01 they are within 1.645 of them (0.0493, 0.0164).
    const judged = decideGate(holdout, newRegime, config, { noise: noisy });
    expect(judged.passed).toBe(true);
    expect(judged.metrics.gate_holdout_drop_tolerance).toBeCloseTo(1.645 * 0.03, 12);
    expect(judged.metrics.gate_roc_auc_drop_tolerance).toBeCloseTo(1.645 * 0.01, 12);
    expect(judged.metrics.gate_average_precision_difference_se).toBe(0.03);
    // A quiet hold-out keeps the fixed tolerances: the noise never tightens the gate.
    const quiet = { resamples: 200, averagePrecisionDifferenceSe: 0.001, rocAucDifferenceSe: 0.001 };
    expect(decideGate(holdout, newRegime, config, { noise: quiet }).passed).toBe(false);
    expect(decideGate(holdout, newRegime, config, { noise: quiet }).metrics.gate_holdout_drop_tolerance).toBe(
      0.02,
    );
    // A drop beyond the noise is refused and says so.
    const far = decideGate(vs(metrics(0.5, 0.86, 0.3), metrics(0.6, 0.9, 0.3)), newRegime, config, {
      noise: noisy,
    });
    expect(far.passed).toBe(false);
    expect(far.reason).toMatch(/hold-out's AP fell by 0.1000 \(> 0.0493\)/);
    expect(far.reason).toMatch(
      /ROC-AUC fell by 0.0400 \(> 0.0164, 1.645 standard errors of the difference\)/,
    );
    // z 0 switches the noise off.
    const off = { ...config, noise: { z: 0, resamples: 200 } };
    expect(decideGate(holdout, newRegime, off, { noise: noisy }).passed).toBe(false);
  });

  it('on evidence of missed frauds, a challenger no worse on the new regime passes without the margin', () => {
    // Hold-out +0.008 (under the 0.02 margin), new regime +0.001: refused on a scheduled request,
    // passed on a NEW_PATTERN or MISSED_FRAUDS one (the champion is known to miss the new frauds).
    const holdout = vs(metrics(0.608, 0.9, 0.3), metrics(0.6, 0.9, 0.3));
    const newRegime = vs(metrics(0.401, 0.9, 0.3), metrics(0.4, 0.9, 0.3));
    const scheduled = decideGate(holdout, newRegime, config, { trigger: 'SCHEDULED' });
    expect(scheduled.passed).toBe(false);
    expect(scheduled.reason).toMatch(/on the new regime's rows gain 0.0010 < margin$/);
    const onEvidence = decideGate(holdout, newRegime, config, { trigger: 'NEW_PATTERN' });
    expect(onEvidence.passed).toBe(true);
    expect(onEvidence.reason).toMatch(/NEW_PATTERN: no worse is enough/);
    expect(onEvidence.metrics.gate_new_regime_min_average_precision_gain).toBe(0);
    expect(decideGate(holdout, newRegime, config, { trigger: 'MISSED_FRAUDS' }).passed).toBe(true);
    // Worse on the new regime: refused, evidence or not.
    const worse = vs(metrics(0.39, 0.9, 0.3), metrics(0.4, 0.9, 0.3));
    const refused = decideGate(holdout, worse, config, { trigger: 'NEW_PATTERN' });
    expect(refused.passed).toBe(false);
    expect(refused.reason).toMatch(/gain -0.0100 < margin 0.0000 \(NEW_PATTERN\)/);
    // The hold-out's drop tolerance still holds.
    const dropped = decideGate(vs(metrics(0.55, 0.9, 0.3), metrics(0.6, 0.9, 0.3)), newRegime, config, {
      trigger: 'NEW_PATTERN',
    });
    expect(dropped.passed).toBe(false);
    expect(dropped.reason).toMatch(/hold-out's AP fell by 0.0500 \(> 0.0200\)/);
    // Too few new-regime frauds: the hold-out alone decides, with its margin.
    const few = vs({ ...metrics(0.9, 0.9, 0.3), positives: 2 }, { ...metrics(0.1, 0.9, 0.3), positives: 2 });
    expect(decideGate(holdout, few, config, { trigger: 'NEW_PATTERN' }).passed).toBe(false);
  });
  it("with GATE_EVIDENCE_NOISE, a tie within the new regime's own noise counts as no worse on evidence triggers only", () => {
    // Hold-out +0.008 (under the margin), new regime -0.003: a hair below the champion.
    const holdout = vs(metrics(0.608, 0.9, 0.3), metrics(0.6, 0.9, 0.3));
    const newRegime = vs(metrics(0.397, 0.9, 0.3), metrics(0.4, 0.9, 0.3));
    const recentNoise = { resamples: 200, averagePrecisionDifferenceSe: 0.004, rocAucDifferenceSe: 0.002 };
    const noisy = { ...config, evidenceNoise: true };
    expect(decideGate(holdout, newRegime, config, { trigger: 'NEW_PATTERN', recentNoise }).passed).toBe(
      false,
    );
    const within = decideGate(holdout, newRegime, noisy, { trigger: 'NEW_PATTERN', recentNoise });
    expect(within.passed, within.reason).toBe(true);
    expect(within.metrics.gate_new_regime_min_average_precision_gain).toBeCloseTo(-1.645 * 0.004, 12);
    expect(within.metrics.gate_recent_average_precision_difference_se).toBe(0.004);
    // Beyond 1.645 standard errors (0.0066): refused.
    const beyond = vs(metrics(0.39, 0.9, 0.3), metrics(0.4, 0.9, 0.3));
    const refused = decideGate(holdout, beyond, noisy, { trigger: 'NEW_PATTERN', recentNoise });
    expect(refused.passed).toBe(false);
    expect(refused.reason).toMatch(/gain -0.0100 < margin -0.0066 \(NEW_PATTERN\)/);
    // Not an evidence trigger: the margin holds, noise or not; no bootstrap: no allowance.
    expect(decideGate(holdout, newRegime, noisy, { trigger: 'SCHEDULED', recentNoise }).passed).toBe(false);
    expect(decideGate(holdout, newRegime, noisy, { trigger: 'NEW_PATTERN' }).passed).toBe(false);
  });
});

describe(evaluateModel.name, () => {
  const rows = [
    { cardId: 'a', day: 1, score: 0.9, isFraud: true },
    { cardId: 'b', day: 1, score: 0.1, isFraud: false },
  ];

  it("gives the stats lib's metrics for finite scores", () => {
    expect(evaluateModel(rows, { threshold: 0.5, k: 1 })).toMatchObject({ average_precision: 1, roc_auc: 1 });
  });

  it('fails the job as NON_FINITE_SCORES when the network scored NaN (it diverged)', () => {
    const diverged = rows.map((r) => ({ ...r, score: Number.NaN }));
    expect(() => evaluateModel(diverged, { threshold: 0.5, k: 1 })).toThrow(TrainingJobError);
    expect(() => evaluateModel(diverged, { threshold: 0.5, k: 1 })).toThrow(/2 of 2 evaluation rows/);
  });
});
