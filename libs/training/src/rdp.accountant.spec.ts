import { describe, expect, it } from 'vitest';
import { composedPrivacySpent, noiseMultiplierFor, privacySpent, sampledGaussianRdp } from './rdp.accountant';

/*
 * References. "mpmath" values were computed offline from the same integer-order formula
 * (Mironov, Talwar, Zhang 2019, Sec. 3.3) with Python's mpmath at 60 significant digits, the binomial
 * sum taken term by term without logarithms, orders 2..256: an independent implementation at a
 * precision far beyond float64, so the tolerance is 1e-9 relative (float64 rounding over ~250 terms).
 * The published values are two-decimal figures from the literature, checked to ±0.005.
 */
describe('RDP accountant of the sampled Gaussian mechanism', () => {
  it('gives one step the RDP of the exact integer-order formula (mpmath references)', () => {
    const cases: [q: number, sigma: number, order: number, rdp: number][] = [
      [0.01, 1.1, 2, 0.000128510081605162],
      [0.01, 1.1, 8, 0.000584070335520251],
      [0.01, 1.1, 32, 8.46941643367593],
      [0.05, 0.7, 2, 0.0166036183955049],
      [0.05, 0.7, 8, 4.739584851618],
      [0.05, 0.7, 32, 29.5606924259825],
    ];
    for (const [q, sigma, order, rdp] of cases)
      expect(sampledGaussianRdp(q, sigma, order) / rdp - 1).toBeCloseTo(0, 9);
  });

  it('reduces to the Gaussian mechanism without subsampling and to nothing without sampling', () => {
    expect(sampledGaussianRdp(1, 2, 5)).toBeCloseTo(5 / 8, 12);
    expect(sampledGaussianRdp(0, 1, 5)).toBe(0);
    expect(sampledGaussianRdp(0.1, 0, 5)).toBe(Number.POSITIVE_INFINITY);
  });

  it("reproduces Abadi et al. 2016's moments-accountant example: q = 0.01, σ = 4, 10,000 steps, δ = 1e-5 → ε 1.26", () => {
    // Sec. 3.1 of "Deep Learning with Differential Privacy": the moments accountant is the classic
    // conversion at integer orders; mpmath gives 1.25857474125 at order 20.
    const spent = privacySpent(
      { samplingRate: 0.01, noiseMultiplier: 4, steps: 10_000, delta: 1e-5 },
      'classic',
    );
    expect(Math.abs(spent.epsilon - 1.26)).toBeLessThan(0.005);
    expect(spent.epsilon).toBeCloseTo(1.25857474125, 8);
    expect(spent.order).toBe(20);
  });

  it("reproduces TensorFlow Privacy's MNIST tutorial: batch 256 of 60,000, σ = 1.1, 60 epochs, δ = 1e-5 → ε 3.01", () => {
    const steps = Math.floor((60 * 60_000) / 256);
    const spent = privacySpent(
      { samplingRate: 256 / 60_000, noiseMultiplier: 1.1, steps, delta: 1e-5 },
      'classic',
    );
    expect(Math.abs(spent.epsilon - 3.01)).toBeLessThan(0.005);
    expect(spent.epsilon).toBeCloseTo(3.00909952573, 8);
  });

  it('converts with the improved bound to the mpmath values, never above the classic one', () => {
    const cases: [q: number, sigma: number, steps: number, delta: number, epsilon: number][] = [
      [0.01, 4, 10_000, 1e-5, 1.03549006604],
      [256 / 60_000, 1.1, 14_062, 1e-5, 2.59698117859],
      [0.01, 1.1, 10_000, 1e-5, 5.65430800015],
      [0.001, 0.8, 1_000, 1e-6, 1.56075719447],
      [1, 2, 10, 1e-5, 8.08786162883],
    ];
    for (const [samplingRate, noiseMultiplier, steps, delta, epsilon] of cases) {
      const run = { samplingRate, noiseMultiplier, steps, delta };
      expect(privacySpent(run).epsilon).toBeCloseTo(epsilon, 8);
      expect(privacySpent(run).epsilon).toBeLessThanOrEqual(privacySpent(run, 'classic').epsilon);
    }
  });

  it('spends more with more steps, a higher sampling rate or less noise', () => {
    const base = { samplingRate: 0.01, noiseMultiplier: 1.1, steps: 1000, delta: 1e-5 };
    const e = privacySpent(base).epsilon;
    expect(privacySpent({ ...base, steps: 2000 }).epsilon).toBeGreaterThan(e);
    expect(privacySpent({ ...base, samplingRate: 0.02 }).epsilon).toBeGreaterThan(e);
    expect(privacySpent({ ...base, noiseMultiplier: 0.9 }).epsilon).toBeGreaterThan(e);
  });
});

