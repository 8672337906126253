import { buildMlpOnnx, readMlpOnnx } from '@fraudstream/model';
import { mulberry32 } from '@fraudstream/stats';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { MlpNetwork } from './mlp.network';
import { initTfjsWasm } from './tfjs-wasm.backend';

/** Raw, unstandardised values around each feature's mean (amounts in the hundreds, counts, rates). */
function randomMatrix(rows: number, mean: readonly number[], seed: number): Float32Array {
  const random = mulberry32(seed);
  const width = mean.length;
  return Float32Array.from(
    { length: rows * width },
    (_, i) => (mean[i % width] ?? 0) * (0.5 + random()) + (random() - 0.5) * 3,
  );
}

describe(MlpNetwork.name, () => {
  beforeAll(() => initTfjsWasm());

  it('scores the same inputs as its ONNX export run in ONNX Runtime, within 1e-5', async () => {
    const width = 6;
    const mean = [1, 20, 300, 0.5, 2, 100];
    const network = MlpNetwork.create({
      mean,
      std: [2, 30, 0, 1, 3, 50],
      hiddenUnits: [16, 8],
      seed: 7,
    });
    const x = randomMatrix(500, mean, 3);
    const tfScores = network.predict(x, 500);
    const session = await InferenceSession.create(buildMlpOnnx(network.toSpec()));
    const output = await session.run({ features: new Tensor('float32', x, [500, width]) });
    const onnxScores = output.score?.data as Float32Array;
    expect(onnxScores).toHaveLength(500);
    let maxDiff = 0;
    for (let i = 0; i < 500; i++)
      maxDiff = Math.max(maxDiff, Math.abs((onnxScores[i] ?? 0) - (tfScores[i] ?? 0)));
    expect(maxDiff).toBeLessThan(1e-5);
    // The scores are not degenerate: the comparison means something.
    expect(Math.max(...tfScores) - Math.min(...tfScores)).toBeGreaterThan(0.1);
    await session.release();
    network.dispose();
  });

  it('warm-starts from ONNX bytes with exactly the exported weights', () => {
    const network = MlpNetwork.create({ mean: [0, 1, 2], std: [1, 2, 3], hiddenUnits: [4], seed: 1 });
    const copy = MlpNetwork.fromWeights(readMlpOnnx(buildMlpOnnx(network.toSpec())));
    const x = randomMatrix(50, [0, 1, 2], 9);
    expect(copy.predict(x, 50)).toEqual(network.predict(x, 50));
    expect(copy.hiddenUnits).toEqual([4]);
    network.dispose();
    copy.dispose();
  });
});
