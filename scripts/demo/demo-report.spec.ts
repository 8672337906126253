import {
  DAY_MS,
  type Alert,
  type DriftEvent,
  type Label,
  type ModelDeployment,
  type RetrainRequest,
} from '@fraudstream/contracts';
import type { ModelCard } from '@fraudstream/registry';
import { describe, expect, it } from 'vitest';
import {
  apByDay,
  apRecoveryRatio,
  deliveryCounts,
  falseAlarmsBeforeOnset,
  firstDriftEventDay,
  firstRedeployment,
  firstRetrainRequestDay,
  loggedFeaturesReport,
  meanAp,
  recommendationDays,
  servingModelReport,
} from './demo-report';
import type { ChampionScore } from './loop-observer';
import { LoopObservation } from './loop-observer';
import { parseDemoArgs } from './demo.options';
import { runTopicSpecs, runTopics } from './demo-topics';

const START = Date.UTC(2026, 0, 5);

const row = (day: number, score: number): ChampionScore => ({
  day,
  score,
  modelVersion: 'v1',
  cardId: 'c',
  eventTime: START + day * DAY_MS,
  features: null,
  place: null,
});

function deployment(version: string, stage: ModelDeployment['stage'], day: number): ModelDeployment {
  return {
    deployment_id: `${version}-${stage}`,
    kind: 'STAGE_CHANGE',
    model_version: version,
    stage,
    previous_version: null,
    parent_version: null,
    artifact_uri: 'file:///m',
    sha256: 'x',
    request_id: null,
    reason: '',
    metrics: {},
    instance_id: null,
    event_time: START + day * DAY_MS + 3600_000,
  };
}

function driftEvent(day: number, verdict: DriftEvent['verdict']): DriftEvent {
  return { window_start: START + day * DAY_MS, verdict } as DriftEvent;
}

/** A retrain-recommending event of the window of `day`, in `phase` (evidence raised at `at`). */
function recommending(day: number, phase: DriftEvent['phase'], at = 0): DriftEvent {
  const start = START + day * DAY_MS;
  const suffix = phase === 'MATURE' ? ':mature' : phase === 'EVIDENCE' ? `:evidence:${at}` : '';
  return {
    event_id: `v1:${start}${suffix}`,
    phase,
    window_start: start,
    window_end: start + DAY_MS,
    retrain_recommended: true,
  } as DriftEvent;
}

