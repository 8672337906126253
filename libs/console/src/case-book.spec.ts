import { DAY_MS, HOUR_MS } from '@fraudstream/contracts';
import { describe, expect, it } from 'vitest';
import { CaseBook, DEFAULT_CASE_BOOK_LIMITS } from './case-book';
import { T0, testAlert, testLabel, testScore } from './console-test.fixtures';

describe(CaseBook.name, () => {
  it('lists open alerts newest first or highest score first, filtered by severity, kind, model and card', () => {
    const book = new CaseBook();
    book.applyAlerts([
      testAlert('a', { event_time: T0, score: 0.95, severity: 'CRITICAL' }),
      testAlert('b', { event_time: T0 + HOUR_MS, score: 0.7, card_id: 'card-2' }),
      testAlert('c', {
        event_time: T0 - HOUR_MS,
        kind: 'INVESTIGATE',
        raised_at: T0 + 2 * HOUR_MS,
        score: 0.2,
      }),
      testAlert('d', { event_time: T0 + 30 * 60_000, score: 0.8, model_version: 'v2' }),
    ]);
    const ids = (page: ReturnType<CaseBook['queue']>) => page.items.map((i) => i.alert.transaction_id);
    // An investigation counts from when it was raised, not from its transaction.
    expect(ids(book.queue({}, T0))).toEqual(['c', 'b', 'd', 'a']);
    expect(ids(book.queue({ sort: 'score' }, T0))).toEqual(['a', 'd', 'b', 'c']);
    expect(ids(book.queue({ severity: 'CRITICAL' }, T0))).toEqual(['a']);
    expect(ids(book.queue({ kind: 'INVESTIGATE' }, T0))).toEqual(['c']);
    expect(ids(book.queue({ model: 'v2' }, T0))).toEqual(['d']);
    expect(ids(book.queue({ card: 'card-2' }, T0))).toEqual(['b']);
    expect(book.queue({ limit: 2 }, T0)).toMatchObject({ matching: 4, open: { SCORE: 3, INVESTIGATE: 1 } });
    expect(book.queue({ limit: 2 }, T0).items).toHaveLength(2);
  });

  it('closes a case when a verdict label names its alert, whoever wrote it, and keeps a label that came first', () => {
    const book = new CaseBook();
    const a = testAlert('a');
    const b = testAlert('b');
    book.applyLabels([testLabel(b, { is_fraud: false, analyst: 'analyst-desk' })]);
    book.applyAlerts([a, b]);
    expect(book.state(b.alert_id, T0)).toMatchObject({
      status: 'CLOSED',
      verdict: 'LEGITIMATE',
      decidedBy: 'analyst-desk',
    });
    // A chargeback is not a verdict on the alert: it is shown, the case stays open.
    book.applyLabels([testLabel(a, { source: 'CHARGEBACK', alert_id: null, analyst: null })]);
    expect(book.state(a.alert_id, T0).status).toBe('OPEN');
    expect(book.labelsOf('a')).toHaveLength(1);
    expect(book.queue({ status: 'closed' }, T0).items.map((i) => i.alert.transaction_id)).toEqual(['b']);
  });

  it('drops a claim once its time is over, and tells the claim on a card', () => {
    const book = new CaseBook();
    const a = testAlert('a');
    book.applyAlerts([a, testAlert('b')]);
    book.applyCases([
      {
        alert_id: a.alert_id,
        transaction_id: 'a',
        card_id: 'card-1',
        status: 'CLAIMED',
        claimed_by: 'alice',
        claimed_until: 1000,
        verdict: null,
        decided_by: null,
        decided_event_time: null,
        history: [{ action: 'CLAIM', analyst: 'alice', at: 0, comment: '' }],
        updated_at: 0,
      },
    ]);
    expect(book.state(a.alert_id, 999)).toMatchObject({ status: 'CLAIMED', claimedBy: 'alice' });
    expect(book.claimOnCard('card-1', 999)).toEqual({ alertId: a.alert_id, analyst: 'alice', until: 1000 });
    expect(book.state(a.alert_id, 1000)).toMatchObject({ status: 'OPEN', claimedBy: null });
    expect(book.claimOnCard('card-1', 1000)).toBeNull();
  });

  it("keeps each card's latest champion scores, newest first, once per transaction", () => {
    const book = new CaseBook({ ...DEFAULT_CASE_BOOK_LIMITS, cardHistory: 3 });
    const scores = [1, 2, 3, 4].map((i) =>
      testScore(`t${i}`, { event_time: T0 + i * HOUR_MS, score: i / 10 }),
    );
    book.applyScores([...scores, scores[3]!, testScore('t9', { role: 'CHALLENGER' })]);
    expect(book.cardHistory('card-1').map((s) => s.transactionId)).toEqual(['t4', 't3', 't2']);
    expect(book.streamClock).toBe(T0 + 4 * HOUR_MS);
  });

  it("computes a terminal's fraud rate over the last days of event time from its scores and confirmed frauds", () => {
    const book = new CaseBook({ ...DEFAULT_CASE_BOOK_LIMITS, terminalDays: 2 });
    // Day 0: 2 transactions (one fraud); day 2: 4 transactions (one fraud, labelled twice); day 0 then falls out.
    const day0 = [testScore('x1'), testScore('x2')];
    const day2 = [1, 2, 3, 4].map((i) => testScore(`y${i}`, { event_time: T0 + 2 * DAY_MS + i }));
    book.applyScores(day0);
    book.applyLabels([testLabel(testAlert('x1'), { alert_id: null, source: 'CHARGEBACK' })]);
    expect(book.terminalFraudRate('term-1')).toMatchObject({ transactions: 2, frauds: 1, rate: 0.5 });
    book.applyScores(day2);
    const y1 = testAlert('y1', { event_time: T0 + 2 * DAY_MS });
    book.applyLabels([testLabel(y1), testLabel(y1, { source: 'CHARGEBACK', alert_id: null })]);
    expect(book.terminalFraudRate('term-1')).toMatchObject({
      transactions: 4,
      frauds: 1,
      rate: 0.25,
      days: 2,
    });
    expect(book.terminalFraudRate('term-unknown').rate).toBeNull();
  });

  it('keeps at most maxAlerts alerts, forgetting closed cases first', () => {
    const book = new CaseBook({ ...DEFAULT_CASE_BOOK_LIMITS, maxAlerts: 3 });
    const alerts = ['a', 'b', 'c'].map((id, i) => testAlert(id, { event_time: T0 + i }));
    book.applyAlerts(alerts);
    book.applyLabels([testLabel(alerts[1]!)]);
    book.applyAlerts([testAlert('d', { event_time: T0 + 5 })]);
    expect(book.alert(alerts[1]!.alert_id)).toBeUndefined();
    expect(book.alert(alerts[0]!.alert_id)).toBeDefined();
    // The verdict outlives its alert: the alert read again is still closed.
    book.applyAlerts([alerts[1]!]);
    expect(book.state(alerts[1]!.alert_id, T0).status).toBe('CLOSED');
  });

  it('counts alerts by the day they were raised, once per alert, and tells listeners of changes', () => {
    const book = new CaseBook();
    let changes = 0;
    const stop = book.subscribe(() => changes++);
    const a = testAlert('a');
    book.applyAlerts([a, a, testAlert('i', { kind: 'INVESTIGATE', raised_at: T0 + DAY_MS })]);
    stop();
    book.applyAlerts([testAlert('z')]);
    expect(changes).toBe(1);
    const day = Math.floor(T0 / DAY_MS);
    expect(book.alertsPerDay()).toEqual([
      { day, SCORE: 2, INVESTIGATE: 0 },
      { day: day + 1, SCORE: 0, INVESTIGATE: 1 },
    ]);
  });
});
