import {
  DAY_MS,
  HOUR_MS,
  SECOND_MS,
  type Channel,
  type Label,
  type Transaction,
} from '@fraudstream/contracts';
import {
  mixSeed,
  normal,
  poisson,
  stochasticRound,
  streamRng,
  uniform,
  uniformInt,
} from '@fraudstream/stats';
import { Population, defaultRadius } from './population';
import type {
  FraudScenario,
  ResolvedSimulationOptions,
  SimulatedDataset,
  SimulatedTransaction,
  SimulationEvent,
  SimulationOptions,
  DayEventSource,
} from './simulation.types';

const DAY_SECONDS = DAY_MS / SECOND_MS;
/** 2026-01-05T00:00:00Z, a Monday. */
export const DEFAULT_START_TIME = Date.UTC(2026, 0, 5);

/** Drift multipliers, documented in docs/simulator.md. */
export const DRIFT_EFFECTS = {
  spendingShift: { countMultiplier: 1.3, amountMultiplier: 1.4 },
  covariateOnly: {
    countMultiplier: 1.5,
    timeOfDayMeanSeconds: (10 * HOUR_MS) / SECOND_MS,
    timeOfDayStdSeconds: 28_000,
    cnpShift: 0.15,
  },
  fraudRateJump: { compromiseMultiplier: 3 },
  newFraudPattern: {
    cardsPer5k: 10,
    cardsPerFreshTerminal: 3,
    burstMin: 8,
    burstMax: 15,
    maxAmount: 15,
    nightHours: 5,
  },
} as const;

const BASE_TIME_OF_DAY_MEAN = DAY_SECONDS / 2;
const BASE_TIME_OF_DAY_STD = 20_000;

export function resolveSimulationOptions(options: SimulationOptions): ResolvedSimulationOptions {
  const terminals = options.terminals ?? 10_000;
  return {
    seed: options.seed,
    days: options.days,
    startTime: options.startTime ?? DEFAULT_START_TIME,
    customers: options.customers ?? 5_000,
    terminals,
    maxMeanTxPerDay: options.maxMeanTxPerDay ?? 20,
    radius: options.radius ?? defaultRadius(terminals),
    scenario: options.scenario ?? 'stable',
    driftDay: options.driftDay ?? 7,
    driftIntensity: options.driftIntensity ?? 1,
    largeAmountThreshold: options.largeAmountThreshold ?? 220,
    compromisedTerminalsPer10k: options.compromisedTerminalsPer10k ?? 2,
    compromisedTerminalDays: options.compromisedTerminalDays ?? 28,
    compromisedCardsPer5k: options.compromisedCardsPer5k ?? 3,
    compromisedCardDays: options.compromisedCardDays ?? 14,
    compromisedCardShare: options.compromisedCardShare ?? 1 / 3,
    compromisedCardMultiplier: options.compromisedCardMultiplier ?? 5,
    chargebackDelayDays: options.chargebackDelayDays ?? [1, 7],
    compromiseStartDay: options.compromiseStartDay ?? null,
    wholeSecondTimes: options.wholeSecondTimes ?? false,
  };
}

/**
 * The Fraud Detection Handbook's simulated dataset (its chapter 3 generator): 5,000 customers and
 * 10,000 terminals on a 100x100 grid, radius 5, a customer's mean transactions a day uniform in
 * [0, 4], 183 days from 2018-04-01, the three fraud scenarios with the handbook's parameters
 * (amount > 220; 2 terminals a day for 28 days; 3 cards a day for 14 days, a third of their
 * payments x5), compromises from the first day, times in whole seconds. docs/benchmarks.md compares
 * what this gives with the published dataset.
 */
export const HANDBOOK_SIMULATION = {
  days: 183,
  startTime: Date.UTC(2018, 3, 1),
  customers: 5_000,
  terminals: 10_000,
  maxMeanTxPerDay: 4,
  radius: 5,
  largeAmountThreshold: 220,
  compromisedTerminalsPer10k: 2,
  compromisedTerminalDays: 28,
  compromisedCardsPer5k: 3,
  compromisedCardDays: 14,
  compromisedCardShare: 1 / 3,
  compromisedCardMultiplier: 5,
  compromiseStartDay: -1,
  wholeSecondTimes: true,
} as const satisfies Omit<SimulationOptions, 'seed'>;

interface Draft {
  customer: number;
  seq: number;
  /** Milliseconds into the day. */
  ms: number;
  baseAmount: number;
  amount: number;
  terminalId: string;
  terminal: number;
  channel: Channel;
  cardDraw: number;
  scenario: FraudScenario;
}

