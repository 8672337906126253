import { mulberry32, shuffleInPlace } from '@fraudstream/stats';
import {
  clippedGradientSum,
  gaussianNoise,
  poissonSample,
  type DpRandom,
  type DpSgdPlan,
} from './dp-sgd.gradients';
import { MlpNetwork } from './mlp.network';
import { tf } from './tfjs-wasm.backend';
import type { TrainingMatrix } from './training-rows';

/**
 * What the trainer needs of a network: logits of raw rows, its variables (from a layer up) and a
 * copy of its weights. The MLP and the sequence family (SequenceNetwork) both are one.
 */
export interface TrainableNetwork {
  logits(x: tf.Tensor2D): tf.Tensor2D;
  trainableVariables(from?: number): tf.Variable[];
  snapshot(): Float32Array[];
  restore(values: readonly Float32Array[]): void;
}

/** How to weigh the rare fraud class: `balanced` (N / 2P and N / 2Q), none, or explicit weights (negative 1 unless given). */
export type ClassWeighting =
  'balanced' | 'none' | { readonly positiveWeight: number; readonly negativeWeight?: number };

export interface TrainOptions {
  readonly epochs: number;
  readonly batchSize: number;
  readonly learningRate: number;
  readonly seed: number;
  readonly classWeighting: ClassWeighting;
  /** Stop after this many epochs without a better validation loss (and restore the best weights). */
  readonly patience: number;
  /**
   * False: every epoch runs and the last weights are kept (the validation loss is still reported),
   * for a validation set that measures only what must not be forgotten (fine-tune.steps.ts).
   */
  readonly earlyStopping?: boolean;
  /**
   * Keep the mean of the weights at the end of every epoch within `patience` epochs of the best one
   * (either side; those run), not the best epoch's alone; without early stopping the last epoch is
   * the best, so the last `patience + 1` epochs are averaged. The best epoch on a hold-out of a few
   * dozen frauds, or the last of a run, is partly luck; averaging the iterates around it keeps the
   * epochs' common part (stochastic weight averaging along one run).
   */
  readonly averageAroundBest?: boolean;
  /** Layers below this index keep their weights (0 trains everything). */
  readonly frozenLayers?: number;
  /** L2 penalty on the weights (not biases), pulling a fine-tuned model gently; 0 disables. */
  readonly l2?: number;
  /** Called after every epoch, e.g. to heartbeat a consumer group. */
  readonly onEpoch?: (epoch: EpochReport) => void | Promise<void>;
  /**
   * DP-SGD instead of shuffled mini-batches: Poisson-sampled steps, per-row clipping and Gaussian
   * noise (dp-sgd.gradients.ts). The class weights must then be fixed numbers, not `balanced`: weights
   * counted from the training rows would make every row's gradient depend on the other rows.
   */
  readonly privacy?: { readonly plan: DpSgdPlan; readonly random: DpRandom };
}

/** The element-wise mean of weight snapshots taken of one network. */
function meanOf(snapshots: readonly (readonly Float32Array[])[]): Float32Array[] {
  const first = snapshots[0];
  if (!first) throw new RangeError('no weights to average');
  return first.map((tensor, t) => {
    const sum = new Float64Array(tensor.length);
    for (const snapshot of snapshots) {
      const values = snapshot[t] ?? tensor;
      for (let i = 0; i < sum.length; i++) sum[i] = (sum[i] ?? 0) + (values[i] ?? 0);
    }
    return Float32Array.from(sum, (v) => v / snapshots.length);
  });
}

export interface EpochReport {
  readonly epoch: number;
  readonly trainLoss: number;
  readonly validationLoss: number;
}

export interface TrainResult {
  readonly epochsRun: number;
  readonly bestEpoch: number;
  readonly bestValidationLoss: number;
  readonly history: readonly EpochReport[];
  readonly positiveWeight: number;
  readonly negativeWeight: number;
  /** The first and last epoch whose weights were averaged (`averageAroundBest`), else null. */
  readonly averagedEpochs: readonly [number, number] | null;
  /**
   * Where averaged weights were kept: the best epoch's own (a full-epochs run's: the last epoch's),
   * for a later fine-tune to continue from; else null (the kept weights are the best epoch's).
   */
  readonly bestWeights: readonly Float32Array[] | null;
}

