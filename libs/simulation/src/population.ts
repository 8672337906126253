import { streamRng, uniform, type Rng } from '@fraudstream/stats';

export const GRID_SIZE = 100;

export interface Customer {
  readonly index: number;
  readonly id: string;
  readonly x: number;
  readonly y: number;
  readonly meanAmount: number;
  readonly stdAmount: number;
  readonly meanTxPerDay: number;
  /** Share of the customer's ordinary payments made card-not-present (online). */
  readonly cardNotPresentShare: number;
  /** Indices of the terminals within the radius of home. */
  readonly terminals: Int32Array;
  /** The cardholder's age band and home region: segments for the fairness evaluation, independent of fraud. */
  readonly ageBand: AgeBand;
  readonly region: Region;
}

/** Age bands of the simulated cardholders, with their shares of the population. */
export const AGE_BANDS = [
  { value: '18-29', share: 0.2 },
  { value: '30-44', share: 0.28 },
  { value: '45-64', share: 0.32 },
  { value: '65+', share: 0.2 },
] as const;

export type AgeBand = (typeof AGE_BANDS)[number]['value'];

/** Home regions of the simulated cardholders, with their shares (not the grid: fraud is local there). */
export const REGIONS = [
  { value: 'north', share: 0.3 },
  { value: 'south', share: 0.3 },
  { value: 'east', share: 0.25 },
  { value: 'west', share: 0.15 },
] as const;

export type Region = (typeof REGIONS)[number]['value'];

function pick<T>(rng: Rng, options: readonly { readonly value: T; readonly share: number }[]): T {
  let u = rng();
  for (const option of options) {
    if (u < option.share) return option.value;
    u -= option.share;
  }
  const last = options[options.length - 1];
  if (!last) throw new RangeError('no options to pick from');
  return last.value;
}

export interface Terminal {
  readonly index: number;
  readonly id: string;
  readonly x: number;
  readonly y: number;
}

export interface PopulationOptions {
  readonly seed: number;
  readonly customers: number;
  readonly terminals: number;
  readonly maxMeanTxPerDay: number;
  readonly radius: number;
}

export function cardId(index: number): string {
  return `card-${String(index).padStart(6, '0')}`;
}

export function terminalId(index: number): string {
  return `term-${String(index).padStart(6, '0')}`;
}

/**
 * A radius that gives every customer about 20 terminals on average, never below 5 (the classic
 * simulator's value for 10,000 terminals on a 100x100 grid).
 */
export function defaultRadius(terminals: number): number {
  return Math.max(5, Math.sqrt((20 * GRID_SIZE * GRID_SIZE) / (Math.PI * Math.max(1, terminals))));
}

/**
 * Customers and terminals on a 100x100 grid (the classic public card-fraud simulator's model):
 * a customer's mean amount is uniform in [5, 100] with a spread of half of it, the mean count a day
 * uniform in [0, maxMeanTxPerDay], and it pays at the terminals within `radius` of home.
 */
export class Population {
  private constructor(
    readonly customers: readonly Customer[],
    readonly terminals: readonly Terminal[],
  ) {}

  static generate(options: PopulationOptions): Population {
    const rng = streamRng(options.seed, 'population');
    const terminals: Terminal[] = [];
    for (let i = 0; i < options.terminals; i++) {
      terminals.push({
        index: i,
        id: terminalId(i),
        x: uniform(rng, 0, GRID_SIZE),
        y: uniform(rng, 0, GRID_SIZE),
      });
    }
    // A grid of cells the size of the radius, so finding neighbours is not customers x terminals.
    const cell = options.radius;
    const cells = new Map<string, number[]>();
    for (const t of terminals) {
      const key = `${Math.floor(t.x / cell)},${Math.floor(t.y / cell)}`;
      const list = cells.get(key) ?? [];
      list.push(t.index);
      cells.set(key, list);
    }
    // The segments draw from a stream of their own: the population's draws (and so every
    // transaction, fraud and chargeback of a seed) are what they were before segments existed,
    // and no fraud mechanism reads them.
    const segmentRng = streamRng(options.seed, 'segments');
    const r2 = options.radius * options.radius;
    const customers: Customer[] = [];
    for (let i = 0; i < options.customers; i++) {
      const x = uniform(rng, 0, GRID_SIZE);
      const y = uniform(rng, 0, GRID_SIZE);
      const meanAmount = uniform(rng, 5, 100);
      const meanTxPerDay = uniform(rng, 0, options.maxMeanTxPerDay);
      const cardNotPresentShare = uniform(rng, 0, 0.4);
      const near: number[] = [];
      const cx = Math.floor(x / cell);
      const cy = Math.floor(y / cell);
      for (let dx = -1; dx <= 1; dx++) {
        for (let dy = -1; dy <= 1; dy++) {
          for (const ti of cells.get(`${cx + dx},${cy + dy}`) ?? []) {
            const t = terminals[ti];
            if (t && (t.x - x) ** 2 + (t.y - y) ** 2 <= r2) near.push(ti);
          }
        }
      }
      near.sort((a, b) => a - b);
      customers.push({
        index: i,
        id: cardId(i),
        x,
        y,
        meanAmount,
        stdAmount: meanAmount / 2,
        meanTxPerDay,
        cardNotPresentShare,
        terminals: Int32Array.from(near),
        ageBand: pick(segmentRng, AGE_BANDS),
        region: pick(segmentRng, REGIONS),
      });
    }
    return new Population(customers, terminals);
  }
}
