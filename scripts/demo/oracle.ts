import { averagePrecision } from '@fraudstream/stats';
import {
  MlpNetwork,
  computeStandardisation,
  defaultTrainingSettings,
  initTfjsWasm,
  trainMlp,
  type TrainingMatrix,
} from '@fraudstream/training';
import type { ChampionScore } from './loop-observer';

/**
 * The oracle of the AP recovery ratio: the loop's MLP trained from scratch on the new regime with
 * hindsight, i.e. on every post-onset transaction's logged feature vector and TRUE label (no
 * chargeback delay, no analyst capacity), then scored on the same transactions (in-sample: an upper
 * bound on what a retrained model could reach on those days). Returns the AP per event day from the
 * onset on (null before the onset and on days without fraud).
 */
export async function oracleApByDay(
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
