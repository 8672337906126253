import { createHash } from 'node:crypto';
import { HOUR_MS, DAY_MS } from '@fraudstream/contracts';
import { describe, expect, it } from 'vitest';
import { AGE_BANDS, REGIONS } from './population';
import type { SimulatedDataset, SimulationOptions } from './simulation.types';
import {
  DRIFT_EFFECTS,
  HANDBOOK_SIMULATION,
  TransactionSimulator,
  generateDataset,
} from './transaction.simulator';

const SMALL: SimulationOptions = { seed: 3, days: 4, customers: 200, terminals: 400 };

function dayOf(sim: SimulatedDataset, i: number): number {
  const first = sim.transactions[0]?.event_time ?? 0;
  return Math.floor(((sim.transactions[i]?.event_time ?? 0) - (first - (first % DAY_MS))) / DAY_MS);
}

/** Per-period statistics of a run: [days before the drift day, days from `from` on]. */
function periods(sim: SimulatedDataset, driftDay: number, from: number) {
  const stats = [0, 1].map(() => ({
    days: new Set<number>(),
    n: 0,
    frauds: 0,
    legitAmount: 0,
    legit: 0,
    night: 0,
  }));
  sim.transactions.forEach((tx, i) => {
    const day = dayOf(sim, i);
    const s = day < driftDay ? stats[0] : day >= from ? stats[1] : undefined;
    if (!s) return;
    s.days.add(day);
    s.n += 1;
    if (sim.truth[i]?.is_fraud) s.frauds += 1;
    else {
      s.legit += 1;
      s.legitAmount += tx.amount;
    }
    if (Math.floor((tx.event_time % DAY_MS) / HOUR_MS) < 6) s.night += 1;
  });
  return stats.map((s) => ({
    perDay: s.n / s.days.size,
    fraudRate: s.frauds / s.n,
    meanLegitAmount: s.legitAmount / s.legit,
    nightShare: s.night / s.n,
  }));
}

function withoutIds(sim: SimulatedDataset) {
  return {
    transactions: sim.transactions.map((t) => ({ ...t, transaction_id: '' })),
    truth: sim.truth.map((t) => ({ ...t, transaction_id: '' })),
  };
}

