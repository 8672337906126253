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

/**
 * Weights taken with {@link snapshotVariables} as one base64 string: their float32 values one after
 * the other, little-endian (what a manifest can carry and sign).
 */
export function encodeWeights(values: readonly Float32Array[]): string {
  const total = values.reduce((n, v) => n + v.length, 0);
  const bytes = Buffer.alloc(total * 4);
  let offset = 0;
  for (const tensor of values) for (const value of tensor) offset = bytes.writeFloatLE(value, offset);
  return bytes.toString('base64');
}

/**
 * The weights {@link encodeWeights} wrote, cut to the shapes of `like` (a snapshot of a network of
 * the same architecture); RangeError when the value count differs.
 */
export function decodeWeights(text: string, like: readonly Float32Array[]): Float32Array[] {
  const bytes = Buffer.from(text, 'base64');
  const total = like.reduce((n, v) => n + v.length, 0);
  if (bytes.length !== total * 4)
    throw new RangeError(`the weights hold ${bytes.length / 4} values, the network ${total}`);
  let offset = 0;
  return like.map((tensor) =>
    Float32Array.from({ length: tensor.length }, () => {
      const value = bytes.readFloatLE(offset);
      offset += 4;
      return value;
    }),
  );
}
