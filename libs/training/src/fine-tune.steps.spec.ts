import { beforeAll, describe, expect, it } from 'vitest';
import { DAY_MS, type Label, type RetrainRequest } from '@fraudstream/contracts';
import {
  challengerReference,
  checkTrainingRows,
  judgeChallenger,
  selectTrainingRows,
  trainChallenger,
} from './fine-tune.steps';
import type { ModelManifest, SegmentMetrics } from '@fraudstream/registry';
import type { WindowSplit } from './data-split';
import { MlpNetwork } from './mlp.network';
import { initTfjsWasm } from './tfjs-wasm.backend';
import { T0, TEST_FEATURES, TEST_FEATURE_SET, syntheticStream, testSettings } from './training.test-fixtures';
import { TrainingJobError } from './training.errors';
import { toTrainingMatrix, type TrainingRow } from './training-rows';

/** Days 0-14, the new regime from day 11; the request at the end of day 14. */
const generated = syntheticStream({
  fromDay: 0,
  days: 15,
  rowsPerDay: 400,
  regime: (d) => (d >= 11 ? 'new' : 'old'),
  seed: 3,
});
const fraudIds = new Set(generated.labels.map((l) => l.transaction_id));
/** Analysts' "legitimate" verdicts on a tenth of the payments from day 12 on: the feedback's negatives. */
const verdicts: Label[] = generated.scores
  .filter((s) => s.event_time >= T0 + 12 * DAY_MS && !fraudIds.has(s.transaction_id))
  .filter((_, i) => i % 10 === 0)
  .map((s) => ({
    transaction_id: s.transaction_id,
    card_id: s.card_id,
    terminal_id: 't',
    is_fraud: false,
    source: 'ANALYST',
    transaction_time: s.event_time,
    event_time: s.event_time + 3_600_000,
  }));
const stream = { scores: generated.scores, labels: [...generated.labels, ...verdicts] };
const request: RetrainRequest = {
  request_id: 'r1',
  model_version: 'v1',
  trigger: 'NEW_PATTERN',
  reason: 'test',
  severity: 'HIGH',
  drift_event_id: null,
  window_start: T0 + DAY_MS,
  window_end: T0 + 15 * DAY_MS,
  event_time: T0 + 15 * DAY_MS,
};

/** The stream's split for the request (three days' chargeback window) and an untrained network over its features. */
function splitWithUntrainedNetwork() {
  const settings = testSettings({ chargebackWindowMs: 3 * DAY_MS });
  const { split } = selectTrainingRows(stream.scores, stream.labels, request, settings, TEST_FEATURE_SET);
  const network = MlpNetwork.create({
    mean: [0, 0, 5, 0.5],
    std: [0.6, 0.6, 3, 0.3],
    hiddenUnits: [8],
    seed: 2,
  });
  return { settings, split, network };
}

