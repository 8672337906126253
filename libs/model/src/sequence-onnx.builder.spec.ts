import { mulberry32 } from '@fraudstream/stats';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { readOnnxSignature } from './onnx-signature';
import { buildSequenceOnnx, readSequenceOnnx, type SequenceSpec } from './sequence-onnx.builder';

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/** F = 2 flat features, S = 3 step features, K = 4 steps, H = 2 GRU units, head 4 -> 3 -> 1. */
function randomSpec(seed: number): SequenceSpec {
  const random = mulberry32(seed);
  const values = (n: number) => Array.from({ length: n }, () => random() * 2 - 1);
  return {
    mean: values(2),
    std: [0.5, 2],
    stepMean: values(3),
    stepStd: [1, 0.25, 3],
    steps: 4,
    gru: { inputWeights: values(3 * 6), recurrentWeights: values(2 * 6), bias: values(6) },
    head: [
      { weights: values(4 * 3), bias: values(3) },
      { weights: values(3), bias: values(1) },
    ],
  };
}

/**
 * The model's definition written out in plain arithmetic, independently of both the graph and the
 * tfjs network: z = σ(x·Wz + h·Rz + bz), r = σ(x·Wr + h·Rr + br), ĥ = tanh(x·Wh + (r⊙h)·Rh + bh),
 * h' = (1 − z)⊙ĥ + z⊙h over the steps oldest first, then the head on [flat, h].
 */
function forward(spec: SequenceSpec, flat: number[], block: number[]): number {
  const F = spec.mean.length;
  const S = spec.stepMean.length;
  const H = spec.gru.bias.length / 3;
  const W = Array.from(spec.gru.inputWeights);
  const R = Array.from(spec.gru.recurrentWeights);
  const b = Array.from(spec.gru.bias);
  let h = new Array<number>(H).fill(0);
  for (let k = 0; k < spec.steps; k++) {
    const x = Array.from(
      { length: S },
      (_, s) => ((block[k * S + s] ?? 0) - (spec.stepMean[s] ?? 0)) / (spec.stepStd[s] ?? 1),
    );
    const gate = (g: number, j: number, state: number[]) => {
      let sum = b[g * H + j] ?? 0;
      for (let s = 0; s < S; s++) sum += (x[s] ?? 0) * (W[s * 3 * H + g * H + j] ?? 0);
      for (let i = 0; i < H; i++) sum += (state[i] ?? 0) * (R[i * 3 * H + g * H + j] ?? 0);
      return sum;
    };
    const z = Array.from({ length: H }, (_, j) => sigmoid(gate(0, j, h)));
    const r = Array.from({ length: H }, (_, j) => sigmoid(gate(1, j, h)));
    const rh = h.map((v, i) => v * (r[i] ?? 0));
    const candidate = Array.from({ length: H }, (_, j) => Math.tanh(gate(2, j, rh)));
    h = h.map((v, j) => (1 - (z[j] ?? 0)) * (candidate[j] ?? 0) + (z[j] ?? 0) * v);
  }
  let a = [...flat.map((v, i) => (v - (spec.mean[i] ?? 0)) / (spec.std[i] ?? 1)), ...h];
  spec.head.forEach((layer, l) => {
    const out = layer.bias.length;
    const w = Array.from(layer.weights as Float32Array | number[]);
    const next = Array.from({ length: out }, (_, o) => {
      let sum = layer.bias[o] ?? 0;
      a.forEach((v, i) => (sum += v * (w[i * out + o] ?? 0)));
      return l === spec.head.length - 1 ? sum : Math.max(0, sum);
    });
    a = next;
  });
  expect(a.length).toBe(1);
  expect(F).toBe(flat.length);
  return sigmoid(a[0] ?? 0);
}

describe(buildSequenceOnnx.name, () => {
  it('scores as the GRU and head are defined, row by row, in one batch', async () => {
    const spec = randomSpec(7);
    const session = await ort.InferenceSession.create(buildSequenceOnnx(spec));
    const random = mulberry32(99);
    const rows = 5;
    const flat = Array.from({ length: rows * 2 }, () => random() * 4 - 2);
    const block = Array.from({ length: rows * 4 * 3 }, () => random() * 4 - 2);
    const result = await session.run({
      features: new ort.Tensor('float32', Float32Array.from(flat), [rows, 2]),
      sequence: new ort.Tensor('float32', Float32Array.from(block), [rows, 4, 3]),
    });
    const scores = Array.from(result.score?.data as Float32Array);
    expect(result.score?.dims).toEqual([rows, 1]);
    for (let r = 0; r < rows; r++)
      expect(scores[r]).toBeCloseTo(
        forward(spec, flat.slice(r * 2, r * 2 + 2), block.slice(r * 12, r * 12 + 12)),
        5,
      );
    // The steps are read in order: row 0 with its steps reversed scores differently, as defined.
    const reversed = [3, 2, 1, 0].flatMap((k) => block.slice(k * 3, k * 3 + 3));
    const again = await session.run({
      features: new ort.Tensor('float32', Float32Array.from(flat.slice(0, 2)), [1, 2]),
      sequence: new ort.Tensor('float32', Float32Array.from(reversed), [1, 4, 3]),
    });
    const reversedScore = (again.score?.data as Float32Array)[0] ?? 0;
    expect(reversedScore).toBeCloseTo(forward(spec, flat.slice(0, 2), reversed), 5);
    expect(Math.abs(reversedScore - (scores[0] ?? 0))).toBeGreaterThan(1e-4);
    await session.release();
  });

  it('declares the two inputs the scorer checks, and reads its weights back', () => {
    const spec = randomSpec(3);
    const bytes = buildSequenceOnnx(spec);
    const signature = readOnnxSignature(bytes);
    expect(signature.inputs.map((i) => [i.name, i.dims])).toEqual([
      ['features', [null, 2]],
      ['sequence', [null, 4, 3]],
    ]);
    expect(signature.outputs.map((o) => [o.name, o.dims])).toEqual([['score', [null, 1]]]);
    const back = readSequenceOnnx(bytes);
    expect(back.steps).toBe(4);
    expect(Array.from(back.gru.inputWeights)).toEqual(Array.from(Float32Array.from(spec.gru.inputWeights)));
    expect(Array.from(back.gru.recurrentWeights)).toEqual(
      Array.from(Float32Array.from(spec.gru.recurrentWeights)),
    );
    expect(buildSequenceOnnx(back)).toEqual(bytes);
  });
});
