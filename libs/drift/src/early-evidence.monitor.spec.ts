import { describe, expect, it } from 'vitest';
import { DAY_MS, HOUR_MS } from '@fraudstream/contracts';
import { defaultDriftSettings } from './drift.config';
import { seededRandom } from './drift-test.fixtures';
import {
  EarlyEvidenceMonitor,
  type EarlyEvidenceSettings,
  type EarlyEvidenceSnapshot,
  type EvidenceReference,
} from './early-evidence.monitor';

const T0 = Date.UTC(2026, 0, 5);

const settings: EarlyEvidenceSettings = {
  ...defaultDriftSettings().evidence,
  analystDailyCapacity: 50,
  investigationShare: 0.2,
  maxInvestigationsPerSeed: 5,
  missedBurnIn: 20,
  missedClusterRobust: false,
};

const random = seededRandom(3);
/** Reference frauds: large amounts on busy cards (feature 0 amount, feature 1 the card's daily count). */
const referenceFrauds = Array.from({ length: 200 }, () => [200 + random() * 100, 5 + random() * 5]);

const reference: EvidenceReference = {
  version: 'm1',
  threshold: 0.5,
  missShare: 0.2,
  falseAlertShare: 0.3,
  featureNames: ['amount', 'card_tx_count_1d'],
  novelty: { features: [0, 1], centre: [4, 2], scale: [1, 1], frauds: referenceFrauds },
  fraudRate: 0.02,
};

interface Tx {
  id: string;
  card: string;
  terminal: string;
  time: number;
  score: number;
  features: number[];
  fraud: boolean;
}

/** A day of ordinary payments, plus (from `newFrom`) a burst of tiny payments on several cards. */
function day(d: number, newFrom = Number.POSITIVE_INFINITY): Tx[] {
  const r = seededRandom(100 + d);
  const out: Tx[] = [];
  for (let i = 0; i < 300; i++) {
    const fraud = r() < 0.02;
    out.push({
      id: `t${d}-${i}`,
      card: `c${i % 60}`,
      terminal: `t${i % 40}`,
      time: T0 + d * DAY_MS + Math.floor((i / 300) * DAY_MS),
      score: fraud ? 0.7 + r() * 0.3 : r() * 0.4,
      features: fraud ? [200 + r() * 100, 5 + r() * 5] : [20 + r() * 60, 1 + r() * 10],
      fraud,
    });
  }
  if (d >= newFrom)
    for (let i = 0; i < 24; i++)
      out.push({
        id: `n${d}-${i}`,
        card: `new${d}-${i % 4}`,
        // Two new terminals a day, each used by two of the new cards.
        terminal: `newterm${d}-${i % 2}`,
        time: T0 + d * DAY_MS + 2 * HOUR_MS + i * 60_000,
        score: 0.1,
        features: [1 + (i % 3), 60 + i],
        fraud: true,
      });
  return out.sort((a, b) => a.time - b.time);
}

const T1 = Date.UTC(2026, 0, 10);
/** An unalerted transaction's score, for the restart test. */
const pendingScore = (id: string, time: number) => ({
  id,
  card: `card-${id}`,
  terminal: 't',
  amount: 10,
  time,
  score: 0.1,
  version: 'm1',
  features: [1, 1],
});

function monitor(overrides: Partial<EarlyEvidenceSettings> = {}): EarlyEvidenceMonitor {
  const m = new EarlyEvidenceMonitor({ ...settings, ...overrides });
  m.setReference(reference);
  return m;
}

function observe(m: EarlyEvidenceMonitor, tx: Tx): void {
  m.observeScore({
    id: tx.id,
    card: tx.card,
    terminal: tx.terminal,
    amount: tx.features[0] ?? 0,
    time: tx.time,
    score: tx.score,
    version: 'm1',
    features: tx.features,
  });
}

function review(m: EarlyEvidenceMonitor, tx: Tx, isFraud: boolean, at: number): void {
  m.observeLabel({
    transactionId: tx.id,
    isFraud,
    source: 'ANALYST',
    transactionTime: tx.time,
    eventTime: at,
  });
}

/**
 * A day of score alerts (the score above the threshold), each reviewed 2 h later as `fraud(i)` says,
 * among `payments` unalerted ones: fewer payments make the same alerts a larger share of the day.
 */
