import { isRebalance, isTransient } from './failure-kinds';

/** A batch given up without committing: the consumer is stopping or lost the partition; its next owner reads it again. */
export class BatchAbandonedError extends Error {
  constructor(reason: string, options?: { cause?: unknown }) {
    super(`batch abandoned: ${reason}`, options);
    this.name = 'BatchAbandonedError';
  }
}

export interface RetrySchedule {
  /** First wait after a failure. */
  readonly initialMs: number;
  /** Longest wait between attempts (the backoff doubles up to it). */
  readonly maxMs: number;
}

export interface RetryControl {
  /** Why the batch must be given up now (stopping, partition revoked), or null to keep trying. */
  readonly abandonReason: () => string | null;
  /** Before each wait: the group heartbeat. A rebalance error it throws is rethrown for kafkajs to rejoin. */
  readonly beforeWait?: () => Promise<void>;
  /** After each transient failure, before waiting (logs, metrics). */
  readonly onRetry?: (attempt: number, delayMs: number, error: unknown) => void;
  /** Waits `ms`; resolves early when the consumer stops. Defaults to a timer. */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** The wait before attempt `attempt + 1` (attempt counts from 0): doubling from `initialMs`, capped at `maxMs`. */
export function backoffDelay(schedule: RetrySchedule, attempt: number): number {
  return Math.min(schedule.initialMs * 2 ** Math.min(attempt, 30), schedule.maxMs);
}

/**
 * Runs `work` until it succeeds or fails with a non-transient error (thrown as is). Transient
 * failures (broker or registry away) are retried with capped exponential backoff for as long as they
 * last: an outage of any length costs time, never data. Between attempts the group is heartbeaten;
 * when the control says to give up (stopping, partition revoked) it throws BatchAbandonedError.
 */
export async function retryTransient<R>(
  work: () => Promise<R>,
  schedule: RetrySchedule,
  control: RetryControl,
): Promise<R> {
  const sleep = control.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  for (let attempt = 0; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (!isTransient(error)) throw error;
      // Only a failing batch is given up: one that can finish (stop() awaits it) finishes and commits.
      const reason = control.abandonReason();
      if (reason) throw new BatchAbandonedError(reason, { cause: error });
      const delay = backoffDelay(schedule, attempt);
      control.onRetry?.(attempt + 1, delay, error);
      try {
        await control.beforeWait?.();
      } catch (heartbeatError) {
        // A rebalance: kafkajs rejoins when the batch rethrows it; the broker being away is just another wait.
        if (isRebalance(heartbeatError)) throw heartbeatError;
      }
      await sleep(delay);
    }
  }
}