describe(noiseMultiplierFor.name, () => {
  it("finds Abadi et al.'s σ = 4 back from the ε it spends", () => {
    const sigma = noiseMultiplierFor({
      targetEpsilon: 1.03549006604,
      samplingRate: 0.01,
      steps: 10_000,
      delta: 1e-5,
    });
    expect(sigma).toBeCloseTo(4, 3);
  });

  it('returns the least noise that stays within the target, at 1, 3 and 8', () => {
    const job = { samplingRate: 256 / 88_000, steps: 15 * Math.round(88_000 / 256), delta: 1e-5 };
    let previous = Number.POSITIVE_INFINITY;
    for (const targetEpsilon of [1, 3, 8]) {
      const sigma = noiseMultiplierFor({ ...job, targetEpsilon });
      expect(privacySpent({ ...job, noiseMultiplier: sigma }).epsilon).toBeLessThanOrEqual(targetEpsilon);
      expect(privacySpent({ ...job, noiseMultiplier: sigma * 0.999 }).epsilon).toBeGreaterThan(targetEpsilon);
      expect(sigma).toBeLessThan(previous);
      previous = sigma;
    }
  });

  it('refuses a target no reasonable noise reaches', () => {
    expect(() =>
      noiseMultiplierFor({ targetEpsilon: 1e-6, samplingRate: 1, steps: 1e6, delta: 1e-5 }),
    ).toThrow(RangeError);
  });
});

describe(composedPrivacySpent.name, () => {
  const a = { samplingRate: 0.01, noiseMultiplier: 1.1, steps: 1500 };
  const b = { samplingRate: 0.02, noiseMultiplier: 0.9, steps: 800 };
  const delta = 1e-5;

  it('spends what one run spends for one job of one fit', () => {
    expect(composedPrivacySpent([[a]], delta)).toEqual(privacySpent({ ...a, delta }));
  });

  it('adds successive jobs up: two equal jobs spend what one run of twice the steps spends', () => {
    const twice = privacySpent({ ...a, steps: 2 * a.steps, delta });
    const composed = composedPrivacySpent([[a], [a]], delta);
    expect(composed.epsilon).toBeCloseTo(twice.epsilon, 10);
    expect(composed.order).toBe(twice.order);
    // More than either job, less than the two epsilons added (RDP composes tighter than ε does).
    const one = privacySpent({ ...a, delta }).epsilon;
    expect(composed.epsilon).toBeGreaterThan(one);
    expect(composed.epsilon).toBeLessThan(2 * one);
  });

  it("charges a job's fits on disjoint rows the largest one, not their sum", () => {
    const weaker = { ...a, steps: 500 };
    expect(composedPrivacySpent([[a, weaker]], delta)).toEqual(privacySpent({ ...a, delta }));
    const both = composedPrivacySpent([[a, b]], delta).epsilon;
    expect(both).toBeGreaterThanOrEqual(
      Math.max(privacySpent({ ...a, delta }).epsilon, privacySpent({ ...b, delta }).epsilon) - 1e-12,
    );
    expect(both).toBeLessThan(composedPrivacySpent([[a], [b]], delta).epsilon);
  });

  it('spends nothing without jobs and refuses a fit with fractional steps', () => {
    // Zero RDP still converts to the conversion's small floor at δ, as a run of no steps does.
    expect(composedPrivacySpent([], delta)).toEqual(privacySpent({ ...a, steps: 0, delta }));
    expect(() => composedPrivacySpent([[{ ...a, steps: 1.5 }]], delta)).toThrow(RangeError);
  });
});
