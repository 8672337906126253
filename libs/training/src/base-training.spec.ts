import { readMlpOnnx } from '@fraudstream/model';
import { beforeAll, describe, expect, it } from 'vitest';
import type { BaseTrainingResult } from './base-training';
import { MlpNetwork } from './mlp.network';
import { decodeWeights } from './network-weights';
import { initTfjsWasm } from './tfjs-wasm.backend';
import { TrainingJobError } from './training.errors';
import { TEST_FEATURES, testSettings, trainTestBaseModel } from './training.test-fixtures';
import { toTrainingMatrix } from './training-rows';

/** The model's scores of `rows`, read back out of its ONNX bytes as the scorer would load it. */
function scoresOf(model: BaseTrainingResult, rows: BaseTrainingResult['validationRows']): Float32Array {
  const network = MlpNetwork.fromWeights(readMlpOnnx(model.onnx));
  const matrix = toTrainingMatrix(rows, TEST_FEATURES.length);
  try {
    return network.predict(matrix.x, matrix.rows);
  } finally {
    network.dispose();
  }
}

const logit = (p: number) => Math.log(p / (1 - p));

describe('trainBaseModel with TRAINER_BASE_ENSEMBLE', () => {
  beforeAll(() => initTfjsWasm());

  it('is one MLP whose logit is the mean of the networks trained alone from the next seeds', async () => {
    const { base: ensemble } = await trainTestBaseModel(testSettings({ seed: 42, baseEnsemble: 3 }));
    const singles: BaseTrainingResult[] = [];
    for (const seed of [42, 43, 44]) singles.push((await trainTestBaseModel(testSettings({ seed }))).base);
    // One network of three side-by-side blocks, and the manifest says so.
    expect(ensemble.manifest.training.ensemble).toBe(3);
    expect(singles[0]?.manifest.training.ensemble).toBeUndefined();
    expect(readMlpOnnx(ensemble.onnx).layers[0]?.bias).toHaveLength(3 * 16);
    const rows = ensemble.validationRows;
    const together = scoresOf(ensemble, rows);
    const alone = singles.map((s) => scoresOf(s, rows));
    let maxDiff = 0;
    let spread = 0;
    for (let i = 0; i < rows.length; i++) {
      const logits = alone.map((scores) => logit(scores[i] ?? 0.5));
      const mean = logits.reduce((a, b) => a + b, 0) / logits.length;
      maxDiff = Math.max(maxDiff, Math.abs(logit(together[i] ?? 0.5) - mean));
      spread = Math.max(spread, Math.max(...logits) - Math.min(...logits));
    }
    expect(maxDiff).toBeLessThan(1e-3);
    // The seeds' networks differ, so the mean is not any one of them.
    expect(spread).toBeGreaterThan(0.1);
  });

  it('refuses an ensemble of the sequence family, naming the setting', async () => {
    const refused = await trainTestBaseModel(testSettings({ baseEnsemble: 2, modelFamily: 'sequence' })).then(
      () => null,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(TrainingJobError);
    expect((refused as TrainingJobError).reason).toBe('INVALID_REQUEST');
    expect((refused as TrainingJobError).message).toContain('TRAINER_BASE_ENSEMBLE');
  });
});

describe('trainBaseModel with TRAINER_BASE_AVERAGE_WEIGHTS', () => {
  beforeAll(() => initTfjsWasm());

  it('serves the mean of the weights around the early-stopped best and records the epochs averaged', async () => {
    const settings = testSettings({ seed: 42 });
    const { base: best } = await trainTestBaseModel(settings);
    const { base: averaged } = await trainTestBaseModel({ ...settings, baseAverageWeights: true });
    const epoch = averaged.manifest.training.epochs;
    expect(best.manifest.training.epochs).toBe(epoch);
    expect(best.manifest.training.averaged_epochs).toBeUndefined();
    const [first, last] = averaged.manifest.training.averaged_epochs ?? [Number.NaN, Number.NaN];
    expect(first).toBe(Math.max(1, epoch - settings.patience));
    expect(last).toBeGreaterThanOrEqual(epoch);
    expect(last).toBeLessThanOrEqual(epoch + settings.patience);
    expect(last).toBeGreaterThan(first);
    // Other weights: not the best epoch's network.
    const rows = averaged.validationRows;
    const a = scoresOf(averaged, rows);
    const b = scoresOf(best, rows);
    expect(a.some((v, i) => Math.abs(v - (b[i] ?? v)) > 1e-4)).toBe(true);
    // It keeps the best epoch's own weights beside them, for a fine-tune to continue from.
    expect(best.manifest.training.best_epoch_weights).toBeUndefined();
    const network = MlpNetwork.fromWeights(readMlpOnnx(averaged.onnx));
    try {
      network.restore(decodeWeights(averaged.manifest.training.best_epoch_weights ?? '', network.snapshot()));
      const matrix = toTrainingMatrix(rows, TEST_FEATURES.length);
      expect(Array.from(network.predict(matrix.x, matrix.rows))).toEqual(Array.from(b));
    } finally {
      network.dispose();
    }
  });
});
