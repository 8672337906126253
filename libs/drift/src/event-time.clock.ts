/** The two inputs whose partitions hold the watermarks: champion scores and labels. */
export type WatermarkInput = 'scores' | 'labels';

/**
 * The drift monitor's event-time clock: the newest score and label event times, the partitions
 * holding the watermarks back during a catch-up, and whether a boundary has been passed.
 *
 * A boundary b is passed once the score watermark (newest score time minus the allowed lateness)
 * and the label watermark both reach it, or the score watermark passes it by the label lag (labels
 * stalled): verdicts at b then count exactly the records with event times up to b, whatever the
 * interleaving of the two topics.
 */
export class EventTimeClock {
  private maxScoreTime: number | null = null;
  private maxLabelTime: number | null = null;
  /**
   * Per input partition with a backlog, the newest event time read from it (-Infinity before its
   * first record): the watermarks wait for the slowest of them, so a catch-up that reads one
   * partition ahead of another passes no boundary the other still holds records before.
   */
  private readonly holds: Record<WatermarkInput, Map<string, number>> = {
    scores: new Map(),
    labels: new Map(),
  };

  constructor(
    private readonly allowedLatenessMs: number,
    private readonly maxLabelLagMs: number,
  ) {}

  observeScoreTime(t: number): void {
    if (this.maxScoreTime === null || t > this.maxScoreTime) this.maxScoreTime = t;
  }

  observeLabelTime(t: number): void {
    if (this.maxLabelTime === null || t > this.maxLabelTime) this.maxLabelTime = t;
  }

  /** Newest champion score time (or the slowest held partition's, if older) minus the allowed lateness. */
  get watermark(): number | null {
    return this.held(this.maxScoreTime, this.holds.scores);
  }

  /** Newest label time (or the slowest held partition's) minus the allowed lateness. */
  get labelWatermark(): number | null {
    return this.held(this.maxLabelTime, this.holds.labels);
  }

  private held(newest: number | null, holds: ReadonlyMap<string, number>): number | null {
    if (newest === null) return null;
    let t = newest;
    for (const h of holds.values()) t = Math.min(t, h);
    return t - this.allowedLatenessMs;
  }

  /** Holds `input`'s watermark at the newest event time read from `source`, raised to `eventTime`. */
  hold(input: WatermarkInput, source: string, eventTime: number | null): void {
    const held = this.holds[input].get(source) ?? Number.NEGATIVE_INFINITY;
    this.holds[input].set(source, Math.max(held, eventTime ?? Number.NEGATIVE_INFINITY));
  }

  /** `source` reached its end; true when it was holding. */
  release(input: WatermarkInput, source: string): boolean {
    return this.holds[input].delete(source);
  }

  /** Whether boundary `b` has been passed (see the class comment). */
  passed(b: number): boolean {
    const scores = this.watermark;
    if (scores === null || scores < b) return false;
    const labels = this.labelWatermark;
    return (labels !== null && labels >= b) || scores >= b + this.maxLabelLagMs;
  }

  /** The latest boundary passed, or null before any score. */
  passedUntil(): number | null {
    const scores = this.watermark;
    if (scores === null) return null;
    const labels = this.labelWatermark ?? Number.NEGATIVE_INFINITY;
    return Math.min(scores, Math.max(labels, scores - this.maxLabelLagMs));
  }

  /** The score watermark from which `b` may be passed: `b` once the labels passed it, else later. */
  trigger(b: number): number {
    const labels = this.labelWatermark;
    return labels !== null && labels >= b ? b : b + this.maxLabelLagMs;
  }

  snapshot(): { maxEventTime: number | null; maxLabelTime: number | null } {
    return { maxEventTime: this.maxScoreTime, maxLabelTime: this.maxLabelTime };
  }

  restore(s: { maxEventTime: number | null; maxLabelTime: number | null }): void {
    this.maxScoreTime = s.maxEventTime;
    this.maxLabelTime = s.maxLabelTime;
  }
}
