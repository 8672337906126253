import { loadKafkajsModule } from './kafkajs-module';

/** kafkajs's per-connection request queue, as far as the fix touches it. */
interface RequestQueue {
  throttledUntil: number;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  pending: readonly unknown[];
  checkPendingRequests(): void;
  scheduleCheckPendingRequests(): void;
}

export interface RequestQueueClass {
  readonly prototype: RequestQueue;
}

const FIXED = Symbol.for('fraudstream.kafkajs.throttleCheck');
/** kafkajs's interval for a queue with pending requests and no throttle to wait out. */
const CHECK_PENDING_REQUESTS_INTERVAL_MS = 10;

/**
 * kafkajs 2.2.4's `scheduleCheckPendingRequests` (`network/requestQueue`), without the negative
 * delay: with no throttle (`throttledUntil` -1) and nothing pending it passes `-1 - Date.now()` to
 * `setTimeout`, which Node 22+ answers with a `TimeoutNegativeWarning` (on stderr, at every client's
 * first request) and runs after 1 ms. Here that delay is 1 ms to begin with; everything else is as
 * kafkajs schedules it.
 */
export function scheduleWithoutNegativeDelay(this: RequestQueue): void {
  if (this.throttleCheckTimeoutId) return;
  let delay = this.throttledUntil - Date.now();
  if (this.pending.length > 0 && delay <= 0) delay = CHECK_PENDING_REQUESTS_INTERVAL_MS;
  this.throttleCheckTimeoutId = setTimeout(
    () => {
      this.throttleCheckTimeoutId = null;
      this.checkPendingRequests();
    },
    Math.max(1, delay),
  );
}

/** Installs it on kafkajs's RequestQueue (once; any time before or after kafkajs connects). */
export function installThrottleCheckFix(
  RequestQueue = loadKafkajsModule<RequestQueueClass>('kafkajs/src/network/requestQueue'),
): void {
  const prototype = RequestQueue.prototype as RequestQueue & { [FIXED]?: true };
  if (prototype[FIXED]) return;
  prototype.scheduleCheckPendingRequests = scheduleWithoutNegativeDelay;
  Object.defineProperty(prototype, FIXED, { value: true });
}
