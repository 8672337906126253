import { DAY_MS } from '@fraudstream/contracts';
import { DEFAULT_FEATURE_SET, FeaturePipeline, type FeatureSet } from '@fraudstream/features';
import {
  computeDatasetFeatures,
  datasetStart,
  importDataset,
  type ChargebackDelayModel,
  type DatasetFeatures,
  type DatasetFormat,
  type ImportedDataset,
} from '@fraudstream/datasets';
import {
  averagePrecision,
  cardPrecisionTopK,
  hashString,
  rocAuc,
  type EvaluationRow,
} from '@fraudstream/stats';
import {
  baseTrainOptions,
  startNetwork,
  trainMlp,
  type ScoringNetwork,
  type TrainingMatrix,
  type TrainingSettings,
} from '@fraudstream/training';

/** A bank's file with the scorer's feature vectors of the days a benchmark uses. */
export interface LabelledFile {
  readonly dataset: ImportedDataset;
  /** Event time of day 0 (UTC midnight of the first transaction). */
  readonly start: number;
  readonly features: DatasetFeatures;
  /** Row of `features` of each transaction index, -1 when not kept. */
  readonly rowOf: Int32Array;
}

export function dayOfIndex(file: Pick<LabelledFile, 'dataset' | 'start'>, index: number): number {
  return Math.floor(((file.dataset.transactions[index]?.event_time ?? 0) - file.start) / DAY_MS);
}

/**
 * Imports a file and runs all of it through the FeaturePipeline (labels at the chargeback model's
 * times), keeping the vectors of the days `keepDay` accepts.
 */
export async function loadLabelledFile(options: {
  readonly path: string;
  readonly format: DatasetFormat;
  readonly chargebackDelay: ChargebackDelayModel;
  readonly keepDay: (day: number) => boolean;
  readonly log?: (line: string) => void;
  /** The feature set computed (default: the live loop's). */
  readonly featureSet?: FeatureSet;
}): Promise<LabelledFile> {
  const log = options.log ?? (() => undefined);
  let rejected = 0;
  const dataset = await importDataset({
    transactions: options.path,
    format: options.format,
    chargebackDelay: options.chargebackDelay,
    onReject: () => rejected++,
  });
  const start = datasetStart(dataset);
  log(
    `imported ${dataset.stats.transactions.toLocaleString('en-US')} transactions (${rejected} rejected) in ${dataset.stats.seconds.toFixed(1)} s`,
  );
  const began = performance.now();
  const keep = (i: number) => options.keepDay(dayOfIndex({ dataset, start }, i));
  const featureSet = options.featureSet ?? DEFAULT_FEATURE_SET;
  const features = await computeDatasetFeatures(dataset, {
    keep,
    pipeline: new FeaturePipeline(undefined, featureSet),
  });
  log(
    `features of ${features.indices.length.toLocaleString('en-US')} transactions kept, all ${dataset.transactions.length.toLocaleString('en-US')} through the FeaturePipeline (${featureSet.version}) in ${((performance.now() - began) / 1000).toFixed(1)} s`,
  );
  const rowOf = new Int32Array(dataset.transactions.length).fill(-1);
  features.indices.forEach((index, row) => {
    rowOf[index] = row;
  });
  return { dataset, start, features, rowOf };
}

/** Transaction indices whose day is in [from, to). */
export function indicesOfDays(file: LabelledFile, from: number, to: number): number[] {
  const out: number[] = [];
  const { transactions } = file.dataset;
  const lo = file.start + from * DAY_MS;
  const hi = file.start + to * DAY_MS;
  for (let i = 0; i < transactions.length; i++) {
    const t = transactions[i]?.event_time ?? 0;
    if (t >= lo && t < hi) out.push(i);
  }
  return out;
}

/** The handbook's train / delay / test windows, in days from day 0. */
export interface ProtocolWindow {
  readonly trainStartDay: number;
  readonly trainDays: number;
  readonly delayDays: number;
  readonly testDays: number;
}

/**
 * The handbook's `get_train_test_set`: the training days' transactions, and the test days'
 * transactions minus those of cards already known to be compromised. Known: the cards with a fraud
 * in the training days, and, for test day d, in the days up to train end + d - 1 (a fraud is known
 * `delayDays` after it happened, and the test starts `delayDays` after training).
 */
export function handbookTrainTest(
  file: LabelledFile,
  w: ProtocolWindow,
): { train: number[]; test: number[] } {
  const trainEnd = w.trainStartDay + w.trainDays;
  const testStart = trainEnd + w.delayDays;
  const train = indicesOfDays(file, w.trainStartDay, trainEnd);
  const { transactions, isFraud } = file.dataset;
  const fraudCardsByDay = new Map<number, Set<string>>();
  for (let i = 0; i < transactions.length; i++) {
    if (isFraud[i] !== 1) continue;
    const day = dayOfIndex(file, i);
    if (day < w.trainStartDay || day >= testStart) continue;
    let cards = fraudCardsByDay.get(day);
    if (!cards) fraudCardsByDay.set(day, (cards = new Set()));
    cards.add(transactions[i]?.card_id ?? '');
  }
  const known = new Set<string>();
  for (let day = w.trainStartDay; day < trainEnd; day++)
    for (const c of fraudCardsByDay.get(day) ?? []) known.add(c);
  const test: number[] = [];
  for (let d = 0; d < w.testDays; d++) {
    for (const c of fraudCardsByDay.get(trainEnd + d - 1) ?? []) known.add(c);
    for (const i of indicesOfDays(file, testStart + d, testStart + d + 1))
      if (!known.has(transactions[i]?.card_id ?? '')) test.push(i);
  }
  return { train, test };
}

