import { buildMlpOnnx, readMlpOnnx } from '@fraudstream/model';
import { mulberry32, rocAuc } from '@fraudstream/stats';
import { beforeAll, describe, expect, it } from 'vitest';
import { MlpNetwork } from './mlp.network';
import { fitNetwork, startNetwork } from './network-start';
import { initTfjsWasm } from './tfjs-wasm.backend';
import { defaultTrainingSettings } from './training.settings';
import type { TrainingMatrix } from './training-rows';

/** Fraud when 2·x0 − 1.5·x1 is high; features on a `scale` and `offset` of their own. */
function data(rows: number, seed: number, scale = 1, offset = 0): TrainingMatrix {
  const random = mulberry32(seed);
  const width = 3;
  const x = new Float32Array(rows * width);
  const y = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    const z = [random() * 2 - 1, random() * 2 - 1, random() * 2 - 1];
    z.forEach((v, c) => {
      x[r * width + c] = v * scale + offset;
    });
    y[r] = 2 * (z[0] ?? 0) - 1.5 * (z[1] ?? 0) > 1.8 ? 1 : 0;
  }
  return { x, y, rows, width };
}

const settings = {
  ...defaultTrainingSettings(),
  hiddenUnits: [8],
  batchSize: 128,
  baseLearningRate: 0.01,
  fineTuneLearningRate: 0.003,
  seed: 5,
};

describe(fitNetwork.name, () => {
  beforeAll(() => initTfjsWasm());

  it('from scratch: standardises with the training rows and learns the pattern; a refit reruns the best epoch count on all rows', async () => {
    const train = data(2000, 1, 10, 50);
    const validation = data(600, 2, 10, 50);
    const fitted = await fitNetwork({ start: { kind: 'scratch' }, train, validation, settings, refit: true });
    expect(Array.from(fitted.network.mean).every((m) => Math.abs(m - 50) < 1)).toBe(true);
    expect(fitted.refitEpochs).toBe(fitted.train.bestEpoch);
    expect(rocAuc(fitted.network.predict(validation.x, validation.rows), validation.y)).toBeGreaterThan(0.97);
    fitted.network.dispose();
  });

  it("fine-tunes a pretrained network from its weights; 'data' standardisation moves a population on another scale onto the pretrained one's", async () => {
    const source = data(3000, 3);
    const pretrained = await fitNetwork({
      start: { kind: 'scratch' },
      train: source,
      validation: data(600, 4),
      settings,
    });
    // As train:base --from-pretrained reads it: the registered ONNX file's weights.
    if (!(pretrained.network instanceof MlpNetwork)) throw new Error('an MLP was trained');
    const spec = readMlpOnnx(buildMlpOnnx(pretrained.network.toSpec()));
    pretrained.network.dispose();
    // The bank's features: the same pattern on a scale ten times larger, shifted.
    const bank = data(400, 5, 10, 30);
    const test = data(2000, 6, 10, 30);
    const kept = startNetwork(
      { kind: 'pretrained', weights: spec, standardisation: 'pretrained' },
      bank,
      settings,
    );
    const restandardised = startNetwork(
      { kind: 'pretrained', weights: spec, standardisation: 'data' },
      bank,
      settings,
    );
    expect(Array.from(kept.mean)).toEqual(Array.from(Float32Array.from(spec.mean)));
    expect(Array.from(restandardised.mean).every((m) => Math.abs(m - 30) < 2)).toBe(true);
    const aucKept = rocAuc(kept.predict(test.x, test.rows), test.y);
    const aucData = rocAuc(restandardised.predict(test.x, test.rows), test.y);
    // Without any training the re-standardised network already ranks the bank's rows.
    expect(aucData).toBeGreaterThan(0.95);
    expect(aucData).toBeGreaterThan(aucKept);
    kept.dispose();
    restandardised.dispose();
    const tuned = await fitNetwork({
      start: { kind: 'pretrained', weights: spec, standardisation: 'data' },
      train: bank,
      validation: data(200, 7, 10, 30),
      settings,
    });
    expect(tuned.network).toBeInstanceOf(MlpNetwork);
    expect(rocAuc(tuned.network.predict(test.x, test.rows), test.y)).toBeGreaterThan(0.95);
    tuned.network.dispose();
  });
});