describe(selectTrainingRows.name, () => {
  it("holds out the newest fully mature day and gives the gate the judging cards' settled rows since", () => {
    const settings = testSettings({ chargebackWindowMs: 3 * DAY_MS });
    const { split } = selectTrainingRows(stream.scores, stream.labels, request, settings, TEST_FEATURE_SET);
    // Mature until day 12: the hold-out is day 11.
    expect(split.holdoutStart).toBe(T0 + 11 * DAY_MS);
    expect(split.recentTest.length).toBeGreaterThan(0);
    expect(split.recentTest.every((r) => r.eventTime >= T0 + 12 * DAY_MS)).toBe(true);
    // After the hold-out only settled rows remain: confirmed frauds (labels a day later) and verdicts.
    const settled = new Set([...stream.labels].map((l) => l.transaction_id));
    expect(
      split.recentTest.every((r) => settled.has(r.transactionId) || r.eventTime <= T0 + 12 * DAY_MS),
    ).toBe(true);
    expect(split.recentTest.some((r) => r.isFraud) && split.recentTest.some((r) => !r.isFraud)).toBe(true);
    // The cards with a confirmed fraud since the hold-out day alternate: half judge, half train.
    const fraudCards = (rows: readonly { cardId: string; isFraud: boolean }[]) =>
      new Set(rows.filter((r) => r.isFraud).map((r) => r.cardId));
    const gateCards = fraudCards(split.recentTest);
    const trainCards = fraudCards(split.train.filter((r) => r.eventTime >= split.holdoutEnd));
    expect([...gateCards].some((c) => trainCards.has(c))).toBe(false);
    expect(Math.abs(gateCards.size - trainCards.size)).toBeLessThanOrEqual(1);
  });

  it('gives the threshold every scored transaction of the newest day, settled or not, unless the recut is off', () => {
    const select = (thresholdRecutRatio: number) =>
      selectTrainingRows(
        stream.scores,
        stream.labels,
        request,
        testSettings({ thresholdRecutRatio }),
        TEST_FEATURE_SET,
      );
    expect(select(0).recentTraffic).toEqual([]);
    const on = select(1);
    const newestDay = stream.scores.filter(
      (s) => s.event_time >= request.event_time - DAY_MS && s.event_time < request.event_time,
    );
    expect(newestDay.length).toBeGreaterThan(0);
    expect(on.recentTraffic.map((r) => r.transactionId).sort()).toEqual(
      newestDay.map((s) => s.transaction_id).sort(),
    );
    // The analysts' verdicts and the payments nobody has settled yet alike.
    const verdictIds = new Set(verdicts.map((v) => v.transaction_id));
    expect(on.recentTraffic.some((r) => verdictIds.has(r.transactionId))).toBe(true);
    expect(on.recentTraffic.some((r) => !verdictIds.has(r.transactionId))).toBe(true);
  });

  it("trains on the unlabelled recent rows with soft targets only for the triggers set to, the judging cards' rows judging", () => {
    const settings = testSettings({ chargebackWindowMs: 3 * DAY_MS, softLabelTriggers: ['ALERT_PRECISION'] });
    const plain = selectTrainingRows(stream.scores, stream.labels, request, settings, TEST_FEATURE_SET);
    expect(plain.softLabelled).toBe(0);
    expect(plain.split.train.some((r) => r.target !== undefined)).toBe(false);
    const alarm = { ...request, trigger: 'ALERT_PRECISION' as const };
    const soft = selectTrainingRows(stream.scores, stream.labels, alarm, settings, TEST_FEATURE_SET);
    const softRows = soft.split.train.filter((r) => r.target !== undefined);
    expect(soft.softLabelled).toBe(softRows.length);
    expect(plain.recentSoft).toEqual([]);
    // The judging cards' unlabelled rows go to the gate, the other cards' train: no card on both sides.
    const judgingCards = new Set(soft.recentSoft.map((r) => r.cardId));
    expect(soft.recentSoft.length).toBeGreaterThan(0);
    expect(softRows.some((r) => judgingCards.has(r.cardId))).toBe(false);
    const gateCards = new Set(soft.split.recentTest.map((r) => r.cardId));
    const trainCards = new Set(
      soft.split.train.filter((r) => r.eventTime >= soft.split.holdoutEnd).map((r) => r.cardId),
    );
    for (const card of gateCards) expect(trainCards.has(card)).toBe(false);
    // Every unlabelled row after the mature horizon (day 12), and nothing else, on one side or the other.
    const labelled = new Set(
      stream.labels.filter((l) => l.event_time <= request.event_time).map((l) => l.transaction_id),
    );
    const expected = stream.scores.filter(
      (s) => s.role === 'CHAMPION' && s.event_time >= T0 + 12 * DAY_MS && !labelled.has(s.transaction_id),
    );
    expect([...softRows, ...soft.recentSoft].map((r) => r.transactionId).sort()).toEqual(
      expected.map((s) => s.transaction_id).sort(),
    );
    for (const r of [...softRows, ...soft.recentSoft]) {
      expect(r.isFraud).toBe(false);
      expect(r.target).toBeGreaterThanOrEqual(0);
      expect(r.target).toBeLessThan(0.5);
    }
    // The fixture's chargebacks come a day later: a row younger than that may still be a fraud.
    const young = softRows.filter((r) => r.eventTime > request.event_time - DAY_MS);
    expect(young.length).toBeGreaterThan(0);
    expect(young.every((r) => (r.target ?? 0) > 0)).toBe(true);
    // The gate's rows and the replay are the same as without them.
    expect(soft.split.recentTest).toEqual(plain.split.recentTest);
    expect(soft.split.test).toEqual(plain.split.test);
    expect(soft.replay).toEqual(plain.replay);
  });
});