/**
 * The handbook's model-selection windows (its chapter 5): the same train / delay / test lengths,
 * `testDays` earlier, so the selection's test week ends the day before the real test week starts
 * and the real test week's labels never choose a setting.
 */
export function validationWindow(w: ProtocolWindow): ProtocolWindow {
  return { ...w, trainStartDay: w.trainStartDay - w.testDays };
}

/**
 * Trains a network from scratch on `train` for `settings.baseEpochs` epochs (no early stopping),
 * calling `afterEpoch` with the network after each; the caller disposes the returned network.
 */
export async function trainScratchEpochs(
  train: TrainingMatrix,
  settings: TrainingSettings,
  afterEpoch: (epoch: number, network: ScoringNetwork) => void = () => undefined,
): Promise<ScoringNetwork> {
  const network = startNetwork({ kind: 'scratch' }, train, settings);
  // No validation rows: the loss never improves, so patience past the epochs runs them all.
  const empty: TrainingMatrix = {
    x: new Float32Array(0),
    y: new Float32Array(0),
    rows: 0,
    width: train.width,
  };
  await trainMlp(network, train, empty, {
    ...baseTrainOptions(settings),
    patience: settings.baseEpochs + 1,
    onEpoch: ({ epoch }) => afterEpoch(epoch, network),
  });
  return network;
}

/** Recall of one fraud scenario among the top-scored rows. */
export interface ScenarioRecall {
  readonly scenario: string;
  readonly frauds: number;
  /** Of this scenario's frauds, those among the N highest scores, N the number of frauds of all scenarios. */
  readonly detected: number;
  readonly recall: number;
}

/**
 * Per fraud scenario (the file's truth), the share of its frauds among the top N scores, N the
 * number of frauds in `indices`: which mechanism the model misses.
 */
export function scenarioRecall(
  file: Pick<LabelledFile, 'dataset'>,
  indices: readonly number[],
  scores: ArrayLike<number>,
): ScenarioRecall[] {
  const frauds = indices.filter((i) => file.dataset.isFraud[i] === 1).length;
  const order = indices.map((_, r) => r).sort((a, b) => (scores[b] ?? 0) - (scores[a] ?? 0));
  const top = new Set(order.slice(0, frauds));
  const byScenario = new Map<string, { frauds: number; detected: number }>();
  indices.forEach((i, r) => {
    if (file.dataset.isFraud[i] !== 1) return;
    const scenario = file.dataset.scenarios[i] ?? 'unknown';
    const entry = byScenario.get(scenario) ?? { frauds: 0, detected: 0 };
    entry.frauds++;
    if (top.has(r)) entry.detected++;
    byScenario.set(scenario, entry);
  });
  return [...byScenario.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([scenario, e]) => ({ scenario, ...e, recall: e.detected / e.frauds }));
}

/**
 * The AP the scores would have with one scenario's frauds ranked above every other row (their
 * order among themselves kept): an upper bound of what missing that scenario costs. A diagnostic
 * of the file's truth, never a model.
 */
export function averagePrecisionWithScenarioFirst(
  file: Pick<LabelledFile, 'dataset'>,
  indices: readonly number[],
  scores: ArrayLike<number>,
  scenario: string,
): number {
  let top = Number.NEGATIVE_INFINITY;
  for (let r = 0; r < indices.length; r++) top = Math.max(top, scores[r] ?? 0);
  const lifted = indices.map((i, r) => {
    const score = scores[r] ?? 0;
    return file.dataset.isFraud[i] === 1 && file.dataset.scenarios[i] === scenario ? top + 1 + score : score;
  });
  return averagePrecision(
    lifted,
    indices.map((i) => file.dataset.isFraud[i] === 1),
  );
}

/** The rows of `indices` as a training matrix (truth labels). */
export function matrixOf(file: LabelledFile, indices: readonly number[]): TrainingMatrix {
  const { width, values } = file.features;
  const x = new Float32Array(indices.length * width);
  const y = new Float32Array(indices.length);
  indices.forEach((index, r) => {
    const row = file.rowOf[index] ?? -1;
    if (row < 0) throw new Error(`transaction ${index} has no feature vector (its day was not kept)`);
    x.set(values.subarray(row * width, (row + 1) * width), r * width);
    y[r] = file.dataset.isFraud[index] ?? 0;
  });
  return { x, y, rows: indices.length, width };
}

