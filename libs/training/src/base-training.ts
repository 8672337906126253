import { DAY_MS } from '@fraudstream/contracts';
import type { EvaluationMetrics, ModelManifest } from '@fraudstream/registry';
import { eventDay } from '@fraudstream/stats';
import { splitWindow } from './data-split';
import { trainMlp, type TrainResult } from './mlp.trainer';
import { MlpNetwork } from './mlp.network';
import { encodeWeights } from './network-weights';
import { startNetwork, startSchedule, type NetworkStart } from './network-start';
import { sequenceLayoutOf, type ScoringNetwork } from './scoring-network';
import { evaluateModel } from './model-evaluation';
import { packageModel, type PackagedModel } from './model-packaging';
import { buildReferenceProfile } from './reference-profile';
import { segmentTable } from './segment-fairness';
import { selectThreshold, type ThresholdPolicy } from './threshold';
import { TrainingJobError } from './training.errors';
import type { TrainingSettings } from './training.settings';
import { assertFiniteFeatures, countPositives, toTrainingMatrix, type TrainingRow } from './training-rows';
import { initTfjsWasm } from './tfjs-wasm.backend';

export interface BaseTrainingInput {
  /** Joined rows with settled labels (see joinMatureLabels), any order. */
  readonly rows: readonly TrainingRow[];
  /** The event time the labels are known at (end of the history). */
  readonly asOf: number;
  readonly version: string;
  readonly featureNames: readonly string[];
  readonly featureSetVersion: string;
  readonly thresholdPolicy: ThresholdPolicy;
  readonly codeRevision: string;
  readonly settings: TrainingSettings;
  readonly now?: Date;
  /**
   * Where training starts: from scratch (default), or fine-tuning a pretrained model on these rows
   * (`npm run train:base -- --from-pretrained`; its version becomes the parent in the lineage).
   */
  readonly start?: NetworkStart;
  readonly parentVersion?: string | null;
}

export interface BaseTrainingResult extends PackagedModel {
  readonly train: TrainResult;
  readonly validation: EvaluationMetrics;
  readonly trainRows: number;
  readonly manifest: ModelManifest;
  /** The rows `validation` was measured on (an int8 variant is judged on them). */
  readonly validationRows: readonly TrainingRow[];
  /** The rows the reference profile describes. */
  readonly referenceRows: readonly TrainingRow[];
}

/**
 * Trains model v1 from scratch: standardisation constants from the training rows (baked into the
 * ONNX graph), seeded He initialisation, class-weighted Adam with early stopping on half of the
 * cards of the newest mature days (`baseHoldoutDays`); the threshold follows the policy on those
 * days; the other half gives the validation metrics. With `start` a pretrained model, the same
 * steps fine-tune it instead (its weights, the fine-tuning learning rate and epochs).
 */
