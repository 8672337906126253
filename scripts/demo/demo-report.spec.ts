import { DAY_MS, type DriftEvent, type ModelDeployment } from '@fraudstream/contracts';
import { describe, expect, it } from 'vitest';
import {
  apByDay,
  apRecoveryRatio,
  deliveryCounts,
  firstDriftEventDay,
  firstRedeployment,
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
  features: null,
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

  it('divides the mean AP of the two days after the first redeployment by the oracle mean', () => {
    const ap = [0.9, 0.5, 0.6, 0.8, 0.7];
    const oracle = [null, 0.9, 0.9, 0.9, 0.8];
    // Deployed on day 2: days 3 and 4: (0.8 + 0.7) / 2 / ((0.9 + 0.8) / 2) = 1.5 / 1.7.
    const { ratio, days } = apRecoveryRatio(ap, oracle, 2);
    expect(days).toEqual([3, 4]);
    expect(ratio).toBeCloseTo(1.5 / 1.7, 12);
    expect(apRecoveryRatio(ap, oracle, 3).ratio).toBeNull(); // day 5 was never streamed
    expect(apRecoveryRatio(ap, oracle, null)).toEqual({ ratio: null, days: [] });
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
    const observation = new LoopObservation(START, 0, 0);
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
  });
});

describe('demo options and topics', () => {
  it('defaults to the new fraud pattern after a warm-up and refuses an onset inside it', () => {
    const options = parseDemoArgs([], { cwd: '/repo', isTty: false, runId: 'r1' });
    expect(options).toMatchObject({
      scenario: 'new-fraud-pattern',
      headless: true,
      runDir: '/repo/var/demo/r1',
      reportPath: '/repo/var/demo/r1/report.json',
      keepInfra: false,
    });
    expect(parseDemoArgs(['--keep-infra'], { cwd: '/', isTty: false }).keepInfra).toBe(true);
    expect(options.driftDay).toBeGreaterThanOrEqual(options.warmupDays);
    expect(() =>
      parseDemoArgs(['--drift-day', '3', '--warmup-days', '5'], { cwd: '/', isTty: false }),
    ).toThrow(/warmup-days/);
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