function reviewedAlerts(
  m: EarlyEvidenceMonitor,
  d: number,
  n: number,
  fraud: (i: number) => boolean,
  payments = 1000,
): void {
  const span = DAY_MS - 3 * HOUR_MS;
  const rows: { tx: Tx; alert: boolean }[] = [];
  for (let i = 0; i < n; i++)
    rows.push({
      alert: true,
      tx: {
        id: `a${d}-${i}`,
        card: `ac${i}`,
        terminal: `at${i}`,
        time: T0 + d * DAY_MS + Math.floor((i / n) * span),
        score: 0.9,
        features: [250, 7],
        fraud: fraud(i),
      },
    });
  for (let i = 0; i < payments; i++)
    rows.push({
      alert: false,
      tx: {
        id: `p${d}-${i}`,
        card: `pc${i}`,
        terminal: `pt${i}`,
        time: T0 + d * DAY_MS + Math.floor((i / payments) * span),
        score: 0.1,
        features: [30, 2],
        fraud: false,
      },
    });
  rows.sort((a, b) => a.tx.time - b.tx.time || (a.tx.id < b.tx.id ? -1 : 1));
  for (const { tx, alert } of rows) {
    observe(m, tx);
    if (alert) review(m, tx, tx.fraud, tx.time + 2 * HOUR_MS);
  }
}

function chargeback(m: EarlyEvidenceMonitor, tx: Tx, at: number): void {
  m.observeLabel({
    transactionId: tx.id,
    isFraud: true,
    source: 'CHARGEBACK',
    transactionTime: tx.time,
    eventTime: at,
  });
}

