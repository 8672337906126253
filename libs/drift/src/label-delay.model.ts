/*
 * The chargeback delay distribution, learnt from the labels themselves: each chargeback tells how
 * long after its transaction it came. Early in a window only the frauds with short delays are
 * confirmed, so a count of confirmed frauds means little without F(age), the share of a window's
 * eventual chargebacks already in at a given age. Hour buckets up to the chargeback window; a delay
 * beyond it counts in the last bucket (the window is a policy, the bank's real tail may be longer).
 */
import { HOUR_MS } from '@fraudstream/contracts';

export interface LabelDelaySnapshot {
  readonly bucketMs: number;
  readonly counts: number[];
}

export class LabelDelayModel {
  private readonly counts: Float64Array;
  private total = 0;

  constructor(
    readonly horizonMs: number,
    readonly bucketMs = HOUR_MS,
  ) {
    if (!(horizonMs > 0 && bucketMs > 0)) throw new RangeError('horizon and bucket must be positive');
    this.counts = new Float64Array(Math.max(1, Math.ceil(horizonMs / bucketMs)));
  }

  get observations(): number {
    return this.total;
  }

  /** One chargeback delay (label event time minus transaction time). Negative delays are ignored. */
  observe(delayMs: number): void {
    if (!(delayMs >= 0) || !Number.isFinite(delayMs)) return;
    const i = Math.min(this.counts.length - 1, Math.floor(delayMs / this.bucketMs));
    this.counts[i] = (this.counts[i] ?? 0) + 1;
    this.total++;
  }

  /**
   * F(age): the share of chargebacks that come within `ageMs` of their transaction (linear within a
   * bucket). `prior` answers while fewer than `minObservations` delays were seen.
   */
  cdf(ageMs: number, prior: (ageMs: number) => number, minObservations = 50): number {
    if (ageMs <= 0) return 0;
    if (ageMs >= this.horizonMs) return 1;
    if (this.total < minObservations) return Math.min(1, Math.max(0, prior(ageMs)));
    const position = ageMs / this.bucketMs;
    const full = Math.floor(position);
    let below = 0;
    for (let i = 0; i < full && i < this.counts.length; i++) below += this.counts[i] ?? 0;
    below += (this.counts[full] ?? 0) * (position - full);
    return below / this.total;
  }

  /** The delay by which a share `q` of chargebacks has come (the q-quantile). */
  quantile(q: number): number | null {
    if (this.total === 0) return null;
    let cumulative = 0;
    for (let i = 0; i < this.counts.length; i++) {
      cumulative += this.counts[i] ?? 0;
      if (cumulative >= q * this.total) return (i + 1) * this.bucketMs;
    }
    return this.horizonMs;
  }

  snapshot(): LabelDelaySnapshot {
    return { bucketMs: this.bucketMs, counts: Array.from(this.counts) };
  }

  static restore(horizonMs: number, s: LabelDelaySnapshot): LabelDelayModel {
    const m = new LabelDelayModel(horizonMs, s.bucketMs);
    s.counts.forEach((c, i) => {
      if (i < m.counts.length) m.counts[i] = c;
      m.total += c;
    });
    return m;
  }
}