describe('demo report', () => {
  it('computes AP per day from the champion scores and the truth (sklearn definition)', () => {
    // Day 0: scores 0.9 (fraud), 0.8 (legit), 0.7 (fraud): AP = 1/2 * 1 + 1/2 * 2/3 = 5/6.
    // Day 1: no fraud: null. Day 2: the fraud ranked first: AP 1.
    const champion = new Map<string, ChampionScore>([
      ['a', row(0, 0.9)],
      ['b', row(0, 0.8)],
      ['c', row(0, 0.7)],
      ['d', row(1, 0.5)],
      ['e', row(2, 0.6)],
      ['f', row(2, 0.1)],
    ]);
    const truth = new Map([
      ['a', true],
      ['b', false],
      ['c', true],
      ['d', false],
      ['e', true],
      ['f', false],
    ]);
    const ap = apByDay(champion, truth, 3);
    expect(ap[0]).toBeCloseTo(5 / 6, 12);
    expect(ap[1]).toBeNull();
    expect(ap[2]).toBe(1);
  });

  it('divides the mean AP of the three days after the first redeployment by the oracle mean', () => {
    const ap = [0.9, 0.5, 0.6, 0.8, 0.7, 0.9];
    const oracle = [null, 0.9, 0.9, 0.9, 0.8, 1];
    // Deployed on day 2: days 3, 4 and 5: (0.8 + 0.7 + 0.9) / 3 / ((0.9 + 0.8 + 1) / 3) = 2.4 / 2.7.
    const { ratio, days } = apRecoveryRatio(ap, oracle, 2);
    expect(days).toEqual([3, 4, 5]);
    expect(ratio).toBeCloseTo(2.4 / 2.7, 12);
    expect(apRecoveryRatio(ap, oracle, 3).ratio).toBeNull(); // day 6 was never streamed
    expect(apRecoveryRatio(ap, oracle, null)).toEqual({ ratio: null, days: [] });
    expect(meanAp(ap, [1, 2])).toBeCloseTo(0.55, 12);
    expect(meanAp([0.5, null], [0, 1])).toBeNull();
  });

  it('counts retrain recommendations by the day they were decided, false alarms before the onset', () => {
    const chargebackWindow = 7 * DAY_MS;
    const events = [
      recommending(8, 'CLOSE'), // decided at the end of day 8
      recommending(2, 'MATURE'), // decided at the end of day 2 + 7 = day 9
      recommending(9, 'EVIDENCE', START + 10 * DAY_MS + 5 * 3_600_000), // raised at 05:00 on day 10
      { ...recommending(7, 'CLOSE'), retrain_recommended: false },
    ];
    expect(recommendationDays(events, START, chargebackWindow)).toEqual([8, 9, 10]);
    expect(falseAlarmsBeforeOnset(events, START, 10, chargebackWindow)).toBe(2);
    expect(falseAlarmsBeforeOnset(events, START, 8, chargebackWindow)).toBe(0);
  });

  it('dates the first retrain request by its event time', () => {
    const request = (day: number) => ({ event_time: START + day * DAY_MS + 3_600_000 }) as RetrainRequest;
    expect(firstRetrainRequestDay([request(12), request(10)], START)).toBe(10);
    expect(firstRetrainRequestDay([], START)).toBeNull();
  });

  it('takes the first production model after the base as the redeployment', () => {
    const events = [
      deployment('v1', 'PRODUCTION', 0),
      deployment('v2', 'REJECTED', 9),
      deployment('v3', 'SHADOW', 12),
      deployment('v3', 'PRODUCTION', 13),
    ];
    expect(firstRedeployment(events, 'v1')?.model_version).toBe('v3');
    expect(firstRedeployment(events.slice(0, 3), 'v1')).toBeNull();
  });

  it('dates the first drift at or after the onset, ignoring quiet verdicts and earlier drift', () => {
    const events = [
      driftEvent(7, 'PREDICTION_DRIFT'),
      driftEvent(9, 'NO_DRIFT'),
      driftEvent(11, 'PERFORMANCE_DRIFT'),
      driftEvent(10, 'INSUFFICIENT_DATA'),
      driftEvent(10, 'LABEL_DRIFT'),
    ];
    expect(firstDriftEventDay(events, START, 9)).toBe(10);
    expect(firstDriftEventDay(events.slice(0, 2), START, 9)).toBeNull();
  });

  it('counts produced transactions never scored as lost and repeated scores as duplicates', () => {
    const observation = new LoopObservation(START, 0);
    const score = (id: string, role: 'CHAMPION' | 'CHALLENGER') => ({
      transaction_id: id,
      card_id: 'c',
      terminal_id: 't',
      amount: 1,
      event_time: START,
      ingest_time: START,
      scored_at: START,
      score: 0.1,
      threshold: 0.5,
      is_alert: false,
      model_version: 'v1',
      role,
      feature_set_version: 'fs-v1',
      features: [1],
    });
    observation.addScores([
      score('t1', 'CHAMPION'),
      score('t1', 'CHALLENGER'),
      score('t2', 'CHAMPION'),
      score('t2', 'CHAMPION'),
      score('t1', 'CHALLENGER'),
    ]);
    const produced = new Set(['t1', 't2', 't3']);
    expect(deliveryCounts(produced, observation.champion, observation.duplicates)).toEqual({
      produced: 3,
      scored: 2,
      lost: 1,
      duplicates: 2,
    });
    // With each record's place on the topic: the same records handed again to a reader whose group
    // rejoined are not duplicates; another record of a scored transaction is.
    const placed = new LoopObservation(START, 0);
    placed.addScores([score('t1', 'CHAMPION'), score('t1', 'CHALLENGER')], ['0:10', '0:11']);
    placed.addScores([score('t1', 'CHAMPION'), score('t1', 'CHALLENGER')], ['0:10', '0:11']);
    expect(placed.duplicates).toBe(0);
    placed.addScores([score('t1', 'CHAMPION')], ['1:4']);
    expect(placed.duplicates).toBe(1);
    expect(placed.champion.size).toBe(1);
  });
});

