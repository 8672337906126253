/**
 * Holds a running simulation's clock: while paused, no event goes out and event time stands still;
 * on resume the pacing restarts from where the stream stopped. The demo pauses the simulator while
 * a retrain request is being answered, so that a fine-tuning job of some wall seconds costs the
 * stream no simulated days (at a bank's pace a job of a minute is nothing next to a day).
 */
export class SimulationControl {
  private reason: string | null = null;
  private pausedSince: number | null = null;
  private waiters: (() => void)[] = [];
  /** Wall milliseconds spent paused, over the run. */
  private pausedMs = 0;
  pauses = 0;

  constructor(private readonly now: () => number = Date.now) {}

  get paused(): boolean {
    return this.reason !== null;
  }

  /** Pauses (or, already paused, keeps the first reason); idempotent. */
  pause(reason: string): void {
    if (this.reason !== null) return;
    this.reason = reason;
    this.pausedSince = this.now();
    this.pauses++;
  }

  /** Resumes and wakes the stream; idempotent. */
  resume(): void {
    if (this.reason === null) return;
    this.pausedMs += this.now() - (this.pausedSince ?? this.now());
    this.reason = null;
    this.pausedSince = null;
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  /** Resolves at once when running, else on the next resume (or `wake`, for shutdown). */
  whenRunning(): Promise<void> {
    if (this.reason === null) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Wakes anyone waiting without resuming (a shutdown must not hang on a paused stream). */
  wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  status(): { paused: boolean; reason: string | null; pauses: number; pausedSeconds: number } {
    const current = this.pausedSince === null ? 0 : this.now() - this.pausedSince;
    return {
      paused: this.paused,
      reason: this.reason,
      pauses: this.pauses,
      pausedSeconds: Math.round((this.pausedMs + current) / 100) / 10,
    };
  }
}