/** Splits indices by a hash of the card id: one card in `parts` validates (early stopping), the rest train. */
export function cardSplit(
  file: LabelledFile,
  indices: readonly number[],
  parts = 4,
): { fit: number[]; validation: number[] } {
  const fit: number[] = [];
  const validation: number[] = [];
  for (const i of indices) {
    const card = file.dataset.transactions[i]?.card_id ?? '';
    (hashString(`validation:${card}`) % parts === 0 ? validation : fit).push(i);
  }
  return { fit, validation };
}

export interface FileMetrics {
  readonly roc_auc: number;
  readonly average_precision: number;
  readonly card_precision_at_k: number;
  /** Card precision@k of each test day, ascending (their mean is `card_precision_at_k`). */
  readonly card_precision_by_day: number[];
  readonly rows: number;
  readonly frauds: number;
}

function evaluationRows(
  file: LabelledFile,
  indices: readonly number[],
  scores: ArrayLike<number>,
): EvaluationRow[] {
  return indices.map((i, r) => ({
    cardId: file.dataset.transactions[i]?.card_id ?? '',
    day: dayOfIndex(file, i),
    score: scores[r] ?? 0,
    isFraud: file.dataset.isFraud[i] === 1,
  }));
}

/** AUC ROC, AP and the handbook's card precision@k (cards detected on earlier days removed) of scores. */
export function evaluateIndices(
  file: LabelledFile,
  indices: readonly number[],
  scores: ArrayLike<number>,
  k: number,
): FileMetrics {
  const labels = indices.map((i) => file.dataset.isFraud[i] === 1);
  const cards = cardPrecisionTopK(evaluationRows(file, indices, scores), k);
  return {
    roc_auc: rocAuc(scores, labels),
    average_precision: averagePrecision(scores, labels),
    card_precision_at_k: cards.mean,
    card_precision_by_day: cards.precisionByDay,
    rows: indices.length,
    frauds: labels.filter(Boolean).length,
  };
}

/** What the test set's cards allow card precision@k to reach, whatever the model. */
export interface CardPrecisionBound {
  /**
   * Compromised cards of each test day (known compromised cards already out of the test set, none
   * removed as detected): the count the handbook's chapter 4 prints for its test week.
   */
  readonly compromised_cards_by_day: number[];
  /**
   * Card precision@k of a perfect ranking (every compromised card first; those found are removed
   * from the later days, as for a model): the most any model can score on this test set.
   */
  readonly oracle_card_precision_at_k: number;
}

/**
 * Card precision@k is a count of compromised cards per day over k, so a test week with fewer of
 * them caps it lower for every model: this is that cap, from the truth alone. A diagnostic of the
 * file, never a model.
 */
export function cardPrecisionBound(
  file: LabelledFile,
  indices: readonly number[],
  k: number,
): CardPrecisionBound {
  const truth = indices.map((i) => file.dataset.isFraud[i] ?? 0);
  const rows = evaluationRows(file, indices, truth);
  return {
    compromised_cards_by_day: cardPrecisionTopK(rows, k, { removeDetectedCards: false })
      .compromisedCardsByDay,
    oracle_card_precision_at_k: cardPrecisionTopK(rows, k).mean,
  };
}

/**
 * Per test day, the cards whose highest score equals the k-th card's (1: no tie at the cut). Cards
 * tied across the cut are taken in card-id order, not by the model: a saturated output (scores of
 * exactly 1) would decide card precision@k by ids. A diagnostic of the scores.
 */
export function cardsTiedAtCut(
  file: LabelledFile,
  indices: readonly number[],
  scores: ArrayLike<number>,
  k: number,
): number[] {
  const byDay = new Map<number, Map<string, number>>();
  for (const row of evaluationRows(file, indices, scores)) {
    let cards = byDay.get(row.day);
    if (!cards) byDay.set(row.day, (cards = new Map<string, number>()));
    cards.set(row.cardId, Math.max(cards.get(row.cardId) ?? Number.NEGATIVE_INFINITY, row.score));
  }
  return [...byDay.keys()]
    .sort((a, b) => a - b)
    .map((day) => {
      const best = [...(byDay.get(day)?.values() ?? [])].sort((a, b) => b - a);
      const cut = best[Math.min(k, best.length) - 1];
      return best.filter((score) => score === cut).length;
    });
}

/**
 * Per row, the sigmoid of the mean logit of the runs' scores (probabilities clamped off 0 and 1):
 * the score of the runs' networks as one, which `MlpNetwork.ensemble` builds as a single MLP.
 */
export function meanLogit(runs: readonly (Float32Array | number[])[]): Float32Array {
  const rows = runs[0]?.length ?? 0;
  const out = new Float32Array(rows);
  for (let i = 0; i < rows; i++) {
    let sum = 0;
    for (const scores of runs) {
      const p = Math.min(1 - 1e-7, Math.max(1e-7, scores[i] ?? 0));
      sum += Math.log(p / (1 - p));
    }
    out[i] = 1 / (1 + Math.exp(-sum / runs.length));
  }
  return out;
}