function cents(x: number): number {
  return Math.round(x * 100) / 100;
}

/**
 * The deterministic transaction simulator. Day by day it generates every customer's payments,
 * applies the fraud scenarios and the drift scenario, and interleaves the chargebacks that fall due
 * that day. Each day, and each compromise schedule, draws from its own seeded stream, so a drift
 * scenario changes nothing before its day and the same options always give the same records.
 */
export class TransactionSimulator implements DayEventSource {
  readonly options: ResolvedSimulationOptions;
  readonly population: Population;
  /**
   * 8 hex digits naming the run's options (all but `days`), part of every transaction id: two runs
   * with different options never reuse an id for different records, while a longer run with the same
   * options repeats a shorter one's records, ids included.
   */
  readonly runId: string;
  private nextDayIndex = 0;
  private pendingLabels: Label[] = [];
  private readonly terminalCompromises = new Map<number, number[]>();
  private readonly cardCompromises = new Map<number, number[]>();

  constructor(options: SimulationOptions) {
    this.options = resolveSimulationOptions(options);
    const o = this.options;
    if (!Number.isInteger(o.days) || o.days < 0)
      throw new RangeError(`days must be a non-negative integer, got ${o.days}`);
    if (o.customers < 1 || o.terminals < 1)
      throw new RangeError('customers and terminals must be at least 1');
    const { days: _days, compromiseStartDay, wholeSecondTimes, ...named } = o;
    // Options added later join the hash only when set, so the earlier runs keep their ids.
    const extra = {
      ...(compromiseStartDay !== null ? { compromiseStartDay } : {}),
      ...(wholeSecondTimes ? { wholeSecondTimes } : {}),
    };
    this.runId = mixSeed(JSON.stringify({ ...named, ...extra }))
      .toString(16)
      .padStart(8, '0');
    this.population = Population.generate({
      seed: o.seed,
      customers: o.customers,
      terminals: o.terminals,
      maxMeanTxPerDay: o.maxMeanTxPerDay,
      radius: o.radius,
    });
  }

  /** Simulated days. */
  get days(): number {
    return this.options.days;
  }

  /** Event time of the start of a day. */
  dayStart(day: number): number {
    return this.options.startTime + day * DAY_MS;
  }

  /** Chargebacks generated but not yet due (their event time is past the last simulated day). */
  get undueLabels(): readonly Label[] {
    return this.pendingLabels;
  }

  /** True while days remain. */
  get hasNextDay(): boolean {
    return this.nextDayIndex < this.options.days;
  }

  /** The whole run as one event-time-ordered stream. */
  *events(): Generator<SimulationEvent> {
    while (this.hasNextDay) yield* this.nextDay();
  }

  /** The events of the next day: its transactions and the labels that fall due during it, in event-time order. */
  nextDay(): SimulationEvent[] {
    if (!this.hasNextDay) return [];
    const day = this.nextDayIndex++;
    const transactions = this.simulateDay(day);
    const dayEnd = this.dayStart(day + 1);
    const due = this.pendingLabels.filter((l) => l.event_time < dayEnd);
    this.pendingLabels = this.pendingLabels.filter((l) => l.event_time >= dayEnd);
    due.sort((a, b) => a.event_time - b.event_time || (a.transaction_id < b.transaction_id ? -1 : 1));
    const events: SimulationEvent[] = [];
    let li = 0;
    for (const { transaction, truth } of transactions) {
      while (li < due.length && (due[li]?.event_time ?? Infinity) <= transaction.event_time) {
        const label = due[li++];
        if (label) events.push({ kind: 'label', label });
      }
      events.push({ kind: 'transaction', transaction, truth });
    }
    for (; li < due.length; li++) {
      const label = due[li];
      if (label) events.push({ kind: 'label', label });
    }
    return events;
  }

  private driftActive(day: number): boolean {
    return this.options.scenario !== 'stable' && day >= this.options.driftDay;
  }

  private compromiseMultiplier(day: number): number {
    return this.driftActive(day) && this.options.scenario === 'fraud-rate-jump'
      ? this.scaled(DRIFT_EFFECTS.fraudRateJump.compromiseMultiplier)
      : 1;
  }

  /** A drift multiplier at the run's intensity: 1 + (m − 1) × intensity. */
  private scaled(multiplier: number): number {
    return 1 + (multiplier - 1) * this.options.driftIntensity;
  }