describe(TransactionSimulator.name, () => {
  it('names transactions after the run: a longer run repeats a shorter one, other options get other ids', () => {
    const short = generateDataset({ ...SMALL, days: 1 });
    const long = generateDataset({ ...SMALL, days: 2 });
    expect(long.transactions.slice(0, short.transactions.length)).toEqual(short.transactions);
    const other = generateDataset({ ...SMALL, days: 1, customers: 201 });
    const ids = new Set(short.transactions.map((t) => t.transaction_id));
    expect(other.transactions.some((t) => ids.has(t.transaction_id))).toBe(false);
    expect(short.transactions[0]?.transaction_id).toMatch(/^tx-3-[0-9a-f]{8}-0-0$/);
  });

  it('gives the same records for the same seed and options, and other records for another seed', () => {
    const a = generateDataset(SMALL);
    const b = generateDataset(SMALL);
    expect(b).toEqual(a);
    expect(a.transactions.length).toBeGreaterThan(1000);
    const c = generateDataset({ ...SMALL, seed: 4 });
    expect(c.transactions.map((t) => t.amount)).not.toEqual(a.transactions.map((t) => t.amount));
  });

  it('emits one event-time-ordered stream in which a label follows its transaction', () => {
    const sim = new TransactionSimulator({ ...SMALL, days: 10 });
    let last = -Infinity;
    const seen = new Set<string>();
    let labels = 0;
    for (const event of sim.events()) {
      const time = event.kind === 'transaction' ? event.transaction.event_time : event.label.event_time;
      expect(time).toBeGreaterThanOrEqual(last);
      last = time;
      if (event.kind === 'transaction') seen.add(event.transaction.transaction_id);
      else {
        labels += 1;
        expect(seen.has(event.label.transaction_id)).toBe(true);
        expect(event.label.event_time).toBeGreaterThan(event.label.transaction_time);
      }
    }
    expect(labels).toBeGreaterThan(0);
    // Chargebacks due after the last simulated day are held back, not emitted early.
    expect(sim.undueLabels.every((l) => l.event_time >= sim.dayStart(10))).toBe(true);
  });

  it('draws customers, terminals within the radius and non-negative amounts', () => {
    const sim = new TransactionSimulator(SMALL);
    const { customers, terminals } = sim.population;
    const byId = new Map(customers.map((c) => [c.id, c]));
    const terminalById = new Map(terminals.map((t) => [t.id, t]));
    for (const event of sim.events()) {
      if (event.kind !== 'transaction') continue;
      const tx = event.transaction;
      expect(tx.amount).toBeGreaterThanOrEqual(0);
      const c = byId.get(tx.card_id);
      const t = terminalById.get(tx.terminal_id);
      if (!c || !t) throw new Error(`unknown card or terminal in ${tx.transaction_id}`);
      expect(Math.hypot(c.x - t.x, c.y - t.y)).toBeLessThanOrEqual(sim.options.radius);
    }
  });

  it('marks every transaction whose ordinary amount exceeds the threshold as fraud', () => {
    const sim = generateDataset({ ...SMALL, largeAmountThreshold: 120 });
    const large = sim.transactions.filter((t) => t.amount > 120 && t.channel === 'CARD_PRESENT');
    expect(large.length).toBeGreaterThan(10);
    const truth = new Map(sim.truth.map((t) => [t.transaction_id, t]));
    for (const t of large) expect(truth.get(t.transaction_id)?.is_fraud).toBe(true);
  });

  it('abuses a compromised card on about a third of its payments, card-not-present, amounts multiplied', () => {
    const sim = generateDataset({ ...SMALL, days: 20, compromisedCardsPer5k: 100 });
    const byCard = new Map<string, { all: number; fraud: number }>();
    sim.transactions.forEach((tx, i) => {
      const truth = sim.truth[i];
      if (truth?.scenario === 'compromised-card') expect(tx.channel).toBe('CARD_NOT_PRESENT');
      const s = byCard.get(tx.card_id) ?? { all: 0, fraud: 0 };
      s.all += 1;
      if (truth?.scenario === 'compromised-card') s.fraud += 1;
      byCard.set(tx.card_id, s);
    });
    const abused = [...byCard.values()].filter((s) => s.fraud > 0);
    expect(abused.length).toBeGreaterThan(10);
    const frauds = sim.truth.filter((t) => t.scenario === 'compromised-card').length;
    expect(frauds).toBeGreaterThan(200);
  });

  it('compromises a terminal for the following 28 days: all its payments then are fraud', () => {
    const sim = generateDataset({ ...SMALL, days: 6, compromisedTerminalsPer10k: 500 });
    const fraudByTerminal = new Map<string, { all: number; fraud: number }>();
    sim.transactions.forEach((tx, i) => {
      const s = fraudByTerminal.get(tx.terminal_id) ?? { all: 0, fraud: 0 };
      s.all += 1;
      if (sim.truth[i]?.scenario === 'compromised-terminal') s.fraud += 1;
      fraudByTerminal.set(tx.terminal_id, s);
    });
    // Warm-up: terminals compromised during the 28 days before day 0 are already being abused.
    const compromised = [...fraudByTerminal.values()].filter((s) => s.fraud > 0);
    expect(compromised.length).toBeGreaterThan(50);
  });

  it("with the handbook's options, starts compromises with the data and keeps whole-second times", () => {
    const options = { ...HANDBOOK_SIMULATION, seed: 3, days: 3, customers: 200, terminals: 400 };
    const ramp = generateDataset({ ...options, compromisedTerminalsPer10k: 500 });
    const steady = generateDataset({ ...options, compromisedTerminalsPer10k: 500, compromiseStartDay: null });
    const terminalFrauds = (sim: SimulatedDataset, day: number) =>
      sim.truth.filter((t, i) => t.scenario === 'compromised-terminal' && dayOf(sim, i) === day).length;
    // A compromise drawn on day d is abused from day d + 1; the handbook's first compromises (its
    // day 0, our day -1) are abused from day 0, the steady state has 28 days of them by then.
    expect(terminalFrauds(ramp, 0)).toBeGreaterThan(0);
    expect(terminalFrauds(steady, 0)).toBeGreaterThan(5 * terminalFrauds(ramp, 0));
    expect(terminalFrauds(ramp, 2)).toBeGreaterThan(terminalFrauds(ramp, 0));
    for (const tx of ramp.transactions) {
      expect(tx.event_time % 1000).toBe(0);
      expect(tx.event_time % DAY_MS).toBeGreaterThan(0);
    }
    expect(ramp.transactions[0]?.event_time).toBeGreaterThanOrEqual(Date.UTC(2018, 3, 1));
    // The default (milliseconds, steady state) is what it always was: the ids do not change.
    expect(new TransactionSimulator(SMALL).runId).toBe(
      new TransactionSimulator({ ...SMALL, compromiseStartDay: null }).runId,
    );
  });

  it('gives each customer an age band and a region on all its payments, and leaves every other field of every record as it was before segments existed', () => {
    // Digests of the streams recorded before the simulator had segments (the events as JSON, in
    // order): with the two attributes taken out, the transactions, truth and chargebacks of a seed
    // are byte for byte the same, so every earlier benchmark and test stream is unchanged.
    const recorded: [SimulationOptions, string][] = [
      [
        { seed: 7, days: 12, customers: 400, terminals: 800, scenario: 'new-fraud-pattern', driftDay: 5 },
        '2594098f40aefc31093f5736de4be87a3d82c33de541565f9989842f72fd73c5',
      ],
      [
        { seed: 11, days: 6, customers: 300, scenario: 'fraud-rate-jump', driftDay: 2 },
        '4a73362b50fda5ee11926b4bc8f39c7f65f9638aa73187887739aa58c47e9857',
      ],
      [
        { seed: 42, days: 5, customers: 300, scenario: 'covariate-only', driftDay: 2 },
        '80cc92b944ac5cf998f99bc6e7fb17b0dc54635b96c200c3693e4f91c05f9b7a',
      ],
    ];
    for (const [options, digest] of recorded) {
      const simulator = new TransactionSimulator(options);
      const hash = createHash('sha256');
      const segments = new Map<string, string>();
      for (const event of simulator.events()) {
        if (event.kind === 'transaction') {
          const { age_band, region, ...fields } = event.transaction;
          expect(AGE_BANDS.map((b) => b.value)).toContain(age_band);
          expect(REGIONS.map((r) => r.value)).toContain(region);
          const seen = segments.get(fields.card_id) ?? `${age_band}/${region}`;
          expect(`${age_band}/${region}`).toBe(seen);
          segments.set(fields.card_id, seen);
          hash.update(JSON.stringify({ ...event, transaction: fields }));
        } else hash.update(JSON.stringify(event));
      }
      expect(hash.digest('hex')).toBe(digest);
    }
  });

  it('draws the segments with their shares, whatever else the options change', () => {
    const customers = new TransactionSimulator({ seed: 5, days: 0, customers: 20_000, terminals: 100 })
      .population.customers;
    for (const [values, of] of [
      [AGE_BANDS, (c: (typeof customers)[number]) => c.ageBand],
      [REGIONS, (c: (typeof customers)[number]) => c.region],
    ] as const) {
      for (const { value, share } of values) {
        const n = customers.filter((c) => of(c) === value).length;
        // 4 binomial standard deviations: about 0.013 at these shares.
        expect(Math.abs(n / customers.length - share)).toBeLessThan(
          4 * Math.sqrt((share * (1 - share)) / customers.length),
        );
      }
    }
    // Another population size or drift scenario keeps a customer's segment (its own stream, by index).
    const other = new TransactionSimulator({
      seed: 5,
      days: 0,
      customers: 20_000,
      terminals: 5_000,
      scenario: 'spending-shift',
    }).population.customers;
    expect(other.slice(0, 50).map((c) => `${c.ageBand}/${c.region}`)).toEqual(
      customers.slice(0, 50).map((c) => `${c.ageBand}/${c.region}`),
    );
  });

  it('changes nothing before the drift day, whatever the scenario', () => {
    // Many compromises a day, so that tripling them certainly changes the drifted days' truth.
    const options = { ...SMALL, days: 5, driftDay: 3, compromisedCardsPer5k: 100 };
    const stable = generateDataset({ ...options, scenario: 'stable' });
    const cutoff = stable.transactions.findIndex((t) => t.event_time >= Date.UTC(2026, 0, 8));
    expect(cutoff).toBeGreaterThan(0);
    for (const scenario of [
      'new-fraud-pattern',
      'spending-shift',
      'covariate-only',
      'fraud-rate-jump',
    ] as const) {
      // Ids name the run's options (the scenario among them); everything else must be identical.
      const drifted = withoutIds(generateDataset({ ...options, scenario }));
      expect(drifted.transactions.slice(0, cutoff)).toEqual(withoutIds(stable).transactions.slice(0, cutoff));
      expect(drifted.truth.slice(0, cutoff)).toEqual(withoutIds(stable).truth.slice(0, cutoff));
      expect([drifted.transactions.slice(cutoff), drifted.truth.slice(cutoff)]).not.toEqual([
        withoutIds(stable).transactions.slice(cutoff),
        withoutIds(stable).truth.slice(cutoff),
      ]);
    }
  });

  describe('drift scenario signatures (days 0-6 against days 7-13, or 21-27 for slow ones)', () => {
    const base: SimulationOptions = { seed: 21, days: 14, customers: 600, terminals: 1200, driftDay: 7 };

    it('stable: volume, amounts, time of day and fraud rate stay put', () => {
      const [before, after] = periods(generateDataset({ ...base, scenario: 'stable' }), 7, 7);
      if (!before || !after) throw new Error('no periods');
      expect(after.perDay / before.perDay).toBeCloseTo(1, 1);
      expect(after.meanLegitAmount / before.meanLegitAmount).toBeCloseTo(1, 1);
      expect(Math.abs(after.nightShare - before.nightShare)).toBeLessThan(0.01);
    });

    it('spending-shift: 1.3x the legitimate payments, 1.4x their amounts', () => {
      const [before, after] = periods(generateDataset({ ...base, scenario: 'spending-shift' }), 7, 7);
      if (!before || !after) throw new Error('no periods');
      expect(after.perDay / before.perDay).toBeCloseTo(DRIFT_EFFECTS.spendingShift.countMultiplier, 1);
      expect(after.meanLegitAmount / before.meanLegitAmount).toBeCloseTo(
        DRIFT_EFFECTS.spendingShift.amountMultiplier,
        1,
      );
    });

    it('covariate-only: more, later and more night-time payments; same amounts and fraud rate', () => {
      const [before, after] = periods(generateDataset({ ...base, scenario: 'covariate-only' }), 7, 7);
      if (!before || !after) throw new Error('no periods');
      expect(after.perDay / before.perDay).toBeCloseTo(1.5 * (0.8647 / 0.9692), 1);
      // Night share, closed form for N(12h, 20000 s) and N(10h, 28000 s) truncated to the day: 0.129 -> 0.232.
      expect(before.nightShare).toBeCloseTo(0.129, 1);
      expect(after.nightShare).toBeCloseTo(0.232, 1);
      expect(after.meanLegitAmount / before.meanLegitAmount).toBeCloseTo(1, 1);
      expect(after.fraudRate / before.fraudRate).toBeGreaterThan(0.7);
      expect(after.fraudRate / before.fraudRate).toBeLessThan(1.4);
    });

    it('fraud-rate-jump: the fraud rate roughly doubles once the new compromises accumulate', () => {
      const sim = generateDataset({ ...base, days: 28, scenario: 'fraud-rate-jump' });
      const [before, after] = periods(sim, 7, 21);
      if (!before || !after) throw new Error('no periods');
      expect(after.fraudRate / before.fraudRate).toBeGreaterThan(1.8);
      expect(after.perDay / before.perDay).toBeCloseTo(1, 1);
    });

    it('new-fraud-pattern: bursts of small night-time online payments at never-seen terminals', () => {
      const sim = generateDataset({ ...base, scenario: 'new-fraud-pattern' });
      const known = new Set(new TransactionSimulator(base).population.terminals.map((t) => t.id));
      const fresh = sim.transactions.filter((_, i) => sim.truth[i]?.scenario === 'new-pattern');
      expect(fresh.length).toBeGreaterThan(7 * 10 * (600 / 5000) * 8 * 0.5);
      for (const tx of fresh) {
        expect(tx.event_time).toBeGreaterThanOrEqual(Date.UTC(2026, 0, 12));
        expect(known.has(tx.terminal_id)).toBe(false);
        expect(tx.amount).toBeLessThanOrEqual(15);
        expect(tx.channel).toBe('CARD_NOT_PRESENT');
        expect(Math.floor((tx.event_time % DAY_MS) / HOUR_MS)).toBeLessThan(6);
      }
      const [before, after] = periods(sim, 7, 7);
      if (!before || !after) throw new Error('no periods');
      expect(after.fraudRate).toBeGreaterThan(before.fraudRate);
    });

    it('scales the effect by driftIntensity: none at 0, about three times the new-pattern fraud at 3', () => {
      const newPattern = (driftIntensity: number) =>
        generateDataset({ ...base, days: 21, scenario: 'new-fraud-pattern', driftIntensity }).truth.filter(
          (t) => t.scenario === 'new-pattern',
        ).length;
      expect(newPattern(0)).toBe(0);
      const ratio = newPattern(3) / newPattern(1);
      expect(ratio).toBeGreaterThan(2.2);
      expect(ratio).toBeLessThan(3.8);

      const jump = (driftIntensity: number) => {
        const [before, after] = periods(
          generateDataset({ ...base, days: 21, scenario: 'fraud-rate-jump', driftIntensity }),
          7,
          14,
        );
        if (!before || !after) throw new Error('no periods');
        return after.fraudRate / before.fraudRate;
      };
      expect(jump(0)).toBeCloseTo(1, 0);
      expect(jump(2)).toBeGreaterThan(jump(1));
    });
  });
});
