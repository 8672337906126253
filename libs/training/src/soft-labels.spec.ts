import { describe, expect, it } from 'vitest';
import { DAY_MS, HOUR_MS, type Label } from '@fraudstream/contracts';
import {
  chargebackDelayCdf,
  pendingFraudProbability,
  reviewedAlertFraudShare,
  softLabelledRows,
  type SoftLabelAlerts,
} from './soft-labels';
import type { TrainingRow } from './training-rows';

const T0 = Date.UTC(2026, 0, 5);

function chargeback(id: number, transactionTime: number, delayMs: number): Label {
  return {
    transaction_id: `t${id}`,
    card_id: `c${id}`,
    terminal_id: 'x',
    is_fraud: true,
    source: 'CHARGEBACK',
    transaction_time: transactionTime,
    event_time: transactionTime + delayMs,
  };
}

function row(id: string, eventTime: number, isFraud = false): TrainingRow {
  return { transactionId: id, cardId: `c-${id}`, eventTime, features: [0], isFraud };
}

describe(pendingFraudProbability.name, () => {
  it('is the fraud rate before any label is in, and falls to 0 once all are', () => {
    expect(pendingFraudProbability(0.01, 0)).toBeCloseTo(0.01, 12);
    expect(pendingFraudProbability(0.01, 1)).toBe(0);
    // Half the labels in: 0.005 / (0.005 + 0.99).
    expect(pendingFraudProbability(0.01, 0.5)).toBeCloseTo(0.005 / 0.995, 12);
  });
});

describe(chargebackDelayCdf.name, () => {
  const asOf = T0 + 20 * DAY_MS;
  it('learns the delays of transactions whose chargeback window has passed, not the recent quick ones', () => {
    // 40 old transactions charged back after 1..4 days (10 each), and 40 recent ones after an hour.
    const labels = [
      ...Array.from({ length: 40 }, (_, i) => chargeback(i, T0 + i * HOUR_MS, (1 + (i % 4)) * DAY_MS)),
      ...Array.from({ length: 40 }, (_, i) => chargeback(100 + i, asOf - 2 * DAY_MS, HOUR_MS)),
    ];
    const cdf = chargebackDelayCdf(labels, asOf, 7 * DAY_MS);
    expect(cdf(12 * HOUR_MS)).toBe(0);
    expect(cdf(DAY_MS)).toBe(0.25);
    expect(cdf(2.5 * DAY_MS)).toBe(0.5);
    expect(cdf(5 * DAY_MS)).toBe(1);
  });

  it('takes every label as still to come with too few complete chargebacks to learn from', () => {
    const labels = Array.from({ length: 5 }, (_, i) => chargeback(i, T0, DAY_MS));
    expect(chargebackDelayCdf(labels, asOf, 7 * DAY_MS)(10 * DAY_MS)).toBe(0);
  });
});

