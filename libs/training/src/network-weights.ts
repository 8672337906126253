import { tf } from './tfjs-wasm.backend';

/**
 * What the scoring networks (MLP and sequence) share around their own `logits`: chunked
 * prediction over a row-major matrix, and taking and restoring their weights.
 */

/** Fraud probabilities of `rows` rows of a row-major matrix of `width` columns, in chunks to bound memory. */
export function predictInChunks(
  logits: (x: tf.Tensor2D) => tf.Tensor2D,
  x: Float32Array,
  rows: number,
  width: number,
  chunk: number,
): Float32Array {
  const out = new Float32Array(rows);
  for (let start = 0; start < rows; start += chunk) {
    const n = Math.min(chunk, rows - start);
    const values = tf.tidy(() => {
      const input = tf.tensor2d(x.subarray(start * width, (start + n) * width), [n, width]);
      return tf.sigmoid(logits(input)).dataSync();
    });
    out.set(values, start);
  }
  return out;
}

/** The variables' current values as plain arrays. */
export function snapshotVariables(variables: readonly tf.Variable[]): Float32Array[] {
  return variables.map((v) => Float32Array.from(v.dataSync()));
}

/** Assigns values taken with {@link snapshotVariables} back, in the same order. */
export function restoreVariables(variables: readonly tf.Variable[], values: readonly Float32Array[]): void {
  variables.forEach((v, i) => {
    const value = values[i];
    if (value) v.assign(tf.tensor(value, v.shape));
  });
}
