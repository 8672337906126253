import type { Reason, Severity } from '@fraudstream/contracts';

/**
 * For each selected row, `width` copies of it, copy j with feature j set to its reference median:
 * scoring them gives "the score had this feature been typical" for every feature.
 */
export function counterfactualRows(
  rows: Float32Array,
  width: number,
  selected: readonly number[],
  medians: Float32Array,
): Float32Array {
  const out = new Float32Array(selected.length * width * width);
  selected.forEach((row, s) => {
    const source = rows.subarray(row * width, (row + 1) * width);
    for (let j = 0; j < width; j++) {
      const at = (s * width + j) * width;
      out.set(source, at);
      out[at + j] = medians[j] ?? 0;
    }
  });
  return out;
}

/**
 * The features that raised the score most: contribution_j = score − score with feature j at its
 * median; only positive contributions, strongest first, at most `limit`.
 */
export function topReasons(
  score: number,
  counterfactualScores: Float32Array,
  values: Float32Array,
  names: readonly string[],
  limit: number,
): Reason[] {
  const reasons: Reason[] = [];
  names.forEach((feature, j) => {
    const contribution = score - (counterfactualScores[j] ?? score);
    if (contribution > 1e-6) reasons.push({ feature, value: values[j] ?? 0, contribution });
  });
  reasons.sort((a, b) => b.contribution - a.contribution);
  return reasons.slice(0, limit);
}

/**
 * Severity from how far the score sits between the threshold and 1: the first quarter of that
 * range is LOW, then MEDIUM, HIGH and CRITICAL (the top quarter).
 */
export function severityOf(score: number, threshold: number): Severity {
  const span = 1 - threshold;
  const position = span > 0 ? (score - threshold) / span : 1;
  if (position >= 0.75) return 'CRITICAL';
  if (position >= 0.5) return 'HIGH';
  if (position >= 0.25) return 'MEDIUM';
  return 'LOW';
}
