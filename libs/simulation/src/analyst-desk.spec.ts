import { DAY_MS, HOUR_MS, type Alert } from '@fraudstream/contracts';
import { describe, expect, it } from 'vitest';
import { ANALYST_DESK_NAME, AnalystDesk, TruthLedger } from './analyst-desk';
import type { GroundTruth } from './simulation.types';

const T0 = Date.UTC(2026, 0, 5);

function alert(id: string, time: number): Alert {
  return {
    alert_id: `a-${id}`,
    kind: 'SCORE',
    raised_at: null,
    note: '',
    transaction_id: id,
    card_id: 'card-1',
    terminal_id: 'term-1',
    amount: 10,
    event_time: time,
    score: 0.9,
    threshold: 0.5,
    model_version: 'm1',
    severity: 'HIGH',
    reasons: [],
  };
}

describe(AnalystDesk.name, () => {
  const truth = new Map<string, GroundTruth>(
    ['t1', 't2', 't3', 't4'].map((id, i) => [
      id,
      { transaction_id: id, is_fraud: i % 2 === 0, scenario: 'none' },
    ]),
  );

  it('gives true verdicts hours after the alert, up to its daily capacity', () => {
    const desk = new AnalystDesk({ seed: 1, capacityPerDay: 2, delayHours: [1, 6] });
    const labels = desk.review(
      [alert('t1', T0), alert('t2', T0 + HOUR_MS), alert('t3', T0 + 2 * HOUR_MS), alert('t4', T0 + DAY_MS)],
      (id) => truth.get(id),
    );
    expect(labels.map((l) => [l.transaction_id, l.is_fraud, l.source])).toEqual([
      ['t1', true, 'ANALYST'],
      ['t2', false, 'ANALYST'],
      // t3 is over the day's capacity; t4 is the next day's first.
      ['t4', false, 'ANALYST'],
    ]);
    for (const l of labels) {
      expect([l.alert_id, l.analyst]).toEqual([`a-${l.transaction_id}`, ANALYST_DESK_NAME]);
      expect(l.event_time - l.transaction_time).toBeGreaterThanOrEqual(HOUR_MS);
      expect(l.event_time - l.transaction_time).toBeLessThan(6 * HOUR_MS);
    }
  });

  it('leaves the share of alerts kept for people unanswered, the same alerts whatever the order', () => {
    const ids = Array.from({ length: 400 }, (_, i) => `p${i}`);
    const all = new Map<string, GroundTruth>(
      ids.map((id) => [id, { transaction_id: id, is_fraud: false, scenario: 'none' }]),
    );
    const alerts = ids.map((id) => alert(id, T0));
    const desk = new AnalystDesk({ seed: 3, capacityPerDay: 1000, peopleShare: 0.25 });
    const answered = new Set(desk.review(alerts, (id) => all.get(id)).map((l) => l.transaction_id));
    const left = ids.filter((id) => !answered.has(id));
    // 100 expected; a binomial(400, 0.25) lies within 100 ± 4 standard deviations (4 × 8.7).
    expect(left.length).toBeGreaterThan(65);
    expect(left.length).toBeLessThan(135);
    const again = new AnalystDesk({ seed: 3, capacityPerDay: 1000, peopleShare: 0.25 });
    expect(left.every((id) => again.leftToPeople(alert(id, T0)))).toBe(true);
    expect(
      new AnalystDesk({ seed: 3, capacityPerDay: 1000 }).review(alerts, (id) => all.get(id)),
    ).toHaveLength(400);
  });

  it('answers INVESTIGATE alerts within their share, naming the alert and the desk, and leaves the people share of every kind', () => {
    const options = { seed: 5, capacityPerDay: 20, investigationShare: 0.25, peopleShare: 0.3 };
    const scores = Array.from({ length: 40 }, (_, i) => alert(`s${i}`, T0 + i * 60_000));
    const investigations = Array.from({ length: 10 }, (_, i) => ({
      ...alert(`i${i}`, T0 - DAY_MS),
      alert_id: `investigate:i${i}`,
      kind: 'INVESTIGATE' as const,
      raised_at: T0 + 2 * HOUR_MS,
    }));
    const all = [...scores, ...investigations];
    const truthOf = (id: string): GroundTruth => ({ transaction_id: id, is_fraud: false, scenario: 'none' });
    const people = new AnalystDesk(options);
    const leftScores = scores.filter((a) => people.leftToPeople(a)).length;
    const leftInvestigations = investigations.filter((a) => people.leftToPeople(a)).length;
    expect(leftInvestigations).toBeGreaterThan(0);
    expect(leftInvestigations).toBeLessThan(investigations.length);

    const labels = new AnalystDesk(options).review(all, truthOf);
    const byId = new Map(all.map((a) => [a.transaction_id, a]));
    for (const l of labels) {
      const answered = byId.get(l.transaction_id);
      expect(answered && people.leftToPeople(answered)).toBe(false);
      expect([l.alert_id, l.analyst]).toEqual([answered?.alert_id, ANALYST_DESK_NAME]);
      // 1-6 hours after the alert was raised: for an investigation, the monitor's time, not the transaction's.
      const raised = answered?.raised_at ?? answered?.event_time ?? Number.NaN;
      expect(l.event_time - raised).toBeGreaterThanOrEqual(HOUR_MS);
      expect(l.event_time - raised).toBeLessThan(6 * HOUR_MS);
    }
    // Score alerts, first in line, take at most 75 % of the 20; investigations get what they leave.
    const scoreLabels = Math.min(15, scores.length - leftScores);
    expect(labels.filter((l) => l.transaction_id.startsWith('s'))).toHaveLength(scoreLabels);
    expect(labels.filter((l) => l.transaction_id.startsWith('i'))).toHaveLength(
      Math.min(20 - scoreLabels, investigations.length - leftInvestigations),
    );
  });

  it('reviews an alert once and gives the same delay whatever the arrival order', () => {
    const a = new AnalystDesk({ seed: 1, capacityPerDay: 10 });
    const b = new AnalystDesk({ seed: 1, capacityPerDay: 10 });
    const alerts = [alert('t1', T0), alert('t2', T0)];
    const fromA = a.review(alerts, (id) => truth.get(id));
    const fromB = b.review([...alerts].reverse(), (id) => truth.get(id));
    expect(new Set(fromB.map((l) => JSON.stringify(l)))).toEqual(
      new Set(fromA.map((l) => JSON.stringify(l))),
    );
    expect(a.review(alerts, (id) => truth.get(id))).toEqual([]);
  });
});

