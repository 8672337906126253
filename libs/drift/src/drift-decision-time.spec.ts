import type { DriftEvent } from '@fraudstream/contracts';
import { describe, expect, it } from 'vitest';
import { driftDecisionTime } from './drift-decision-time';

const DAY = 86_400_000;
const event = (phase: DriftEvent['phase'], eventId: string) => ({
  phase,
  event_id: eventId,
  window_end: 10 * DAY,
});

describe(driftDecisionTime.name, () => {
  it('dates a close at the window end, a mature verdict a chargeback window later, evidence at its check', () => {
    expect(driftDecisionTime(event('CLOSE', 'v1:777600000'), 7 * DAY)).toBe(10 * DAY);
    expect(driftDecisionTime(event('MATURE', 'v1:777600000:mature'), 7 * DAY)).toBe(17 * DAY);
    const at = 9 * DAY + 5 * 3_600_000;
    expect(driftDecisionTime(event('EVIDENCE', `v1:777600000:evidence:${at}`), 7 * DAY)).toBe(at);
  });
});
