import { DAY_MS, type DriftEvent, type ModelDeployment, type RetrainRequest } from '@fraudstream/contracts';
import { describe, expect, it } from 'vitest';
import { SAMPLE_RECORDS } from '../../../tests/support/sample-records';
import { DriftTimeline } from './drift-timeline';

const base = SAMPLE_RECORDS['ml.drift-events.v1'];
const day = (d: number) => Date.UTC(2026, 0, 5) + d * DAY_MS;

function event(phase: DriftEvent['phase'], d: number, overrides: Partial<DriftEvent> = {}): DriftEvent {
  const suffix = phase === 'CLOSE' ? '' : `:${phase.toLowerCase()}`;
  return {
    ...base,
    phase,
    window_start: day(d),
    window_end: day(d + 1),
    event_id: `v1:${day(d)}${suffix}`,
    ...overrides,
  };
}

function deployment(
  version: string,
  stage: ModelDeployment['stage'],
  requestId: string | null,
  t: number,
  kind: ModelDeployment['kind'] = 'STAGE_CHANGE',
): ModelDeployment {
  return {
    ...SAMPLE_RECORDS['ml.model-deployments.v1'],
    deployment_id: `${version}-${stage}-${t}`,
    kind,
    model_version: version,
    stage,
    request_id: requestId,
    event_time: day(t),
    reason: `${stage} reason`,
  };
}

describe(DriftTimeline.name, () => {
  it('pairs each window’s close and mature verdicts per model, newest first, and keeps evidence apart', () => {
    const t = new DriftTimeline();
    t.applyDriftEvents([
      event('CLOSE', 0),
      event('CLOSE', 1),
      event('MATURE', 0, { average_precision: 0.7 }),
      event('EVIDENCE', 1, { event_id: 'v1:evidence:1' }),
      event('CLOSE', 1), // a replay changes nothing
    ]);
    const view = t.view();
    expect(view.windows.map((w) => [w.windowStart, w.close !== null, w.mature !== null])).toEqual([
      [day(1), true, false],
      [day(0), true, true],
    ]);
    expect(view.evidence.map((e) => e.event_id)).toEqual(['v1:evidence:1']);
  });

  it('takes the day’s AP from the model with more rows when two served that day', () => {
    const t = new DriftTimeline();
    t.applyDriftEvents([
      event('MATURE', 3, { model_version: 'v1', row_count: 9000, average_precision: 0.5 }),
      event('MATURE', 3, {
        model_version: 'v2',
        row_count: 1000,
        average_precision: 0.8,
        event_id: 'v2:x:mature',
      }),
      event('MATURE', 2, { average_precision: 0.6 }),
    ]);
    expect(t.dailyAp().map((d) => [d.day - Math.floor(day(0) / DAY_MS), d.ap, d.modelVersion])).toEqual([
      [2, 0.6, 'v1'],
      [3, 0.5, 'v1'],
    ]);
  });

  it('follows a retrain request to the stages of the version it produced, or to its job’s failure', () => {
    const t = new DriftTimeline();
    const request = (id: string, d: number): RetrainRequest => ({
      ...SAMPLE_RECORDS['ml.retrain-requests.v1'],
      request_id: id,
      event_time: day(d),
    });
    t.applyRetrainRequests([request('r1', 1), request('r2', 2), request('r3', 3)]);
    t.applyDeployments([
      deployment('v2', 'SHADOW', 'r1', 2),
      deployment('v1', 'RETIRED', null, 3),
      deployment('v2', 'PRODUCTION', null, 3),
      deployment('v1', 'PRODUCTION', 'r2', 4, 'JOB_FAILED'),
    ]);
    const outcomes = t
      .view()
      .requests.map((r) => [
        r.request.request_id,
        r.outcome,
        r.versions.map((v) => `${v.version}:${v.stages.join('>')}`),
        r.failure,
      ]);
    expect(outcomes).toEqual([
      ['r3', 'pending', [], null],
      ['r2', 'job-failed', [], 'PRODUCTION reason'],
      ['r1', 'answered', ['v2:SHADOW>PRODUCTION'], null],
    ]);
  });
});
