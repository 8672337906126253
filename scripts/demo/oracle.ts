import { FEATURE_NAMES, FEATURE_SET_VERSION } from '@fraudstream/features';
import { readMlpOnnx } from '@fraudstream/model';
import type { ModelManifest } from '@fraudstream/registry';
import { averagePrecision } from '@fraudstream/stats';
import {
  MlpNetwork,
  PrequentialOracle,
  computeStandardisation,
  defaultTrainingSettings,
  initTfjsWasm,
  trainMlp,
  type ScoredTransaction,
  type TrainingMatrix,
  type TrainingSettings,
} from '@fraudstream/training';
import type { ChampionScore } from './loop-observer';

const DAY_MS = 86_400_000;

export interface PrequentialOracleRun {
  readonly champion: ReadonlyMap<string, ChampionScore>;
  readonly truth: ReadonlyMap<string, boolean>;
  /** The loop's base model (the oracle starts from it, as the loop does). */
  readonly base: { readonly onnx: Uint8Array; readonly manifest: ModelManifest };
  /** The trainer's settings of the run. */
  readonly settings: TrainingSettings;
  /** The drift monitor's training window (each retrain's window). */
  readonly trainingWindowMs: number;
  /** Event time of day 0. */
  readonly startTime: number;
  /** First day scored by the oracle (the onset), and the number of days. */
  readonly fromDay: number;
  readonly days: number;
  readonly onDay?: (day: number, ap: number | null, seconds: number) => void;
}

/**
 * The prequential instant-label oracle of the report (`oracle_ap_by_day`): each day from `fromDay`
 * on, the loop's model family retrained by the trainer's own job on every logged transaction before
 * that day with its TRUE label (no chargeback delay, no analyst capacity, no gate), then scored on
 * that day (out of sample). The same PrequentialOracle the quality bench's `oracle` policy runs.
 * Null before `fromDay` and on days without fraud.
 */
export async function prequentialOracleApByDay(run: PrequentialOracleRun): Promise<(number | null)[]> {
  const result: (number | null)[] = Array.from({ length: run.days }, () => null);
  const rows: ScoredTransaction[] = [];
  const byDay: { ids: string[]; features: Float32Array[] }[] = Array.from({ length: run.days }, () => ({
    ids: [],
    features: [],
  }));
  for (const [id, row] of run.champion) {
    if (!row.features || row.day < 0 || row.day >= run.days) continue;
    rows.push({
      transaction_id: id,
      card_id: row.cardId,
      event_time: row.eventTime,
      features: Array.from(row.features),
      feature_set_version: FEATURE_SET_VERSION,
      role: 'CHAMPION',
      model_version: row.modelVersion,
    });
    byDay[row.day]?.ids.push(id);
    byDay[row.day]?.features.push(row.features);
  }
  const oracle = await PrequentialOracle.create({
    base: run.base,
    rows,
    isFraud: (id) => run.truth.get(id) ?? false,
    settings: run.settings,
    trainingWindowMs: run.trainingWindowMs,
    featureNames: FEATURE_NAMES,
    featureSetVersion: FEATURE_SET_VERSION,
  });
  try {
    for (let day = run.fromDay; day < run.days; day++) {
      const started = performance.now();
      const { model } = await oracle.retrainAt(run.startTime + day * DAY_MS);
      const today = byDay[day];
      if (!today || today.ids.length === 0) continue;
      const width = today.features[0]?.length ?? 0;
      const x = new Float32Array(today.ids.length * width);
      today.features.forEach((f, i) => x.set(f, i * width));
      const network = MlpNetwork.fromWeights(readMlpOnnx(model.onnx));
      try {
        const scores = network.predict(x, today.ids.length);
        const labels = today.ids.map((id) => run.truth.get(id) ?? false);
        result[day] = labels.some(Boolean) ? averagePrecision(Array.from(scores), labels) : null;
      } finally {
        network.dispose();
      }
      run.onDay?.(day, result[day] ?? null, (performance.now() - started) / 1000);
    }
    return result;
  } finally {
    oracle.close();
  }
}

