import { mulberry32 } from '@fraudstream/simulation';

/** The project's seedable PRNG (mulberry32): training runs with the same seed draw the same numbers. */
export function createRandom(seed: number): () => number {
  return mulberry32(seed);
}

/** Fisher-Yates shuffle in place with the given PRNG. */
export function shuffleInPlace<T>(items: T[] | Uint32Array, random: () => number): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
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
