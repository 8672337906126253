import { mulberry32, rocAuc } from '@fraudstream/stats';
import { beforeAll, describe, expect, it } from 'vitest';
import { MlpNetwork } from './mlp.network';
import { classWeights, trainMlp } from './mlp.trainer';
import { initTfjsWasm } from './tfjs-wasm.backend';
import type { TrainingMatrix } from './training-rows';

/** Fraud when a hidden linear score is high; ~5 % positives. */
function syntheticData(rows: number, seed: number): TrainingMatrix {
  const random = mulberry32(seed);
  const width = 4;
  const x = new Float32Array(rows * width);
  const y = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < width; c++) x[r * width + c] = random() * 2 - 1;
    const s = 2 * (x[r * width] ?? 0) - 1.5 * (x[r * width + 1] ?? 0) + 0.3 * (random() - 0.5);
    y[r] = s > 2 ? 1 : 0;
  }
  return { x, y, rows, width };
}

/** The same small network each time: seed 3, four standardised inputs, 8 hidden units. */
const smallNetwork = () =>
  MlpNetwork.create({ mean: [0, 0, 0, 0], std: [1, 1, 1, 1], hiddenUnits: [8], seed: 3 });

/** Labels flipped: every step on rows of the same pattern makes this validation loss worse. */
const flippedLabels = (data: TrainingMatrix): TrainingMatrix => ({ ...data, y: data.y.map((v) => 1 - v) });

const options = {
  epochs: 30,
  batchSize: 128,
  learningRate: 0.01,
  seed: 42,
  classWeighting: 'balanced' as const,
  patience: 5,
};

