import type { Label, Transaction } from '@fraudstream/contracts';

/** Named drift scenarios, switched on at an event-time day (docs/simulator.md says what each should trigger). */
export const DRIFT_SCENARIOS = [
  'stable',
  'new-fraud-pattern',
  'spending-shift',
  'covariate-only',
  'fraud-rate-jump',
] as const;

export type DriftScenario = (typeof DRIFT_SCENARIOS)[number];

export function isDriftScenario(name: string): name is DriftScenario {
  return (DRIFT_SCENARIOS as readonly string[]).includes(name);
}

/**
 * Why a transaction is fraud ('none' when legitimate). `unknown`: a fraud whose mechanism nobody
 * recorded (a bank's file with a fraud flag or labels only; the simulator never produces it).
 */
export type FraudScenario =
  'none' | 'large-amount' | 'compromised-terminal' | 'compromised-card' | 'new-pattern' | 'unknown';

export const FRAUD_SCENARIOS: readonly FraudScenario[] = [
  'none',
  'large-amount',
  'compromised-terminal',
  'compromised-card',
  'new-pattern',
  'unknown',
];

/** What only the simulator knows about a transaction. */
export interface GroundTruth {
  readonly transaction_id: string;
  readonly is_fraud: boolean;
  readonly scenario: FraudScenario;
}

export interface SimulatedTransaction {
  readonly transaction: Transaction;
  readonly truth: GroundTruth;
}

/** One record of the simulated stream, in event-time order (a label before a transaction of the same time). */
export type SimulationEvent =
  | { readonly kind: 'transaction'; readonly transaction: Transaction; readonly truth: GroundTruth }
  | { readonly kind: 'label'; readonly label: Label };

export interface SimulationOptions {
  readonly seed: number;
  /** Simulated days to produce. */
  readonly days: number;
  /** Event time of the start of day 0 (UTC epoch ms, a midnight). Default 2026-01-05T00:00Z, a Monday. */
  readonly startTime?: number;
  /** Customers (one card each). Default 5,000. */
  readonly customers?: number;
  /** Terminals. Default 10,000. */
  readonly terminals?: number;
  /** A customer's mean transactions a day is uniform in [0, this]. Default 20 (about 50k a day for 5,000). */
  readonly maxMeanTxPerDay?: number;
  /** Radius on the 100x100 grid within which a customer uses terminals. Default: 5, or larger for few terminals. */
  readonly radius?: number;
  readonly scenario?: DriftScenario;
  /** First event-time day (0-based) of the drift scenario. Default 7. */
  readonly driftDay?: number;
  /**
   * Effect size of the drift scenario: its multipliers become 1 + (m − 1) × intensity, its shifts
   * and the new pattern's cards a day scale by it (docs/simulator.md). Default 1; 0 is no drift.
   */
  readonly driftIntensity?: number;
  /** Fraud scenario (a): a transaction whose ordinary amount exceeds this is fraud. Default 220. */
  readonly largeAmountThreshold?: number;
  /** Fraud scenario (b): compromised terminals a day per 10,000 terminals. Default 2. */
  readonly compromisedTerminalsPer10k?: number;
  /** Days a compromised terminal stays compromised. Default 28. */
  readonly compromisedTerminalDays?: number;
  /** Fraud scenario (c): compromised cards a day per 5,000 customers. Default 3. */
  readonly compromisedCardsPer5k?: number;
  /** Days a compromised card is abused. Default 14. */
  readonly compromisedCardDays?: number;
  /** Share of a compromised card's transactions that are fraud. Default 1/3. */
  readonly compromisedCardShare?: number;
  /** Amount multiplier of compromised-card fraud. Default 5. */
  readonly compromisedCardMultiplier?: number;
  /** Chargeback delay, uniform in [min, max) days of event time. Default [1, 7). */
  readonly chargebackDelayDays?: readonly [number, number];
  /**
   * First day (0-based, may be negative) on which terminals and cards are compromised. Default:
   * none, i.e. compromises run from before day 0, so day 0 is already in the steady state. The
   * Fraud Detection Handbook's generator starts them with the data (a month of ramp-up): -1 here,
   * since a compromise drawn on day d is abused from day d + 1 (the handbook's from day d).
   */
  readonly compromiseStartDay?: number | null;
  /**
   * Times of day in whole seconds, truncated toward zero, a time of exactly 00:00:00 dropped (the
   * handbook's `int(normal(...))` and `0 < t < 86400`). Default false: milliseconds.
   */
  readonly wholeSecondTimes?: boolean;
}

/** The defaults, resolved. */
export type ResolvedSimulationOptions = Required<SimulationOptions>;

/**
 * Something that yields a stream's events day by day in event-time order: the simulator, or a
 * bank's file replayed (the simulator app and `npm run import` publish either).
 */
export interface DayEventSource {
  /** Days the source holds. */
  readonly days: number;
  /** Event time of the start of a day (0-based). */
  dayStart(day: number): number;
  readonly hasNextDay: boolean;
  /** The next day's events: its transactions and the labels falling due during it, event-time order. */
  nextDay(): SimulationEvent[];
}

/** A whole simulated run in memory (tests, benchmarks, offline training sets). */
export interface SimulatedDataset {
  readonly transactions: Transaction[];
  readonly truth: GroundTruth[];
  readonly labels: Label[];
}