describe('demo options and topics', () => {
  it('defaults to the new fraud pattern at the default intensity after the history and refuses an onset inside it', () => {
    const options = parseDemoArgs([], { cwd: '/repo', isTty: false, runId: 'r1' });
    expect(options).toMatchObject({
      scenario: 'new-fraud-pattern',
      driftIntensity: 1,
      historyDays: 44,
      featureWarmupDays: 30,
      driftDay: 47,
      days: 57,
      oracle: true,
      headless: true,
      runDir: '/repo/var/demo/r1',
      reportPath: '/repo/var/demo/r1/report.json',
      keepInfra: false,
    });
    expect(parseDemoArgs(['--keep-infra'], { cwd: '/', isTty: false }).keepInfra).toBe(true);
    expect(parseDemoArgs(['--history-days', '50'], { cwd: '/', isTty: false })).toMatchObject({
      driftDay: 53,
      days: 63,
    });
    expect(options.driftDay).toBeGreaterThanOrEqual(options.historyDays);
    expect(() =>
      parseDemoArgs(['--drift-day', '43', '--history-days', '44'], { cwd: '/', isTty: false }),
    ).toThrow(/history/);
    expect(() => parseDemoArgs(['--scenario', 'nope'], { cwd: '/', isTty: false })).toThrow(/scenario/);
  });

  it('names every topic of a run, dead-letter topics included, under the run prefix', () => {
    const topics = runTopics('r1');
    expect(topics.scores).toBe('demo.r1.tx.scores.v1');
    const specs = runTopicSpecs('r1');
    expect(specs.every((s) => s.name.startsWith('demo.r1.'))).toBe(true);
    expect(specs.map((s) => s.name)).toContain('demo.r1.tx.scores.v1.dlq');
    expect(specs.every((s) => s.retentionMs <= DAY_MS)).toBe(true);
  });
});

