import type { MlpSpec, MlpWeights } from '@fraudstream/model';
import { mulberry32 } from '@fraudstream/stats';
import { predictInChunks, restoreVariables, snapshotVariables } from './network-weights';
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
  readonly family = 'mlp' as const;

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
    return predictInChunks((input) => this.logits(input), x, rows, this.inputWidth, chunk);
  }

  /** Current weights as plain arrays. */
  snapshot(): Float32Array[] {
    return snapshotVariables(this.trainableVariables());
  }

  /** Restores weights taken with {@link snapshot}. */
  restore(values: readonly Float32Array[]): void {
    restoreVariables(this.trainableVariables(), values);
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

  /**
   * One network computing w·logit_a + (1 − w)·logit_b: the two side by side in block-diagonal hidden
   * layers, the output layer weighting their last hidden layers. Exactly the average of the two
   * logits, so the scorer serves an aggregate as it serves any MLP. Both must share depth and
   * standardisation (both fine-tuned from the same parent).
   */
  static combine(a: MlpNetwork, b: MlpNetwork, weightA: number): MlpNetwork {
    if (a.layers.length !== b.layers.length || a.inputWidth !== b.inputWidth)
      throw new RangeError('networks of different shapes cannot be combined');
    for (let i = 0; i < a.inputWidth; i++)
      if (a.mean[i] !== b.mean[i] || a.std[i] !== b.std[i])
        throw new RangeError('networks with different standardisation cannot be combined');
    const sa = a.flatLayers();
    const sb = b.flatLayers();
    const last = sa.length - 1;
    const layers = sa.map((la, i) => {
      const lb = sb[i];
      if (!lb) throw new RangeError('layer mismatch');
      const outA = la.bias.length;
      const outB = lb.bias.length;
      const inA = la.weights.length / outA;
      const inB = lb.weights.length / outB;
      if (i === last) {
        // Output: the concatenated hidden units feed one logit, weighted.
        const weights = new Float32Array(inA + inB);
        for (let r = 0; r < inA; r++) weights[r] = weightA * (la.weights[r] ?? 0);
        for (let r = 0; r < inB; r++) weights[inA + r] = (1 - weightA) * (lb.weights[r] ?? 0);
        const bias = Float32Array.of(weightA * (la.bias[0] ?? 0) + (1 - weightA) * (lb.bias[0] ?? 0));
        return { weights, bias, inputs: inA + inB, outputs: 1 };
      }
      // The first layer reads the same inputs; deeper ones are block-diagonal.
      const inputs = i === 0 ? inA : inA + inB;
      const outputs = outA + outB;
      const weights = new Float32Array(inputs * outputs);
      for (let r = 0; r < inA; r++)
        for (let c = 0; c < outA; c++) weights[r * outputs + c] = la.weights[r * outA + c] ?? 0;
      const rowOffset = i === 0 ? 0 : inA;
      for (let r = 0; r < inB; r++)
        for (let c = 0; c < outB; c++)
          weights[(rowOffset + r) * outputs + outA + c] = lb.weights[r * outB + c] ?? 0;
      const bias = new Float32Array(outputs);
      bias.set(la.bias, 0);
      bias.set(lb.bias, outA);
      return { weights, bias, inputs, outputs };
    });
    return MlpNetwork.fromFlat(a.mean, a.std, layers);
  }

  /**
   * One MLP whose logit is the mean of the networks' (equal shares, their blocks side by side), built
   * by {@link combine} with running-mean weights; the networks are left as they are.
   */
  static ensemble(networks: readonly MlpNetwork[]): MlpNetwork {
    const [first, ...rest] = networks;
    if (!first) throw new RangeError('an ensemble has at least one network');
    let joined = first.clone();
    rest.forEach((network, k) => {
      const next = MlpNetwork.combine(joined, network, (k + 1) / (k + 2));
      joined.dispose();
      joined = next;
    });
    return joined;
  }

  /**
   * The component of a combined network whose hidden widths are `widths`, starting at unit `offset`
   * of each hidden layer (0 for the first component): the inverse of {@link combine}, up to the
   * output weighting, which is divided back out.
   */
  component(widths: readonly number[], offsets: readonly number[], outputWeight: number): MlpNetwork {
    const flat = this.flatLayers();
    if (widths.length !== flat.length - 1 || offsets.length !== widths.length)
      throw new RangeError('component widths do not match the network depth');
    const layers = flat.map((l, i) => {
      const outputs = l.bias.length;
      const inputs = l.weights.length / outputs;
      const rowFrom = i === 0 ? 0 : (offsets[i - 1] ?? 0);
      const rowCount = i === 0 ? inputs : (widths[i - 1] ?? 0);
      if (i === flat.length - 1) {
        const weights = new Float32Array(rowCount);
        for (let r = 0; r < rowCount; r++) weights[r] = (l.weights[rowFrom + r] ?? 0) / outputWeight;
        // The two output biases were summed: each component starts from the sum (training moves it).
        return { weights, bias: Float32Array.of(l.bias[0] ?? 0), inputs: rowCount, outputs: 1 };
      }
      const colFrom = offsets[i] ?? 0;
      const colCount = widths[i] ?? 0;
      const weights = new Float32Array(rowCount * colCount);
      for (let r = 0; r < rowCount; r++)
        for (let c = 0; c < colCount; c++)
          weights[r * colCount + c] = l.weights[(rowFrom + r) * outputs + colFrom + c] ?? 0;
      return {
        weights,
        bias: l.bias.slice(colFrom, colFrom + colCount),
        inputs: rowCount,
        outputs: colCount,
      };
    });
    return MlpNetwork.fromFlat(this.mean, this.std, layers);
  }

  /**
   * The `n` equal networks of an ensemble built by {@link ensemble}, or null when this network is not
   * one: a hidden width not divisible by `n`, or a weight between two blocks that is not zero (a
   * network fine-tuned as one wide MLP mixes its blocks and cannot be split again). Their
   * {@link ensemble} is this network again.
   */
  ensembleMembers(n: number): MlpNetwork[] | null {
    if (!Number.isInteger(n) || n < 2) return null;
    const hidden = this.hiddenUnits;
    if (hidden.some((w) => w % n !== 0)) return null;
    const widths = hidden.map((w) => w / n);
    const flat = this.flatLayers();
    // Deeper hidden layers must be block-diagonal: unit c of block b reads only block b's units.
    for (let i = 1; i < flat.length - 1; i++) {
      const l = flat[i];
      const inWidth = widths[i - 1] ?? 0;
      const outWidth = widths[i] ?? 0;
      if (!l) return null;
      for (let r = 0; r < l.inputs; r++)
        for (let c = 0; c < l.outputs; c++)
          if (Math.floor(r / inWidth) !== Math.floor(c / outWidth) && l.weights[r * l.outputs + c] !== 0)
            return null;
    }
    return Array.from({ length: n }, (_, b) =>
      this.component(
        widths,
        widths.map((w) => b * w),
        1 / n,
      ),
    );
  }

  private flatLayers(): { weights: Float32Array; bias: Float32Array; inputs: number; outputs: number }[] {
    return this.layers.map((l) => {
      const [inputs = 0, outputs = 0] = l.weight.shape;
      return {
        weights: Float32Array.from(l.weight.dataSync()),
        bias: Float32Array.from(l.bias.dataSync()),
        inputs,
        outputs,
      };
    });
  }

  private static fromFlat(
    mean: Float32Array,
    std: Float32Array,
    layers: readonly { weights: Float32Array; bias: Float32Array; inputs: number; outputs: number }[],
  ): MlpNetwork {
    return new MlpNetwork(
      mean.slice(),
      std.slice(),
      layers.map((l, i) => ({
        weight: tf.variable(tf.tensor2d(l.weights, [l.inputs, l.outputs]), true, `w${i}_${uid()}`),
        bias: tf.variable(tf.tensor1d(l.bias), true, `b${i}_${uid()}`),
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