describe(EarlyEvidenceMonitor.name, () => {
  it('investigates transactions of other cards at other terminals like a confirmed novel missed fraud, within the day budget', () => {
    const m = monitor();
    const txs = [...day(0), ...day(1, 1)];
    for (const tx of txs) observe(m, tx);
    const seed = txs.find((t) => t.id === 'n1-0');
    if (!seed) throw new Error('no seed');
    chargeback(m, seed, seed.time + 6 * HOUR_MS);
    m.advanceTo(seed.time + 7 * HOUR_MS);
    const { investigations, alarms } = m.drain();
    expect(alarms).toEqual([]);
    // 5 per seed, budget 0.2 x 50 = 10 a day; the seed's card (new1-0) is never investigated.
    expect(investigations).toHaveLength(5);
    expect(investigations.every((i) => i.cardId !== 'new1-0' && i.terminalId !== seed.terminal)).toBe(true);
    expect(investigations.every((i) => i.transactionId.startsWith('n1-'))).toBe(true);
    expect(investigations[0]).toMatchObject({
      seedTransactionId: 'n1-0',
      modelVersion: 'm1',
      threshold: 0.5,
    });
    expect(investigations[0]?.raisedAt).toBe(Math.ceil((seed.time + 6 * HOUR_MS) / HOUR_MS) * HOUR_MS);
  });

  it('does not seed on a missed fraud that resembles the reference frauds, nor on an alerted one', () => {
    const m = monitor();
    const txs = day(0);
    for (const tx of txs) observe(m, tx);
    const familiar = { ...txs[10], id: 'familiar', score: 0.1, features: [250, 7] } as Tx;
    observe(m, familiar);
    const alerted = txs.find((t) => t.fraud && t.score >= 0.5);
    if (!alerted) throw new Error('no alerted fraud');
    chargeback(m, familiar, familiar.time + HOUR_MS);
    chargeback(m, alerted, alerted.time + HOUR_MS);
    m.advanceTo(T0 + 2 * DAY_MS);
    expect(m.drain().investigations).toEqual([]);
    expect(m.stats().seeds).toBe(0);
  });

  /** The new pattern's first day, its first missed fraud charged back, every investigation answered `verdict`. */
  function investigateNewPattern(m: EarlyEvidenceMonitor, txs: Tx[], verdict: boolean) {
    for (const tx of txs) observe(m, tx);
    const seed = txs.find((t) => t.id === 'n1-0');
    if (!seed) throw new Error('no seed');
    chargeback(m, seed, seed.time + 6 * HOUR_MS);
    m.advanceTo(seed.time + 7 * HOUR_MS);
    const asked = m.drain().investigations;
    for (const inv of asked)
      m.observeLabel({
        transactionId: inv.transactionId,
        isFraud: verdict,
        source: 'ANALYST',
        transactionTime: inv.eventTime,
        eventTime: inv.raisedAt + 2 * HOUR_MS,
      });
    m.advanceTo(seed.time + 12 * HOUR_MS);
    return { asked, alarms: m.drain().alarms, stats: m.stats() };
  }

  it('raises NEW_PATTERN once investigations keep finding frauds, and not when they find legitimate payments', () => {
    const run = (verdict: boolean) =>
      investigateNewPattern(monitor(), [...day(0), ...day(1, 1)], verdict).alarms;
    const alarms = run(true);
    // Four hits pass Wald's bound (4 ln 6 > ln(0.95 / 0.001)).
    expect(alarms).toHaveLength(1);
    expect(alarms[0]?.kind).toBe('NEW_PATTERN');
    expect(run(false)).toEqual([]);
  });

  it("leaves out of the SPRT the verdicts on payments at a place the model already knew for fraud (a compromised terminal's later payments)", () => {
    const placeReference: EvidenceReference = {
      ...reference,
      featureNames: [...reference.featureNames, 'terminal_fraud_rate_7d'],
    };
    // The new pattern's payments at terminals whose known fraud rate, as the model saw it, is `rate`.
    const run = (rate: number, overrides: Partial<EarlyEvidenceSettings> = {}) => {
      const m = new EarlyEvidenceMonitor({ ...settings, ...overrides });
      m.setReference(placeReference);
      const txs = [...day(0), ...day(1, 1)].map((t) => ({
        ...t,
        features: [...t.features, t.id.startsWith('n') ? rate : 0],
      }));
      return investigateNewPattern(m, txs, true);
    };
    expect(settings.knownFraudPlaceFeatures).toContain('terminal_fraud_rate_7d');
    expect(run(0).alarms.map((a) => a.kind)).toEqual(['NEW_PATTERN']);
    // At or below the training window's fraud rate (0.02), a place is not known for fraud.
    expect(run(0.02).alarms.map((a) => a.kind)).toEqual(['NEW_PATTERN']);
    const known = run(0.2);
    expect(known.alarms).toEqual([]);
    // The same transactions are still investigated and their frauds still counted as found: they
    // are labels for the next model, only not evidence of a new pattern.
    expect(known.asked).toHaveLength(5);
    expect(known.stats).toMatchObject({ investigationVerdicts: 5, investigationHits: 5 });
    // The rule off: every verdict counts again.
    expect(run(0.2, { knownFraudPlaceFeatures: [] }).alarms.map((a) => a.kind)).toEqual(['NEW_PATTERN']);
  });

  it('starts the missed-fraud CUSUM after its burn-in and alarms when chargebacks are mostly missed', () => {
    const m = monitor({ missedBurnIn: 20, missedCusumH: 4 });
    const txs = [...day(0), ...day(1), ...day(2)];
    for (const tx of txs) observe(m, tx);
    // Burn-in: 20 chargebacks of alerted frauds (miss share 0), so the in-control share is the
    // larger of the validation's 0.2 and the burn-in's Wilson bound.
    const alerted = txs.filter((t) => t.fraud && t.score >= 0.5);
    alerted.slice(0, 20).forEach((t, i) => chargeback(m, t, T0 + 2 * DAY_MS + i * 60_000));
    m.advanceTo(T0 + 2 * DAY_MS + 2 * HOUR_MS);
    expect(m.drain().alarms).toEqual([]);
    // Then only missed ones.
    txs
      .filter((t) => !t.fraud)
      .slice(0, 30)
      .forEach((t, i) => chargeback(m, t, T0 + 2 * DAY_MS + 3 * HOUR_MS + i * 60_000));
    m.advanceTo(T0 + 3 * DAY_MS);
    const alarms = m.drain().alarms;
    expect(alarms.map((a) => a.kind)).toContain('MISSED_FRAUDS');
  });

  it("raises the missed-fraud CUSUM's threshold by its burn-in's design effect when misses cluster on a terminal", () => {
    // Burn-in: 16 alerted frauds on their own cards and terminals, and 4 missed ones at one
    // compromised terminal. Then 12 missed frauds, each on its own card and terminal.
    const fraud = (id: string, terminal: string, score: number, i: number): Tx => ({
      id,
      card: `card-${id}`,
      terminal,
      time: T0 + i * 60_000,
      score,
      features: [250, 7],
      fraud: true,
    });
    const burnIn = Array.from({ length: 20 }, (_, i) =>
      i % 5 === 4 ? fraud(`m${i}`, 'compromised', 0.1, i) : fraud(`a${i}`, `term-a${i}`, 0.9, i),
    );
    const later = Array.from({ length: 40 }, (_, i) => fraud(`x${i}`, `term-x${i}`, 0.1, 100 + i));
    const run = (clusterRobust: boolean, misses: number, restart = false, restartAs = clusterRobust) => {
      let m = monitor({ missedBurnIn: 20, missedCusumH: 4, missedClusterRobust: clusterRobust });
      for (const tx of [...burnIn, ...later]) observe(m, tx);
      burnIn.forEach((t, i) => chargeback(m, t, T0 + DAY_MS + i * 60_000));
      m.advanceTo(T0 + DAY_MS + 2 * HOUR_MS);
      if (restart) {
        const restored = monitor({ missedBurnIn: 20, missedCusumH: 4, missedClusterRobust: restartAs });
        restored.restoreState(JSON.parse(JSON.stringify(m.snapshot())) as EarlyEvidenceSnapshot);
        m = restored;
      }
      later.slice(0, misses).forEach((t, i) => chargeback(m, t, T0 + DAY_MS + 3 * HOUR_MS + i * 60_000));
      m.advanceTo(T0 + 2 * DAY_MS);
      return {
        alarms: m.drain().alarms,
        cusum: m.snapshot().cusum,
        threshold: m.stats().missedCusumThreshold,
      };
    };
    // Counted as independent, 12 misses in a row cross h = 4.
    expect(run(false, 12).alarms.map((a) => a.kind)).toEqual(['MISSED_FRAUDS']);
    expect(run(false, 12).cusum?.designEffect).toBe(1);
    // The burn-in's 4 misses are one cluster: a design effect of 3.4 (by hand: 10.88 / 3.2), so the
    // threshold is 13.6 and the same 12 misses are no alarm...
    const robust = run(true, 12);
    expect(robust.alarms).toEqual([]);
    expect(robust.cusum?.designEffect).toBeCloseTo(3.4, 10);
    expect(robust.threshold).toBeCloseTo(13.6, 10);
    expect(run(false, 12).threshold).toBe(4);
    // ...across a restart too; 40 in a row still are, and the alarm says why its threshold is higher.
    expect(run(true, 12, true).alarms).toEqual([]);
    // Turned off at a restart, the threshold is the setting's again.
    expect(run(true, 12, true, false).alarms.map((a) => a.kind)).toEqual(['MISSED_FRAUDS']);
    const alarms = run(true, 40, true).alarms;
    expect(alarms.map((a) => a.kind)).toEqual(['MISSED_FRAUDS']);
    expect(alarms[0]?.summary).toMatch(
      /crossed 13\.60 \(4 times the design effect 3\.40 of its burn-in's clustered chargebacks\)/,
    );
  });

  it('measures the false share of reviewed score alerts on the week before, and alarms when it jumps', () => {
    const m = monitor({ falseAlertBurnIn: 100, falseAlertCusumH: 10 });
    // Burn-in and four more days at the same precision (40 % false alerts): no alarm.
    const steady = (i: number) => i % 5 >= 2;
    for (let d = 0; d < 6; d++) reviewedAlerts(m, d, 80, steady);
    m.advanceTo(T0 + 6 * DAY_MS);
    expect(m.drain().alarms).toEqual([]);
    expect(m.stats()).toMatchObject({ alertReviews: 480, falseAlerts: 192 });
    // A day on which most alerts are legitimate payments (a spending shift): ALERT_PRECISION.
    reviewedAlerts(m, 6, 80, (i) => i % 5 === 0, 250);
    m.advanceTo(T0 + 7 * DAY_MS);
    const alarms = m.drain().alarms;
    expect(alarms.length).toBeGreaterThan(0);
    expect(alarms.every((a) => a.kind === 'ALERT_PRECISION')).toBe(true);
    expect(alarms[0]?.summary).toMatch(/analysts found no fraud in \d+ of the \d+ score alerts/);
  });

  it('reaches back past the baseline window for its burn-in at a bank with few reviews a day, across a restart', () => {
    // 20 reviews a day: the 2-day window holds 40 of the 100 the in-control share needs.
    const small = {
      falseAlertBurnIn: 100,
      falseAlertBaselineMs: 2 * DAY_MS,
      falseAlertCusumH: 5,
      falseAlertBaselineReachBack: true,
    };
    const steady = (i: number) => i % 5 >= 2;
    const script = (m: EarlyEvidenceMonitor, from: number, to: number) => {
      const out: unknown[] = [];
      for (let d = from; d < to; d++) {
        // Eight ordinary days, then a spending shift: every alert a legitimate payment, 4 times as
        // many alerts per transaction.
        if (d < 8) reviewedAlerts(m, d, 20, steady);
        else reviewedAlerts(m, d, 20, () => false, 250);
        m.advanceTo(T0 + (d + 1) * DAY_MS);
        out.push(m.drain().alarms, m.stats().falseAlertCusum);
      }
      return out;
    };
    const alarmsOf = (out: unknown[]) =>
      out.filter((o): o is { kind: string; summary: string }[] => Array.isArray(o)).flat();
    // Waiting for 100 reviews in the window, the test never runs.
    const waiting = script(monitor({ ...small, falseAlertBaselineReachBack: false }), 0, 9);
    expect(alarmsOf(waiting)).toEqual([]);
    expect(waiting.filter((o) => typeof o === 'number' && o > 0)).toEqual([]);
    // Reaching back to the last 100 reviews (5 days of them before the last day), it alarms.
    const whole = script(monitor(small), 0, 9);
    const alarms = alarmsOf(whole);
    expect(alarms.map((a) => a.kind)).toEqual(['ALERT_PRECISION']);
    expect(alarms[0]?.summary).toMatch(/measured on the 100 reviews of the 5\.0 days before the last day/);
    // A restart keeps the reviews older than the rows; a snapshot of an earlier version, which has
    // none, rebuilds them from the rows (the chargeback window's 8 days hold these).
    const first = monitor(small);
    const part1 = script(first, 0, 6);
    const saved = JSON.parse(JSON.stringify(first.snapshot())) as EarlyEvidenceSnapshot;
    expect(saved.reviewLog?.length).toBe(120);
    for (const older of [saved, { ...saved, reviewLog: undefined }]) {
      const restored = monitor(small);
      restored.restoreState(older);
      expect([...part1, ...script(restored, 6, 9)]).toEqual(whole);
    }
  });

  it('keeps only the reviews a later baseline can use', () => {
    const bounded = (perDay: number, reachBack = true) => {
      const m = monitor({
        falseAlertBurnIn: 100,
        falseAlertBaselineMs: 2 * DAY_MS,
        falseAlertBaselineReachBack: reachBack,
      });
      for (let d = 0; d < 20; d++) {
        reviewedAlerts(m, d, perDay, (i) => i % 5 >= 2);
        m.advanceTo(T0 + (d + 1) * DAY_MS);
      }
      return m.snapshot().reviewLog?.length;
    };
    // The burn-in's 100 before the last day's start, and the last day's own: at most 100 + 2 days.
    expect(bounded(20)).toBeLessThanOrEqual(140);
    expect(bounded(20)).toBeGreaterThanOrEqual(100);
    // Not reaching back: the window's 2 days and the last day's.
    expect(bounded(20, false)).toBeLessThanOrEqual(4 * 20);
    expect(bounded(20, false)).toBeGreaterThanOrEqual(2 * 20);
    // A busy bank: the window's 2 days and the day after it.
    expect(bounded(200)).toBeLessThanOrEqual(4 * 200);
    expect(bounded(200)).toBeGreaterThanOrEqual(2 * 200);
  });

  it("reports the domain classifier's AUC of the confirmed frauds against the reference frauds", () => {
    const old = monitor();
    const txs = [...day(0), ...day(1, 1)];
    for (const tx of txs) observe(old, tx);
    expect(old.fraudDomain()).toBeNull();
    // Frauds of the reference's kind, alerted or not: like the reference.
    const ordinary = txs.filter((t) => t.fraud && t.id.startsWith('t'));
    ordinary.forEach((t) => chargeback(old, t, t.time + 20 * HOUR_MS));
    old.advanceTo(T0 + 3 * DAY_MS);
    const like = old.fraudDomain();
    expect(like?.frauds).toBe(ordinary.length);
    expect(like?.auc).toBeLessThan(0.7);
    expect(like?.pValue).toBeGreaterThan(0.01);
    // Then the new pattern's frauds are confirmed too: the AUC rises and is significant.
    const novel = txs.filter((t) => t.id.startsWith('n'));
    novel.forEach((t) => chargeback(old, t, T0 + 3 * DAY_MS + HOUR_MS));
    old.advanceTo(T0 + 4 * DAY_MS);
    const moved = old.fraudDomain();
    expect(moved?.frauds).toBe(ordinary.length + novel.length);
    expect(moved?.auc).toBeGreaterThan((like?.auc ?? 1) + 0.1);
    expect(moved?.pValue).toBeLessThan(1e-3);
  });

  it('does not alarm when the false share rises but the alerts per transaction do not (fewer frauds, not more legitimate alerts)', () => {
    const m = monitor({ falseAlertBurnIn: 100 });
    for (let d = 0; d < 6; d++) reviewedAlerts(m, d, 80, (i) => i % 5 >= 2);
    reviewedAlerts(m, 6, 80, (i) => i % 5 === 0);
    m.advanceTo(T0 + 7 * DAY_MS);
    expect(m.drain().alarms).toEqual([]);
    // The next day the alerts flood in as well: now it is a change.
    reviewedAlerts(m, 7, 160, (i) => i % 5 === 0, 250);
    m.advanceTo(T0 + 8 * DAY_MS);
    expect(m.drain().alarms.map((a) => a.kind)).toContain('ALERT_PRECISION');
  });

  it('does not alarm on a false share that creeps up over weeks (the trailing baseline follows it)', () => {
    const m = monitor({ falseAlertBurnIn: 100 });
    // From 35 % false alerts to 59 % over 25 days, a point a day.
    // Frauds and false alerts interleaved through the day (i * 37 runs over 0..99 in a scattered order).
    const share = (falsePercent: number) => (i: number) => (i * 37) % 100 >= falsePercent;
    for (let d = 0; d < 25; d++) reviewedAlerts(m, d, 100, share(35 + d));
    m.advanceTo(T0 + 25 * DAY_MS);
    expect(m.drain().alarms).toEqual([]);
    // A jump from 35 % to 75 % in a day (legitimate payments flooding the alerts) is a change.
    const sudden = monitor({ falseAlertBurnIn: 100 });
    for (let d = 0; d < 8; d++) reviewedAlerts(sudden, d, 100, share(35));
    reviewedAlerts(sudden, 8, 100, share(75), 250);
    sudden.advanceTo(T0 + 9 * DAY_MS);
    expect(sudden.drain().alarms.map((a) => a.kind)).toContain('ALERT_PRECISION');
  });

  it('counts neither investigations nor chargebacks as reviews of score alerts', () => {
    const m = monitor({ falseAlertBurnIn: 10 });
    const txs = day(0);
    for (const tx of txs) observe(m, tx);
    // Unalerted rows with an analyst's verdict (investigations) and alerted ones charged back.
    txs
      .filter((t) => t.score < 0.5)
      .slice(0, 30)
      .forEach((t) => review(m, t, false, t.time + HOUR_MS));
    txs.filter((t) => t.score >= 0.5).forEach((t) => chargeback(m, t, t.time + DAY_MS));
    m.advanceTo(T0 + 3 * DAY_MS);
    expect(m.stats()).toMatchObject({ alertReviews: 0, falseAlerts: 0, falseAlertCusum: 0 });
  });

  it('keeps the false-alert CUSUM across a restart', () => {
    const script = (m: EarlyEvidenceMonitor, from: number, to: number) => {
      const out: unknown[] = [];
      for (let d = from; d < to; d++) {
        reviewedAlerts(m, d, 60, (i) => (d < 4 ? i % 2 === 0 : i % 6 === 0), d < 4 ? 1000 : 250);
        m.advanceTo(T0 + (d + 1) * DAY_MS);
        out.push(m.drain().alarms, m.stats().falseAlertCusum);
      }
      return out;
    };
    const whole = script(monitor({ falseAlertBurnIn: 100 }), 0, 7);
    const first = monitor({ falseAlertBurnIn: 100 });
    const part1 = script(first, 0, 5);
    const restored = monitor({ falseAlertBurnIn: 100 });
    restored.restoreState(JSON.parse(JSON.stringify(first.snapshot())) as EarlyEvidenceSnapshot);
    expect([...part1, ...script(restored, 5, 7)]).toEqual(whole);
    expect(whole.some((o) => Array.isArray(o) && o.length > 0)).toBe(true);
  });

  it('counts a chargeback read after the check that covered its time at the next check, once', () => {
    const m = monitor();
    const txs = [...day(0), ...day(1)];
    for (const tx of txs) observe(m, tx);
    const frauds = txs.filter((t) => t.fraud);
    chargeback(m, frauds[0]!, T0 + DAY_MS + HOUR_MS);
    m.advanceTo(T0 + DAY_MS + 4 * HOUR_MS);
    expect(m.stats().chargebacksObserved).toBe(1);
    // A label partition read behind the others: its chargeback is older than the last check.
    chargeback(m, frauds[1]!, T0 + DAY_MS + 2 * HOUR_MS);
    m.advanceTo(T0 + DAY_MS + 5 * HOUR_MS);
    expect(m.stats().chargebacksObserved).toBe(2);
    m.advanceTo(T0 + DAY_MS + 10 * HOUR_MS);
    expect(m.stats().chargebacksObserved).toBe(2);
    // And a restart keeps what has been counted.
    const restored = monitor();
    restored.restoreState(JSON.parse(JSON.stringify(m.snapshot())) as EarlyEvidenceSnapshot);
    restored.advanceTo(T0 + DAY_MS + 12 * HOUR_MS);
    expect(restored.stats().chargebacksObserved).toBe(2);
  });

  it('decides alike after a snapshot and restore mid-way', () => {
    const txs = [...day(0), ...day(1, 1), ...day(2, 1)];
    const seeds = txs.filter((t) => t.id.startsWith('n1-') && Number(t.id.split('-')[1]) % 4 === 0);
    const script = (m: EarlyEvidenceMonitor, from: number, to: number) => {
      const out: unknown[] = [];
      for (let h = from; h < to; h++) {
        const end = T0 + h * HOUR_MS;
        for (const tx of txs) if (tx.time >= end - HOUR_MS && tx.time < end) observe(m, tx);
        for (const s of seeds)
          if (s.time + 20 * HOUR_MS >= end - HOUR_MS && s.time + 20 * HOUR_MS < end)
            chargeback(m, s, s.time + 20 * HOUR_MS);
        m.advanceTo(end);
        const drained = m.drain();
        out.push(drained);
        for (const inv of drained.investigations)
          m.observeLabel({
            transactionId: inv.transactionId,
            isFraud: true,
            source: 'ANALYST',
            transactionTime: inv.eventTime,
            eventTime: inv.raisedAt + 2 * HOUR_MS,
          });
      }
      return out;
    };
    const whole = monitor();
    const expected = script(whole, 1, 72);
    const first = monitor();
    const part1 = script(first, 1, 40);
    const restored = monitor();
    restored.restoreState(JSON.parse(JSON.stringify(first.snapshot())) as EarlyEvidenceSnapshot);
    // The labels on investigations answered before the snapshot arrive again after it only if not yet applied.
    const part2 = script(restored, 40, 72);
    expect([...part1, ...part2]).toEqual(expected);
    expect(expected.some((o) => (o as { alarms: unknown[] }).alarms.length > 0)).toBe(true);
  });

  it('keeps a label read before its score across a restart, so the score still meets it', () => {
    const before = monitor();
    before.observeScore(pendingScore('first', T1));
    // The chargeback of a transaction whose score has not been read yet (another partition).
    before.observeLabel({
      transactionId: 'late',
      isFraud: true,
      source: 'CHARGEBACK',
      transactionTime: T1 + HOUR_MS / 2,
      eventTime: T1 + 3 * HOUR_MS,
    });
    const after = monitor();
    after.restoreState(JSON.parse(JSON.stringify(before.snapshot())) as EarlyEvidenceSnapshot);
    after.observeScore(pendingScore('late', T1 + HOUR_MS / 2));
    after.observeScore(pendingScore('next', T1 + 5 * HOUR_MS));
    after.advanceTo(T1 + 4 * HOUR_MS);
    expect(after.stats()).toMatchObject({ chargebacksObserved: 1, missedChargebacks: 1 });
  });
});
