/*
 * The project's one seeded PRNG and the draws built on it. The simulator's and the trainer's
 * outputs are reproducible only while these sequences stay exactly as they are: a change here
 * changes every simulated data set and every trained model of a given seed.
 */

/** A seeded uniform generator in [0, 1). */
export type Rng = () => number;

/** mulberry32: tiny, fast, and good enough for simulation and training (not for cryptography). */
export function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Mixes integers (and strings) into one 32-bit seed, so every (seed, stream, day) gets its own generator. */
export function mixSeed(...parts: readonly (number | string)[]): number {
  let h = 0x811c9dc5;
  for (const part of parts) {
    const text = String(part);
    for (let i = 0; i < text.length; i++) {
      h ^= text.charCodeAt(i);
      h = Math.imul(h, 0x01000193);
    }
    h ^= 0xff;
    h = Math.imul(h, 0x01000193);
  }
  // Final avalanche (murmur3 fmix32).
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A generator for one named stream of one seed, e.g. streamRng(7, 'transactions', day). */
export function streamRng(seed: number, ...stream: readonly (number | string)[]): Rng {
  return mulberry32(mixSeed(seed, ...stream));
}

/** Uniform in [min, max). */
export function uniform(rng: Rng, min: number, max: number): number {
  return min + (max - min) * rng();
}

/** Uniform integer in [0, n). */
export function uniformInt(rng: Rng, n: number): number {
  return Math.min(n - 1, Math.floor(rng() * n));
}

/** Standard normal by Box-Muller (one draw per call: simpler to keep streams aligned). */
export function normal(rng: Rng, mean = 0, std = 1): number {
  const u = 1 - rng();
  const v = rng();
  return mean + std * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** Poisson by Knuth's product method, for the small means of daily transaction counts. */
export function poisson(rng: Rng, mean: number): number {
  if (mean <= 0) return 0;
  if (mean > 50) return Math.max(0, Math.round(normal(rng, mean, Math.sqrt(mean))));
  const limit = Math.exp(-mean);
  let k = 0;
  let p = rng();
  while (p > limit) {
    k++;
    p *= rng();
  }
  return k;
}

/** A count whose expectation is `expected` (fractional parts drawn), e.g. 2.4 terminals a day. */
export function stochasticRound(rng: Rng, expected: number): number {
  const base = Math.floor(expected);
  return base + (rng() < expected - base ? 1 : 0);
}

/** Fisher-Yates shuffle in place with the given generator. */
export function shuffleInPlace<T>(items: T[] | Uint32Array, rng: Rng): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    const tmp = items[i] as T;
    items[i] = items[j] as T;
    items[j] = tmp;
  }
}

/** A stable 32-bit hash of a string (FNV-1a), e.g. to split rows by card deterministically. */
export function hashString(value: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < value.length; i++) {
    h ^= value.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
