/*
 * DP-SGD (Abadi et al. 2016) for the fraud MLP: each step takes a Poisson sample of the training rows,
 * clips every row's own gradient to L2 norm C, sums the clipped gradients, adds Gaussian noise of
 * standard deviation σ·C to every coordinate, and divides by the expected batch size. The optimiser
 * only ever sees that noisy sum, so what it does with it (Adam) is post-processing.
 *
 * tfjs has no vectorised per-example gradients, and micro-batches of one through tf.variableGrads
 * measured 180-250× slower (500-540 ms against 2-3 ms for a 256-row step of the 19-32-16-1 MLP). The
 * MLP's per-row gradients are outer products, so they are computed analytically in one pass: with a_l
 * a row's input to dense layer l and δ_l the loss's gradient at that layer's pre-activation, the row's
 * weight gradient is a_l ⊗ δ_l, whose norm is ‖a_l‖·‖δ_l‖; the bias gradient is δ_l. The clipped sum
 * is then Aᵀ(s ⊙ Δ) with s the rows' clip factors, without ever building a row's gradient
 * (dp-sgd.gradients.spec.ts checks every row against tfjs's own gradients).
 */
import { randomFillSync } from 'node:crypto';
import { mulberry32 } from '@fraudstream/stats';
import type { MlpNetwork } from './mlp.network';
import { noiseMultiplierFor, privacySpent, RDP_ORDERS, type RdpConversion } from './rdp.accountant';
import { tf } from './tfjs-wasm.backend';

/**
 * The randomness of the sampling and the noise. The guarantee needs both secret: with the seed (it is
 * in the manifest) anyone could recompute the noise and subtract it, or know who was in each batch.
 */
export interface DpRandom {
  /** Uniform on (0, 1). */
  uniform(): number;
}

/** Uniforms from the operating system's CSPRNG (node:crypto), drawn 4,096 at a time. */
export function secureDpRandom(): DpRandom {
  const buffer = new Uint32Array(4096);
  let next = buffer.length;
  return {
    uniform(): number {
      if (next >= buffer.length) {
        randomFillSync(buffer);
        next = 0;
      }
      // (k + 0.5) / 2³²: never 0 or 1, so logarithms stay finite.
      return ((buffer[next++] ?? 0) + 0.5) / 4294967296;
    },
  };
}

/** Seeded uniforms, for tests only: a run with these claims no privacy. */
export function seededDpRandom(seed: number): DpRandom {
  const random = mulberry32(seed);
  return { uniform: () => (Math.floor(random() * 4294967296) + 0.5) / 4294967296 };
}

/**
 * A Poisson sample of `rows` rows, each in with probability q, independently: the gaps between
 * chosen rows are geometric, so a step costs O(batch) uniforms instead of O(rows).
 */
export function poissonSample(rows: number, q: number, random: DpRandom): Uint32Array {
  if (q >= 1) return Uint32Array.from({ length: rows }, (_, i) => i);
  const chosen: number[] = [];
  if (q <= 0) return Uint32Array.from(chosen);
  const logMiss = Math.log1p(-q);
  for (let i = Math.floor(Math.log(random.uniform()) / logMiss); i < rows;) {
    chosen.push(i);
    i += 1 + Math.floor(Math.log(random.uniform()) / logMiss);
  }
  return Uint32Array.from(chosen);
}

/** `n` independent N(0, sd²) draws (Box-Muller). */
export function gaussianNoise(n: number, sd: number, random: DpRandom): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const r = Math.sqrt(-2 * Math.log(random.uniform())) * sd;
    const theta = 2 * Math.PI * random.uniform();
    out[i] = r * Math.cos(theta);
    if (i + 1 < n) out[i + 1] = r * Math.sin(theta);
  }
  return out;
}

export interface ClippedGradients {
  /** Sum over the rows of each row's clipped gradient, one tensor per trainable variable (layer `from` up). */
  readonly sums: tf.Tensor[];
  /** Each row's gradient norm before clipping (over the trainable variables). */
  readonly norms: tf.Tensor1D;
}

/**
 * The sum of the rows' gradients of `w · logloss(logit, y)`, each clipped to L2 norm `clipNorm`, for
 * the variables of dense layers `from` and above (in `trainableVariables(from)` order). Rows are
 * [n, F] raw features, y and w are [n, 1]. Call inside `tf.tidy`.
 */