describe(trainMlp.name, () => {
  beforeAll(() => initTfjsWasm());

  it('learns a separable fraud pattern', async () => {
    const train = syntheticData(3000, 1);
    const validation = syntheticData(1000, 2);
    const network = smallNetwork();
    const before = rocAuc(network.predict(validation.x, validation.rows), validation.y);
    const result = await trainMlp(network, train, validation, options);
    const after = rocAuc(network.predict(validation.x, validation.rows), validation.y);
    expect(after).toBeGreaterThan(0.97);
    expect(after).toBeGreaterThan(before);
    expect(result.bestEpoch).toBeGreaterThan(0);
    expect(result.history[result.bestEpoch - 1]?.validationLoss).toBe(result.bestValidationLoss);
    network.dispose();
  });

  it('is deterministic for a seed', async () => {
    const train = syntheticData(800, 4);
    const validation = syntheticData(200, 5);
    const runs = [];
    for (let i = 0; i < 2; i++) {
      const network = smallNetwork();
      await trainMlp(network, train, validation, { ...options, epochs: 3, patience: 10 });
      runs.push(network.snapshot());
      network.dispose();
    }
    expect(runs[0]).toEqual(runs[1]);
  });

  it('without early stopping runs every epoch and keeps the last weights, whatever the validation loss says', async () => {
    const train = syntheticData(800, 6);
    const validation = flippedLabels(syntheticData(200, 7));
    const stopping = smallNetwork();
    const stopped = await trainMlp(stopping, train, validation, { ...options, epochs: 8, patience: 2 });
    const full = smallNetwork();
    const ran = await trainMlp(full, train, validation, {
      ...options,
      epochs: 8,
      patience: 2,
      earlyStopping: false,
    });
    expect(stopped.epochsRun).toBeLessThan(8);
    expect(ran.epochsRun).toBe(8);
    expect(ran.bestEpoch).toBe(8);
    // The same 8 epochs run without restoring: the weights are those a plain 8-epoch run ends with.
    const plain = smallNetwork();
    await trainMlp(
      plain,
      train,
      { ...validation, rows: 0, x: new Float32Array(0), y: new Float32Array(0) },
      {
        ...options,
        epochs: 8,
        patience: 100,
        earlyStopping: false,
      },
    );
    expect(full.snapshot()).toEqual(plain.snapshot());
    expect(full.snapshot()).not.toEqual(stopping.snapshot());
    for (const n of [stopping, full, plain]) n.dispose();
  });

  it('averaging around the best keeps the mean of the weights of the epochs within patience of it', async () => {
    const train = syntheticData(800, 6);
    const flipped = syntheticData(200, 7);
    // The iterates every run goes through: the same seed, so the same epochs whatever stops it.
    const plain = smallNetwork();
    const iterates: Float32Array[][] = [];
    await trainMlp(plain, train, flipped, {
      ...options,
      epochs: 12,
      earlyStopping: false,
      onEpoch: () => void iterates.push(plain.snapshot()),
    });
    const meanOfEpochs = (first: number, last: number) =>
      (iterates[0] ?? []).map((tensor, t) =>
        tensor.map((_, i) => {
          let sum = 0;
          for (let e = first; e <= last; e++) sum += iterates[e - 1]?.[t]?.[i] ?? Number.NaN;
          return sum / (last - first + 1);
        }),
      );
    const expectWeights = (actual: Float32Array[], expected: Float32Array[]) => {
      expect(actual.length).toBe(expected.length);
      actual.forEach((tensor, t) =>
        tensor.forEach((v, i) => expect(v).toBeCloseTo(expected[t]?.[i] ?? Number.NaN, 6)),
      );
    };

    // Labels flipped: the first epoch is the best, so epochs 1 to 1 + patience are averaged.
    const worsening = smallNetwork();
    const labelsFlipped = flippedLabels(flipped);
    const stopped = await trainMlp(worsening, train, labelsFlipped, {
      ...options,
      epochs: 12,
      patience: 3,
      averageAroundBest: true,
    });
    expect(stopped.bestEpoch).toBe(1);
    expect(stopped.epochsRun).toBe(4);
    expect(stopped.averagedEpochs).toEqual([1, 4]);
    expectWeights(worsening.snapshot(), meanOfEpochs(1, 4));
    expect(worsening.snapshot()).not.toEqual(iterates[0]);

    // A validation loss still falling at the last epoch: the patience epochs before the best.
    const improving = smallNetwork();
    const ran = await trainMlp(improving, train, flipped, {
      ...options,
      epochs: 6,
      patience: 2,
      averageAroundBest: true,
    });
    expect(ran.bestEpoch).toBe(6);
    expect(ran.averagedEpochs).toEqual([4, 6]);
    expectWeights(improving.snapshot(), meanOfEpochs(4, 6));

    // Without early stopping the last epoch is the best: the last patience + 1 are averaged.
    const full = smallNetwork();
    const all = await trainMlp(full, train, labelsFlipped, {
      ...options,
      epochs: 12,
      patience: 3,
      earlyStopping: false,
      averageAroundBest: true,
    });
    expect(all.averagedEpochs).toEqual([9, 12]);
    expectWeights(full.snapshot(), meanOfEpochs(9, 12));

    // Without it, the best epoch's weights are kept, as before.
    const best = smallNetwork();
    const kept = await trainMlp(best, train, labelsFlipped, { ...options, epochs: 12, patience: 3 });
    expect(kept.averagedEpochs).toBeNull();
    expect(best.snapshot()).toEqual(iterates[0]);
    for (const n of [plain, worsening, improving, full, best]) n.dispose();
  });

  it('keeps frozen lower layers unchanged', async () => {
    const train = syntheticData(500, 6);
    const network = MlpNetwork.create({
      mean: [0, 0, 0, 0],
      std: [1, 1, 1, 1],
      hiddenUnits: [8, 4],
      seed: 3,
    });
    const before = network.snapshot();
    await trainMlp(network, train, train, { ...options, epochs: 2, frozenLayers: 1, patience: 10 });
    const after = network.snapshot();
    expect(after[0]).toEqual(before[0]);
    expect(after[1]).toEqual(before[1]);
    expect(after[2]).not.toEqual(before[2]);
    network.dispose();
  });

  it('weighs classes so each carries half the loss', () => {
    // 1 positive, 3 negatives: N/2P = 2, N/2Q = 2/3.
    expect(classWeights(Float32Array.from([1, 0, 0, 0]), 'balanced')).toEqual({
      positive: 2,
      negative: 4 / 6,
    });
  });
});
