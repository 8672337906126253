import { describe, expect, it } from 'vitest';
import { seededRandom } from './drift-test.fixtures';
import { BernoulliCusum, Sprt } from './sequential-tests';

describe(Sprt.name, () => {
  const settings = { p0: 0.05, p1: 0.3, alpha: 0.001, beta: 0.05 };

  it("uses Wald's bounds and log-likelihood increments", () => {
    const sprt = new Sprt(settings);
    // ln((1 - 0.05) / 0.001) and ln(0.05 / 0.999), by hand.
    expect(sprt.upper).toBeCloseTo(6.856_462, 5);
    expect(sprt.lower).toBeCloseTo(-2.994_732, 5);
    expect(sprt.observe(true)).toBeNull();
    // One success: ln(0.3 / 0.05) = ln 6.
    expect(sprt.state.llr).toBeCloseTo(Math.log(6), 12);
    expect(sprt.observe(false)).toBeNull();
    expect(sprt.state.llr).toBeCloseTo(Math.log(6) + Math.log(0.7 / 0.95), 12);
  });

  it('says H1 after four straight successes and starts again', () => {
    const sprt = new Sprt(settings);
    // 3 ln 6 = 5.38 < 6.86 <= 4 ln 6 = 7.17.
    expect([true, true, true].map((x) => sprt.observe(x))).toEqual([null, null, null]);
    expect(sprt.observe(true)).toBe('H1');
    expect(sprt.state).toEqual({ llr: 0, successes: 0, trials: 0 });
  });

  it('says H0 after ten straight failures', () => {
    const sprt = new Sprt(settings);
    // ln(0.7 / 0.95) = -0.3054 a failure: the 10th passes -2.99.
    const decisions = Array.from({ length: 10 }, () => sprt.observe(false));
    expect(decisions.slice(0, 9).every((d) => d === null)).toBe(true);
    expect(decisions[9]).toBe('H0');
  });

  it('keeps its false-alarm rate below alpha when p = p0 (simulated)', () => {
    const random = seededRandom(7);
    let alarms = 0;
    const runs = 20_000;
    for (let r = 0; r < runs; r++) {
      const sprt = new Sprt(settings);
      for (;;) {
        const d = sprt.observe(random() < settings.p0);
        if (d === 'H1') alarms++;
        if (d) break;
      }
    }
    expect(alarms / runs).toBeLessThan(settings.alpha);
  });

  it('refuses hypotheses that are not ordered in (0, 1)', () => {
    expect(() => new Sprt({ ...settings, p1: 0.01 })).toThrow(RangeError);
    expect(() => new Sprt({ ...settings, alpha: 0 })).toThrow(RangeError);
  });
});

describe(BernoulliCusum.name, () => {
  it('accumulates log-likelihood ratios, floors at zero and restarts after an alarm', () => {
    const cusum = new BernoulliCusum({ p0: 0.2, p1: 0.5, h: 2 });
    expect(cusum.observe(false)).toBe(false);
    expect(cusum.state.statistic).toBe(0);
    cusum.observe(true);
    // ln(0.5 / 0.2) = 0.9163.
    expect(cusum.state.statistic).toBeCloseTo(Math.log(2.5), 12);
    cusum.observe(true);
    expect(cusum.observe(true)).toBe(true);
    expect(cusum.state.statistic).toBe(0);
  });

  it('has an in-control run length far above e^h / 10 observations and detects the change quickly (simulated)', () => {
    const settings = { p0: 0.2, p1: 0.43, h: 7 };
    const random = seededRandom(11);
    const runLength = (p: number) => {
      const cusum = new BernoulliCusum(settings);
      for (let n = 1; n < 1_000_000; n++) if (cusum.observe(random() < p)) return n;
      return 1_000_000;
    };
    const inControl = Array.from({ length: 40 }, () => runLength(0.2)).sort((a, b) => a - b);
    const shifted = Array.from({ length: 200 }, () => runLength(0.43)).sort((a, b) => a - b);
    // Median in-control run length: thousands of observations; after the change: tens.
    expect(inControl[20]).toBeGreaterThan(2_000);
    expect(shifted[100]).toBeLessThan(80);
  });
});