describe("soft labels of the serving model's unreviewed alerts (TRAINER_SOFT_LABEL_ALERTS)", () => {
  const alarm = { ...request, trigger: 'ALERT_PRECISION' as const };
  const recent = (s: { event_time: number }) => s.event_time >= T0 + 12 * DAY_MS;
  // The serving model alerted on every verdict's payment, on the recent frauds, and on every fifth
  // recent payment nobody has settled yet. The analysts reviewed the recent frauds too.
  const verdictIds = new Set(verdicts.map((v) => v.transaction_id));
  const recentFrauds = generated.scores.filter((s) => recent(s) && fraudIds.has(s.transaction_id));
  const fraudVerdicts: Label[] = recentFrauds.map((s) => ({
    transaction_id: s.transaction_id,
    card_id: s.card_id,
    terminal_id: 't',
    is_fraud: true,
    source: 'ANALYST',
    transaction_time: s.event_time,
    event_time: s.event_time + 3_600_000,
  }));
  const scores = generated.scores.map((s, i) => ({
    ...s,
    is_alert:
      verdictIds.has(s.transaction_id) || fraudIds.has(s.transaction_id) || (recent(s) && i % 5 === 0),
  }));
  const labels = [...stream.labels, ...fraudVerdicts];
  const select = (softLabelAlerts: 'window-rate' | 'leave-out' | 'reviewed-share') =>
    selectTrainingRows(
      scores,
      labels,
      alarm,
      testSettings({
        chargebackWindowMs: 3 * DAY_MS,
        softLabelTriggers: ['ALERT_PRECISION'],
        softLabelAlerts,
      }),
      TEST_FEATURE_SET,
    );
  const softRows = (selected: ReturnType<typeof select>) => [
    ...selected.split.train.filter((r) => r.target !== undefined),
    ...selected.recentSoft,
  ];

  it("window-rate: an unreviewed alert aims at the window's fraud rate, as any unlabelled row", () => {
    const selected = select('window-rate');
    const alerts = softRows(selected).filter((r) => r.alerted === true);
    expect(alerts.length).toBeGreaterThan(0);
    expect(selected.softLabelAlerts).toEqual({ rows: alerts.length, fraudShare: null });
  });

  it('leave-out: an unreviewed alert neither trains nor judges; the other unlabelled rows are as before', () => {
    const before = softRows(select('window-rate'));
    const selected = select('leave-out');
    expect(
      softRows(selected)
        .map((r) => r.transactionId)
        .sort(),
    ).toEqual(
      before
        .filter((r) => r.alerted !== true)
        .map((r) => r.transactionId)
        .sort(),
    );
    expect(selected.softLabelAlerts).toEqual({ rows: 0, fraudShare: null });
  });

  it("reviewed-share: an unreviewed alert aims at the share of frauds in the analysts' verdicts on recent alerts", () => {
    const selected = select('reviewed-share');
    // The verdicts known when the request was made (a verdict comes an hour after its payment).
    const known = (l: Label) => l.event_time <= alarm.event_time;
    const frauds = fraudVerdicts.filter(known).length;
    const reviewed = verdicts.filter(known).length + frauds;
    expect(reviewed).toBeGreaterThanOrEqual(30);
    expect(selected.softLabelAlerts.fraudShare).toBeCloseTo(frauds / reviewed, 12);
    const rows = softRows(selected);
    const windowRate = new Map(softRows(select('window-rate')).map((r) => [r.transactionId, r.target]));
    const alerts = rows.filter((r) => r.alerted === true);
    expect(alerts.length).toBe(selected.softLabelAlerts.rows);
    // A share of frauds far above the window's fraud rate: each alert's target is at least as high
    // (0 for both once its chargeback would have come: the fixture's come a day later), a young
    // one's higher; the other rows' targets are the same.
    for (const r of alerts)
      expect(r.target ?? 0).toBeGreaterThanOrEqual(windowRate.get(r.transactionId) ?? 1);
    const young = alerts.filter((r) => r.eventTime > alarm.event_time - DAY_MS);
    expect(young.length).toBeGreaterThan(0);
    for (const r of young) expect(r.target ?? 0).toBeGreaterThan(windowRate.get(r.transactionId) ?? 1);
    for (const r of rows.filter((r) => r.alerted !== true))
      expect(r.target).toBe(windowRate.get(r.transactionId));
  });
});

