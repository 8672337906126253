import type { DriftEvent } from '@fraudstream/contracts';

/**
 * Event time at which the drift monitor decided a drift event: a close verdict at its window's
 * end, a mature verdict once the window's chargeback window has passed, early evidence at the
 * check that raised it (the `<at>` of its `...:evidence:<at>` id). What a false alarm "before the
 * onset" is counted by.
 */
export function driftDecisionTime(
  event: Pick<DriftEvent, 'phase' | 'event_id' | 'window_end'>,
  chargebackWindowMs: number,
): number {
  switch (event.phase) {
    case 'CLOSE':
      return event.window_end;
    case 'MATURE':
      return event.window_end + chargebackWindowMs;
    case 'EVIDENCE': {
      const at = Number(event.event_id.split(':evidence:')[1]);
      return Number.isFinite(at) ? at : event.window_end;
    }
  }
}
