/*
 * Federated averaging (FedAvg, McMahan et al., AISTATS 2017) of fine-tuned networks: each region
 * fine-tunes the same parent on its own rows and sends only its weights and its row count; the
 * average, layer by layer and weighted by rows, is an ordinary network of the parent's shape (every
 * region keeps the parent's standardisation constants, as fine-tuning does). No row leaves a region.
 */

/** One region's contribution: its network's weights (MlpNetwork.snapshot order) and how many rows trained them. */
export interface RegionUpdate {
  readonly region: string;
  readonly weights: readonly Float32Array[];
  readonly rows: number;
}

/**
 * The row-weighted average Σ (rows_r / Σ rows) · w_r of every weight tensor. Throws on updates of
 * different shapes, or when no update has a row (nothing to weigh by).
 */
export function federatedAverage(updates: readonly RegionUpdate[]): Float32Array[] {
  const first = updates[0];
  if (!first) throw new RangeError('federatedAverage: no update');
  const total = updates.reduce((n, u) => n + u.rows, 0);
  if (!(total > 0) || updates.some((u) => !(u.rows >= 0)))
    throw new RangeError('federatedAverage: row counts must be non-negative, and not all 0');
  for (const u of updates)
    if (
      u.weights.length !== first.weights.length ||
      u.weights.some((w, i) => w.length !== first.weights[i]?.length)
    )
      throw new RangeError(
        `federatedAverage: region ${u.region}'s network has another shape than ${first.region}'s`,
      );
  return first.weights.map((tensor, t) => {
    // Accumulated in float64: a float32 sum of many regions would round each term.
    const sum = new Float64Array(tensor.length);
    for (const u of updates) {
      const share = u.rows / total;
      const w = u.weights[t] ?? new Float32Array(tensor.length);
      for (let i = 0; i < sum.length; i++) sum[i] = (sum[i] ?? 0) + share * (w[i] ?? 0);
    }
    return Float32Array.from(sum);
  });
}
