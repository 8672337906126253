import type { SequenceSpec } from '@fraudstream/model';
import { mulberry32 } from '@fraudstream/stats';
import { predictInChunks, restoreVariables, snapshotVariables } from './network-weights';
import { tf } from './tfjs-wasm.backend';

interface DenseLayer {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable;
}

/** Where a sequence row's parts are: F flat features, then the [K, S] block row-major. */
export interface SequenceLayout {
  readonly flatWidth: number;
  readonly steps: number;
  readonly stepWidth: number;
}

/**
 * The sequence family as tfjs variables: the same computation as the ONNX graph
 * `buildSequenceOnnx` writes (standardisation, a GRU over the block oldest step first, its last
 * state next to the flat features into a dense head), so export is a copy of the weights. It reads a
 * training row whole ([F + K·S], the feature set's vector) and takes the block apart itself, so it
 * trains with the MLP's trainer on the logged vectors. Layer 0 is the GRU, layers 1.. the head
 * (`trainableVariables(from)` freezes from the bottom, as the MLP's).
 */
export class SequenceNetwork {
  readonly family = 'sequence' as const;

  private constructor(
    readonly mean: Float32Array,
    readonly std: Float32Array,
    readonly stepMean: Float32Array,
    readonly stepStd: Float32Array,
    readonly steps: number,
    private readonly gru: {
      readonly input: tf.Variable;
      readonly recurrent: tf.Variable;
      readonly bias: tf.Variable;
    },
    private readonly head: DenseLayer[],
  ) {}

  /** A fresh network from a seeded PRNG: Glorot-uniform GRU weights, He-uniform head, biases 0. */
  static create(options: {
    readonly mean: readonly number[];
    readonly std: readonly number[];
    readonly stepMean: readonly number[];
    readonly stepStd: readonly number[];
    readonly steps: number;
    readonly gruUnits: number;
    readonly hiddenUnits: readonly number[];
    readonly seed: number;
  }): SequenceNetwork {
    const random = mulberry32(options.seed);
    const uniform = (n: number, limit: number) =>
      Float32Array.from({ length: n }, () => (random() * 2 - 1) * limit);
    const S = options.stepMean.length;
    const H = options.gruUnits;
    const sizes = [options.mean.length + H, ...options.hiddenUnits, 1];
    const head: { weights: Float32Array; bias: Float32Array }[] = [];
    for (let i = 0; i + 1 < sizes.length; i++) {
      const inputs = sizes[i] ?? 1;
      const outputs = sizes[i + 1] ?? 1;
      head.push({
        weights: uniform(inputs * outputs, Math.sqrt(6 / inputs)),
        bias: new Float32Array(outputs),
      });
    }
    return SequenceNetwork.fromSpec({
      mean: options.mean,
      std: options.std,
      stepMean: options.stepMean,
      stepStd: options.stepStd,
      steps: options.steps,
      gru: {
        inputWeights: uniform(S * 3 * H, Math.sqrt(6 / (S + 3 * H))),
        recurrentWeights: uniform(H * 3 * H, Math.sqrt(6 / (4 * H))),
        bias: new Float32Array(3 * H),
      },
      head,
    });
  }