export async function trainBaseModel(input: BaseTrainingInput): Promise<BaseTrainingResult> {
  const { rows, settings, featureNames } = input;
  if (rows.length === 0) throw new TrainingJobError('WINDOW_TOO_SMALL', 'no labelled rows to train on');
  let start = Number.POSITIVE_INFINITY;
  let end = Number.NEGATIVE_INFINITY;
  for (const row of rows) {
    start = Math.min(start, row.eventTime);
    end = Math.max(end, row.eventTime + 1);
  }
  const windowSplit = splitWindow(
    rows,
    { start, end },
    input.asOf - settings.chargebackWindowMs,
    settings.baseHoldoutDays * DAY_MS,
  );
  // No gate judges a base model: the settled rows after the hold-out train it, whatever their card.
  // (In the rows' own order, so the seeded shuffle sees what it always saw.)
  const trained = new Set([...windowSplit.train, ...windowSplit.recentTest]);
  const split = { ...windowSplit, train: rows.filter((r) => trained.has(r)) };
  const holdout = [...split.validation, ...split.test];
  assertFiniteFeatures(rows, 'training');
  const trainPositives = countPositives(split.train);
  if (split.train.length < settings.minTrainRows || holdout.length < settings.minHoldoutRows)
    throw new TrainingJobError(
      'WINDOW_TOO_SMALL',
      `${split.train.length} training and ${holdout.length} hold-out rows; need ${settings.minTrainRows} and ${settings.minHoldoutRows} (simulate more days?)`,
    );
  if (trainPositives === 0 || trainPositives === split.train.length || countPositives(split.test) === 0)
    throw new TrainingJobError('ONE_CLASS', 'the history holds a single class: nothing to learn or rank');

  const from: NetworkStart = input.start ?? { kind: 'scratch' };
  const ensemble = settings.baseEnsemble;
  if (ensemble > 1 && (from.kind !== 'scratch' || settings.modelFamily !== 'mlp'))
    throw new TrainingJobError(
      'INVALID_REQUEST',
      `an ensemble of ${ensemble} networks (TRAINER_BASE_ENSEMBLE) is built for an MLP trained from scratch, ` +
        `not for a ${from.kind === 'scratch' ? `${settings.modelFamily} model` : 'fine-tuned pretrained model'}`,
    );
  await initTfjsWasm();
  const width = featureNames.length;
  const trainMatrix = toTrainingMatrix(split.train, width);
  const layout = settings.modelFamily === 'sequence' ? sequenceLayoutOf(input.featureSetVersion) : null;
  let network = startNetwork(from, trainMatrix, settings, layout);
  if (network.inputWidth !== width)
    throw new TrainingJobError(
      'FEATURE_SET_MISMATCH',
      `the pretrained model takes ${network.inputWidth} features, the pipeline has ${width}`,
    );
  const schedule = startSchedule(from, settings);
  const validationMatrix = toTrainingMatrix(split.validation, width);
  const trainOne = (net: ScoringNetwork, seed: number) =>
    trainMlp(net, trainMatrix, validationMatrix, {
      epochs: schedule.epochs,
      batchSize: settings.batchSize,
      learningRate: schedule.learningRate,
      seed,
      classWeighting: settings.classWeighting,
      patience: settings.patience,
      averageAroundBest: settings.baseAverageWeights,
      frozenLayers: from.kind === 'pretrained' ? Math.min(settings.frozenLayers, net.layerCount - 1) : 0,
      l2: settings.l2,
    });
  try {
    const train = await trainOne(network, settings.seed);
    // Members trained alike from the next seeds, each early-stopped on its own, joined into one MLP
    // whose logit is the mean of theirs (the same inputs and standardisation: one data set).
    if (ensemble > 1) {
      if (!(network instanceof MlpNetwork)) throw new RangeError('only MLPs are combined');
      const members = [network];
      try {
        for (let i = 1; i < ensemble; i++) {
          const member = MlpNetwork.create({
            mean: Array.from(network.mean),
            std: Array.from(network.std),
            hiddenUnits: settings.hiddenUnits,
            seed: settings.seed + i,
          });
          members.push(member);
          await trainOne(member, settings.seed + i);
        }
        network = MlpNetwork.ensemble(members);
      } finally {
        // The first member is `network` until the ensemble replaces it; the outer finally frees that.
        for (const member of members) if (member !== network) member.dispose();
      }
    }
    const holdoutMatrix = toTrainingMatrix(holdout, width);
    const threshold = selectThreshold(
      network.predict(holdoutMatrix.x, holdoutMatrix.rows),
      holdout.map((r) => r.isFraud),
      holdout.map((r) => r.eventTime),
      input.thresholdPolicy,
    );
    const testMatrix = toTrainingMatrix(split.test, width);
    const testScores = network.predict(testMatrix.x, testMatrix.rows);
    const validation = evaluateModel(
      split.test.map((row, i) => ({
        cardId: row.cardId,
        day: eventDay(row.eventTime),
        score: testScores[i] ?? 0,
        isFraud: row.isFraud,
      })),
      { threshold, k: settings.cardPrecisionK },
    );
    // The reference is the settled history the model saw (train + hold-out).
    const referenceRows = [...split.train.filter((r) => r.eventTime < split.holdoutStart), ...holdout];
    const referenceMatrix = toTrainingMatrix(referenceRows, width);
    const reference = buildReferenceProfile(
      referenceRows,
      network.predict(referenceMatrix.x, referenceMatrix.rows),
      featureNames,
    );
    const packaged = packageModel({
      network,
      version: input.version,
      parentVersion: input.parentVersion ?? null,
      createdEventTime: input.asOf,
      codeRevision: input.codeRevision,
      featureSetVersion: input.featureSetVersion,
      featureNames,
      threshold,
      thresholdPolicy: input.thresholdPolicy,
      training: {
        window_start: start,
        window_end: end,
        rows: split.train.length,
        positives: trainPositives,
        replay_rows: 0,
        validation_rows: split.validation.length,
        request_id: null,
        drift_event_id: null,
        seed: settings.seed,
        epochs: train.bestEpoch,
        ...(ensemble > 1 ? { ensemble } : {}),
        ...(train.averagedEpochs ? { averaged_epochs: train.averagedEpochs } : {}),
        // An ensemble's networks each kept their own best; the joined network has no one best epoch.
        ...(train.bestWeights && ensemble === 1
          ? { best_epoch_weights: encodeWeights(train.bestWeights) }
          : {}),
        warm_start: from.kind === 'pretrained',
        frozen_layers:
          from.kind === 'pretrained' ? Math.min(settings.frozenLayers, network.layerCount - 1) : 0,
      },
      validation,
      reference,
      card: {
        trigger: 'base',
        softLabelledRows: 0,
        gate: null,
        segments: segmentTable(split.test, { scores: testScores, threshold }, null),
      },
      now: input.now ?? new Date(),
    });
    return {
      ...packaged,
      train,
      validation,
      trainRows: split.train.length,
      validationRows: split.test,
      referenceRows,
    };
  } finally {
    network.dispose();
  }
}
