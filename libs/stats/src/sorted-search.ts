/**
 * The first index in [0, n) at which the monotone predicate `ok` holds (false, then true), n when it
 * never does: a binary search over any sorted sequence, `ok` reading it by index.
 */
export function lowerBound(n: number, ok: (i: number) => boolean): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ok(mid)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
