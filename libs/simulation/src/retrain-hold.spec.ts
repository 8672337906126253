import type { ModelDeployment, RetrainRequest } from '@fraudstream/contracts';
import { describe, expect, it } from 'vitest';
import { RetrainHold, type HoldableClock } from './retrain-hold';

const request = (id: string) => ({ request_id: id }) as RetrainRequest;
const answer = (
  id: string,
  stage: ModelDeployment['stage'],
  kind: ModelDeployment['kind'] = 'STAGE_CHANGE',
): ModelDeployment => ({ model_version: 'v2', kind, stage, request_id: id }) as ModelDeployment;

function setup() {
  const calls: string[] = [];
  const clock: HoldableClock = {
    hold: (key, reason) => calls.push(`hold ${key}: ${reason}`),
    release: (key) => calls.push(`release ${key}`),
  };
  let now = 0;
  const log: string[] = [];
  const hold = new RetrainHold(clock, { maxHoldMs: 60_000, now: () => now, log: (m) => log.push(m) });
  return { calls, hold, log, advance: (ms: number) => (now += ms) };
}

describe(RetrainHold.name, () => {
  it('holds the clock from a request until the trainer answers it', () => {
    const { calls, hold, log, advance } = setup();
    hold.onRequests([request('r1')]);
    expect(hold.holding).toBe(true);
    hold.onDeployments([answer('other', 'SHADOW'), answer('r1', 'PRODUCTION')]);
    expect(hold.holding).toBe(true);
    advance(20_000);
    hold.onDeployments([answer('r1', 'SHADOW')]);
    expect(hold.holding).toBe(false);
    expect(calls).toEqual(['hold retrain: retrain request r1 is being answered', 'release retrain']);
    expect(log.at(-1)).toBe('clock resumed after 20 s (v2 -> SHADOW)');
    // A failed job answers too; an answer read before its request holds nothing.
    hold.onRequests([request('r2')]);
    hold.onDeployments([answer('r2', 'CANDIDATE', 'JOB_FAILED'), answer('r3', 'REJECTED')]);
    hold.onRequests([request('r3')]);
    expect(hold.holding).toBe(false);
    expect(hold.status()).toEqual({ holding: false, holds: 2, heldSeconds: 20 });
  });

  it('lets the clock go when a request stays unanswered too long', () => {
    const { calls, hold, advance } = setup();
    hold.onRequests([request('r1')]);
    advance(59_000);
    hold.tick();
    expect(hold.holding).toBe(true);
    advance(1_000);
    hold.tick();
    expect(hold.holding).toBe(false);
    expect(calls).toEqual(['hold retrain: retrain request r1 is being answered', 'release retrain']);
  });
});
