import { describe, expect, it } from 'vitest';
import { DAY_MS, type Label, type Transaction } from '@fraudstream/contracts';
import { defaultDriftSettings } from '@fraudstream/drift';
import type { ScoredTransaction } from '@fraudstream/training';
import { renderApChart } from './ap-chart';
import { dayRecords, periodicRequest, ReplaySource } from './policy-replay';
import { meanFrom, qualityGoals, type PolicySummary } from './quality-goals';
import { buildQualityStream, type StreamDay } from './quality-stream';

const T0 = Date.UTC(2026, 2, 2);

function row(id: string, at: number): ScoredTransaction {
  return {
    transaction_id: id,
    card_id: `card-${id}`,
    event_time: at,
    features: [1, 2],
    feature_set_version: 'fs-test',
    role: 'CHAMPION',
    model_version: 'logged',
  };
}

function label(id: string, at: number): Label {
  return {
    transaction_id: id,
    card_id: `card-${id}`,
    terminal_id: 'term-1',
    is_fraud: true,
    source: 'CHARGEBACK',
    transaction_time: at - DAY_MS,
    event_time: at,
  };
}

describe(periodicRequest.name, () => {
  it('asks at the end of a day for the training window ending then, as a triggered request ends at its decision', () => {
    const drift = defaultDriftSettings({ chargebackWindowMs: 7 * DAY_MS, trainingWindowMs: 14 * DAY_MS });
    const request = periodicRequest(T0 + 30 * DAY_MS, 'v3', drift);
    expect(request.window_end).toBe(T0 + 30 * DAY_MS);
    expect(request.window_start).toBe(T0 + 16 * DAY_MS);
    expect(request.event_time).toBe(T0 + 30 * DAY_MS);
    expect(request.model_version).toBe('v3');
    expect(request.trigger).toBe('SCHEDULED');
    expect(periodicRequest(T0 + 31 * DAY_MS, 'v3', drift).request_id).not.toBe(request.request_id);
  });
});

describe(ReplaySource.name, () => {
  it("hands the trainer the window's rows, each streamed one with the serving model's alert decision", async () => {
    const source = new ReplaySource(
      [
        row('history', T0 - DAY_MS),
        row('alerted', T0 + 100),
        row('quiet', T0 + 200),
        row('later', T0 + DAY_MS),
      ],
      [],
      new Map([
        ['alerted', true],
        ['quiet', false],
        ['later', true],
      ]),
    );
    const rows = await source.readScores(T0 - DAY_MS, T0 + DAY_MS);
    expect(rows.map((r) => [r.transaction_id, r.is_alert])).toEqual([
      // The history was never served: no alert decision, as a score computed offline.
      ['history', undefined],
      ['alerted', true],
      ['quiet', false],
    ]);
  });
});

describe(dayRecords.name, () => {
  const rows = [row('a', T0 + 100), row('b', T0 + 200), row('c', T0 + 300)];
  const day: StreamDay = {
    index: 0,
    start: T0,
    rows,
    isFraud: [false, true, false],
    scenarios: ['none', 'compromised-card', 'none'],
    transactions: rows.map((r) => ({ terminal_id: `t-${r.transaction_id}`, amount: 5 }) as Transaction),
    labels: [label('x', T0 + 50), label('y', T0 + 200), label('z', T0 + 400)],
  };

  it('interleaves scores and labels in event-time order, a label first when times tie', () => {
    const records = dayRecords(day, Float32Array.from([0.1, 0.9, 0.4]), { version: 'v2', threshold: 0.5 });
    expect(
      records.map((r) => (r.kind === 'score' ? r.score.transaction_id : `label:${r.label.transaction_id}`)),
    ).toEqual(['label:x', 'a', 'label:y', 'b', 'c', 'label:z']);
  });

  it('stamps each score with the serving model, its threshold and the alert decision', () => {
    const scores = dayRecords(day, Float32Array.from([0.1, 0.9, 0.5]), {
      version: 'v2',
      threshold: 0.5,
    }).flatMap((r) => (r.kind === 'score' ? [r.score] : []));
    expect(scores.map((s) => s.is_alert)).toEqual([false, true, true]);
    expect(
      scores.every((s) => s.model_version === 'v2' && s.role === 'CHAMPION' && s.threshold === 0.5),
    ).toBe(true);
    expect(scores[1]?.terminal_id).toBe('t-b');
    expect(scores[1]?.score).toBeCloseTo(0.9, 6);
  });
});