describe(checkTrainingRows.name, () => {
  it('refuses a window whose hold-out day has too few frauds to rank', () => {
    const settings = testSettings({ chargebackWindowMs: 3 * DAY_MS, minHoldoutPositives: 10_000 });
    const selected = selectTrainingRows(stream.scores, stream.labels, request, settings, TEST_FEATURE_SET);
    expect(() => checkTrainingRows(selected, settings)).toThrow(TrainingJobError);
  });
});

describe(trainChallenger.name, () => {
  beforeAll(() => initTfjsWasm());

  /** A parent of the synthetic stream's four features, 8-4 hidden units. */
  const smallParent = () =>
    MlpNetwork.create({ mean: [0, 0, 5, 0.5], std: [0.6, 0.6, 3, 0.3], hiddenUnits: [8, 4], seed: 1 });

  it('aggregates a delayed and a feedback model into one network, and warm-starts each half from it next time', async () => {
    const settings = testSettings({
      chargebackWindowMs: 3 * DAY_MS,
      strategy: 'aggregate',
      fineTuneEpochs: 2,
    });
    const selected = selectTrainingRows(stream.scores, stream.labels, request, settings, TEST_FEATURE_SET);
    const parent = smallParent();
    const first = await trainChallenger({ parent, parentComponents: null, selected, settings });
    expect(first.strategy).toBe('aggregate');
    expect(first.network.hiddenUnits).toEqual([16, 8]);
    expect(first.components).toEqual({ feedback: [8, 4], delayed: [8, 4], feedbackWeight: 0.5 });
    const second = await trainChallenger({
      parent: first.network,
      parentComponents: first.components,
      selected,
      settings,
    });
    // The halves are retrained, not doubled again.
    expect(second.network.hiddenUnits).toEqual([16, 8]);
    const mixed = await trainChallenger({
      parent,
      parentComponents: null,
      selected,
      settings: { ...settings, strategy: 'mixed' },
    });
    expect(mixed.network.hiddenUnits).toEqual([8, 4]);
    expect(mixed.components).toBeNull();
    for (const n of [parent, first.network, second.network, mixed.network]) n.dispose();
  });

  it("averages TRAINER_FINE_TUNE_SOUP copies, shuffled by seeds seed on, into one network of the parent's shape", async () => {
    const settings = testSettings({ chargebackWindowMs: 3 * DAY_MS, fineTuneEpochs: 2, seed: 7 });
    const selected = selectTrainingRows(stream.scores, stream.labels, request, settings, TEST_FEATURE_SET);
    const parent = smallParent();
    const singles = [];
    for (const seed of [7, 8, 9])
      singles.push(
        await trainChallenger({ parent, parentComponents: null, selected, settings: { ...settings, seed } }),
      );
    const soup = await trainChallenger({
      parent,
      parentComponents: null,
      selected,
      settings: { ...settings, fineTuneSoup: 3 },
    });
    expect(soup.soup).toBe(3);
    expect(singles.map((single) => single.soup)).toEqual([1, 1, 1]);
    expect(soup.network.hiddenUnits).toEqual([8, 4]);
    const copies = singles.map((single) => single.network.snapshot());
    // The copies differ (the shuffles do), and the soup is their mean weight by weight.
    expect(Array.from(copies[0]?.[0] ?? [])).not.toEqual(Array.from(copies[1]?.[0] ?? []));
    soup.network.snapshot().forEach((values, v) => {
      values.forEach((value, j) => {
        const mean = copies.reduce((sum, copy) => sum + (copy[v]?.[j] ?? Number.NaN), 0) / copies.length;
        expect(value).toBeCloseTo(mean, 5);
      });
    });
    // The first copy is the single challenger of the same seed: epochs and rows are its.
    expect(soup.bestEpoch).toBe(singles[0]?.bestEpoch);
    expect(soup.rows).toBe(singles[0]?.rows);
    for (const n of [parent, soup.network, ...singles.map((single) => single.network)]) n.dispose();
  });

  it('with TRAINER_FINE_TUNE_AVERAGE_WEIGHTS a full-epochs challenger is the mean of its last patience + 1 epochs', async () => {
    const settings = testSettings({
      chargebackWindowMs: 3 * DAY_MS,
      fineTuneEpochs: 4,
      patience: 2,
      seed: 7,
    });
    const selected = selectTrainingRows(stream.scores, stream.labels, request, settings, TEST_FEATURE_SET);
    const parent = smallParent();
    const challenger = (epochs: number, average: boolean) =>
      trainChallenger({
        parent,
        parentComponents: null,
        selected,
        settings: { ...settings, fineTuneEpochs: epochs, fineTuneAverageWeights: average },
        fullEpochs: true,
      });
    // A run of k epochs ends where a longer run with the same seed is after its k-th.
    const ends = [await challenger(2, false), await challenger(3, false), await challenger(4, false)];
    const averaged = await challenger(4, true);
    const snapshots = ends.map((end) => end.network.snapshot());
    expect(averaged.network.snapshot()).not.toEqual(snapshots[2]);
    averaged.network.snapshot().forEach((values, v) => {
      values.forEach((value, j) => {
        const mean = snapshots.reduce((sum, w) => sum + (w[v]?.[j] ?? Number.NaN), 0) / snapshots.length;
        expect(value).toBeCloseTo(mean, 5);
      });
    });
    for (const n of [parent, averaged.network, ...ends.map((end) => end.network)]) n.dispose();
  });

  it('fine-tunes an ensemble parent network by network (seeds seed on) and joins them: the challenger stays an ensemble', async () => {
    const settings = testSettings({ chargebackWindowMs: 3 * DAY_MS, fineTuneEpochs: 2, seed: 7 });
    const selected = selectTrainingRows(stream.scores, stream.labels, request, settings, TEST_FEATURE_SET);
    const nets = [1, 2, 3].map((seed) =>
      MlpNetwork.create({ mean: [0, 0, 5, 0.5], std: [0.6, 0.6, 3, 0.3], hiddenUnits: [8, 4], seed }),
    );
    const parent = MlpNetwork.ensemble(nets);
    const ensemble = await trainChallenger({
      parent,
      parentComponents: null,
      selected,
      settings,
      parentEnsemble: 3,
    });
    expect(ensemble.ensemble).toBe(3);
    expect(ensemble.network.hiddenUnits).toEqual([24, 12]);
    const members = (ensemble.network as MlpNetwork).ensembleMembers(3);
    expect(members).toHaveLength(3);
    // Network i is network i of the parent fine-tuned alone with seed 7 + i.
    const x = toTrainingMatrix(selected.split.test, TEST_FEATURES.length);
    for (const [i, net] of nets.entries()) {
      const alone = await trainChallenger({
        parent: net,
        parentComponents: null,
        selected,
        settings: { ...settings, seed: 7 + i },
      });
      const a = alone.network.predict(x.x, x.rows);
      const b = members?.[i]?.predict(x.x, x.rows) ?? new Float32Array(0);
      const logit = (p: number) => Math.log(p / (1 - p));
      // The same hidden units; the output bias is the ensemble's shared one, so compare logits' differences.
      const shift = logit(a[0] ?? 0.5) - logit(b[0] ?? 0.5);
      let maxDiff = 0;
      for (let r = 0; r < x.rows; r++)
        maxDiff = Math.max(maxDiff, Math.abs(logit(a[r] ?? 0.5) - logit(b[r] ?? 0.5) - shift));
      expect(maxDiff).toBeLessThan(1e-3);
      alone.network.dispose();
    }
    // The same parent fine-tuned as one wide network (no parentEnsemble) mixes its blocks.
    const wide = await trainChallenger({ parent, parentComponents: null, selected, settings });
    expect(wide.ensemble).toBe(1);
    expect((wide.network as MlpNetwork).ensembleMembers(3)).toBeNull();
    for (const n of [...nets, parent, ensemble.network, wide.network, ...(members ?? [])]) n.dispose();
  });
});