/** Per-class weights; `balanced` makes both classes weigh half the loss, like scikit-learn's. */
export function classWeights(
  y: Float32Array,
  weighting: ClassWeighting,
): { positive: number; negative: number } {
  if (weighting === 'none') return { positive: 1, negative: 1 };
  if (weighting !== 'balanced')
    return { positive: weighting.positiveWeight, negative: weighting.negativeWeight ?? 1 };
  let positives = 0;
  for (const v of y) if (v > 0.5) positives++;
  const negatives = y.length - positives;
  if (positives === 0 || negatives === 0) return { positive: 1, negative: 1 };
  return { positive: y.length / (2 * positives), negative: y.length / (2 * negatives) };
}

/** Weighted binary cross-entropy from logits, in its numerically stable form. */
function weightedLoss(logits: tf.Tensor2D, y: tf.Tensor2D, w: tf.Tensor2D): tf.Scalar {
  // max(z, 0) − z·y + log(1 + exp(−|z|))
  const perRow = tf
    .relu(logits)
    .sub(logits.mul(y))
    .add(tf.log1p(tf.exp(tf.neg(tf.abs(logits)))));
  return perRow.mul(w).sum().div(w.sum());
}

function batchTensors(
  data: TrainingMatrix,
  indices: ArrayLike<number>,
  weights: { positive: number; negative: number },
): { x: tf.Tensor2D; y: tf.Tensor2D; w: tf.Tensor2D } {
  const n = indices.length;
  const { width } = data;
  const x = new Float32Array(n * width);
  const y = new Float32Array(n);
  const w = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const r = indices[i] ?? 0;
    x.set(data.x.subarray(r * width, (r + 1) * width), i * width);
    const label = data.y[r] ?? 0;
    y[i] = label;
    w[i] = label > 0.5 ? weights.positive : weights.negative;
  }
  return { x: tf.tensor2d(x, [n, width]), y: tf.tensor2d(y, [n, 1]), w: tf.tensor2d(w, [n, 1]) };
}

function evaluateLoss(
  network: TrainableNetwork,
  data: TrainingMatrix,
  weights: { positive: number; negative: number },
): number {
  if (data.rows === 0) return Number.NaN;
  const all = Uint32Array.from({ length: data.rows }, (_, i) => i);
  return tf.tidy(() => {
    const { x, y, w } = batchTensors(data, all, weights);
    return weightedLoss(network.logits(x), y, w).dataSync()[0] ?? Number.NaN;
  });
}

/**
 * Mini-batch Adam on the weighted log loss, deterministic for a seed (the shuffles come from a
 * seeded PRNG; the wasm kernels are deterministic on one thread). Early stopping watches the
 * class-weighted validation loss: it is smooth where the AP of a day with a few dozen frauds jumps,
 * and with the classes weighted it rewards ranking the rare class, which the gate measures.
 */
export async function trainMlp(
  network: TrainableNetwork,
  train: TrainingMatrix,
  validation: TrainingMatrix,
  options: TrainOptions,
): Promise<TrainResult> {
  if (options.privacy && options.classWeighting === 'balanced')
    throw new RangeError('DP-SGD needs fixed class weights: balanced ones are counted from the private rows');
  // The per-row clipped gradients are written for the MLP's layers.
  if (options.privacy && !(network instanceof MlpNetwork))
    throw new RangeError('DP-SGD trains the MLP family only');
  const weights = classWeights(train.y, options.classWeighting);
  const random = mulberry32(options.seed ^ 0x5bd1e995);
  const optimizer = tf.train.adam(options.learningRate);
  const variables = network.trainableVariables(options.frozenLayers ?? 0);
  const l2 = options.l2 ?? 0;
  const order = Uint32Array.from({ length: train.rows }, (_, i) => i);
  const history: EpochReport[] = [];
  let best = { loss: Number.POSITIVE_INFINITY, epoch: 0, weights: network.snapshot() };
  let sinceBest = 0;
  const averaging = options.averageAroundBest === true;
  // Each epoch's weights, from the first the average may still need: `patience` before the best so far.
  const iterates = new Map<number, Float32Array[]>();
  try {
    for (let epoch = 1; epoch <= options.epochs; epoch++) {
      const state = { network, train, weights, variables, optimizer, l2 };
      const trainLoss = options.privacy
        ? await privateEpoch(options.privacy, { ...state, from: options.frozenLayers ?? 0 })
        : await plainEpoch({ ...state, order, random, batchSize: options.batchSize });
      const validationLoss = evaluateLoss(network, validation, weights);
      const report = { epoch, trainLoss, validationLoss };
      history.push(report);
      await options.onEpoch?.(report);
      if (averaging) iterates.set(epoch, network.snapshot());
      if (options.earlyStopping === false) {
        best = { loss: validationLoss, epoch, weights: best.weights };
      } else if (validationLoss < best.loss - 1e-6 || Number.isNaN(best.loss)) {
        best = { loss: validationLoss, epoch, weights: network.snapshot() };
        sinceBest = 0;
      } else if (++sinceBest >= options.patience) break;
      for (const e of iterates.keys()) if (e < best.epoch - options.patience) iterates.delete(e);
    }
  } finally {
    optimizer.dispose();
  }
  let averagedEpochs: readonly [number, number] | null = null;
  let bestWeights: Float32Array[] | null = null;
  if (best.epoch > 0 && averaging) {
    // The best epoch's snapshot is among those kept (the window starts `patience` before it).
    bestWeights = iterates.get(best.epoch) ?? null;
    averagedEpochs = [
      Math.max(1, best.epoch - options.patience),
      Math.min(history.length, best.epoch + options.patience),
    ];
    const [first, last] = averagedEpochs;
    network.restore(meanOf([...iterates].filter(([e]) => e >= first && e <= last).map(([, w]) => w)));
  } else if (best.epoch > 0 && options.earlyStopping !== false) network.restore(best.weights);
  return {
    averagedEpochs,
    bestWeights,
    epochsRun: history.length,
    bestEpoch: best.epoch,
    bestValidationLoss: best.loss,
    history,
    positiveWeight: weights.positive,
    negativeWeight: weights.negative,
  };
}