describe(LoopObservation.name, () => {
  it('prints an alarm once while it holds over the next checks with the same counts', () => {
    const observation = new LoopObservation(START, 0);
    const check = (hour: number, frauds: number) =>
      ({
        ...recommending(9, 'EVIDENCE', START + 10 * DAY_MS + hour * 3_600_000),
        model_version: 'v1',
        verdict: 'PERFORMANCE_DRIFT',
        evidence: {
          kind: 'NEW_PATTERN',
          investigation_frauds: frauds,
          investigation_verdicts: 40,
          investigations: 40,
          novel_missed_frauds: 25,
          missed_chargebacks: 20,
          chargebacks: 166,
          missed_cusum: 0,
          false_alerts: 189,
          alert_reviews: 446,
          false_alert_cusum: 0,
        },
      }) as DriftEvent;
    // Checks at 02:00, 05:00 and 08:00 with the same counts, one at 10:00 with a new verdict; and
    // the 02:00 event again (a redelivery).
    observation.addDriftEvents([check(2, 20), check(5, 20), check(8, 20), check(10, 21), check(2, 20)]);
    expect(observation.notices.map((n) => n.text)).toEqual([
      'evidence v1: NEW_PATTERN: 20 frauds in 40 investigation verdicts (40 raised), 25 novel missed frauds, ' +
        '20 of 166 chargebacks missed (CUSUM 0.0), 189 of 446 reviewed alerts false (CUSUM 0.0), retrain recommended',
      'evidence v1: NEW_PATTERN: 21 frauds in 40 investigation verdicts (40 raised), 25 novel missed frauds, ' +
        '20 of 166 chargebacks missed (CUSUM 0.0), 189 of 446 reviewed alerts false (CUSUM 0.0), retrain recommended',
    ]);
    expect(observation.driftEvents).toHaveLength(5);
  });

  it('counts investigations once, and the analysts verdicts and frauds among them', () => {
    const observation = new LoopObservation(START, 0);
    const alert = (id: string, kind: Alert['kind']) =>
      ({
        alert_id: kind === 'SCORE' ? `${id}:v1` : `investigate:${id}`,
        kind,
        raised_at: kind === 'SCORE' ? null : START + 5 * 3_600_000,
        note: 'new pattern: like confirmed missed fraud tx-seed',
        transaction_id: id,
        card_id: `card-${id}`,
        event_time: START,
      }) as Alert;
    const verdict = (id: string, isFraud: boolean) =>
      ({ transaction_id: id, is_fraud: isFraud, source: 'ANALYST', event_time: START }) as Label;
    observation.addAlerts([alert('a', 'INVESTIGATE'), alert('b', 'INVESTIGATE'), alert('c', 'SCORE')]);
    // A re-published investigation is the same one; the verdict may be read before its alert.
    observation.addLabels([verdict('a', true), verdict('c', true), verdict('d', false)]);
    observation.addAlerts([alert('a', 'INVESTIGATE'), alert('d', 'INVESTIGATE')]);
    expect(observation.investigationCounts()).toEqual({ raised: 3, verdicts: 2, frauds: 1 });
    expect(observation.alerts).toBe(1);
    // One notice per check, however many batches its alerts came in.
    expect(observation.notices.map((n) => n.text)).toEqual([
      'investigate 3 transactions of 3 card(s) at 05:00, like confirmed missed fraud tx-seed',
    ]);
  });
});

describe(servingModelReport.name, () => {
  it("reports the serving model's per-segment table from its card, rates rounded, and null for a card without one", () => {
    const segment = (value: string, fpr: number, recall: number | null) => ({
      attribute: 'region',
      value,
      rows: 1000,
      frauds: recall === null ? 0 : 30,
      false_positive_rate: fpr,
      recall,
    });
    const table = {
      rows: 2000,
      model: [segment('north', 0.012345, 2 / 3), segment('south', 0.01, null)],
      champion: [segment('north', 0.02, 0.5), segment('south', 0.011111, null)],
    };
    const card = { segments: table } as unknown as ModelCard;
    expect(servingModelReport({ version: 'v3', model_card: card })).toEqual({
      version: 'v3',
      segments: {
        rows: 2000,
        model: [segment('north', 0.0123, 0.6667), segment('south', 0.01, null)],
        champion: [segment('north', 0.02, 0.5), segment('south', 0.0111, null)],
      },
    });
    expect(servingModelReport({ version: 'v1', model_card: {} as ModelCard }).segments).toBeNull();
    expect(servingModelReport({ version: 'v1' }).segments).toBeNull();
  });
});

describe(loggedFeaturesReport.name, () => {
  it("sums the check over the history's days and the paced ones, and keeps the five features most often off", () => {
    const features = ['a', 'b', 'c', 'd', 'e', 'f'].map((name, i) => ({ name, differing: 60 - 10 * i }));
    const check = {
      days: [
        { day: 42, rows: 100, differing: 90 },
        { day: 43, rows: 100, differing: 80 },
        { day: 44, rows: 100, differing: 2 },
        { day: 45, rows: 50, differing: 0 },
      ],
      features,
    };
    const report = loggedFeaturesReport(check, 'fs-v1', 44);
    expect(report.history).toEqual({ rows: 200, differing: 170 });
    expect(report.paced).toEqual({ rows: 150, differing: 2 });
    expect(report.differing_by_day).toEqual(check.days);
    expect(report.features.map((f) => f.name)).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(report.feature_set).toBe('fs-v1');
  });
});