describe(judgeChallenger.name, () => {
  beforeAll(() => initTfjsWasm());

  it("judges both models on the hold-out day and, apart, on the new regime's settled rows", () => {
    const { settings, split, network } = splitWithUntrainedNetwork();
    const judgement = judgeChallenger(
      network,
      { network, manifest: { threshold: 0.5, threshold_policy: { kind: 'daily-capacity', value: 20 } } },
      split,
      settings,
    );
    expect(judgement.gate.metrics.gate_rows).toBe(split.test.length);
    expect(judgement.gate.metrics.gate_recent_judged_rows).toBe(split.recentTest.length);
    expect(judgement.gate.metrics.recent_average_precision_gain).toBeCloseTo(0, 12);
    // The same network on both sides: no gain, so the gate (margin 0.01) refuses it.
    expect(judgement.gate.metrics.average_precision_gain).toBeCloseTo(0, 12);
    expect(judgement.gate.passed).toBe(false);
    expect(judgement.gate.metrics.gate_soft_rows).toBeUndefined();
    network.dispose();
  });

  it("refuses a challenger that misses one region's frauds, with both models' per-segment table and the reason", () => {
    // 4,000 judging rows, each its own card: a fraud when f0 plus a jitter the models do not see
    // exceeds 0.9 (so both miss some frauds and alert on some legitimate rows); f1 is 1 in the west.
    const regions = ['north', 'south', 'east', 'west'];
    const test: TrainingRow[] = Array.from({ length: 4_000 }, (_, i) => {
      const f0 = ((i * 7919) % 4_000) / 4_000;
      const region = regions[i % 4] ?? 'north';
      return {
        transactionId: `t${i}`,
        cardId: `c${i}`,
        eventTime: T0 + i,
        features: [f0, region === 'west' ? 1 : 0],
        isFraud: f0 + (((i * 104_729) % 1_000) / 1_000) * 0.2 - 0.1 > 0.9,
        segments: { age_band: null, region },
      };
    });
    const split: WindowSplit = {
      train: [],
      validation: [],
      test,
      recentTest: [],
      older: [],
      isRecentGateCard: () => false,
      holdoutStart: T0,
      holdoutEnd: T0 + DAY_MS,
    };
    // Both score f0 alike; the challenger also pushes every west payment far down.
    const net = (west: number) =>
      MlpNetwork.fromWeights({
        mean: [0, 0],
        std: [1, 1],
        layers: [{ weights: [[40], [west]], bias: [-36] }],
      });
    const champion = net(0);
    const fair = net(0);
    const unfair = net(-30);
    const manifest = { threshold: 0.5, threshold_policy: { kind: 'daily-capacity' as const, value: 400 } };
    const settings = testSettings();

    const refused = judgeChallenger(unfair, { network: champion, manifest }, split, settings);
    expect(refused.gate.passed).toBe(false);
    expect(refused.gate.reason).toMatch(
      /fairness: recall gap across region widened from 0\.\d{4} \(champion\) to 0\.\d{4} \(challenger: \w+ 0\.\d{4}, west 0\.0000\)/,
    );
    const recall = (rows: readonly SegmentMetrics[] | null | undefined) =>
      Object.fromEntries((rows ?? []).map((m) => [m.value, m.recall]));
    const challengerRecall = recall(refused.segments.model);
    const championRecall = recall(refused.segments.champion);
    expect(challengerRecall.west).toBe(0);
    expect(championRecall.west).toBeGreaterThan(0.4);
    expect(Object.keys(challengerRecall)).toEqual(['east', 'north', 'south', 'west']);
    expect(refused.segments.rows).toBe(test.length);

    // The same weights as the champion's: checked, and no gap widened (refused for AP only).
    const same = judgeChallenger(fair, { network: champion, manifest }, split, settings);
    expect(same.gate.metrics.fairness_checks).toBeGreaterThan(0);
    expect(same.gate.reason).not.toMatch(/fairness/);
    for (const n of [champion, fair, unfair]) n.dispose();
  });

  it("cuts a count-a-day threshold on the newest day's traffic when the champion's count no longer holds there", () => {
    // The score rises with f0. On the hold-out day f0 spreads over [0, 1); on the newest day the
    // legitimate payments have moved up by 0.5, so the hold-out's cut alerts on far more of them.
    const row = (i: number, day: number, shift: number): TrainingRow => ({
      transactionId: `t${day}-${i}`,
      cardId: `c${i}`,
      eventTime: T0 + day * DAY_MS + i * 60_000,
      features: [((i * 7919) % 1_000) / 1_000 + shift, 0],
      isFraud: false,
    });
    const holdout = Array.from({ length: 1_000 }, (_, i) => row(i, 0, 0));
    const split: WindowSplit = {
      train: [],
      validation: holdout.slice(0, 500),
      test: holdout.slice(500),
      recentTest: [],
      older: [],
      isRecentGateCard: () => false,
      holdoutStart: T0,
      holdoutEnd: T0 + DAY_MS,
    };
    const network = MlpNetwork.fromWeights({
      mean: [0, 0],
      std: [1, 1],
      layers: [{ weights: [[4], [0]], bias: [-4] }],
    });
    const policy: ModelManifest['threshold_policy'] = { kind: 'daily-capacity', value: 20 };
    // At 0.5 the champion alerts on every shifted payment with f0 >= 1 (about 500, 25 times its 20);
    // at 0.87 on those with f0 >= 1.475 (about 25, 1.25 times).
    const flooded = { network, manifest: { threshold: 0.5, threshold_policy: policy } };
    const holding = { network, manifest: { threshold: 0.87, threshold_policy: policy } };
    const shifted = Array.from({ length: 1_000 }, (_, i) => row(i, 7, 0.5));
    const alertsOn = (rows: readonly TrainingRow[], threshold: number) => {
      const m = toTrainingMatrix(rows, 2);
      return Array.from(network.predict(m.x, m.rows)).filter((s) => s >= threshold).length;
    };
    const judge = (champion: typeof flooded, ratio: number, recent: readonly TrainingRow[] = shifted) =>
      judgeChallenger(
        network,
        champion,
        split,
        testSettings({ thresholdRecutRatio: ratio }),
        [],
        null,
        recent,
      );

    const onHoldout = judge(flooded, 0);
    expect(onHoldout.thresholdTraffic).toEqual({ rows: 1_000, recent: false, championAlerts: null });
    expect(alertsOn(holdout, onHoldout.threshold)).toBe(20);
    expect(alertsOn(shifted, onHoldout.threshold)).toBeGreaterThan(400);

    const recut = judge(flooded, 2);
    expect(recut.thresholdTraffic.recent).toBe(true);
    expect(recut.thresholdTraffic.championAlerts).toBeGreaterThan(400);
    expect(alertsOn(shifted, recut.threshold)).toBe(20);

    // The champion's count still holds on the newest day (within 2 times): the hold-out's cut.
    const held = judge(holding, 2);
    expect(held.thresholdTraffic.championAlerts).toBeGreaterThan(20);
    expect(held.thresholdTraffic.championAlerts).toBeLessThan(40);
    expect(held.thresholdTraffic.recent).toBe(false);
    expect(held.threshold).toBe(onHoldout.threshold);
    // ... and a ratio of 1 always recuts.
    expect(judge(holding, 1).thresholdTraffic.recent).toBe(true);

    // A newest day with under half the hold-out day's transactions (a gap in the stream): the hold-out's.
    const partial = judge(flooded, 2, shifted.slice(0, 400));
    expect(partial.thresholdTraffic.recent).toBe(false);
    expect(partial.threshold).toBe(onHoldout.threshold);
    // A precision to reach needs labels: always the hold-out's.
    const precision = { threshold: 0.5, threshold_policy: { kind: 'target-precision' as const, value: 0.5 } };
    expect(judge({ network, manifest: precision }, 1).thresholdTraffic.recent).toBe(false);
    network.dispose();
  });

  it("judges a soft-labelled request on the judging cards' whole new-regime traffic too", () => {
    const settings = testSettings({ chargebackWindowMs: 3 * DAY_MS, softLabelTriggers: ['ALERT_PRECISION'] });
    const alarm = { ...request, trigger: 'ALERT_PRECISION' as const };
    const { split, recentSoft } = selectTrainingRows(
      stream.scores,
      stream.labels,
      alarm,
      settings,
      TEST_FEATURE_SET,
    );
    const network = MlpNetwork.create({
      mean: [0, 0, 5, 0.5],
      std: [0.6, 0.6, 3, 0.3],
      hiddenUnits: [8],
      seed: 2,
    });
    const champion = { threshold: 0.5, threshold_policy: { kind: 'daily-capacity' as const, value: 20 } };
    const judgement = judgeChallenger(network, { network, manifest: champion }, split, settings, recentSoft);
    expect(judgement.gate.metrics.gate_soft_rows).toBe(split.recentTest.length + recentSoft.length);
    expect(judgement.gate.metrics.gate_soft_settled_rows).toBe(split.recentTest.length);
    const expected = [
      ...split.recentTest.map((r) => (r.isFraud ? 1 : 0)),
      ...recentSoft.map((r) => r.target ?? 0),
    ];
    expect(judgement.gate.metrics.gate_soft_expected_frauds).toBeCloseTo(
      expected.reduce((a, b) => a + b, 0),
      9,
    );
    expect(judgement.gate.metrics.soft_average_precision_gain).toBeCloseTo(0, 12);
    expect(judgement.gate.passed).toBe(false);
    network.dispose();
  });
});