describe(softLabelledRows.name, () => {
  it("soft-labels the window's unsettled rows by their age, from the mature rows' fraud rate", () => {
    const asOf = T0 + 20 * DAY_MS;
    // Mature rows of the window: 2 frauds in 100.
    const settled = Array.from({ length: 100 }, (_, i) => row(`m${i}`, T0 + 8 * DAY_MS, i < 2));
    const unsettled = [
      row('old', T0 + 14 * DAY_MS),
      row('new', asOf - HOUR_MS),
      row('outside', asOf + HOUR_MS),
    ];
    const soft = softLabelledRows({
      unsettled,
      settled,
      labels: [],
      window: { start: T0 + 6 * DAY_MS, end: asOf },
      matureUntil: asOf - 7 * DAY_MS,
      asOf,
      chargebackWindowMs: 7 * DAY_MS,
      alerts: 'window-rate',
    }).rows;
    // No delays learnt: every row is a fraud with the window's fraud rate; the row after the window is out.
    expect(soft.map((r) => r.transactionId)).toEqual(['old', 'new']);
    for (const r of soft) {
      expect(r.isFraud).toBe(false);
      expect(r.target).toBeCloseTo(0.02, 12);
    }
  });

  describe("the serving model's alerts no analyst has reviewed yet", () => {
    const asOf = T0 + 20 * DAY_MS;
    const matureUntil = asOf - 7 * DAY_MS;
    // Mature rows: 2 frauds in 100.
    const mature = Array.from({ length: 100 }, (_, i) => row(`m${i}`, T0 + 8 * DAY_MS, i < 2));
    const unsettled = [
      { ...row('quiet', asOf - DAY_MS), alerted: false },
      { ...row('alerted', asOf - DAY_MS), alerted: true },
      row('offline', asOf - DAY_MS),
    ];
    const verdict = (id: string, fraud: boolean): Label => ({
      transaction_id: id,
      card_id: `c-${id}`,
      terminal_id: 'x',
      is_fraud: fraud,
      source: 'ANALYST',
      transaction_time: asOf - 2 * DAY_MS,
      event_time: asOf - 2 * DAY_MS + HOUR_MS,
    });
    /** `n` reviewed alerts of the immature days, `frauds` of them frauds. */
    const reviewed = (n: number, frauds: number) => {
      const rows = Array.from({ length: n }, (_, i) => ({
        ...row(`r${i}`, asOf - 2 * DAY_MS, i < frauds),
        alerted: true,
      }));
      return { rows, labels: rows.map((r) => verdict(r.transactionId, r.isFraud)) };
    };
    const input = (settled: TrainingRow[], labels: Label[], alerts: SoftLabelAlerts) =>
      softLabelledRows({
        unsettled,
        settled,
        labels,
        window: { start: T0 + 6 * DAY_MS, end: asOf },
        matureUntil,
        asOf,
        chargebackWindowMs: 7 * DAY_MS,
        alerts,
      }).rows;
    const targets = (rows: TrainingRow[]) => Object.fromEntries(rows.map((r) => [r.transactionId, r.target]));

    it("window-rate: every row aims at the window's fraud rate", () => {
      expect(targets(input(mature, [], 'window-rate'))).toEqual({
        quiet: 0.02,
        alerted: 0.02,
        offline: 0.02,
      });
    });

    it('leave-out: an unreviewed alert neither trains nor judges', () => {
      expect(targets(input(mature, [], 'leave-out'))).toEqual({ quiet: 0.02, offline: 0.02 });
    });

    it("reviewed-share: an unreviewed alert aims at the share of frauds in the analysts' verdicts on alerts", () => {
      // 40 verdicts on alerts of the immature days, 10 frauds: a quarter (the mature rows' 2 % stays
      // the target of the others). An investigation (not alerted) and a chargeback do not count.
      const r = reviewed(40, 10);
      const investigation = row('inv', asOf - 2 * DAY_MS, true);
      const settled = [...mature, ...r.rows, investigation];
      const labels = [...r.labels, verdict('inv', true)];
      const t = targets(input(settled, labels, 'reviewed-share'));
      expect(t['alerted']).toBeCloseTo(0.25, 12);
      expect(t['quiet']).toBeCloseTo(0.02, 12);
      expect(
        reviewedAlertFraudShare({ settled, labels, window: { end: asOf }, matureUntil, asOf }),
      ).toBeCloseTo(0.25, 12);
    });

    it('reviewed-share: with fewer than 30 verdicts on alerts, an unreviewed alert is left out', () => {
      const r = reviewed(29, 10);
      expect(targets(input([...mature, ...r.rows], r.labels, 'reviewed-share'))).toEqual({
        quiet: 0.02,
        offline: 0.02,
      });
    });
  });

  it('gives nothing when the window has no mature row to measure its fraud rate on', () => {
    const asOf = T0 + 3 * DAY_MS;
    const soft = softLabelledRows({
      unsettled: [row('a', T0 + DAY_MS)],
      settled: [],
      labels: [],
      window: { start: T0, end: asOf },
      matureUntil: asOf - 7 * DAY_MS,
      asOf,
      chargebackWindowMs: 7 * DAY_MS,
      alerts: 'window-rate',
    });
    expect(soft).toEqual({ rows: [], alertFraudShare: null });
  });
});