/**
 * The base model's AP on the same transactions (`static_ap_by_day`): what the loop would have scored
 * had it never retrained, from the logged feature vectors of each day from `fromDay` on. Set beside
 * the served model's AP on the same days, it takes out the day-to-day difficulty that a comparison
 * with the days before a redeployment leaves in. Null before `fromDay` and on days without fraud.
 */
export function staticApByDay(
  champion: ReadonlyMap<string, ChampionScore>,
  truth: ReadonlyMap<string, boolean>,
  baseOnnx: Uint8Array,
  fromDay: number,
  days: number,
): (number | null)[] {
  const byDay: { features: Float32Array[]; labels: boolean[] }[] = Array.from({ length: days }, () => ({
    features: [],
    labels: [],
  }));
  for (const [id, row] of champion) {
    const isFraud = truth.get(id);
    if (isFraud === undefined || !row.features || row.day < fromDay || row.day >= days) continue;
    byDay[row.day]?.features.push(row.features);
    byDay[row.day]?.labels.push(isFraud);
  }
  const network = MlpNetwork.fromWeights(readMlpOnnx(baseOnnx));
  try {
    return byDay.map(({ features, labels }) => {
      if (features.length === 0 || !labels.some(Boolean)) return null;
      const width = features[0]?.length ?? 0;
      const x = new Float32Array(features.length * width);
      features.forEach((f, i) => x.set(f, i * width));
      return averagePrecision(Array.from(network.predict(x, features.length)), labels);
    });
  } finally {
    network.dispose();
  }
}

/**
 * The ceiling of the report (`ceiling_ap_by_day`): the loop's MLP trained from scratch on the new
 * regime with hindsight, i.e. on every post-onset transaction's logged feature vector and TRUE label
 * (no chargeback delay, no analyst capacity), then scored on the same transactions (in-sample: an
 * upper bound on what any model retrained on these days could reach). Returns the AP per event day
 * from the onset on (null before the onset and on days without fraud).
 */
export async function ceilingApByDay(
  champion: ReadonlyMap<string, ChampionScore>,
  truth: ReadonlyMap<string, boolean>,
  onsetDay: number,
  days: number,
  seed: number,
): Promise<(number | null)[]> {
  const rows: { day: number; features: Float32Array; isFraud: boolean }[] = [];
  for (const [id, row] of champion) {
    const isFraud = truth.get(id);
    if (isFraud === undefined || !row.features || row.day < onsetDay || row.day >= days) continue;
    rows.push({ day: row.day, features: row.features, isFraud });
  }
  const result: (number | null)[] = Array.from({ length: days }, () => null);
  const width = rows[0]?.features.length ?? 0;
  if (width === 0 || !rows.some((r) => r.isFraud)) return result;

  const x = new Float32Array(rows.length * width);
  const y = new Float32Array(rows.length);
  rows.forEach((r, i) => {
    x.set(r.features, i * width);
    y[i] = r.isFraud ? 1 : 0;
  });
  const matrix: TrainingMatrix = { x, y, rows: rows.length, width };
  const settings = defaultTrainingSettings();
  await initTfjsWasm();
  const { mean, std } = computeStandardisation(matrix);
  const network = MlpNetwork.create({ mean, std, hiddenUnits: settings.hiddenUnits, seed });
  try {
    // Early stopping on the training rows themselves: the oracle is meant to fit the new regime.
    await trainMlp(network, matrix, matrix, {
      epochs: 10,
      batchSize: 512,
      learningRate: settings.baseLearningRate,
      seed,
      classWeighting: settings.classWeighting,
      patience: 3,
    });
    const predicted = network.predict(x, rows.length);
    for (let day = onsetDay; day < days; day++) {
      const scores: number[] = [];
      const labels: boolean[] = [];
      rows.forEach((r, i) => {
        if (r.day !== day) return;
        scores.push(predicted[i] ?? 0);
        labels.push(r.isFraud);
      });
      result[day] = labels.some(Boolean) ? averagePrecision(scores, labels) : null;
    }
    return result;
  } finally {
    network.dispose();
  }
}
