/*
 * Rényi-DP accounting of the sampled Gaussian mechanism (DP-SGD's step): each step adds Gaussian noise
 * of standard deviation σ·C to the sum of clipped per-example gradients over a Poisson sample (each row
 * in with probability q). Mironov, Talwar and Zhang 2019 ("Rényi Differential Privacy of the Sampled
 * Gaussian Mechanism", Sec. 3.3) give its RDP at an integer order α exactly:
 *
 *     RDP(α) = log A_α / (α − 1),   A_α = Σ_{k=0..α} C(α, k) (1 − q)^{α−k} q^k exp((k² − k) / 2σ²)
 *
 * RDP composes by addition over the steps, and converts to (ε, δ) at the best order.
 */

/** The integer orders searched: small ones win at large ε, large ones at small ε (2..256 covers 0.1 ≤ ε ≤ 50). */
export const RDP_ORDERS: readonly number[] = Array.from({ length: 255 }, (_, i) => i + 2);

/**
 * How RDP becomes (ε, δ): `classic` is Mironov 2017 Prop. 3 (ε = RDP + log(1/δ)/(α − 1), the moments
 * accountant's bound); `improved` is Balle et al. 2020 Thm. 21 / Canonne, Kamath and Steinke 2020
 * Prop. 12 (ε = RDP + log((α − 1)/α) − (log δ + log α)/(α − 1)), never larger. Both are valid bounds.
 */
export type RdpConversion = 'classic' | 'improved';

/** What a DP-SGD run spends: the sampling, the noise, the steps and δ. */
export interface SampledGaussianRun {
  /** Probability that a row is in a step's Poisson sample (expected batch size / rows). */
  readonly samplingRate: number;
  /** σ: the noise's standard deviation over the clip norm. */
  readonly noiseMultiplier: number;
  readonly steps: number;
  readonly delta: number;
}

export interface PrivacySpent {
  readonly epsilon: number;
  readonly delta: number;
  /** The order at which the bound was tightest. */
  readonly order: number;
}

function logSumExp(a: number, b: number): number {
  if (a === Number.NEGATIVE_INFINITY) return b;
  if (b === Number.NEGATIVE_INFINITY) return a;
  const m = Math.max(a, b);
  return m + Math.log(Math.exp(a - m) + Math.exp(b - m));
}

/** RDP of one step of the sampled Gaussian mechanism at an integer order ≥ 2 (formula above). */
export function sampledGaussianRdp(samplingRate: number, noiseMultiplier: number, order: number): number {
  const q = samplingRate;
  const sigma = noiseMultiplier;
  if (!Number.isInteger(order) || order < 2)
    throw new RangeError(`RDP order must be an integer >= 2: ${order}`);
  if (!(q >= 0 && q <= 1)) throw new RangeError(`sampling rate must lie in [0, 1]: ${q}`);
  if (!(sigma >= 0)) throw new RangeError(`noise multiplier must be >= 0: ${sigma}`);
  if (q === 0) return 0;
  if (sigma === 0) return Number.POSITIVE_INFINITY;
  // Without subsampling the mechanism is the Gaussian one, α / 2σ² in closed form.
  if (q === 1) return order / (2 * sigma * sigma);
  const logQ = Math.log(q);
  const log1mQ = Math.log1p(-q);
  let logA = Number.NEGATIVE_INFINITY;
  let logBinomial = 0; // log C(α, 0)
  for (let k = 0; k <= order; k++) {
    if (k > 0) logBinomial += Math.log(order - k + 1) - Math.log(k);
    const term = logBinomial + (order - k) * log1mQ + k * logQ + (k * k - k) / (2 * sigma * sigma);
    logA = logSumExp(logA, term);
  }
  // A_α ≥ 1 in exact arithmetic; rounding may leave it a hair below.
  return Math.max(0, logA) / (order - 1);
}

