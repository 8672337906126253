/*
 * Sequential tests on Bernoulli observations, the false-alarm control of the early evidence.
 *
 * Wald's SPRT decides between p <= p0 and p >= p1 with error rates alpha (false alarm) and beta
 * (miss): it adds ln(p1/p0) per success and ln((1-p1)/(1-p0)) per failure, says H1 at
 * ln((1-beta)/alpha) and H0 at ln(beta/(1-alpha)) (Wald's bounds, conservative for alpha).
 * Page's CUSUM is the one-sided SPRT restarted at zero whenever it would go below: the standard
 * detector of a change from p0 to p1 at an unknown time. Its threshold h sets the in-control
 * average run length; by Wald's bound it is at least e^h observations (h = 7: > 1,000; the exact
 * figure, longer, is in the unit test, by simulation).
 */

export interface BernoulliHypotheses {
  /** Success probability in control (no new pattern). */
  readonly p0: number;
  /** Success probability the test should detect. */
  readonly p1: number;
}

function increments(h: BernoulliHypotheses): { success: number; failure: number } {
  if (!(h.p0 > 0 && h.p0 < h.p1 && h.p1 < 1))
    throw new RangeError(`need 0 < p0 < p1 < 1, got p0 ${h.p0}, p1 ${h.p1}`);
  return { success: Math.log(h.p1 / h.p0), failure: Math.log((1 - h.p1) / (1 - h.p0)) };
}

export type SprtDecision = 'H0' | 'H1' | null;

export interface SprtState {
  /** Log-likelihood ratio since the last decision. */
  readonly llr: number;
  readonly successes: number;
  readonly trials: number;
}

export interface SprtSettings extends BernoulliHypotheses {
  /** Probability of saying H1 when H0 holds. */
  readonly alpha: number;
  /** Probability of saying H0 when H1 holds. */
  readonly beta: number;
}

/** Wald's sequential probability ratio test; restarts after each decision. */
export class Sprt {
  private readonly step: { success: number; failure: number };
  readonly upper: number;
  readonly lower: number;
  private llr = 0;
  private successes = 0;
  private trials = 0;

  constructor(readonly settings: SprtSettings) {
    this.step = increments(settings);
    if (!(settings.alpha > 0 && settings.alpha < 1 && settings.beta > 0 && settings.beta < 1))
      throw new RangeError('alpha and beta must lie in (0, 1)');
    this.upper = Math.log((1 - settings.beta) / settings.alpha);
    this.lower = Math.log(settings.beta / (1 - settings.alpha));
  }

  get state(): SprtState {
    return { llr: this.llr, successes: this.successes, trials: this.trials };
  }

  restore(state: SprtState): void {
    this.llr = state.llr;
    this.successes = state.successes;
    this.trials = state.trials;
  }

  /** One observation; the decision it completes, if any (the test then starts again). */
  observe(success: boolean): SprtDecision {
    this.llr += success ? this.step.success : this.step.failure;
    this.trials++;
    if (success) this.successes++;
    const decision: SprtDecision = this.llr >= this.upper ? 'H1' : this.llr <= this.lower ? 'H0' : null;
    if (decision) this.reset();
    return decision;
  }

  reset(): void {
    this.llr = 0;
    this.successes = 0;
    this.trials = 0;
  }
}

export interface CusumSettings extends BernoulliHypotheses {
  /** Alarm threshold on the log-likelihood ratio. */
  readonly h: number;
}

export interface CusumState {
  readonly statistic: number;
  readonly observations: number;
}

/** Page's one-sided Bernoulli CUSUM; restarts after an alarm. */
export class BernoulliCusum {
  private readonly step: { success: number; failure: number };
  private statistic = 0;
  private observations = 0;

  constructor(readonly settings: CusumSettings) {
    this.step = increments(settings);
    if (!(settings.h > 0)) throw new RangeError(`h must be positive, got ${settings.h}`);
  }

  get state(): CusumState {
    return { statistic: this.statistic, observations: this.observations };
  }

  restore(state: CusumState): void {
    this.statistic = state.statistic;
    this.observations = state.observations;
  }

  /** One observation; true when it raises the alarm (the statistic then restarts at 0). */
  observe(success: boolean): boolean {
    this.statistic = Math.max(0, this.statistic + (success ? this.step.success : this.step.failure));
    this.observations++;
    if (this.statistic < this.settings.h) return false;
    this.statistic = 0;
    return true;
  }
}

/** One Bernoulli observation with the two groups it may be correlated within. */
export interface ClusteredObservation {
  readonly card: string;
  readonly terminal: string;
  readonly success: boolean;
}

/**
 * The design effect of observations correlated within cards and within terminals: the variance of
 * their sum, estimated two-way cluster-robust (Cameron, Gelbach and Miller 2011: the card clusters'
 * sum of squared residual totals, plus the terminals', less the card-terminal cells'), over the
 * variance it would have were they independent (n p (1 - p)). 1 when every card and terminal holds
 * one observation; near the mean cluster size when clusters agree within themselves. Never below 1:
 * it only ever makes a test more cautious.
 */
export function twoWayDesignEffect(observations: readonly ClusteredObservation[]): number {
  const n = observations.length;
  const p = observations.filter((o) => o.success).length / Math.max(1, n);
  if (!(p > 0 && p < 1)) return 1;
  const sumOfSquaredTotals = (key: (o: ClusteredObservation) => string): number => {
    const totals = new Map<string, number>();
    for (const o of observations) totals.set(key(o), (totals.get(key(o)) ?? 0) + (o.success ? 1 : 0) - p);
    let s = 0;
    for (const t of totals.values()) s += t * t;
    return s;
  };
  const variance =
    sumOfSquaredTotals((o) => o.card) +
    sumOfSquaredTotals((o) => o.terminal) -
    sumOfSquaredTotals((o) => `${o.card}\u0000${o.terminal}`);
  return Math.max(1, variance / (n * p * (1 - p)));
}