describe('AnalystDesk cases', () => {
  // card-1's week: c1 (legit, 3 days before), c2 and c3 (frauds), the alerted c4 (fraud), c5 after
  // the alert, c0 more than the lookback before it.
  const times: Record<string, number> = {
    c0: T0 - 9 * DAY_MS,
    c1: T0 - 3 * DAY_MS,
    c2: T0 - 5 * HOUR_MS,
    c3: T0 - HOUR_MS,
    c4: T0,
    c5: T0 + HOUR_MS,
  };
  const frauds = new Set(['c2', 'c3', 'c4', 'c5']);
  const truthOf = (id: string): GroundTruth | undefined =>
    id in times ? { transaction_id: id, is_fraud: frauds.has(id), scenario: 'none' } : undefined;
  const cardHistory = (cardId: string, from: number, to: number) =>
    Object.entries(times)
      .filter(([, t]) => cardId === 'card-1' && t >= from && t <= to)
      .map(([id, t]) => ({ transaction_id: id, terminal_id: `term-${id}`, event_time: t }));

  it("labels a confirmed fraud's whole case: the card's transactions back to the lookback, with the verdict's time and alert", () => {
    const desk = new AnalystDesk({ seed: 1, capacityPerDay: 1, caseLookbackMs: 7 * DAY_MS, cardHistory });
    const labels = desk.review([alert('c4', T0)], truthOf);
    expect(labels.map((l) => [l.transaction_id, l.is_fraud, l.terminal_id, l.transaction_time])).toEqual([
      ['c4', true, 'term-1', T0],
      ['c1', false, 'term-c1', times.c1],
      ['c2', true, 'term-c2', times.c2],
      ['c3', true, 'term-c3', times.c3],
    ]);
    const verdictTime = labels[0]?.event_time;
    for (const l of labels)
      expect([l.event_time, l.alert_id, l.source]).toEqual([verdictTime, 'a-c4', 'ANALYST']);
    // A case's transaction alerted later is not reviewed again and takes no capacity from the day.
    expect(
      desk
        .review([alert('c3', T0 + HOUR_MS), alert('c5', T0 + DAY_MS)], truthOf)
        .map((l) => l.transaction_id),
    ).toEqual(['c5']);
  });

  it('labels only the alerted transaction for a legitimate verdict, or with no lookback', () => {
    const legit = new AnalystDesk({ seed: 1, capacityPerDay: 5, caseLookbackMs: 7 * DAY_MS, cardHistory });
    expect(legit.review([alert('c1', times.c1 ?? 0)], truthOf).map((l) => l.transaction_id)).toEqual(['c1']);
    const alone = new AnalystDesk({ seed: 1, capacityPerDay: 5, cardHistory });
    expect(alone.review([alert('c4', T0)], truthOf).map((l) => l.transaction_id)).toEqual(['c4']);
  });
});

describe(TruthLedger.name, () => {
  it('remembers recent transactions and forgets days older than it retains', () => {
    const ledger = new TruthLedger(2);
    const tx = (eventTime: number) => ({ card_id: 'card-1', terminal_id: 'term-1', event_time: eventTime });
    ledger.record({ transaction_id: 'old', is_fraud: true, scenario: 'large-amount' }, tx(T0));
    ledger.record({ transaction_id: 'new', is_fraud: false, scenario: 'none' }, tx(T0 + 2 * DAY_MS));
    expect(ledger.get('old')?.is_fraud).toBe(true);
    ledger.record({ transaction_id: 'newer', is_fraud: false, scenario: 'none' }, tx(T0 + 3 * DAY_MS));
    expect(ledger.get('old')).toBeUndefined();
    expect(ledger.size).toBe(2);
  });

  it("lists a card's retained transactions in a span, under the key the alerts name the card by", () => {
    const ledger = new TruthLedger(7, (t) => `token-${t.card_id}`);
    const record = (id: string, card: string, eventTime: number) =>
      ledger.record(
        { transaction_id: id, is_fraud: false, scenario: 'none' },
        { card_id: card, terminal_id: `term-${id}`, event_time: eventTime },
      );
    record('b', 'c1', T0 + DAY_MS + HOUR_MS);
    record('a', 'c1', T0 + 2 * HOUR_MS);
    record('x', 'c2', T0 + 3 * HOUR_MS);
    record('z', 'c1', T0 + 3 * DAY_MS);
    expect(ledger.cardTransactions('token-c1', T0, T0 + 2 * DAY_MS)).toEqual([
      { transaction_id: 'a', terminal_id: 'term-a', event_time: T0 + 2 * HOUR_MS },
      { transaction_id: 'b', terminal_id: 'term-b', event_time: T0 + DAY_MS + HOUR_MS },
    ]);
    expect(ledger.cardTransactions('c1', T0, T0 + 4 * DAY_MS)).toEqual([]);
  });
});
