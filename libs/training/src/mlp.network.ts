import type { MlpSpec, MlpWeights } from '@fraudstream/model';
import { mulberry32 } from '@fraudstream/stats';
import { tf } from './tfjs-wasm.backend';

interface DenseLayer {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable;
}

/**
 * The fraud MLP as tfjs variables: z = (x − mean) / std, ReLU hidden layers, one logit, sigmoid.
 * The same computation as the ONNX graph `buildMlpOnnx` writes, so export is a copy of the weights,
 * and `fromWeights(readMlpOnnx(bytes))` warm-starts from a deployed model.
 */
export class MlpNetwork {
  private constructor(
    readonly mean: Float32Array,
    readonly std: Float32Array,
    private readonly layers: DenseLayer[],
  ) {}

  /** A fresh network with He-uniform weights from a seeded PRNG (biases 0). */
  static create(options: {
    readonly mean: readonly number[];
    readonly std: readonly number[];
    readonly hiddenUnits: readonly number[];
    readonly seed: number;
  }): MlpNetwork {
    const random = mulberry32(options.seed);
    const sizes = [options.mean.length, ...options.hiddenUnits, 1];
    const layers: DenseLayer[] = [];
    for (let i = 0; i + 1 < sizes.length; i++) {
      const inputs = sizes[i] ?? 1;
      const outputs = sizes[i + 1] ?? 1;
      const limit = Math.sqrt(6 / inputs);
      const values = Float32Array.from({ length: inputs * outputs }, () => (random() * 2 - 1) * limit);
      layers.push({
        weight: tf.variable(tf.tensor2d(values, [inputs, outputs]), true, `w${i}_${uid()}`),
        bias: tf.variable(tf.zeros([outputs]), true, `b${i}_${uid()}`),
      });
    }
    return new MlpNetwork(Float32Array.from(options.mean), safeStd(options.std), layers);
  }

  /** A network holding the given weights (e.g. read out of a production model's ONNX file). */
  static fromWeights(weights: Pick<MlpWeights, 'mean' | 'std' | 'layers'>): MlpNetwork {
    const layers = weights.layers.map((layer, i) => {
      const inputs = layer.weights.length;
      const outputs = layer.bias.length;
      const flat = new Float32Array(inputs * outputs);
      layer.weights.forEach((row, r) => flat.set(row, r * outputs));
      return {
        weight: tf.variable(tf.tensor2d(flat, [inputs, outputs]), true, `w${i}_${uid()}`),
        bias: tf.variable(tf.tensor1d(Float32Array.from(layer.bias)), true, `b${i}_${uid()}`),
      };
    });
    return new MlpNetwork(Float32Array.from(weights.mean), safeStd(weights.std), layers);
  }

  get inputWidth(): number {
    return this.mean.length;
  }

  /** Units of the hidden layers. */
  get hiddenUnits(): number[] {
    return this.layers.slice(0, -1).map((l) => l.bias.shape[0] ?? 0);
  }

  get layerCount(): number {
    return this.layers.length;
  }

  /** The trainable variables of layers `from` and above (lower layers stay frozen). */
  trainableVariables(from = 0): tf.Variable[] {
    return this.layers.slice(from).flatMap((l) => [l.weight, l.bias]);
  }

  /** Pre-sigmoid outputs [N, 1] for raw (unstandardised) features [N, F]. */
  logits(x: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      let h: tf.Tensor2D = x.sub(tf.tensor1d(this.mean)).div(tf.tensor1d(this.std));
      this.layers.forEach((layer, i) => {
        const pre = h.matMul(layer.weight).add<tf.Tensor2D>(layer.bias);
        h = i === this.layers.length - 1 ? pre : tf.relu(pre);
      });
      return h;
    });
  }

  /** Fraud probabilities of `rows` rows of a row-major matrix, in chunks to bound memory. */
  predict(x: Float32Array, rows: number, chunk = 8192): Float32Array {
    const width = this.inputWidth;
    const out = new Float32Array(rows);
    for (let start = 0; start < rows; start += chunk) {
      const n = Math.min(chunk, rows - start);
      const values = tf.tidy(() => {
        const input = tf.tensor2d(x.subarray(start * width, (start + n) * width), [n, width]);
        return tf.sigmoid(this.logits(input)).dataSync();
      });
      out.set(values, start);
    }
    return out;
  }

  /** Current weights as plain arrays. */
  snapshot(): Float32Array[] {
    return this.trainableVariables().map((v) => Float32Array.from(v.dataSync()));
  }

  /** Restores weights taken with {@link snapshot}. */
  restore(values: readonly Float32Array[]): void {
    this.trainableVariables().forEach((v, i) => {
      const value = values[i];
      if (value) v.assign(tf.tensor(value, v.shape));
    });
  }

  /** The spec `buildMlpOnnx` serialises: standardisation constants and dense layers [in][out]. */
  toSpec(): MlpSpec {
    return {
      mean: Array.from(this.mean),
      std: Array.from(this.std),
      layers: this.layers.map((l) => ({
        weights: Float32Array.from(l.weight.dataSync()),
        bias: Float32Array.from(l.bias.dataSync()),
      })),
    };
  }

  /** A deep copy (e.g. to keep the parent while fine-tuning its copy). */
  clone(): MlpNetwork {
    return new MlpNetwork(
      this.mean.slice(),
      this.std.slice(),
      this.layers.map((l, i) => ({
        weight: tf.variable(l.weight.clone(), true, `w${i}_${uid()}`),
        bias: tf.variable(l.bias.clone(), true, `b${i}_${uid()}`),
      })),
    );
  }

  dispose(): void {
    for (const l of this.layers) {
      l.weight.dispose();
      l.bias.dispose();
    }
  }
}

let counter = 0;
function uid(): number {
  return counter++;
}

/** The ONNX builder stores a std at or below 1e-12 as 1; the same rule here keeps the two graphs equal. */
function safeStd(std: readonly number[] | Float32Array): Float32Array {
  return Float32Array.from(std, (s) => (s > 1e-12 ? s : 1));
}