export function clippedGradientSum(
  network: MlpNetwork,
  x: tf.Tensor2D,
  y: tf.Tensor2D,
  w: tf.Tensor2D,
  clipNorm: number,
  from = 0,
): ClippedGradients {
  const variables = network.trainableVariables(0);
  const layers = variables.length / 2;
  const inputs: tf.Tensor2D[] = [];
  const pre: tf.Tensor2D[] = [];
  let h: tf.Tensor2D = x.sub(tf.tensor1d(network.mean)).div(tf.tensor1d(network.std));
  for (let l = 0; l < layers; l++) {
    inputs.push(h);
    const z = h.matMul(variables[2 * l] as tf.Tensor2D).add<tf.Tensor2D>(variables[2 * l + 1] as tf.Tensor1D);
    pre.push(z);
    h = tf.relu(z);
  }
  // d(w · logloss)/d(logit) = w (σ(logit) − y).
  const deltas: tf.Tensor2D[] = new Array<tf.Tensor2D>(layers);
  let delta: tf.Tensor2D = tf
    .sigmoid(pre[layers - 1] as tf.Tensor2D)
    .sub<tf.Tensor2D>(y)
    .mul<tf.Tensor2D>(w);
  let squaredNorm: tf.Tensor1D = tf.zeros([x.shape[0]]);
  for (let l = layers - 1; l >= from; l--) {
    deltas[l] = delta;
    const a = inputs[l] as tf.Tensor2D;
    const deltaSquared = tf.sum(tf.square(delta), 1);
    squaredNorm = squaredNorm.add(tf.sum(tf.square(a), 1).mul(deltaSquared)).add(deltaSquared);
    if (l > from) {
      const below = pre[l - 1] as tf.Tensor2D;
      delta = delta.matMul(variables[2 * l] as tf.Tensor2D, false, true).mul<tf.Tensor2D>(tf.step(below));
    }
  }
  const norms = tf.sqrt(squaredNorm);
  // min(1, C / ‖g‖); a zero gradient keeps factor 1.
  const scale = tf.minimum(1, tf.div(clipNorm, tf.maximum(norms, 1e-12))).reshape([-1, 1]);
  const sums: tf.Tensor[] = [];
  for (let l = from; l < layers; l++) {
    const scaled = (deltas[l] as tf.Tensor2D).mul(scale);
    sums.push((inputs[l] as tf.Tensor2D).matMul(scaled, true, false), tf.sum(scaled, 0));
  }
  return { sums, norms };
}

/** What a DP-SGD run is set to, and what it spends. */
export interface DpSgdPlan {
  readonly clipNorm: number;
  readonly noiseMultiplier: number;
  /** q: each row's probability of being in a step's sample. */
  readonly samplingRate: number;
  /** The batch size's expectation, q · rows: the noisy sum is divided by it. */
  readonly expectedBatchSize: number;
  readonly stepsPerEpoch: number;
  /** Every step the run may take (epochs × steps per epoch): the accountant charges them all. */
  readonly steps: number;
  readonly epsilon: number;
  readonly delta: number;
  /** The RDP order at which ε was tightest. */
  readonly order: number;
  readonly conversion: RdpConversion;
  /** Rows trained on (the sampling's population). */
  readonly rows: number;
}

/** What the operator sets: a target ε (the noise follows) or an explicit noise multiplier. */
export interface DpSgdSettings {
  readonly targetEpsilon: number | null;
  readonly noiseMultiplier: number | null;
  /** δ; the run uses min(δ, 1 / rows), so a guarantee never tolerates one row's certain exposure. */
  readonly delta: number;
  readonly clipNorm: number;
  /** TRAINER_DP_MAX_CUMULATIVE_EPSILON: the ε budget of a model's DP-SGD ancestry, or null/absent (none). */
  readonly maxCumulativeEpsilon?: number | null;
}

/**
 * The sampling rate, steps and noise of a DP-SGD run over `rows` rows with an expected batch of
 * `batchSize` for `epochs` epochs, and the (ε, δ) it spends (Rényi-DP accountant, rdp.accountant.ts).
 */
export function planDpSgd(
  settings: DpSgdSettings,
  rows: number,
  batchSize: number,
  epochs: number,
): DpSgdPlan {
  if (rows < 1) throw new RangeError('DP-SGD needs at least one row');
  const samplingRate = Math.min(1, batchSize / rows);
  const stepsPerEpoch = Math.max(1, Math.round(1 / samplingRate));
  const steps = stepsPerEpoch * epochs;
  const delta = Math.min(settings.delta, 1 / rows);
  const conversion: RdpConversion = 'improved';
  const noiseMultiplier =
    settings.noiseMultiplier ??
    noiseMultiplierFor(
      { targetEpsilon: settings.targetEpsilon ?? Number.NaN, samplingRate, steps, delta },
      conversion,
    );
  const spent = privacySpent({ samplingRate, noiseMultiplier, steps, delta }, conversion, RDP_ORDERS);
  return {
    clipNorm: settings.clipNorm,
    noiseMultiplier,
    samplingRate,
    expectedBatchSize: samplingRate * rows,
    stepsPerEpoch,
    steps,
    epsilon: spent.epsilon,
    delta,
    order: spent.order,
    conversion,
    rows,
  };
}
