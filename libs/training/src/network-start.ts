import type { MlpWeights } from '@fraudstream/model';
import { MlpNetwork } from './mlp.network';
import type { ScoringNetwork } from './scoring-network';
import { SequenceNetwork, computeSequenceStandardisation, type SequenceLayout } from './sequence.network';
import { trainMlp, type TrainResult } from './mlp.trainer';
import type { TrainingSettings } from './training.settings';
import { computeStandardisation, type TrainingMatrix } from './training-rows';

/**
 * Where a network's training starts:
 * - `scratch`: seeded He initialisation, standardisation constants from the training rows;
 * - `pretrained` (transfer learning): the weights of a model trained elsewhere (`npm run pretrain`'s
 *   simulated corpus). `standardisation: 'pretrained'` keeps its constants (the weights then see
 *   the bank's features on the corpus's scale); `'data'` standardises with the bank's own rows,
 *   so a feature one standard deviation above the bank's mean looks to the network as one above
 *   the corpus's mean did (re-estimating the normalisation on the target domain, which adapts a
 *   network to a population whose activity levels or amounts differ from the corpus's).
 */
export type NetworkStart =
  | { readonly kind: 'scratch' }
  | {
      readonly kind: 'pretrained';
      readonly weights: Pick<MlpWeights, 'mean' | 'std' | 'layers'>;
      readonly standardisation: 'pretrained' | 'data';
    };

/**
 * The initial network of a start (the caller disposes it). From scratch, the family is
 * `settings.modelFamily`; the sequence family needs `layout` (where its block is in the rows). A
 * pretrained start is an MLP.
 */
export function startNetwork(
  start: NetworkStart,
  train: TrainingMatrix,
  settings: TrainingSettings,
  layout: SequenceLayout | null = null,
): ScoringNetwork {
  if (start.kind === 'scratch' && settings.modelFamily === 'sequence') {
    if (!layout) throw new RangeError('the sequence family needs the layout of its feature set');
    return SequenceNetwork.create({
      ...computeSequenceStandardisation(train, layout),
      steps: layout.steps,
      gruUnits: settings.gruUnits,
      hiddenUnits: settings.hiddenUnits,
      seed: settings.seed,
    });
  }
  if (start.kind === 'scratch') {
    const { mean, std } = computeStandardisation(train);
    return MlpNetwork.create({ mean, std, hiddenUnits: settings.hiddenUnits, seed: settings.seed });
  }
  const constants = start.standardisation === 'data' ? computeStandardisation(train) : start.weights;
  return MlpNetwork.fromWeights({ ...start.weights, mean: [...constants.mean], std: [...constants.std] });
}

/** Epochs and learning rate of a start: a base model's from scratch, a fine-tuning's from a pretrained model. */
export function startSchedule(
  start: NetworkStart,
  settings: TrainingSettings,
): { readonly epochs: number; readonly learningRate: number } {
  return start.kind === 'scratch'
    ? { epochs: settings.baseEpochs, learningRate: settings.baseLearningRate }
    : { epochs: settings.fineTuneEpochs, learningRate: settings.fineTuneLearningRate };
}

export interface FittedNetwork {
  readonly network: ScoringNetwork;
  readonly train: TrainResult;
  /** Epochs of the refit on training + validation rows (0 when not refitted). */
  readonly refitEpochs: number;
}

/**
 * Trains a network from `start` with early stopping on `validation`; with `refit`, trains a fresh
 * one from the same start on training and validation rows together for the early-stopped epoch
 * count (small labelled histories cannot spare the validation rows).
 */
export async function fitNetwork(input: {
  readonly start: NetworkStart;
  readonly train: TrainingMatrix;
  readonly validation: TrainingMatrix;
  readonly settings: TrainingSettings;
  readonly refit?: boolean;
  /** The sequence family's block (with `settings.modelFamily` sequence). */
  readonly layout?: SequenceLayout | null;
}): Promise<FittedNetwork> {
  const { start, train, validation, settings } = input;
  const layout = input.layout ?? null;
  const schedule = startSchedule(start, settings);
  const options = {
    epochs: schedule.epochs,
    batchSize: settings.batchSize,
    learningRate: schedule.learningRate,
    seed: settings.seed,
    classWeighting: settings.classWeighting,
    patience: settings.patience,
    frozenLayers: start.kind === 'pretrained' ? settings.frozenLayers : 0,
    l2: settings.l2,
  };
  const network = startNetwork(start, train, settings, layout);
  const result = await trainMlp(network, train, validation, options);
  if (!input.refit || result.bestEpoch === 0) return { network, train: result, refitEpochs: 0 };
  network.dispose();
  const all = concatMatrices(train, validation);
  const refitted = startNetwork(start, all, settings, layout);
  // No validation rows: the loss never improves, so patience past the epochs runs them all.
  const empty: TrainingMatrix = { x: new Float32Array(0), y: new Float32Array(0), rows: 0, width: all.width };
  await trainMlp(refitted, all, empty, {
    ...options,
    epochs: result.bestEpoch,
    patience: result.bestEpoch + 1,
  });
  return { network: refitted, train: result, refitEpochs: result.bestEpoch };
}

function concatMatrices(a: TrainingMatrix, b: TrainingMatrix): TrainingMatrix {
  const x = new Float32Array(a.x.length + b.x.length);
  x.set(a.x);
  x.set(b.x, a.x.length);
  const y = new Float32Array(a.y.length + b.y.length);
  y.set(a.y);
  y.set(b.y, a.y.length);
  return { x, y, rows: a.rows + b.rows, width: a.width };
}
