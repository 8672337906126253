import { describe, expect, it } from 'vitest';
import { seededRandom } from './drift-test.fixtures';
import { BernoulliCusum, Sprt, twoWayDesignEffect, type ClusteredObservation } from './sequential-tests';

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

describe(twoWayDesignEffect.name, () => {
  /** `groups` clusters of `size` observations sharing one outcome, a card or a terminal each. */
  const clustered = (
    groups: number,
    size: number,
    by: 'card' | 'terminal' | 'both',
  ): ClusteredObservation[] =>
    Array.from({ length: groups * size }, (_, i) => {
      const g = Math.floor(i / size);
      return {
        card: by === 'terminal' ? `c${i}` : `c${g}`,
        terminal: by === 'card' ? `t${i}` : `t${g}`,
        success: g % 4 === 0,
      };
    });

  it('is 1 for independent observations and the cluster size when clusters share their outcome', () => {
    expect(twoWayDesignEffect(clustered(40, 1, 'both'))).toBeCloseTo(1, 12);
    expect(twoWayDesignEffect(clustered(40, 5, 'card'))).toBeCloseTo(5, 12);
    expect(twoWayDesignEffect(clustered(40, 5, 'terminal'))).toBeCloseTo(5, 12);
    // A card that only pays at one terminal is one cluster, not two.
    expect(twoWayDesignEffect(clustered(40, 5, 'both'))).toBeCloseTo(5, 12);
  });

  it('adds card and terminal clusters that cut across each other', () => {
    // 20 cards of 3 misses each, the cards' misses spread over 60 terminals; then 20 terminals of 3
    // misses each, on 60 cards; then 120 caught frauds alone. n = 240, p = 0.5.
    const obs: ClusteredObservation[] = [];
    for (let i = 0; i < 60; i++)
      obs.push({ card: `c${Math.floor(i / 3)}`, terminal: `ta${i}`, success: true });
    for (let i = 0; i < 60; i++)
      obs.push({ card: `cb${i}`, terminal: `t${Math.floor(i / 3)}`, success: true });
    for (let i = 0; i < 120; i++) obs.push({ card: `cc${i}`, terminal: `tc${i}`, success: false });
    // By hand: cards 20 * 1.5^2 + 60 * 0.25 + 120 * 0.25 = 90, terminals the same, cells 240 * 0.25
    // = 60: (90 + 90 - 60) / 60 = 2.
    expect(twoWayDesignEffect(obs)).toBeCloseTo(2, 12);
  });

  it('never goes below 1, and is 1 when every outcome is the same', () => {
    // Each card holds one success and one failure: negatively correlated, variance below binomial.
    const mixed = Array.from({ length: 40 }, (_, i) => ({
      card: `c${i >> 1}`,
      terminal: `t${i}`,
      success: i % 2 === 0,
    }));
    expect(twoWayDesignEffect(mixed)).toBe(1);
    expect(twoWayDesignEffect(clustered(10, 3, 'card').map((o) => ({ ...o, success: true })))).toBe(1);
    expect(twoWayDesignEffect([])).toBe(1);
  });

  it("keeps a CUSUM's in-control run length when its threshold is multiplied by it (simulated)", () => {
    // Misses in control at 0.2, in clusters of 1 to 8 (a compromised terminal's frauds are missed together).
    const random = seededRandom(29);
    const stream = function* (): Generator<ClusteredObservation> {
      for (let g = 0; ; g++) {
        const size = 1 + Math.floor(random() * 8);
        const success = random() < 0.2;
        for (let i = 0; i < size; i++) yield { card: `c${g}-${i}`, terminal: `t${g}`, success };
      }
    };
    const settings = { p0: 0.2, p1: 0.43, h: 7 };
    const runLength = (robust: boolean) => {
      const obs = stream();
      const burnIn = Array.from({ length: 300 }, () => obs.next().value as ClusteredObservation);
      const d = robust ? twoWayDesignEffect(burnIn) : 1;
      const cusum = new BernoulliCusum({ ...settings, h: settings.h * d });
      for (let n = 1; n < 200_000; n++)
        if (cusum.observe((obs.next().value as ClusteredObservation).success)) return n;
      return 200_000;
    };
    const median = (robust: boolean) =>
      Array.from({ length: 21 }, () => runLength(robust)).sort((a, b) => a - b)[10] ?? 0;
    // Counted as independent, the clusters cross h within a few hundred observations; with the
    // design effect the run length is back in the thousands, as for independent observations.
    expect(median(false)).toBeLessThan(1_000);
    expect(median(true)).toBeGreaterThan(2_000);
  });
});
