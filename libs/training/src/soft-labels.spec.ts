import { describe, expect, it } from 'vitest';
import { DAY_MS, HOUR_MS, type Label } from '@fraudstream/contracts';
import { chargebackDelayCdf, pendingFraudProbability, softLabelledRows } from './soft-labels';
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
      unreviewedAlerts: true,
    });
    // No delays learnt: every row is a fraud with the window's fraud rate; the row after the window is out.
    expect(soft.map((r) => r.transactionId)).toEqual(['old', 'new']);
    for (const r of soft) {
      expect(r.isFraud).toBe(false);
      expect(r.target).toBeCloseTo(0.02, 12);
    }
  });

  it("leaves out the serving model's alerts no analyst has reviewed, unless told to take them", () => {
    const asOf = T0 + 20 * DAY_MS;
    const settled = Array.from({ length: 100 }, (_, i) => row(`m${i}`, T0 + 8 * DAY_MS, i < 2));
    const unsettled = [
      { ...row('quiet', asOf - DAY_MS), alerted: false },
      { ...row('alerted', asOf - DAY_MS), alerted: true },
      row('offline', asOf - DAY_MS),
    ];
    const input = {
      unsettled,
      settled,
      labels: [],
      window: { start: T0 + 6 * DAY_MS, end: asOf },
      matureUntil: asOf - 7 * DAY_MS,
      asOf,
      chargebackWindowMs: 7 * DAY_MS,
    };
    // The window's fraud rate (2 %) is no target for an alert: it is left out.
    expect(softLabelledRows({ ...input, unreviewedAlerts: false }).map((r) => r.transactionId)).toEqual([
      'quiet',
      'offline',
    ]);
    expect(softLabelledRows({ ...input, unreviewedAlerts: true }).map((r) => r.transactionId)).toEqual([
      'quiet',
      'alerted',
      'offline',
    ]);
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
      unreviewedAlerts: true,
    });
    expect(soft).toEqual([]);
  });
});