  /** Terminals compromised on `day` (deterministic; days before 0 warm the process up to its steady state). */
  private terminalsCompromisedOn(day: number): number[] {
    let list = this.terminalCompromises.get(day);
    if (!list) {
      const o = this.options;
      const rng = streamRng(o.seed, 'compromised-terminals', day);
      const expected =
        ((o.compromisedTerminalsPer10k * o.terminals) / 10_000) * this.compromiseMultiplier(day);
      const count = stochasticRound(rng, expected);
      list = Array.from({ length: count }, () => uniformInt(rng, o.terminals));
      this.terminalCompromises.set(day, list);
    }
    return list;
  }

  private cardsCompromisedOn(day: number): number[] {
    let list = this.cardCompromises.get(day);
    if (!list) {
      const o = this.options;
      const rng = streamRng(o.seed, 'compromised-cards', day);
      const expected = ((o.compromisedCardsPer5k * o.customers) / 5_000) * this.compromiseMultiplier(day);
      const count = stochasticRound(rng, expected);
      list = Array.from({ length: count }, () => uniformInt(rng, o.customers));
      this.cardCompromises.set(day, list);
    }
    return list;
  }

  /** Compromised on one of the `span` days before `day` (so abused during the `span` days after). */
  private active(day: number, span: number, on: (d: number) => number[]): Set<number> {
    const set = new Set<number>();
    const first = Math.max(day - span, this.options.compromiseStartDay ?? -Infinity);
    for (let d = first; d < day; d++) for (const i of on(d)) set.add(i);
    return set;
  }

  /** One day's transactions in event-time order, with the chargebacks they cause queued. */
  simulateDay(day: number): SimulatedTransaction[] {
    const o = this.options;
    const drift = this.driftActive(day) ? o.scenario : 'stable';
    const rng = streamRng(o.seed, 'transactions', day);
    let countMultiplier = 1;
    let amountMultiplier = 1;
    let todMean = BASE_TIME_OF_DAY_MEAN;
    let todStd = BASE_TIME_OF_DAY_STD;
    let cnpShift = 0;
    const intensity = o.driftIntensity;
    if (drift === 'spending-shift') {
      countMultiplier = this.scaled(DRIFT_EFFECTS.spendingShift.countMultiplier);
      amountMultiplier = this.scaled(DRIFT_EFFECTS.spendingShift.amountMultiplier);
    } else if (drift === 'covariate-only') {
      const p = DRIFT_EFFECTS.covariateOnly;
      countMultiplier = this.scaled(p.countMultiplier);
      todMean += (p.timeOfDayMeanSeconds - BASE_TIME_OF_DAY_MEAN) * intensity;
      todStd += (p.timeOfDayStdSeconds - BASE_TIME_OF_DAY_STD) * intensity;
      cnpShift = Math.min(1, p.cnpShift * intensity);
    }

    const drafts: Draft[] = [];
    for (const c of this.population.customers) {
      const n = poisson(rng, c.meanTxPerDay * countMultiplier);
      for (let k = 0; k < n; k++) {
        const seconds = normal(rng, todMean, todStd);
        // The handbook keeps int(t) seconds with 0 < t < 86400; the default keeps milliseconds.
        const ms = o.wholeSecondTimes
          ? Math.trunc(seconds) > 0
            ? Math.trunc(seconds) * 1000
            : -1
          : Math.round(seconds * 1000);
        let base = normal(rng, c.meanAmount, c.stdAmount);
        if (base < 0) base = uniform(rng, 0, 2 * c.meanAmount);
        const pick = uniformInt(rng, Math.max(1, c.terminals.length));
        const cnp = rng() < c.cardNotPresentShare + cnpShift;
        const cardDraw = rng();
        // Like the classic simulator: a time outside the day, or a customer with no terminal nearby, is no payment.
        const terminal = c.terminals[pick];
        if (ms < 0 || ms >= DAY_MS || terminal === undefined) continue;
        const baseAmount = cents(base);
        drafts.push({
          customer: c.index,
          seq: drafts.length,
          ms,
          baseAmount,
          amount: cents(baseAmount * amountMultiplier),
          terminal,
          terminalId: this.population.terminals[terminal]?.id ?? '',
          channel: cnp ? 'CARD_NOT_PRESENT' : 'CARD_PRESENT',
          cardDraw,
          scenario: 'none',
        });
      }
    }
    if (drift === 'new-fraud-pattern') this.addNewPatternFraud(day, drafts);

    // Fraud scenarios, in the classic simulator's order (a later one names the scenario).
    const terminals = this.active(day, o.compromisedTerminalDays, (d) => this.terminalsCompromisedOn(d));
    const cards = this.active(day, o.compromisedCardDays, (d) => this.cardsCompromisedOn(d));
    for (const d of drafts) {
      if (d.scenario === 'new-pattern') continue;
      if (d.baseAmount > o.largeAmountThreshold) d.scenario = 'large-amount';
      if (d.terminal >= 0 && terminals.has(d.terminal)) d.scenario = 'compromised-terminal';
      if (cards.has(d.customer) && d.cardDraw < o.compromisedCardShare) {
        d.amount = cents(d.amount * o.compromisedCardMultiplier);
        d.channel = 'CARD_NOT_PRESENT';
        d.scenario = 'compromised-card';
      }
    }

    drafts.sort((a, b) => a.ms - b.ms || a.seq - b.seq);
    const start = this.dayStart(day);
    const labelRng = streamRng(o.seed, 'chargebacks', day);
    const [minDelay, maxDelay] = o.chargebackDelayDays;
    const out: SimulatedTransaction[] = [];
    drafts.forEach((d, i) => {
      const transaction_id = `tx-${o.seed}-${this.runId}-${day}-${i}`;
      const eventTime = start + d.ms;
      const customer = this.population.customers[d.customer];
      const transaction: Transaction = {
        transaction_id,
        card_id: customer?.id ?? '',
        terminal_id: d.terminalId,
        amount: d.amount,
        currency: 'EUR',
        channel: d.channel,
        event_time: eventTime,
        // Wall-clock ingest time is stamped by whoever publishes; in memory it equals event time.
        ingest_time: eventTime,
        age_band: customer?.ageBand ?? null,
        region: customer?.region ?? null,
      };
      const isFraud = d.scenario !== 'none';
      out.push({ transaction, truth: { transaction_id, is_fraud: isFraud, scenario: d.scenario } });
      if (isFraud) {
        const delay = Math.round(uniform(labelRng, minDelay, maxDelay) * DAY_MS);
        this.pendingLabels.push({
          transaction_id,
          card_id: transaction.card_id,
          terminal_id: transaction.terminal_id,
          is_fraud: true,
          source: 'CHARGEBACK',
          transaction_time: eventTime,
          event_time: eventTime + delay,
        });
      }
    });
    return out;
  }

