/** Argument parsers shared by the simulator's CLIs: each throws a readable error naming the flag. */

/** An integer of at least `min`, or `fallback` when the flag is absent. */
export function intArg(name: string, value: string | undefined, fallback: number, min = 0): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min)
    throw new Error(`--${name} must be an integer >= ${min}, got "${value}"`);
  return n;
}

/** A positive finite number, or undefined when the flag is absent. */
export function positiveArg(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, got "${value}"`);
  return n;
}