/** ε at δ from an RDP curve (total over the steps) at one order. */
export function epsilonFromRdp(
  rdp: number,
  order: number,
  delta: number,
  conversion: RdpConversion = 'improved',
): number {
  if (!(delta > 0 && delta < 1)) throw new RangeError(`delta must lie in (0, 1): ${delta}`);
  if (conversion === 'classic') return rdp + Math.log(1 / delta) / (order - 1);
  return rdp + Math.log1p(-1 / order) - (Math.log(delta) + Math.log(order)) / (order - 1);
}

/** The (ε, δ) a DP-SGD run spends: RDP composed over its steps, converted at the best order. */
export function privacySpent(
  run: SampledGaussianRun,
  conversion: RdpConversion = 'improved',
  orders: readonly number[] = RDP_ORDERS,
): PrivacySpent {
  if (!Number.isInteger(run.steps) || run.steps < 0)
    throw new RangeError(`steps must be a non-negative integer: ${run.steps}`);
  let best: PrivacySpent = { epsilon: Number.POSITIVE_INFINITY, delta: run.delta, order: orders[0] ?? 2 };
  for (const order of orders) {
    const rdp = run.steps * sampledGaussianRdp(run.samplingRate, run.noiseMultiplier, order);
    const epsilon = Math.max(0, epsilonFromRdp(rdp, order, run.delta, conversion));
    if (epsilon < best.epsilon) best = { epsilon, delta: run.delta, order };
  }
  return best;
}

/**
 * The smallest noise multiplier whose run spends at most `targetEpsilon` (to a relative 1e-4 in σ),
 * by bisection: ε falls as σ grows. Throws when even σ = 10⁴ cannot reach the target.
 */
export function noiseMultiplierFor(
  target: Omit<SampledGaussianRun, 'noiseMultiplier'> & { readonly targetEpsilon: number },
  conversion: RdpConversion = 'improved',
): number {
  const { targetEpsilon } = target;
  if (!(targetEpsilon > 0)) throw new RangeError(`target epsilon must be > 0: ${targetEpsilon}`);
  const epsilonAt = (sigma: number) =>
    privacySpent({ ...target, noiseMultiplier: sigma }, conversion).epsilon;
  let high = 1;
  while (epsilonAt(high) > targetEpsilon) {
    high *= 2;
    if (high > 1e4)
      throw new RangeError(
        `no noise multiplier up to 1e4 reaches epsilon ${targetEpsilon} in ${target.steps} steps at sampling rate ${target.samplingRate}`,
      );
  }
  let low = 0;
  while (high - low > 1e-4 * high) {
    const mid = (low + high) / 2;
    if (epsilonAt(mid) > targetEpsilon) low = mid;
    else high = mid;
  }
  return high;
}

/** One DP-SGD fit as a manifest records it: enough to recompute its RDP curve. */
export type SampledGaussianFit = Omit<SampledGaussianRun, 'delta'>;

/**
 * The (ε, δ) of several DP-SGD jobs together, for a row that any of them may have trained on: within
 * a job its fits train on disjoint rows (parallel composition: a row pays the largest fit's RDP);
 * across jobs the RDP adds up (sequential composition: successive fine-tuning windows overlap, so a
 * row may be in every one). Converted at the best order, like one run.
 */
export function composedPrivacySpent(
  jobs: readonly (readonly SampledGaussianFit[])[],
  delta: number,
  conversion: RdpConversion = 'improved',
  orders: readonly number[] = RDP_ORDERS,
): PrivacySpent {
  let best: PrivacySpent = { epsilon: Number.POSITIVE_INFINITY, delta, order: orders[0] ?? 2 };
  for (const order of orders) {
    let rdp = 0;
    for (const fits of jobs) {
      let largest = 0;
      for (const f of fits) {
        if (!Number.isInteger(f.steps) || f.steps < 0)
          throw new RangeError(`steps must be a non-negative integer: ${f.steps}`);
        largest = Math.max(largest, f.steps * sampledGaussianRdp(f.samplingRate, f.noiseMultiplier, order));
      }
      rdp += largest;
    }
    const epsilon = Math.max(0, epsilonFromRdp(rdp, order, delta, conversion));
    if (epsilon < best.epsilon) best = { epsilon, delta, order };
  }
  return best;
}
