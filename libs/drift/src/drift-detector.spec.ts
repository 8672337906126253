import { describe, expect, it } from 'vitest';
import { DAY_MS, type DriftEvent, type RetrainRequest } from '@fraudstream/contracts';
import { defaultDriftSettings, type DriftSettings } from './drift.config';
import { robustScaling } from '@fraudstream/stats';
import { DriftDetector, type DriftDetectorSnapshot } from './drift-detector';
import {
  T0,
  deploymentOf,
  fraudLabelOf,
  referenceManifestOf,
  scoreOf,
  syntheticDay,
  type DayOptions,
  type SyntheticTx,
} from './drift-test.fixtures';

const defaults = defaultDriftSettings();
/** The window rules and the mature-label policy (the early evidence has its own spec). */
const settings: DriftSettings = defaultDriftSettings({
  evidence: { ...defaults.evidence, enabled: false },
  // One dropped window asks here; the persistence rule has its own test.
  performanceConsecutiveWindows: 1,
  performanceBaselineWindows: 0,
  windowMs: DAY_MS,
  allowedLatenessMs: 0,
  minWindowCount: 500,
  reservoirSize: 5000,
  chargebackWindowMs: 3 * DAY_MS,
  analystDailyCapacity: 20,
  minMatureLabels: 500,
  minMaturePositives: 10,
  cooldownMs: 2 * DAY_MS,
  requestTimeoutMs: 10 * DAY_MS,
  trainingWindowMs: 7 * DAY_MS,
});

const reference = referenceManifestOf(
  'm1',
  [0, 1, 2, 3].flatMap((d) => syntheticDay(-10 + d, 1000, 100 + d)),
  settings.analystDailyCapacity,
);

function live(days: number, options: (day: number) => DayOptions = () => ({})): SyntheticTx[][] {
  return Array.from({ length: days }, (_, d) => syntheticDay(d, 1000, 1000 + d, options(d)));
}

interface Run {
  events: DriftEvent[];
  requests: RetrainRequest[];
}

/** Feeds day by day: that day's scores, then the previous day's fraud labels (a one-day chargeback delay). */
function feed(detector: DriftDetector, days: readonly SyntheticTx[][], from = 0, to = days.length): Run {
  const run: Run = { events: [], requests: [] };
  for (let d = from; d < to; d++) {
    for (const tx of days[d] ?? []) detector.observeScore(scoreOf(tx, 'm1'));
    for (const tx of days[d - 1] ?? []) if (tx.fraud) detector.observeLabel(fraudLabelOf(tx));
    const out = detector.drain();
    run.events.push(...out.driftEvents);
    run.requests.push(...out.retrainRequests);
  }
  return run;
}

function detectorWith(overrides: Partial<DriftSettings> = {}): DriftDetector {
  const detector = new DriftDetector({ ...settings, ...overrides });
  detector.setReference(reference);
  return detector;
}