describe(challengerReference.name, () => {
  beforeAll(() => initTfjsWasm());

  it("leaves the new regime's early-confirmed frauds the challenger scores below its threshold out of the novelty reference", () => {
    const { split, network } = splitWithUntrainedNetwork();
    const recent = [...split.train, ...split.recentTest].filter(
      (r) => r.isFraud && r.eventTime >= split.holdoutEnd,
    );
    expect(recent.length).toBeGreaterThan(10);
    const summarised = (learntAbove?: number) =>
      challengerReference(network, split, TEST_FEATURES, learntAbove === undefined ? {} : { learntAbove })
        .novelty?.null_count ?? 0;
    const all = summarised();
    // Nothing learnt: only the mature window's frauds are known; everything learnt: as without the option.
    expect(summarised(Number.POSITIVE_INFINITY)).toBe(all - recent.length);
    expect(summarised(Number.NEGATIVE_INFINITY)).toBe(all);
    // At a threshold between: exactly the recent frauds scored at or above it go in.
    const matrix = toTrainingMatrix(recent, network.inputWidth);
    const scores = Array.from(network.predict(matrix.x, matrix.rows)).sort((a, b) => a - b);
    const threshold = scores[Math.floor(scores.length / 2)] ?? 0;
    const learnt = scores.filter((v) => v >= threshold).length;
    expect(learnt).toBeLessThan(recent.length);
    expect(summarised(threshold)).toBe(all - recent.length + learnt);
    network.dispose();
  });
});