  /** A network holding a spec's weights (e.g. read out of a deployed model with readSequenceOnnx). */
  static fromSpec(spec: SequenceSpec): SequenceNetwork {
    const S = spec.stepMean.length;
    const H3 = spec.gru.bias.length;
    const H = H3 / 3;
    let inputs = spec.mean.length + H;
    const head = spec.head.map((layer, i) => {
      const outputs = layer.bias.length;
      const flat = Float32Array.from(
        Array.isArray(layer.weights[0])
          ? (layer.weights as number[][]).flat()
          : (layer.weights as ArrayLike<number>),
      );
      const dense = {
        weight: tf.variable(tf.tensor2d(flat, [inputs, outputs]), true, `sw${i}_${uid()}`),
        bias: tf.variable(tf.tensor1d(Float32Array.from(layer.bias)), true, `sb${i}_${uid()}`),
      };
      inputs = outputs;
      return dense;
    });
    return new SequenceNetwork(
      Float32Array.from(spec.mean),
      safeStd(spec.std),
      Float32Array.from(spec.stepMean),
      safeStd(spec.stepStd),
      spec.steps,
      {
        input: tf.variable(
          tf.tensor2d(Float32Array.from(spec.gru.inputWeights), [S, H3]),
          true,
          `gw_${uid()}`,
        ),
        recurrent: tf.variable(
          tf.tensor2d(Float32Array.from(spec.gru.recurrentWeights), [H, H3]),
          true,
          `gr_${uid()}`,
        ),
        bias: tf.variable(tf.tensor1d(Float32Array.from(spec.gru.bias)), true, `gb_${uid()}`),
      },
      head,
    );
  }

  get flatWidth(): number {
    return this.mean.length;
  }

  get stepWidth(): number {
    return this.stepMean.length;
  }

  get gruUnits(): number {
    return (this.gru.bias.shape[0] ?? 0) / 3;
  }

  /**
   * The standardisation of every column of a row (F + K·S): the flat constants, then the step
   * features' repeated for each step (what the graph subtracts and divides by, column by column).
   */
  columnStandardisation(): { mean: number[]; std: number[] } {
    const tile = (values: Float32Array) =>
      Array.from({ length: this.steps }, () => Array.from(values)).flat();
    return {
      mean: [...Array.from(this.mean), ...tile(this.stepMean)],
      std: [...Array.from(this.std), ...tile(this.stepStd)],
    };
  }

  /** The row width it reads: F + K·S. */
  get inputWidth(): number {
    return this.flatWidth + this.steps * this.stepWidth;
  }

  /** Units of the head's hidden layers. */
  get hiddenUnits(): number[] {
    return this.head.slice(0, -1).map((l) => l.bias.shape[0] ?? 0);
  }

  /** The GRU, then the head's layers. */
  get layerCount(): number {
    return 1 + this.head.length;
  }

  trainableVariables(from = 0): tf.Variable[] {
    const gru = from <= 0 ? [this.gru.input, this.gru.recurrent, this.gru.bias] : [];
    return [...gru, ...this.head.slice(Math.max(0, from - 1)).flatMap((l) => [l.weight, l.bias])];
  }

