import { describe, expect, it } from 'vitest';
import { DAY_MS } from '@fraudstream/contracts';
import type { ModelDeployment } from '@fraudstream/contracts';
import { defaultDriftSettings } from './drift.config';
import { deploymentOf } from './drift-test.fixtures';
import {
  RetrainPolicy,
  type DueLink,
  type EarlyTrigger,
  type PolicyState,
  type RetrainDecision,
} from './retrain.policy';

const settings = defaultDriftSettings({
  cooldownMs: 3 * DAY_MS,
  retryAfterRejectionMs: DAY_MS,
  requestTimeoutMs: 2 * DAY_MS,
  trainingWindowMs: 14 * DAY_MS,
  featuresK: 2,
  consecutiveWindowsM: 2,
  retrainOnCovariateShift: true,
});

function decision(eventTime: number, over: Partial<RetrainDecision> = {}): RetrainDecision {
  return {
    modelVersion: 'v1',
    windowStart: eventTime - DAY_MS,
    phase: 'mature',
    eventTime,
    trigger: 'PERFORMANCE_DRIFT',
    severity: 'HIGH',
    reason: 'test',
    ...over,
  };
}

/** A budget of two requests in any 14 days. */
const twoIn14Days = { ...settings, retrainBudget: 2, retrainBudgetWindowMs: 14 * DAY_MS };

/** A chain's link as `dueFollowUp` gives it. */
function link(at: number, depth: number, trigger: EarlyTrigger, retries = 0, deferred = false): DueLink {
  return { at, depth, trigger, retries, deferred };
}

function answer(requestId: string, stage: ModelDeployment['stage'], eventTime: number): ModelDeployment {
  return deploymentOf('v2', eventTime, { stage, parent_version: 'v1', request_id: requestId });
}