describe(qualityGoals.name, () => {
  const flat = (v: number, n = 6) => Array.from({ length: n }, () => v);

  it('averages AP from the onset day on', () => {
    expect(meanFrom([0.9, 0.9, 0.5, 0.7], 2)).toBeCloseTo(0.6, 12);
    expect(meanFrom([0.9], 3)).toBeNaN();
  });

  const summary = (
    apByDay: number[],
    retrains: number,
    over: Partial<PolicySummary> = {},
  ): PolicySummary => ({
    apByDay,
    retrains,
    firstRequestDay: null,
    firstRedeploymentDay: null,
    falseAlarmsBeforeOnset: 0,
    recommendations: 0,
    ...over,
  });

  it('passes new-fraud-pattern when triggered is early, keeps 95 % of periodic and oracle AP, with a third of the retrains', () => {
    // After day 2: triggered (0.76 + 0.76 + 0.8 + 0.8) / 4 = 0.78; periodic 0.8 -> 0.975; oracle 0.82 -> 0.951.
    const goals = qualityGoals(
      'new-fraud-pattern',
      {
        static: summary(flat(0.5), 0),
        triggered: summary([0.9, 0.9, 0.76, 0.76, 0.8, 0.8], 2, {
          firstRequestDay: 4,
          firstRedeploymentDay: 5,
        }),
        periodic: summary(flat(0.8), 6),
        oracle: summary(flat(0.82), 6),
      },
      2,
    );
    expect(goals).toEqual({
      no_false_alarm_before_onset: true,
      triggered_ap_at_least_95pct_of_periodic: true,
      triggered_retrains_at_most_third_of_periodic: true,
      first_request_within_2_days: true,
      serving_within_3_days: true,
      triggered_ap_at_least_95pct_of_oracle: true,
    });
  });

  it('fails each goal on its own boundary', () => {
    // 0.75 < 0.95 x 0.8 = 0.76; 3 x 3 = 9 > 8; request 3 days and serving 4 days after onset 0; 0.75 < 0.95 x 0.8.
    const goals = qualityGoals(
      'new-fraud-pattern',
      {
        triggered: summary(flat(0.75), 3, {
          firstRequestDay: 3,
          firstRedeploymentDay: 4,
          falseAlarmsBeforeOnset: 1,
        }),
        periodic: summary(flat(0.8), 8),
        oracle: summary(flat(0.8), 8),
      },
      0,
    );
    expect(Object.values(goals)).toEqual([false, false, false, false, false, false]);
  });

  it('asks silence of the stable and covariate-only streams', () => {
    expect(qualityGoals('stable', { triggered: summary(flat(0.9), 0) }, 3)).toEqual({
      no_false_alarm_before_onset: true,
      zero_retrains: true,
      zero_retrain_recommending_verdicts: true,
    });
    const noisy = qualityGoals(
      'covariate-only',
      { triggered: summary(flat(0.9), 0, { recommendations: 1 }) },
      3,
    );
    expect(noisy.zero_retrain_recommending_verdicts).toBe(false);
  });
});

describe(renderApChart.name, () => {
  it('draws one line per policy, a dot per deployment and escapes names', () => {
    const html = renderApChart({
      title: 'AP <by> day',
      subtitle: 's',
      driftOnsetDay: 1,
      series: [
        { name: 'static', color: '#999', values: [0.5, 0.4, 0.4] },
        { name: 'a&b', color: '#f00', values: [0.5, 0.4, 0.8], deployments: [2] },
      ],
    });
    expect(html.match(/<polyline/g)).toHaveLength(2);
    // One deployment dot plus the legend's dot.
    expect(html.match(/<circle/g)).toHaveLength(2);
    expect(html).toContain('a&amp;b');
    expect(html).toContain('AP &lt;by&gt; day');
    expect(html).not.toContain('NaN');
  });
});

describe(buildQualityStream.name, () => {
  it("scales the scenario's effect by the drift intensity: no new pattern at 0, more at 3 than at 1", async () => {
    const newPatternFrauds = async (driftIntensity?: number) => {
      const stream = await buildQualityStream({
        seed: 5,
        customers: 200,
        scenario: 'new-fraud-pattern',
        warmupDays: 1,
        historyDays: 1,
        streamDays: 4,
        driftDay: 1,
        ...(driftIntensity === undefined ? {} : { driftIntensity }),
      });
      return stream.days.flatMap((d) => d.scenarios).filter((s) => s === 'new-pattern').length;
    };
    const atOne = await newPatternFrauds();
    expect(atOne).toBeGreaterThan(0);
    expect(await newPatternFrauds(1)).toBe(atOne);
    expect(await newPatternFrauds(0)).toBe(0);
    expect(await newPatternFrauds(3)).toBeGreaterThan(2 * atOne);
  });
});
