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

  it('combines two networks into one whose logit is the weighted average of theirs, and splits it back', () => {
    const mean = [1, 20, 300];
    const std = [2, 30, 50];
    const a = MlpNetwork.create({ mean, std, hiddenUnits: [8, 4], seed: 1 });
    const b = MlpNetwork.create({ mean, std, hiddenUnits: [6, 3], seed: 2 });
    const x = randomMatrix(200, mean, 5);
    const logit = (p: number) => Math.log(p / (1 - p));
    const pa = a.predict(x, 200);
    const pb = b.predict(x, 200);
    const combined = MlpNetwork.combine(a, b, 0.3);
    expect(combined.hiddenUnits).toEqual([14, 7]);
    const pc = combined.predict(x, 200);
    let maxDiff = 0;
    for (let i = 0; i < 200; i++)
      maxDiff = Math.max(
        maxDiff,
        Math.abs(logit(pc[i] ?? 0.5) - (0.3 * logit(pa[i] ?? 0.5) + 0.7 * logit(pb[i] ?? 0.5))),
      );
    expect(maxDiff).toBeLessThan(1e-3);
    // Each half's hidden layers and output weights come back exactly (the output bias is shared).
    const flat = (n: MlpNetwork) =>
      n
        .toSpec()
        .layers.map((l) => ({ weights: Array.from(l.weights as Float32Array), bias: Array.from(l.bias) }));
    const backA = flat(combined.component([8, 4], [0, 0], 0.3));
    const backB = flat(combined.component([6, 3], [8, 4], 0.7));
    const specA = flat(a);
    const specB = flat(b);
    for (const [back, spec] of [
      [backA, specA],
      [backB, specB],
    ] as const) {
      back.slice(0, -1).forEach((layer, i) => {
        expect(layer.weights).toEqual(spec[i]?.weights);
        expect(layer.bias).toEqual(spec[i]?.bias);
      });
      const out = back[2]?.weights ?? [];
      const expected = spec[2]?.weights ?? [];
      out.forEach((w, i) => expect(w).toBeCloseTo(expected[i] ?? 0, 5));
    }
    for (const n of [a, b, combined]) n.dispose();
  });

  it('splits an ensemble joined by running means into its networks, and joins them back to the same scores', () => {
    const mean = [1, 20, 300];
    const std = [2, 30, 50];
    const nets = [1, 2, 3].map((seed) => MlpNetwork.create({ mean, std, hiddenUnits: [8, 4], seed }));
    const joined = MlpNetwork.ensemble(nets);
    const members = joined.ensembleMembers(3);
    expect(members).toHaveLength(3);
    const x = randomMatrix(200, mean, 5);
    // Each member's hidden layers are its network's exactly.
    members?.forEach((member, m) => {
      const original = nets[m]?.toSpec().layers ?? [];
      member
        .toSpec()
        .layers.slice(0, -1)
        .forEach((layer, i) =>
          expect(Array.from(layer.weights as Float32Array)).toEqual(
            Array.from((original[i]?.weights ?? []) as Float32Array),
          ),
        );
    });
    // Joined again, they score as the ensemble they came from.
    const again = MlpNetwork.ensemble(members ?? []);
    const before = joined.predict(x, 200);
    const after = again.predict(x, 200);
    let maxDiff = 0;
    for (let i = 0; i < 200; i++) maxDiff = Math.max(maxDiff, Math.abs((before[i] ?? 0) - (after[i] ?? 0)));
    expect(maxDiff).toBeLessThan(1e-6);
    for (const n of [...nets, ...(members ?? []), joined, again]) n.dispose();
  });

  it('is no ensemble when a weight joins two blocks or a width does not divide', () => {
    const mean = [1, 20];
    const std = [2, 30];
    const a = MlpNetwork.create({ mean, std, hiddenUnits: [4, 2], seed: 1 });
    const b = MlpNetwork.create({ mean, std, hiddenUnits: [4, 2], seed: 2 });
    const joined = MlpNetwork.combine(a, b, 0.5);
    expect(joined.ensembleMembers(2)).toHaveLength(2);
    expect(joined.ensembleMembers(3)).toBeNull();
    expect(joined.ensembleMembers(1)).toBeNull();
    // One weight from block 1's first layer into block 2's second: fine-tuned as one network.
    const weights = joined.snapshot();
    const second = weights[2];
    if (!second) throw new Error('no second layer');
    second[0 * 4 + 3] = 0.01;
    joined.restore(weights);
    expect(joined.ensembleMembers(2)).toBeNull();
    // A plain network of even widths is not an ensemble of two: its blocks are joined.
    expect(a.ensembleMembers(2)).toBeNull();
    for (const n of [a, b, joined]) n.dispose();
  });

  it('refuses to combine networks of different depth or standardisation', () => {
    const a = MlpNetwork.create({ mean: [0, 0], std: [1, 1], hiddenUnits: [4], seed: 1 });
    const b = MlpNetwork.create({ mean: [0, 0], std: [1, 1], hiddenUnits: [4, 2], seed: 1 });
    const c = MlpNetwork.create({ mean: [1, 0], std: [1, 1], hiddenUnits: [4], seed: 1 });
    expect(() => MlpNetwork.combine(a, b, 0.5)).toThrow(RangeError);
    expect(() => MlpNetwork.combine(a, c, 0.5)).toThrow(RangeError);
  });
});
