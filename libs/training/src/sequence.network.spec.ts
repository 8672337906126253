import { buildSequenceOnnx, readSequenceOnnx } from '@fraudstream/model';
import { averagePrecision, mulberry32 } from '@fraudstream/stats';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { trainMlp } from './mlp.trainer';
import { computeSequenceStandardisation, SequenceNetwork } from './sequence.network';
import { initTfjsWasm } from './tfjs-wasm.backend';

const F = 5;
const K = 8;
const S = 4;
const WIDTH = F + K * S;

/** Rows of raw values: flat features on their own scales, then a block whose first steps may be padding. */
function randomRows(rows: number, seed: number): Float32Array {
  const random = mulberry32(seed);
  const x = new Float32Array(rows * WIDTH);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < F; c++) x[r * WIDTH + c] = (c + 1) * 10 * random();
    const present = Math.floor(random() * (K + 1));
    for (let k = K - present; k < K; k++) {
      const at = r * WIDTH + F + k * S;
      x[at] = 1;
      x[at + 1] = 3 * random();
      x[at + 2] = 8 * random();
      x[at + 3] = random() < 0.3 ? 1 : 0;
    }
  }
  return x;
}

function maxDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs((a[i] ?? 0) - (b[i] ?? 0)));
  return max;
}

async function onnxScores(bytes: Uint8Array, x: Float32Array, rows: number): Promise<Float32Array> {
  const session = await InferenceSession.create(bytes);
  const features = new Float32Array(rows * F);
  const sequence = new Float32Array(rows * K * S);
  for (let r = 0; r < rows; r++) {
    features.set(x.subarray(r * WIDTH, r * WIDTH + F), r * F);
    sequence.set(x.subarray(r * WIDTH + F, (r + 1) * WIDTH), r * K * S);
  }
  const output = await session.run({
    features: new Tensor('float32', features, [rows, F]),
    sequence: new Tensor('float32', sequence, [rows, K, S]),
  });
  await session.release();
  return output.score?.data as Float32Array;
}

describe(SequenceNetwork.name, () => {
  beforeAll(() => initTfjsWasm());

  it('scores the same rows as its ONNX export run in ONNX Runtime, within 1e-5', async () => {
    const x = randomRows(400, 3);
    const constants = computeSequenceStandardisation(
      { x, rows: 400, width: WIDTH },
      { flatWidth: F, steps: K, stepWidth: S },
    );
    // Large weights so the gates saturate and the state moves: a weak check would pass on zeros.
    const network = SequenceNetwork.create({
      ...constants,
      steps: K,
      gruUnits: 8,
      hiddenUnits: [16, 8],
      seed: 11,
    });
    network.restore(network.snapshot().map((w) => w.map((v) => v * 3)));
    const tfScores = network.predict(x, 400);
    const onnx = await onnxScores(buildSequenceOnnx(network.toSpec()), x, 400);
    expect(onnx).toHaveLength(400);
    expect(maxDifference(onnx, tfScores)).toBeLessThan(1e-5);
    const spread = Math.max(...tfScores) - Math.min(...tfScores);
    expect(spread).toBeGreaterThan(0.3);
    network.dispose();
  });

  it('reads back from its ONNX bytes into the same network (the warm start of fine-tuning)', async () => {
    const x = randomRows(100, 5);
    const constants = computeSequenceStandardisation(
      { x, rows: 100, width: WIDTH },
      { flatWidth: F, steps: K, stepWidth: S },
    );
    const network = SequenceNetwork.create({
      ...constants,
      steps: K,
      gruUnits: 4,
      hiddenUnits: [8],
      seed: 2,
    });
    const back = SequenceNetwork.fromSpec(readSequenceOnnx(buildSequenceOnnx(network.toSpec())));
    expect(back.inputWidth).toBe(WIDTH);
    expect(back.layerCount).toBe(3);
    expect(maxDifference(back.predict(x, 100), network.predict(x, 100))).toBeLessThan(1e-6);
    network.dispose();
    back.dispose();
  });

  it('learns, with the trainer the MLP uses, a fraud pattern only the block shows (a burst in its latest steps)', async () => {
    // Fraud: the latest three steps are card-not-present and minutes apart (a burst); the flat
    // features are noise, and the same steps in other positions are not a burst.
    const rows = 3000;
    const make = (seed: number) => {
      const x = randomRows(rows, seed);
      const y = new Float32Array(rows);
      const random = mulberry32(seed + 1);
      for (let r = 0; r < rows; r++) {
        const fraud = random() < 0.1;
        y[r] = fraud ? 1 : 0;
        for (let k = K - 3; k < K; k++) {
          const at = r * WIDTH + F + k * S;
          if (fraud) {
            x[at] = 1;
            x[at + 2] = 0.5 * random();
            x[at + 3] = 1;
          } else if (x[at + 2] !== undefined && (x[at + 2] ?? 0) < 1) x[at + 2] = 1 + random();
        }
      }
      return { x, y, rows, width: WIDTH };
    };
    const train = make(21);
    const test = make(77);
    const constants = computeSequenceStandardisation(train, { flatWidth: F, steps: K, stepWidth: S });
    const network = SequenceNetwork.create({
      ...constants,
      steps: K,
      gruUnits: 8,
      hiddenUnits: [8],
      seed: 4,
    });
    const result = await trainMlp(network, train, test, {
      epochs: 8,
      batchSize: 128,
      learningRate: 0.01,
      seed: 1,
      classWeighting: 'balanced',
      patience: 8,
    });
    expect(result.bestValidationLoss).toBeLessThan((result.history[0]?.validationLoss ?? 0) * 0.5);
    const scores = network.predict(test.x, rows);
    const ap = averagePrecision(
      Array.from(scores),
      Array.from(test.y, (v) => v > 0.5),
    );
    expect(ap).toBeGreaterThan(0.9);
    network.dispose();
  }, 60_000);
});
