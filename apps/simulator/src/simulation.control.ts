/**
 * Holds a running simulation's clock: while anyone holds it, no event goes out and event time
 * stands still; when the last hold is released the pacing restarts from where the stream stopped.
 * Holds are named, so independent holders do not release each other's: the history hold (the
 * unpaced days are sent), the retrain hold (a retrain request is being answered: a fine-tuning job
 * of some wall seconds must cost the stream no simulated days, as at a bank's pace a job of a
 * minute is nothing next to a day), and whoever pauses over HTTP.
 *
 * Besides the holds, an event-time **horizon**: no event after it goes out until it moves (the demo's
 * backpressure sets it to the drift monitor's watermark plus a lead, so the stream stops there by
 * itself however late the demo's next look comes).
 */
export class SimulationControl {
  private readonly holds = new Map<string, string>();
  private pausedSince: number | null = null;
  private waiters: (() => void)[] = [];
  /** Wall milliseconds spent paused, over the run. */
  private pausedMs = 0;
  private pauseCount = 0;
  private horizon: number | null = null;
  private horizonReason: string | null = null;
  /** Since when the stream waits at the horizon (null: it does not). */
  private atHorizonSince: number | null = null;
  /** Event time of the event waiting at the horizon. */
  private waitingAt: number | null = null;
  private horizonWaits = 0;
  private horizonWaitMs = 0;

  constructor(private readonly now: () => number = Date.now) {}

  get paused(): boolean {
    return this.holds.size > 0;
  }

  /** Holds the clock under `key` (a second hold under the same key changes nothing). */
  hold(key: string, reason: string): void {
    if (this.holds.has(key)) return;
    if (this.holds.size === 0) {
      this.pausedSince = this.now();
      this.pauseCount++;
    }
    this.holds.set(key, reason);
  }

  /** Releases the hold under `key`; the stream goes on once no hold is left. */
  release(key: string): void {
    if (!this.holds.delete(key) || this.holds.size > 0) return;
    this.pausedMs += this.now() - (this.pausedSince ?? this.now());
    this.pausedSince = null;
    this.wake();
  }

  /**
   * Lets events up to event time `eventTime` go out and none after it (null: no horizon); `reason`
   * says why, in the status while the stream waits there. Wakes a stream waiting at the old one.
   */
  setHorizon(eventTime: number | null, reason: string | null = null): void {
    this.horizon = eventTime;
    this.horizonReason = eventTime === null ? null : reason;
    if (this.waitingAt !== null && !this.beyondHorizon(this.waitingAt)) this.leaveHorizon();
    this.wake();
  }

  /** Whether an event at `eventTime` must wait: the clock is held, or the event is past the horizon. */
  mustWait(eventTime: number): boolean {
    return this.paused || this.beyondHorizon(eventTime);
  }

  /**
   * Resolves at once when an event at `eventTime` may go out, else on the next release, horizon
   * move or `wake` (the caller checks `mustWait` again). Counts the waits at the horizon.
   */
  whenMayGo(eventTime: number): Promise<void> {
    if (this.beyondHorizon(eventTime)) {
      this.waitingAt = eventTime;
      if (this.atHorizonSince === null) {
        this.atHorizonSince = this.now();
        this.horizonWaits++;
      }
    } else this.leaveHorizon();
    if (!this.mustWait(eventTime)) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private beyondHorizon(eventTime: number): boolean {
    return this.horizon !== null && eventTime > this.horizon;
  }

  private leaveHorizon(): void {
    this.waitingAt = null;
    if (this.atHorizonSince === null) return;
    this.horizonWaitMs += this.now() - this.atHorizonSince;
    this.atHorizonSince = null;
  }

  /** Wakes anyone waiting, released or not (a shutdown must not hang on a held stream). */
  wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  status(): {
    paused: boolean;
    reason: string | null;
    holds: string[];
    pauses: number;
    pausedSeconds: number;
    horizon: number | null;
    atHorizon: boolean;
    horizonWaits: number;
    horizonWaitSeconds: number;
  } {
    const now = this.now();
    const current = this.pausedSince === null ? 0 : now - this.pausedSince;
    const atHorizon = this.atHorizonSince !== null;
    const reasons = [...this.holds.values()];
    if (atHorizon && this.horizonReason) reasons.push(this.horizonReason);
    return {
      paused: this.paused,
      reason: reasons.join('; ') || null,
      holds: [...this.holds.keys()],
      pauses: this.pauseCount,
      pausedSeconds: Math.round((this.pausedMs + current) / 100) / 10,
      horizon: this.horizon,
      atHorizon,
      horizonWaits: this.horizonWaits,
      horizonWaitSeconds:
        Math.round((this.horizonWaitMs + (atHorizon ? now - (this.atHorizonSince ?? now) : 0)) / 100) / 10,
    };
  }
}