describe(RetrainPolicy.name, () => {
  it('asks for the training window ending at the decision, with ids that name the window and phase', () => {
    const policy = new RetrainPolicy(settings);
    const reasons: string[] = [];
    const r = policy.request(decision(20 * DAY_MS, { phase: 'evidence', windowStart: 19 * DAY_MS }), reasons);
    expect(r).toMatchObject({
      request_id: `retrain:v1:${19 * DAY_MS}:evidence:${20 * DAY_MS}`,
      drift_event_id: `v1:${19 * DAY_MS}:evidence:${20 * DAY_MS}`,
      window_start: 6 * DAY_MS,
      window_end: 20 * DAY_MS,
      severity: 'HIGH',
    });
    expect(reasons).toEqual([`retrain requested: ${r?.request_id}`]);
  });

  it('keeps one request open until it is answered or times out, then waits the cooldown', () => {
    const policy = new RetrainPolicy(settings);
    const first = policy.request(decision(10 * DAY_MS), []);
    const reasons: string[] = [];
    expect(policy.request(decision(11 * DAY_MS), reasons)).toBeNull();
    expect(reasons[0]).toContain('still open');
    // Timed out at 12 days, but the cooldown runs until 13.
    expect(policy.request(decision(12 * DAY_MS), [])).toBeNull();
    expect(policy.request(decision(13 * DAY_MS), [])).not.toBeNull();
    expect(first).not.toBeNull();
  });

  it('retries a day after a rejected challenger instead of a whole cooldown', () => {
    const policy = new RetrainPolicy(settings);
    const r = policy.request(decision(10 * DAY_MS), []);
    policy.observeDeployment(answer(r?.request_id ?? '', 'REJECTED', 10.5 * DAY_MS));
    expect(policy.openRequestId).toBeNull();
    expect(policy.request(decision(11.4 * DAY_MS), [])).toBeNull();
    expect(policy.request(decision(11.5 * DAY_MS), [])).not.toBeNull();
  });

  it('asks on a covariate shift only after k features drift m windows running, unless performance holds', () => {
    const policy = new RetrainPolicy(settings);
    expect(policy.featureRule(0, 3, [])).toBeNull();
    expect(policy.featureRule(DAY_MS, 3, [])).toContain('2 consecutive windows');
    expect(policy.featureRule(2 * DAY_MS, 1, [])).toBeNull();
    policy.featureRule(3 * DAY_MS, 2, []);
    policy.notePerformance(3 * DAY_MS, true);
    const reasons: string[] = [];
    expect(policy.featureRule(4 * DAY_MS, 2, reasons)).toBeNull();
    expect(reasons[0]).toContain('performance on mature labels holds');
  });

  it("keeps the current model's consecutive mature windows' AP, broken by a gap and by a new model", () => {
    const policy = new RetrainPolicy({ ...settings, windowMs: DAY_MS });
    const ap = (value: number) => ({ value, standardError: 0.07, line: 0.64 });
    expect(policy.consecutiveMatureAps(3 * DAY_MS, ap(0.6), 2)).toBeNull();
    expect(policy.consecutiveMatureAps(4 * DAY_MS, ap(0.55), 2)?.map((w) => w.value)).toEqual([0.6, 0.55]);
    expect(policy.consecutiveMatureAps(5 * DAY_MS, ap(0.5), 2)?.map((w) => w.value)).toEqual([0.55, 0.5]);
    // Day 6 was not judged (too few labels): day 7 starts a new run.
    expect(policy.consecutiveMatureAps(7 * DAY_MS, ap(0.5), 2)).toBeNull();
    // Restored from a checkpoint, the run goes on.
    const restored = new RetrainPolicy({ ...settings, windowMs: DAY_MS });
    restored.restore(JSON.parse(JSON.stringify(policy.state)) as PolicyState);
    expect(restored.consecutiveMatureAps(8 * DAY_MS, ap(0.45), 2)?.map((w) => w.value)).toEqual([0.5, 0.45]);
    // A new production model: what was measured was about the old one.
    restored.startOver();
    expect(restored.consecutiveMatureAps(9 * DAY_MS, ap(0.45), 2)).toBeNull();
  });

  it('marks the early evidence spent when its last retry is refused, until another model serves', () => {
    const policy = new RetrainPolicy({ ...settings, earlyRetries: 1 });
    const refuse = (id: string, at: number) => policy.observeDeployment(answer(id, 'REJECTED', at), 'v1');
    const first = policy.request(decision(7 * DAY_MS, { phase: 'evidence', trigger: 'ALERT_PRECISION' }), []);
    refuse(first?.request_id ?? '', 7.5 * DAY_MS);
    expect(policy.earlyEvidenceSpent).toBe(false);
    const due = policy.dueFollowUp('v1', 8.5 * DAY_MS);
    expect(due?.retries).toBe(1);
    const retry = policy.request(
      decision(8.5 * DAY_MS, { phase: 'evidence', trigger: 'ALERT_PRECISION', retries: due?.retries ?? 0 }),
      [],
    );
    refuse(retry?.request_id ?? '', 9 * DAY_MS);
    expect(policy.earlyEvidenceSpent).toBe(true);
    expect(policy.dueFollowUp('v1', 20 * DAY_MS)).toBeNull();
    policy.startOver();
    expect(policy.earlyEvidenceSpent).toBe(false);
  });

  it('asks once more a follow-up delay after an early-evidence request made a model serve', () => {
    const policy = new RetrainPolicy({ ...settings, earlyFollowUpMs: 3 * DAY_MS, earlyFollowUps: 1 });
    const r = policy.request(decision(8 * DAY_MS, { phase: 'evidence', trigger: 'NEW_PATTERN' }), []);
    policy.observeDeployment({
      ...answer(r?.request_id ?? '', 'PRODUCTION', 9 * DAY_MS),
      model_version: 'v2',
    });
    expect(policy.dueFollowUp('v2', 11.9 * DAY_MS)).toBeNull();
    expect(policy.dueFollowUp('v2', 12 * DAY_MS)).toEqual(link(12 * DAY_MS, 1, 'NEW_PATTERN'));
    // Once only, and the follow-up's own model gets none.
    expect(policy.dueFollowUp('v2', 20 * DAY_MS)).toBeNull();
    const f = policy.request(
      decision(13 * DAY_MS, { phase: 'evidence', trigger: 'NEW_PATTERN', followUpDepth: 1 }),
      [],
    );
    policy.observeDeployment({
      ...answer(f?.request_id ?? '', 'PRODUCTION', 14 * DAY_MS),
      model_version: 'v3',
    });
    expect(policy.dueFollowUp('v3', 30 * DAY_MS)).toBeNull();
    // A mature request's model gets none, and a follow-up of a model no longer serving is dropped.
    const mature = new RetrainPolicy({ ...settings, earlyFollowUpMs: 3 * DAY_MS });
    const m = mature.request(decision(8 * DAY_MS), []);
    mature.observeDeployment({
      ...answer(m?.request_id ?? '', 'PRODUCTION', 9 * DAY_MS),
      model_version: 'v2',
    });
    expect(mature.dueFollowUp('v2', 20 * DAY_MS)).toBeNull();
    const replaced = new RetrainPolicy({ ...settings, earlyFollowUpMs: 3 * DAY_MS });
    const e = replaced.request(decision(8 * DAY_MS, { phase: 'evidence', trigger: 'NEW_PATTERN' }), []);
    replaced.observeDeployment({
      ...answer(e?.request_id ?? '', 'PRODUCTION', 9 * DAY_MS),
      model_version: 'v2',
    });
    expect(replaced.dueFollowUp('v3', 20 * DAY_MS)).toBeNull();
  });

  it('chains follow-ups up to the set number, each a follow-up delay after the previous promotion, keeping the trigger', () => {
    const policy = new RetrainPolicy({ ...settings, earlyFollowUpMs: 3 * DAY_MS, earlyFollowUps: 2 });
    const r = policy.request(decision(8 * DAY_MS, { phase: 'evidence', trigger: 'ALERT_PRECISION' }), []);
    policy.observeDeployment({
      ...answer(r?.request_id ?? '', 'PRODUCTION', 9 * DAY_MS),
      model_version: 'v2',
    });
    const first = policy.dueFollowUp('v2', 12 * DAY_MS);
    expect(first).toEqual(link(12 * DAY_MS, 1, 'ALERT_PRECISION'));
    const f1 = policy.request(
      decision(12 * DAY_MS, { phase: 'evidence', trigger: 'ALERT_PRECISION', followUpDepth: 1 }),
      [],
    );
    policy.observeDeployment({
      ...answer(f1?.request_id ?? '', 'PRODUCTION', 13 * DAY_MS),
      model_version: 'v3',
    });
    expect(policy.dueFollowUp('v3', 16 * DAY_MS)).toEqual(link(16 * DAY_MS, 2, 'ALERT_PRECISION'));
    const f2 = policy.request(
      decision(16 * DAY_MS, { phase: 'evidence', trigger: 'ALERT_PRECISION', followUpDepth: 2 }),
      [],
    );
    policy.observeDeployment({
      ...answer(f2?.request_id ?? '', 'PRODUCTION', 17 * DAY_MS),
      model_version: 'v4',
    });
    // The chain ends at two.
    expect(policy.dueFollowUp('v4', 30 * DAY_MS)).toBeNull();
  });

  it('asks a refused early-evidence request again a retry delay later for the model still serving, the set number of times', () => {
    const policy = new RetrainPolicy({
      ...settings,
      earlyFollowUpMs: 3 * DAY_MS,
      earlyFollowUps: 1,
      earlyRetries: 1,
    });
    const r = policy.request(decision(8 * DAY_MS, { phase: 'evidence', trigger: 'NEW_PATTERN' }), []);
    policy.observeDeployment(answer(r?.request_id ?? '', 'REJECTED', 8.5 * DAY_MS), 'v1');
    expect(policy.dueFollowUp('v1', 9.4 * DAY_MS)).toBeNull();
    expect(policy.dueFollowUp('v1', 9.5 * DAY_MS)).toEqual(link(9.5 * DAY_MS, 0, 'NEW_PATTERN', 1));
    // The retry is let through the cooldown and is refused too: no more (one retry a link).
    const again = policy.request(
      decision(9.5 * DAY_MS, { phase: 'evidence', trigger: 'NEW_PATTERN', retries: 1 }),
      [],
    );
    expect(again).not.toBeNull();
    policy.observeDeployment(answer(again?.request_id ?? '', 'REJECTED', 10 * DAY_MS), 'v1');
    expect(policy.dueFollowUp('v1', 30 * DAY_MS)).toBeNull();

    // A refused follow-up is asked again at its own depth; a promoted retry still gets its follow-up.
    const chain = new RetrainPolicy({
      ...settings,
      earlyFollowUpMs: 3 * DAY_MS,
      earlyFollowUps: 2,
      earlyRetries: 1,
    });
    const f = chain.request(
      decision(12 * DAY_MS, { phase: 'evidence', trigger: 'MISSED_FRAUDS', followUpDepth: 1 }),
      [],
    );
    chain.observeDeployment(
      { ...answer(f?.request_id ?? '', 'REJECTED', 12.5 * DAY_MS), kind: 'JOB_FAILED' },
      'v2',
    );
    const retry = chain.dueFollowUp('v2', 13.5 * DAY_MS);
    expect(retry).toEqual(link(13.5 * DAY_MS, 1, 'MISSED_FRAUDS', 1));
    const fr = chain.request(
      decision(13.5 * DAY_MS, { phase: 'evidence', trigger: 'MISSED_FRAUDS', followUpDepth: 1, retries: 1 }),
      [],
    );
    chain.observeDeployment(answer(fr?.request_id ?? '', 'PRODUCTION', 14 * DAY_MS), 'v2');
    expect(chain.dueFollowUp('v2', 30 * DAY_MS)).toEqual(link(17 * DAY_MS, 2, 'MISSED_FRAUDS'));
  });

  it('asks a refused alarm twice by default, each retry a retry delay after the last refusal', () => {
    const policy = new RetrainPolicy(settings);
    expect(settings.earlyRetries).toBe(2);
    let at = 7.5 * DAY_MS;
    let request = policy.request(decision(at, { phase: 'evidence', trigger: 'ALERT_PRECISION' }), []);
    for (const retries of [1, 2]) {
      policy.observeDeployment(answer(request?.request_id ?? '', 'REJECTED', at + 0.4 * DAY_MS), 'v1');
      at += 1.4 * DAY_MS;
      expect(policy.dueFollowUp('v1', at)).toEqual(link(at, 0, 'ALERT_PRECISION', retries));
      request = policy.request(decision(at, { phase: 'evidence', trigger: 'ALERT_PRECISION', retries }), []);
      expect(request).not.toBeNull();
    }
    // The second retry's refusal ends the link.
    policy.observeDeployment(answer(request?.request_id ?? '', 'REJECTED', at + 0.4 * DAY_MS), 'v1');
    expect(policy.dueFollowUp('v1', 30 * DAY_MS)).toBeNull();
  });

  it('does not ask a refused request again when it was not early evidence, or when retries are off', () => {
    const mature = new RetrainPolicy({ ...settings, earlyRetries: 1 });
    const m = mature.request(decision(8 * DAY_MS), []);
    mature.observeDeployment(answer(m?.request_id ?? '', 'REJECTED', 9 * DAY_MS), 'v1');
    expect(mature.dueFollowUp('v1', 30 * DAY_MS)).toBeNull();
    const off = new RetrainPolicy({ ...settings, earlyRetries: 0 });
    const e = off.request(decision(8 * DAY_MS, { phase: 'evidence', trigger: 'NEW_PATTERN' }), []);
    off.observeDeployment(answer(e?.request_id ?? '', 'REJECTED', 9 * DAY_MS), 'v1');
    expect(off.dueFollowUp('v1', 30 * DAY_MS)).toBeNull();
  });
  it('holds requests to the retrain budget in any window of event time, counting those made', () => {
    const policy = new RetrainPolicy(twoIn14Days);
    expect(policy.request(decision(1 * DAY_MS), [])).not.toBeNull();
    policy.closeOpenRequest();
    expect(policy.request(decision(5 * DAY_MS), [])).not.toBeNull();
    policy.closeOpenRequest();
    const reasons: string[] = [];
    expect(policy.request(decision(9 * DAY_MS), reasons)).toBeNull();
    expect(reasons).toEqual([
      'retrain request suppressed: the retrain budget (2 requests in 14 days) is spent until ' +
        new Date(15 * DAY_MS).toISOString(),
    ]);
    // A request that is not early evidence is suppressed like one in a cooldown: nothing is kept.
    expect(policy.dueFollowUp('v1', 30 * DAY_MS)).toBeNull();
    expect(policy.request(decision(14.9 * DAY_MS), [])).toBeNull();
    // The day-1 request has left the window (t - 14 days, t]: one of two is used.
    expect(policy.request(decision(15 * DAY_MS), [])).not.toBeNull();
  });

  it('asks an early-evidence link the budget held back once it allows, in its place in the chain', () => {
    const policy = new RetrainPolicy(twoIn14Days);
    for (const at of [1, 5]) {
      policy.request(decision(at * DAY_MS, { phase: 'evidence', trigger: 'ALERT_PRECISION' }), []);
      policy.closeOpenRequest();
    }
    const held = { phase: 'evidence', trigger: 'NEW_PATTERN', followUpDepth: 2, retries: 1 } as const;
    const reasons: string[] = [];
    expect(policy.request(decision(9 * DAY_MS, held), reasons)).toBeNull();
    expect(reasons[1]).toBe(`asked again at ${new Date(15 * DAY_MS).toISOString()}`);
    expect(policy.dueFollowUp('v1', 14.9 * DAY_MS)).toBeNull();
    expect(policy.dueFollowUp('v1', 15 * DAY_MS)).toEqual(link(15 * DAY_MS, 2, 'NEW_PATTERN', 1, true));
    expect(policy.request(decision(15 * DAY_MS, held), [])).not.toBeNull();
    // ...and survives a checkpoint: the restored policy counts the same requests.
    const restored = new RetrainPolicy(twoIn14Days);
    restored.restore(policy.state);
    restored.closeOpenRequest();
    expect(restored.request(decision(18.5 * DAY_MS), [])).toBeNull();
    expect(restored.request(decision(19 * DAY_MS), [])).not.toBeNull();
  });

  it('keeps a link already due for the model in its place when the budget holds another back', () => {
    const policy = new RetrainPolicy({
      ...settings,
      retrainBudget: 1,
      retrainBudgetWindowMs: 14 * DAY_MS,
      earlyFollowUpMs: 3 * DAY_MS,
      earlyFollowUps: 1,
    });
    const r = policy.request(decision(8 * DAY_MS, { phase: 'evidence', trigger: 'NEW_PATTERN' }), []);
    policy.observeDeployment(
      deploymentOf('v2', 9 * DAY_MS, {
        stage: 'PRODUCTION',
        parent_version: 'v1',
        request_id: r?.request_id,
      }),
      'v2',
    );
    policy.startOver();
    // An alarm on v2 past the cooldown, within the budget's window: held back, but v2's follow-up
    // (day 12) stays.
    const reasons: string[] = [];
    expect(
      policy.request(
        decision(11.5 * DAY_MS, { modelVersion: 'v2', phase: 'evidence', trigger: 'MISSED_FRAUDS' }),
        reasons,
      ),
    ).toBeNull();
    expect(reasons[0]).toMatch(/^retrain request suppressed: the retrain budget \(1 request in 14 days\)/);
    expect(policy.dueFollowUp('v2', 12 * DAY_MS)).toEqual(link(12 * DAY_MS, 1, 'NEW_PATTERN'));
  });

  it('asks without limit when the budget is 0', () => {
    const policy = new RetrainPolicy({ ...settings, cooldownMs: 0, retrainBudget: 0 });
    for (let day = 1; day <= 10; day++) {
      expect(policy.request(decision(day * DAY_MS), [])).not.toBeNull();
      policy.closeOpenRequest();
    }
  });
});
