import { DAY_MS } from '@fraudstream/contracts';

/** How the decision threshold is chosen: analysts' alerts per day, or a precision to reach. */
export type ThresholdPolicy =
  | { readonly kind: 'daily-capacity'; readonly value: number }
  | { readonly kind: 'target-precision'; readonly value: number };

/**
 * The decision threshold (alert when score >= threshold) on labelled validation rows.
 * - daily-capacity: about `value` alerts per day of the validation span: the threshold sits halfway
 *   between the (capacity·days)-th and the next highest score, so float noise between tfjs and ONNX
 *   Runtime cannot flip the boundary row.
 * - target-precision: the lowest threshold whose precision reaches `value` (most recall at that
 *   precision); when no threshold reaches it, the one with the best precision.
 */
export function selectThreshold(
  scores: ArrayLike<number>,
  labels: ArrayLike<boolean | number>,
  eventTimes: ArrayLike<number>,
  policy: ThresholdPolicy,
): number {
  const n = scores.length;
  if (n === 0) return 0.5;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => (scores[b] ?? 0) - (scores[a] ?? 0));
  const sorted = order.map((i) => scores[i] ?? 0);
  const cut = (k: number): number => {
    // Alerts are the k highest scores: threshold between the k-th and (k+1)-th.
    if (k <= 0) return Math.min(1, (sorted[0] ?? 0) + 1e-6);
    if (k >= n) return sorted[n - 1] ?? 0;
    const above = sorted[k - 1] ?? 0;
    const below = sorted[k] ?? 0;
    return above === below ? above : (above + below) / 2;
  };
  if (policy.kind === 'daily-capacity') {
    let min = Number.POSITIVE_INFINITY;
    let max = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < eventTimes.length; i++) {
      const t = eventTimes[i] ?? 0;
      min = Math.min(min, t);
      max = Math.max(max, t);
    }
    const days = Math.max(1, Math.round((max - min) / DAY_MS));
    return cut(Math.round(policy.value * days));
  }
  let tp = 0;
  let bestK = 1;
  let bestPrecision = -1;
  let lowestReaching = 0;
  for (let k = 1; k <= n; k++) {
    const i = order[k - 1] ?? 0;
    if (labels[i]) tp++;
    // Only at the end of a run of equal scores is k a reachable alert count.
    if (k < n && sorted[k] === sorted[k - 1]) continue;
    const precision = tp / k;
    if (precision >= policy.value) lowestReaching = k;
    if (precision > bestPrecision) {
      bestPrecision = precision;
      bestK = k;
    }
  }
  return cut(lowestReaching > 0 ? lowestReaching : bestK);
}
