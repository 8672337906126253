import { afterEach, describe, expect, it, vi } from 'vitest';
import './kafkajs';
import { loadKafkajsModule } from './kafkajs-module';
import { scheduleWithoutNegativeDelay, type RequestQueueClass } from './throttle-check';

type Queue = {
  throttledUntil: number;
  pending: unknown[];
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  scheduleCheckPendingRequests(): void;
  checkPendingRequests(): void;
};
const RequestQueueModule = loadKafkajsModule<RequestQueueClass>('kafkajs/src/network/requestQueue');
const RequestQueue = RequestQueueModule as unknown as new (options: Record<string, unknown>) => Queue;

function queue(): Queue {
  const logger = {
    debug: () => undefined,
    info: () => undefined,
    warn: () => undefined,
    error: () => undefined,
  };
  return new RequestQueue({
    maxInFlightRequests: null,
    requestTimeout: 30_000,
    enforceRequestTimeout: true,
    clientId: 'spec',
    broker: 'localhost:9092',
    logger,
  });
}

describe(scheduleWithoutNegativeDelay.name, () => {
  afterEach(() => vi.useRealTimers());

  it("is kafkajs's RequestQueue's, and schedules no negative delay when nothing is throttled", () => {
    expect(RequestQueueModule.prototype.scheduleCheckPendingRequests).toBe(scheduleWithoutNegativeDelay);
    vi.useFakeTimers();
    const spy = vi.spyOn(globalThis, 'setTimeout');
    const idle = queue(); // throttledUntil -1, nothing pending: kafkajs passed -1 - Date.now()
    idle.scheduleCheckPendingRequests();
    expect(spy.mock.calls.at(-1)?.[1]).toBe(1);
    spy.mockRestore();
  });

  it('waits out a throttle, checks a pending queue every 10 ms otherwise, and schedules once', () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const throttled = queue();
    throttled.throttledUntil = 1_000_250;
    const checks = vi.spyOn(throttled, 'checkPendingRequests').mockImplementation(() => undefined);
    throttled.scheduleCheckPendingRequests();
    throttled.scheduleCheckPendingRequests(); // already scheduled: nothing more
    vi.advanceTimersByTime(249);
    expect(checks).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(checks).toHaveBeenCalledTimes(1);
    expect(throttled.throttleCheckTimeoutId).toBeNull();

    const pending = queue();
    pending.pending.push({});
    const pendingChecks = vi.spyOn(pending, 'checkPendingRequests').mockImplementation(() => undefined);
    pending.scheduleCheckPendingRequests();
    vi.advanceTimersByTime(9);
    expect(pendingChecks).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(pendingChecks).toHaveBeenCalledTimes(1);
  });
});
