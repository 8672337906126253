/**
 * Holds a running simulation's clock: while anyone holds it, no event goes out and event time
 * stands still; when the last hold is released the pacing restarts from where the stream stopped.
 * Holds are named, so independent holders do not release each other's: the history hold (the
 * unpaced days are sent), the retrain hold (a retrain request is being answered: a fine-tuning job
 * of some wall seconds must cost the stream no simulated days, as at a bank's pace a job of a
 * minute is nothing next to a day), and whoever pauses over HTTP (the demo's backpressure).
 */
export class SimulationControl {
  private readonly holds = new Map<string, string>();
  private pausedSince: number | null = null;
  private waiters: (() => void)[] = [];
  /** Wall milliseconds spent paused, over the run. */
  private pausedMs = 0;
  private pauseCount = 0;

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

  /** Resolves at once when running, else on the next release or `wake`. */
  whenRunning(): Promise<void> {
    if (this.holds.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
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
  } {
    const current = this.pausedSince === null ? 0 : this.now() - this.pausedSince;
    return {
      paused: this.paused,
      reason: [...this.holds.values()].join('; ') || null,
      holds: [...this.holds.keys()],
      pauses: this.pauseCount,
      pausedSeconds: Math.round((this.pausedMs + current) / 100) / 10,
    };
  }
}