  /** Pre-sigmoid outputs [N, 1] for raw rows [N, F + K·S]. */
  logits(x: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      const n = x.shape[0];
      const F = this.flatWidth;
      const K = this.steps;
      const S = this.stepWidth;
      const H = this.gruUnits;
      const flat = x
        .slice([0, 0], [n, F])
        .sub<tf.Tensor2D>(tf.tensor1d(this.mean))
        .div<tf.Tensor2D>(tf.tensor1d(this.std));
      const block = x
        .slice([0, F], [n, K * S])
        .reshape([n * K, S])
        .sub(tf.tensor1d(this.stepMean))
        .div(tf.tensor1d(this.stepStd));
      // Every step's input products at once: [N, K, 3H].
      const inputs = block
        .matMul(this.gru.input)
        .add(this.gru.bias)
        .reshape([n, K, 3 * H]);
      const recurrentZr = this.gru.recurrent.slice([0, 0], [H, 2 * H]);
      const recurrentH = this.gru.recurrent.slice([0, 2 * H], [H, H]);
      let h: tf.Tensor2D = tf.zeros([n, H]);
      for (let k = 0; k < K; k++) {
        const step = inputs.slice([0, k, 0], [n, 1, 3 * H]).reshape([n, 3 * H]);
        const zr = tf.sigmoid(step.slice([0, 0], [n, 2 * H]).add(h.matMul(recurrentZr)));
        const z = zr.slice([0, 0], [n, H]);
        const r = zr.slice([0, H], [n, H]);
        const candidate = tf.tanh(step.slice([0, 2 * H], [n, H]).add(r.mul(h).matMul(recurrentH)));
        // (1 − z)·ĥ + z·h
        h = candidate.add<tf.Tensor2D>(z.mul(h.sub(candidate)));
      }
      let a = tf.concat<tf.Tensor2D>([flat, h], 1);
      this.head.forEach((layer, i) => {
        const pre = a.matMul(layer.weight).add<tf.Tensor2D>(layer.bias);
        a = i === this.head.length - 1 ? pre : tf.relu(pre);
      });
      return a;
    });
  }

  /** Fraud probabilities of `rows` rows of a row-major matrix, in chunks to bound memory. */
  predict(x: Float32Array, rows: number, chunk = 4096): Float32Array {
    return predictInChunks((input) => this.logits(input), x, rows, this.inputWidth, chunk);
  }

  snapshot(): Float32Array[] {
    return snapshotVariables(this.trainableVariables());
  }

  restore(values: readonly Float32Array[]): void {
    restoreVariables(this.trainableVariables(), values);
  }

  /** The spec `buildSequenceOnnx` serialises. */
  toSpec(): SequenceSpec {
    return {
      mean: Array.from(this.mean),
      std: Array.from(this.std),
      stepMean: Array.from(this.stepMean),
      stepStd: Array.from(this.stepStd),
      steps: this.steps,
      gru: {
        inputWeights: Float32Array.from(this.gru.input.dataSync()),
        recurrentWeights: Float32Array.from(this.gru.recurrent.dataSync()),
        bias: Float32Array.from(this.gru.bias.dataSync()),
      },
      head: this.head.map((l) => ({
        weights: Float32Array.from(l.weight.dataSync()),
        bias: Float32Array.from(l.bias.dataSync()),
      })),
    };
  }

  clone(): SequenceNetwork {
    return SequenceNetwork.fromSpec(this.toSpec());
  }

  dispose(): void {
    for (const v of this.trainableVariables()) v.dispose();
  }
}

/**
 * Standardisation of a sequence row's parts from training rows: per flat column, and per step
 * feature over every step of every row (padding included: the network sees padding standardised
 * the same way at serving time).
 */
export function computeSequenceStandardisation(
  matrix: { readonly x: Float32Array; readonly rows: number; readonly width: number },
  layout: SequenceLayout,
): { mean: number[]; std: number[]; stepMean: number[]; stepStd: number[] } {
  const { x, rows, width } = matrix;
  const { flatWidth: F, steps: K, stepWidth: S } = layout;
  if (width !== F + K * S) throw new RangeError(`rows of ${width}, the layout needs ${F + K * S}`);
  const columnStats = (columns: (r: number) => Iterable<[number, number]>, count: number, n: number) => {
    const sum = new Float64Array(count);
    const sq = new Float64Array(count);
    for (let r = 0; r < rows; r++)
      for (const [c, v] of columns(r)) {
        sum[c] = (sum[c] ?? 0) + v;
        sq[c] = (sq[c] ?? 0) + v * v;
      }
    const mean = Array.from(sum, (s) => s / Math.max(n, 1));
    const std = Array.from(sq, (q, c) => {
      const sd = Math.sqrt(Math.max(0, q / Math.max(n, 1) - (mean[c] ?? 0) ** 2));
      return sd > 1e-6 ? sd : 1;
    });
    return { mean, std };
  };
  const flat = columnStats(
    function* (r) {
      for (let c = 0; c < F; c++) yield [c, x[r * width + c] ?? 0];
    },
    F,
    rows,
  );
  const step = columnStats(
    function* (r) {
      for (let k = 0; k < K; k++) for (let s = 0; s < S; s++) yield [s, x[r * width + F + k * S + s] ?? 0];
    },
    S,
    rows * K,
  );
  return { mean: flat.mean, std: flat.std, stepMean: step.mean, stepStd: step.std };
}

let counter = 0;
function uid(): number {
  return counter++;
}

function safeStd(std: readonly number[] | Float32Array): Float32Array {
  return Float32Array.from(std, (s) => (s > 1e-12 ? s : 1));
}