interface EpochState {
  readonly network: TrainableNetwork;
  readonly train: TrainingMatrix;
  readonly weights: { positive: number; negative: number };
  readonly variables: tf.Variable[];
  readonly optimizer: tf.Optimizer;
  readonly l2: number;
}

/** One epoch of shuffled mini-batches; returns the mean training loss. */
async function plainEpoch(
  state: EpochState & {
    readonly order: Uint32Array;
    readonly random: () => number;
    readonly batchSize: number;
  },
): Promise<number> {
  const { network, train, weights, variables, optimizer, l2, order } = state;
  shuffleInPlace(order, state.random);
  let lossSum = 0;
  let batches = 0;
  for (let start = 0; start < train.rows; start += state.batchSize) {
    const indices = order.subarray(start, Math.min(start + state.batchSize, train.rows));
    const cost = tf.tidy((): tf.Scalar => {
      const { x, y, w } = batchTensors(train, indices, weights);
      return optimizer.minimize(
        () => {
          let loss = weightedLoss(network.logits(x), y, w);
          if (l2 > 0)
            for (const v of variables)
              if (v.shape.length === 2) loss = loss.add(tf.sum(tf.square(v)).mul(l2));
          return loss;
        },
        true,
        variables,
      ) as tf.Scalar;
    });
    lossSum += cost.dataSync()[0] ?? 0;
    cost.dispose();
    batches++;
    // Let I/O (consumer heartbeats, HTTP probes) run between steps.
    if (batches % 20 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  return lossSum / Math.max(batches, 1);
}

/**
 * One epoch of DP-SGD: `stepsPerEpoch` steps, each on a Poisson sample of the training rows, with the
 * rows' clipped gradients summed, noised (σ·C per coordinate) and divided by the expected batch size.
 * The L2 penalty's gradient depends on no row, so it is added after the noise. Returns NaN: the
 * private rows' training loss is not released, only the noisy steps are.
 */
async function privateEpoch(
  privacy: NonNullable<TrainOptions['privacy']>,
  state: EpochState & {
    /** The lowest trained layer (those below are frozen). */
    readonly from: number;
  },
): Promise<number> {
  const { plan, random } = privacy;
  const { network, from, train, variables, optimizer, l2 } = state;
  for (let step = 1; step <= plan.stepsPerEpoch; step++) {
    const indices = poissonSample(train.rows, plan.samplingRate, random);
    tf.tidy(() => {
      let sums: tf.Tensor[];
      if (indices.length > 0) {
        const { x, y, w } = batchTensors(train, indices, state.weights);
        if (!(network instanceof MlpNetwork)) throw new RangeError('DP-SGD trains the MLP family only');
        sums = clippedGradientSum(network, x, y, w, plan.clipNorm, from).sums;
      } else sums = variables.map((v) => tf.zerosLike(v));
      const grads: tf.NamedTensorMap = {};
      variables.forEach((v, i) => {
        const noise = tf.tensor(gaussianNoise(v.size, plan.noiseMultiplier * plan.clipNorm, random), v.shape);
        let g = (sums[i] as tf.Tensor).add(noise).div(plan.expectedBatchSize);
        if (l2 > 0 && v.shape.length === 2) g = g.add(v.mul(2 * l2));
        grads[v.name] = g;
      });
      optimizer.applyGradients(grads);
    });
    if (step % 20 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  return Number.NaN;
}