describe(DriftDetector.name, () => {
  it('finds no drift and requests nothing on stable data, and evaluates performance once labels mature', () => {
    const run = feed(detectorWith(), live(10));
    const closes = run.events.filter((e) => !e.event_id.endsWith(':mature'));
    const matured = run.events.filter((e) => e.event_id.endsWith(':mature'));
    // Day d closes when day d+1 starts (9 closes), and matures 3 days after its end (6 of them).
    expect(closes.map((e) => e.window_start)).toEqual(Array.from({ length: 9 }, (_, d) => T0 + d * DAY_MS));
    expect(closes.every((e) => e.verdict === 'NO_DRIFT')).toBe(true);
    expect(matured).toHaveLength(6);
    for (const e of matured) {
      expect(e.verdict).toBe('NO_DRIFT');
      expect(e.mature_labels).toBe(1000);
      expect(e.average_precision).toBeGreaterThan(0.5);
      expect(e.roc_auc).toBeGreaterThan(0.9);
      expect(e.card_precision_at_k).not.toBeNull();
    }
    expect(run.requests).toEqual([]);
  });

  it('flags a covariate shift but does not retrain while the model still ranks well', () => {
    const run = feed(
      detectorWith(),
      live(10, (d) => (d >= 4 ? { shift: 1.5 } : {})),
    );
    const closes = run.events.filter((e) => !e.event_id.endsWith(':mature'));
    const shifted = closes.filter((e) => e.window_start >= T0 + 4 * DAY_MS);
    expect(shifted.length).toBeGreaterThan(0);
    for (const e of shifted) {
      expect(e.verdict).toBe('COVARIATE_DRIFT');
      expect(e.features.find((f) => f.feature === 'f0')?.drifted).toBe(true);
      expect(e.features.find((f) => f.feature === 'f1')?.drifted).toBe(false);
      expect(e.retrain_recommended).toBe(false);
    }
    expect(run.requests).toEqual([]);
  });

  it('retrains on a covariate shift alone when configured to, once k features drift m windows running', () => {
    const run = feed(
      detectorWith({ retrainOnCovariateShift: true, featuresK: 1, consecutiveWindowsM: 2 }),
      live(8, (d) => (d >= 4 ? { shift: 1.5 } : {})),
    );
    expect(run.requests).toHaveLength(1);
    expect(run.requests[0]).toMatchObject({
      request_id: `retrain:m1:${T0 + 5 * DAY_MS}`,
      trigger: 'FEATURE_DRIFT',
      window_start: T0 + 6 * DAY_MS - 7 * DAY_MS,
      window_end: T0 + 6 * DAY_MS,
    });
  });

  it('requests one retrain when mature labels show the performance drop of a new fraud pattern', () => {
    const run = feed(
      detectorWith(),
      live(14, (d) => (d >= 4 ? { hiddenFraud: true } : {})),
    );
    const matured = run.events.filter((e) => e.event_id.endsWith(':mature'));
    const degraded = matured.filter((e) => e.window_start >= T0 + 4 * DAY_MS);
    expect(degraded.length).toBeGreaterThan(0);
    expect(degraded.every((e) => e.verdict === 'PERFORMANCE_DRIFT')).toBe(true);
    expect(degraded[0]?.average_precision).toBeLessThan(0.3);
    // Windows 4.. mature from day 8 on; one request, then the open request suppresses the rest.
    expect(run.requests).toHaveLength(1);
    expect(run.requests[0]).toMatchObject({
      request_id: `retrain:m1:${T0 + 4 * DAY_MS}:mature`,
      model_version: 'm1',
      trigger: 'PERFORMANCE_DRIFT',
      severity: 'HIGH',
      drift_event_id: `m1:${T0 + 4 * DAY_MS}:mature`,
      event_time: T0 + 8 * DAY_MS,
    });
    expect(degraded.slice(1).every((e) => e.reasons.some((r) => r.includes('still open')))).toBe(true);
  });

  it('asks only once the performance drop persists over the set number of mature windows', () => {
    const run = feed(
      detectorWith({ performanceConsecutiveWindows: 2 }),
      live(14, (d) => (d >= 4 ? { hiddenFraud: true } : {})),
    );
    // Window 4 matures on day 8 (first drop: reported, no request), window 5 on day 9 (second: asks).
    const first = run.events.find((e) => e.event_id === `m1:${T0 + 4 * DAY_MS}:mature`);
    expect(first?.verdict).toBe('PERFORMANCE_DRIFT');
    expect(first?.retrain_recommended).toBe(false);
    expect(first?.reasons.some((r) => r.includes('1 of 2 mature windows running dropped'))).toBe(true);
    expect(run.requests).toHaveLength(1);
    expect(run.requests[0]).toMatchObject({
      request_id: `retrain:m1:${T0 + 5 * DAY_MS}:mature`,
      event_time: T0 + 9 * DAY_MS,
    });
  });

  it('once the early evidence is spent, asks when two mature windows together show a drop that neither shows alone', () => {
    // A third of the frauds missed from day 4, on about 30 frauds a day: each day's AP bound is
    // wide, so day 4 and day 5 each stay within it; the two days' mean is well under the line.
    const sparse = referenceManifestOf(
      'm1',
      [0, 1, 2, 3].flatMap((d) => syntheticDay(-10 + d, 1000, 100 + d, { fraudRate: 0.03 })),
      settings.analystDailyCapacity,
    );
    const days = live(10, (d) => (d >= 4 ? { fraudRate: 0.03, hiddenShare: 0.3 } : { fraudRate: 0.03 }));
    const detector = (spent: boolean) => {
      const fresh = new DriftDetector({ ...settings, performanceConsecutiveWindows: 2 });
      fresh.setReference(sparse);
      const snapshot = fresh.snapshot();
      return DriftDetector.restore(
        { ...settings, performanceConsecutiveWindows: 2 },
        { ...snapshot, policy: { ...snapshot.policy, earlyEvidenceSpent: spent } },
      );
    };
    // Before any early evidence was refused, each window is judged alone: no request.
    const alone = feed(detector(false), days);
    expect(alone.requests).toEqual([]);
    const run = feed(detector(true), days);
    const matured = (day: number) => run.events.find((e) => e.event_id === `m1:${T0 + day * DAY_MS}:mature`);
    const upperAlone = (e: DriftEvent | undefined) => {
      const reason = e?.reasons.find((r) => r.includes('AP ')) ?? '';
      return Number(/AP [\d.]+ \(upper bound ([\d.]+)\) vs validation/.exec(reason)?.[1]);
    };
    const line = 0.8 * sparse.metrics.validation.average_precision;
    expect(matured(4)?.verdict).not.toBe('PERFORMANCE_DRIFT');
    expect(upperAlone(matured(4))).toBeGreaterThan(line);
    expect(upperAlone(matured(5))).toBeGreaterThan(line);
    expect(matured(5)?.verdict).toBe('PERFORMANCE_DRIFT');
    expect(
      matured(5)?.reasons.some((r) => r.startsWith('performance dropped over 2 mature windows: mean AP')),
    ).toBe(true);
    expect(run.requests.map((r) => [r.request_id, r.trigger])).toEqual([
      [`retrain:m1:${T0 + 5 * DAY_MS}:mature`, 'PERFORMANCE_DRIFT'],
    ]);
  });

  it('judges the production model against its own first mature windows when a live baseline is set', () => {
    // A model that ranks worse live than on its validation day from the start: no drift against itself.
    const weaker = live(14, () => ({ hiddenShare: 0.5 }));
    expect(feed(detectorWith(), weaker).requests).toHaveLength(1);
    const run = feed(detectorWith({ performanceBaselineWindows: 2 }), weaker);
    expect(run.requests).toEqual([]);
    const mature = run.events.filter((e) => e.event_id.endsWith(':mature'));
    expect(mature[0]?.reasons.some((r) => r.startsWith('performance baseline, window 1 of 2'))).toBe(true);
    expect(mature[1]?.reasons.some((r) => r.startsWith('performance baseline, window 2 of 2'))).toBe(true);
    expect(mature.slice(0, 2).every((e) => !e.retrain_recommended && e.verdict !== 'PERFORMANCE_DRIFT')).toBe(
      true,
    );
    expect(
      mature
        .slice(2)
        .every((e) => e.reasons.some((r) => r.includes('vs the mean of its first 2 mature windows'))),
    ).toBe(true);

    // A drop after a good start is judged against that start, and survives a restart from a checkpoint.
    const dropping = live(14, (d) => (d >= 4 ? { hiddenFraud: true } : {}));
    const straight = feed(detectorWith({ performanceBaselineWindows: 2 }), dropping);
    expect(straight.requests.map((r) => r.request_id)).toEqual([`retrain:m1:${T0 + 4 * DAY_MS}:mature`]);
    const first = detectorWith({ performanceBaselineWindows: 2 });
    const before = feed(first, dropping, 0, 7);
    const checkpoint = JSON.parse(JSON.stringify(first.snapshot())) as DriftDetectorSnapshot;
    expect(checkpoint.performanceBaseline?.windows).toBe(2);
    const resumed = DriftDetector.restore({ ...settings, performanceBaselineWindows: 2 }, checkpoint);
    const after = feed(resumed, dropping, 7);
    expect([...before.events, ...after.events]).toEqual(straight.events);
    expect([...before.requests, ...after.requests]).toEqual(straight.requests);
  });

  it('flags a provisional performance drop at close from confirmed frauds, and retrains only at maturity', () => {
    const detector = detectorWith();
    const days = live(9, (d) => (d >= 4 ? { hiddenFraud: true } : {}));
    const events: DriftEvent[] = [];
    const requests: RetrainRequest[] = [];
    for (const day of days) {
      for (const tx of day) {
        detector.observeScore(scoreOf(tx, 'm1'));
        // Analysts confirm frauds within the hour here, so they are known when the window closes.
        if (tx.fraud) detector.observeLabel(fraudLabelOf(tx, 60 * 60 * 1000));
      }
      const out = detector.drain();
      events.push(...out.driftEvents);
      requests.push(...out.retrainRequests);
    }
    const closes = events.filter((e) => !e.event_id.endsWith(':mature'));
    const before = closes.filter((e) => e.window_start < T0 + 4 * DAY_MS);
    const after = closes.filter((e) => e.window_start >= T0 + 4 * DAY_MS);
    expect(before.every((e) => e.verdict === 'NO_DRIFT' && (e.roc_auc ?? 0) > 0.9)).toBe(true);
    expect(after.length).toBeGreaterThan(0);
    for (const e of after) {
      expect(e.verdict).toBe('PERFORMANCE_DRIFT');
      expect(e.retrain_recommended).toBe(false);
      expect(e.roc_auc).toBeLessThan(0.8);
      expect(e.reasons.some((r) => r.startsWith('provisional performance drop'))).toBe(true);
    }
    // Window 4 matures at day 8 (3-day chargeback window): the first and only request.
    expect(requests.map((r) => r.request_id)).toEqual([`retrain:m1:${T0 + 4 * DAY_MS}:mature`]);
  });

  it('considers an unanswered request closed after its timeout in event time', () => {
    const run = feed(
      detectorWith({ requestTimeoutMs: 2 * DAY_MS, cooldownMs: DAY_MS }),
      live(12, (d) => (d >= 4 ? { hiddenFraud: true } : {})),
    );
    // Windows 4.. mature on days 8, 9, 10, 11: requests at day 8, then at day 10 (8 + 2-day timeout).
    expect(run.requests.map((r) => r.event_time)).toEqual([T0 + 8 * DAY_MS, T0 + 10 * DAY_MS]);
  });

  it('requests again after the open request is answered and the cooldown has passed', () => {
    const detector = detectorWith();
    const days = live(14, (d) => (d >= 4 ? { hiddenFraud: true } : {}));
    const first = feed(detector, days, 0, 10);
    expect(first.requests).toHaveLength(1);
    detector.observeDeployment(
      deploymentOf('m1', T0 + 9 * DAY_MS, {
        kind: 'JOB_FAILED',
        request_id: first.requests[0]?.request_id ?? null,
        reason: 'failed',
      }),
      null,
    );
    const second = feed(detector, days, 10, 14);
    // Request at day 8; cooldown 2 days: the window maturing at day 10 may request again.
    expect(second.requests.map((r) => r.event_time)).toEqual([T0 + 10 * DAY_MS]);
  });

  it('after a rejected challenger, requests again a retry delay after the answer rather than a whole cooldown', () => {
    const rejection = (requestId: string | null, at: number) =>
      deploymentOf('m2', at, {
        stage: 'REJECTED',
        parent_version: 'm1',
        request_id: requestId,
        reason: 'gate failed',
      });
    const days = live(14, (d) => (d >= 4 ? { hiddenFraud: true } : {}));
    const runWith = (retryAfterRejectionMs: number) => {
      const detector = detectorWith({ cooldownMs: 5 * DAY_MS, retryAfterRejectionMs });
      const first = feed(detector, days, 0, 9);
      expect(first.requests.map((r) => r.event_time)).toEqual([T0 + 8 * DAY_MS]);
      // The trainer stamps its answer with the request's event time.
      detector.observeDeployment(rejection(first.requests[0]?.request_id ?? null, T0 + 8 * DAY_MS), null);
      return feed(detector, days, 9, 14).requests.map((r) => r.event_time);
    };
    expect(runWith(DAY_MS)).toEqual([T0 + 9 * DAY_MS]);
    expect(runWith(5 * DAY_MS)).toEqual([T0 + 13 * DAY_MS]);
  });

  it('gives the same verdicts whether labels are read ahead of the scores or behind them', () => {
    const days = live(12, (d) => (d >= 4 ? { hiddenFraud: true } : {}));
    const labels = days.flatMap((day) => day.filter((tx) => tx.fraud).map((tx) => fraudLabelOf(tx)));
    const scores = days.flatMap((day) => day.map((tx) => scoreOf(tx, 'm1')));

    // Windows wait for the labels however far behind they are.
    const labelsFirst = detectorWith({ maxLabelLagMs: 100 * DAY_MS });
    for (const l of labels) labelsFirst.observeLabel(l);
    for (const s of scores) labelsFirst.observeScore(s);

    const labelsLast = detectorWith({ maxLabelLagMs: 100 * DAY_MS });
    for (const s of scores) labelsLast.observeScore(s);
    for (const l of labels) labelsLast.observeLabel(l);

    const first = labelsFirst.drain().driftEvents;
    expect(first.length).toBeGreaterThan(10);
    expect(labelsLast.drain().driftEvents).toEqual(first);
  });

  it('with the early evidence on, gives the same events and investigations whatever the interleaving', () => {
    const days = live(12, (d) => (d >= 4 ? { hiddenFraud: true } : {}));
    const labels = days.flatMap((day) => day.filter((tx) => tx.fraud).map((tx) => fraudLabelOf(tx)));
    const scores = days.flatMap((day) => day.map((tx) => scoreOf(tx, 'm1')));
    const history = [0, 1, 2, 3].flatMap((d) => syntheticDay(-10 + d, 1000, 100 + d));
    const frauds = history.filter((tx) => tx.fraud).map((tx) => tx.features);
    const { centre, scale } = robustScaling(
      history.map((tx) => tx.features),
      [0, 1],
    );
    const withNovelty = {
      ...reference,
      reference: { ...reference.reference, novelty: { features: [0, 1], centre, scale, frauds } },
    };
    const run = (labelsFirst: boolean) => {
      const detector = new DriftDetector({
        ...settings,
        evidence: defaults.evidence,
        maxLabelLagMs: 100 * DAY_MS,
      });
      detector.setReference(withNovelty);
      if (labelsFirst) for (const l of labels) detector.observeLabel(l);
      for (const sc of scores) detector.observeScore(sc);
      if (!labelsFirst) for (const l of labels) detector.observeLabel(l);
      return detector.drain();
    };
    const first = run(true);
    expect(first.driftEvents.length).toBeGreaterThan(10);
    expect(
      first.driftEvents.every((e) => e.evidence !== null && e.evidence.reference_frauds === frauds.length),
    ).toBe(true);
    // The missed-fraud CUSUM's threshold: none during its burn-in, then h times the burn-in's design
    // effect (at least h), the same on every later event of the model.
    const thresholds = first.driftEvents.map((e) => e.evidence?.missed_cusum_threshold);
    for (const e of first.driftEvents) {
      const chargebacks = e.evidence?.chargebacks ?? 0;
      if (chargebacks < defaults.evidence.missedBurnIn) expect(e.evidence?.missed_cusum_threshold).toBeNull();
      else expect(e.evidence?.missed_cusum_threshold).toBeGreaterThanOrEqual(defaults.evidence.missedCusumH);
    }
    expect(new Set(thresholds.filter((t) => t !== null)).size).toBe(1);
    expect(run(false)).toEqual(first);
  });

  it('waits for every backlogged partition before closing a window, so an uneven catch-up decides as an in-order run', () => {
    const days = live(8, (d) => (d >= 4 ? { hiddenFraud: true } : {}));
    const labels = days.flatMap((day) => day.filter((tx) => tx.fraud).map((tx) => fraudLabelOf(tx)));
    // Two score partitions, split by card; each day of a partition is one batch.
    const partitions = [0, 1].map((p) =>
      days.map((day) => day.filter((_, i) => i % 2 === p).map((tx) => scoreOf(tx, 'm1'))),
    );

    const inOrder = detectorWith({ maxLabelLagMs: 100 * DAY_MS });
    for (const day of days) for (const tx of day) inOrder.observeScore(scoreOf(tx, 'm1'));
    for (const l of labels) inOrder.observeLabel(l);
    const expected = inOrder.drain().driftEvents;
    expect(expected.length).toBeGreaterThan(10);
    expect(inOrder.status().skipped.late).toBe(0);

    // A catch-up that reads all of partition 0 before partition 1: without holds, partition 1's
    // first seven days arrive behind the watermark and are dropped as late.
    const unheld = detectorWith({ maxLabelLagMs: 100 * DAY_MS });
    for (const batches of partitions)
      for (const batch of batches) for (const s of batch) unheld.observeScore(s);
    for (const l of labels) unheld.observeLabel(l);
    expect(unheld.status().skipped.late).toBeGreaterThan(3000);
    expect(unheld.drain().driftEvents).not.toEqual(expected);

    // The same order with both partitions held until read to their end.
    const held = detectorWith({ maxLabelLagMs: 100 * DAY_MS });
    held.holdWatermark('scores', 'p0', null);
    held.holdWatermark('scores', 'p1', null);
    partitions.forEach((batches, p) => {
      batches.forEach((batch, d) => {
        for (const s of batch) held.observeScore(s);
        if (d === batches.length - 1) held.releaseWatermark('scores', `p${p}`);
        else held.holdWatermark('scores', `p${p}`, Math.max(...batch.map((s) => s.event_time)));
      });
    });
    for (const l of labels) held.observeLabel(l);
    expect(held.status().skipped.late).toBe(0);
    expect(held.drain().driftEvents).toEqual(expected);
  });

  it('switches the reference on a newer promotion, ignores an older one, and frees the open request', () => {
    const detector = detectorWith();
    const days = live(10, (d) => (d >= 4 ? { hiddenFraud: true } : {}));
    expect(feed(detector, days).requests).toHaveLength(1);
    detector.observeDeployment(deploymentOf('m2', T0 + 10 * DAY_MS), { ...reference, version: 'm2' });
    expect(detector.modelVersion).toBe('m2');
    expect(detector.status().openRequestId).toBeNull();
    // A replayed, older promotion of m1 changes nothing.
    detector.observeDeployment(deploymentOf('m1', T0), reference);
    expect(detector.modelVersion).toBe('m2');
    // Scores of m1 no longer count; the manifest of another version is refused.
    const lastTx = days[9]?.[0];
    if (!lastTx) throw new Error('no transaction');
    detector.observeScore(scoreOf(lastTx, 'm1'));
    expect(detector.status().skipped.otherModel).toBe(1);
    expect(() => detector.observeDeployment(deploymentOf('m3', T0 + 11 * DAY_MS), reference)).toThrow(/m3/);
  });

  it("lets the old model's last scores after a switch move the clock, so the new model's window closes", () => {
    const detector = detectorWith();
    const days = live(3);
    feed(detector, days, 0, 1);
    detector.observeDeployment(deploymentOf('m2', T0 + DAY_MS), { ...reference, version: 'm2' });
    // Day 1 is scored by m2; day 2's scores still come from m1 (the scorers have not switched yet,
    // and the stream waits for the monitor): m2's day-1 window must close on their event times.
    for (const tx of days[1] ?? []) detector.observeScore(scoreOf(tx, 'm2'));
    for (const tx of days[2] ?? []) detector.observeScore(scoreOf(tx, 'm1'));
    for (const tx of days[1] ?? []) if (tx.fraud) detector.observeLabel(fraudLabelOf(tx));
    const closed = detector.drain().driftEvents.filter((e) => e.model_version === 'm2');
    expect(closed.map((e) => e.event_id)).toEqual([`m2:${T0 + DAY_MS}`]);
    expect(detector.status().skipped.otherModel).toBe((days[2] ?? []).length);
  });

  it("judges neither model's part of a window a promotion cut in two, at close or at maturity, and judges the new model's next whole window", () => {
    const detector = detectorWith({ minWindowCount: 100 });
    const days = live(7);
    const switchAt = T0 + DAY_MS + DAY_MS / 2;
    const before = (days[1] ?? []).filter((tx) => tx.time < switchAt);
    const after = (days[1] ?? []).filter((tx) => tx.time >= switchAt);
    expect(before.length).toBeGreaterThan(100);
    expect(after.length).toBeGreaterThan(100);
    feed(detector, days, 0, 1);
    // m1 scores day 1's first half, then m2 is promoted and scores the rest.
    for (const tx of before) detector.observeScore(scoreOf(tx, 'm1'));
    detector.observeDeployment(deploymentOf('m2', switchAt), { ...reference, version: 'm2' });
    detector.drain();
    // The same from a checkpoint taken at the switch.
    const restored = DriftDetector.restore({ ...settings, minWindowCount: 100 }, detector.snapshot());
    for (const d of [detector, restored]) {
      for (const tx of [...after, ...days.slice(2).flat()]) d.observeScore(scoreOf(tx, 'm2'));
      for (const tx of days.slice(1).flat()) if (tx.fraud) d.observeLabel(fraudLabelOf(tx));
      const events = d.drain().driftEvents;
      for (const phase of ['CLOSE', 'MATURE'] as const) {
        const ofPhase = events.filter((e) => e.phase === phase);
        const day1 = ofPhase.filter((e) => e.window_start === T0 + DAY_MS);
        expect(day1.map((e) => [e.model_version, e.verdict])).toEqual([
          ['m1', 'INSUFFICIENT_DATA'],
          ['m2', 'INSUFFICIENT_DATA'],
        ]);
        expect(day1[0]?.reasons[0]).toMatch(
          /m1 served only 00:00-12:00 of this window \(a promotion within it\)/,
        );
        expect(day1[1]?.reasons[0]).toMatch(/m2 served only 12:00-the end of this window/);
        const day2 = ofPhase.find((e) => e.window_start === T0 + 2 * DAY_MS);
        expect(day2?.model_version).toBe('m2');
        expect(day2?.verdict).not.toBe('INSUFFICIENT_DATA');
      }
    }
  });

  it('gives INSUFFICIENT_DATA below the minimum count', () => {
    const run = feed(detectorWith({ minWindowCount: 5000 }), live(3));
    expect(run.events.map((e) => e.verdict)).toEqual(['INSUFFICIENT_DATA', 'INSUFFICIENT_DATA']);
  });

  it('ignores challenger scores and scores of another model', () => {
    const detector = detectorWith();
    const [day] = live(1);
    for (const tx of day ?? []) {
      detector.observeScore(scoreOf(tx, 'm1', 'CHALLENGER'));
      detector.observeScore(scoreOf(tx, 'm0'));
    }
    expect(detector.status().skipped).toMatchObject({ challenger: 1000, otherModel: 1000 });
    expect(detector.status().openWindows).toBe(0);
  });

  it('applies a label that arrives before its score', () => {
    const detector = detectorWith({ minMaturePositives: 1 });
    const days = live(6);
    const frauds = (days[0] ?? []).filter((t) => t.fraud);
    for (const tx of frauds) detector.observeLabel(fraudLabelOf(tx));
    expect(detector.status().pendingLabels).toBe(frauds.length);
    for (const day of days) for (const tx of day) detector.observeScore(scoreOf(tx, 'm1'));
    const matured = detector.drain().driftEvents.find((e) => e.event_id === `m1:${T0}:mature`);
    expect(matured?.fraud_rate_live).toBeCloseTo(frauds.length / 1000, 12);
  });

  it('resumes from a snapshot mid-window with the same verdicts as an uninterrupted run', () => {
    const days = live(12, (d) => (d >= 4 ? { hiddenFraud: true, shift: d >= 6 ? 1 : 0 } : {}));
    const straight = feed(detectorWith(), days);

    const first = detectorWith();
    const before = feed(first, days, 0, 5);
    // Half of day 5, then a restart from the JSON checkpoint.
    const half = (days[5] ?? []).slice(0, 500);
    for (const tx of half) first.observeScore(scoreOf(tx, 'm1'));
    const beforeCheckpoint = first.drain();
    const checkpoint = JSON.parse(JSON.stringify(first.snapshot())) as DriftDetectorSnapshot;
    const resumed = DriftDetector.restore(settings, checkpoint);
    for (const tx of (days[5] ?? []).slice(500)) resumed.observeScore(scoreOf(tx, 'm1'));
    for (const tx of days[4] ?? []) if (tx.fraud) resumed.observeLabel(fraudLabelOf(tx));
    const mid = resumed.drain();
    const after = feed(resumed, days, 6);

    expect([...before.events, ...beforeCheckpoint.driftEvents, ...mid.driftEvents, ...after.events]).toEqual(
      straight.events,
    );
    expect([
      ...before.requests,
      ...beforeCheckpoint.retrainRequests,
      ...mid.retrainRequests,
      ...after.requests,
    ]).toEqual(straight.requests);
    expect(straight.requests.length).toBeGreaterThan(0);
  });
});