  /**
   * The pattern no model has seen: each day a few stolen cards make bursts of small night-time
   * card-not-present payments at terminals that never existed before.
   */
  private addNewPatternFraud(day: number, drafts: Draft[]): void {
    const o = this.options;
    const p = DRIFT_EFFECTS.newFraudPattern;
    const rng = streamRng(o.seed, 'new-pattern', day);
    const cards = stochasticRound(rng, (p.cardsPer5k * o.driftIntensity * o.customers) / 5_000);
    const fresh = Math.max(1, Math.ceil(cards / p.cardsPerFreshTerminal));
    for (let k = 0; k < cards; k++) {
      const customer = uniformInt(rng, o.customers);
      const terminalId = `term-new-${day}-${uniformInt(rng, fresh)}`;
      const burst = p.burstMin + uniformInt(rng, p.burstMax - p.burstMin + 1);
      let ms = Math.floor(uniform(rng, 0, p.nightHours * HOUR_MS));
      for (let j = 0; j < burst; j++) {
        ms += 30_000 + uniformInt(rng, 300_000);
        const amount = cents(uniform(rng, 1, p.maxAmount));
        drafts.push({
          customer,
          seq: drafts.length,
          ms: Math.min(ms, DAY_MS - 1),
          baseAmount: amount,
          amount,
          terminal: -1,
          terminalId,
          channel: 'CARD_NOT_PRESENT',
          cardDraw: 1,
          scenario: 'new-pattern',
        });
      }
    }
  }
}

/** A whole run in memory: transactions, their truth and the labels due within the simulated days. */
export function generateDataset(options: SimulationOptions): SimulatedDataset {
  const simulator = new TransactionSimulator(options);
  const transactions: Transaction[] = [];
  const truth: SimulatedDataset['truth'] = [];
  const labels: Label[] = [];
  for (const event of simulator.events()) {
    if (event.kind === 'transaction') {
      transactions.push(event.transaction);
      truth.push(event.truth);
    } else {
      labels.push(event.label);
    }
  }
  return { transactions, truth, labels };
}
