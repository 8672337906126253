import { onnx } from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '@fraudstream/stats';
import { quantizeOnnxWeights } from './int8-weights.quantizer';
import { buildMlpOnnx, readMlpOnnx, type MlpSpec, type MlpWeights } from './mlp-onnx.builder';
import { randomMlpSpec } from './model-fixtures';
import { ModelFormatError } from './model.errors';
import { readOnnxSignature } from './onnx-signature';

const WIDTH = 19;
// The scorer's default shape (19-32-16-1) with non-trivial standardisation constants and biases.
const base = randomMlpSpec(WIDTH, [32, 16], 7);
const spec: MlpSpec = {
  ...base,
  mean: Array.from({ length: WIDTH }, (_, j) => 100 * Math.sin(j + 1)),
  std: Array.from({ length: WIDTH }, (_, j) => 0.5 + j * 3.25),
  layers: base.layers.map((l, i) => ({
    weights: l.weights,
    bias: Array.from(l.bias, (_, j) => 0.05 * Math.cos(i + j)),
  })),
};
const floatBytes = buildMlpOnnx(spec);

function rows(count: number, seed: number): Float32Array {
  const random = mulberry32(seed);
  const mean = Array.from(spec.mean);
  const std = Array.from(spec.std);
  return Float32Array.from({ length: count * WIDTH }, (_, k) => {
    const j = k % WIDTH;
    return (mean[j] ?? 0) + (std[j] ?? 1) * 3 * (random() * 2 - 1);
  });
}

async function score(
  bytes: Uint8Array,
  x: Float32Array,
  graphOptimizationLevel: 'basic' | 'all' = 'all',
): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes, { graphOptimizationLevel });
  try {
    const out = await session.run({ features: new ort.Tensor('float32', x, [x.length / WIDTH, WIDTH]) });
    return Float32Array.from(out.score?.data as Float32Array);
  } finally {
    await session.release();
  }
}

/**
 * A bound on |int8 score - float score| for one row, from the quantisation steps alone: with
 * a the float activations, e the bound on the int8 model's deviation from them and Δ = W̃ - W
 * (|Δ_ij| <= s_j / 2 for column j's scale s_j), a layer's pre-activation moves by at most
 * Σ_i e_i |W̃_ij| + Σ_i |a_i| s_j / 2; ReLU is 1-Lipschitz and the sigmoid 1/4-Lipschitz.
 */
function scoreBound(
  float: MlpWeights,
  quantised: MlpWeights,
  scales: readonly (readonly number[])[],
  row: Float32Array,
) {
  let a = Array.from(row, (v, j) => (v - (float.mean[j] ?? 0)) / (float.std[j] ?? 1));
  let e = a.map(() => 0);
  float.layers.forEach((layer, l) => {
    const w = layer.weights;
    const wq = quantised.layers[l]?.weights ?? [];
    const s = scales[l] ?? [];
    const outputs = layer.bias.length;
    const next: number[] = [];
    const nextError: number[] = [];
    for (let j = 0; j < outputs; j++) {
      let pre = layer.bias[j] ?? 0;
      let err = 0;
      for (let i = 0; i < a.length; i++) {
        pre += (a[i] ?? 0) * (w[i]?.[j] ?? 0);
        err +=
          (e[i] ?? 0) * Math.abs(wq[i]?.[j] ?? 0) +
          (Math.abs(a[i] ?? 0) * ((s.length === 1 ? s[0] : s[j]) ?? 0)) / 2;
      }
      const last = l === float.layers.length - 1;
      next.push(last ? pre : Math.max(0, pre));
      nextError.push(err);
    }
    a = next;
    e = nextError;
  });
  return (e[0] ?? 0) / 4;
}

describe(quantizeOnnxWeights.name, () => {
  const int8 = quantizeOnnxWeights(floatBytes);

  it('keeps the graph interface, the standardisation constants and the biases exactly', () => {
    const floatSignature = readOnnxSignature(floatBytes);
    const signature = readOnnxSignature(int8.bytes);
    expect(signature.inputs).toEqual(floatSignature.inputs);
    expect(signature.outputs).toEqual(floatSignature.outputs);
    expect(signature.opset).toBe(17);
    const float = readMlpOnnx(floatBytes);
    const back = readMlpOnnx(int8.bytes);
    expect(back.mean).toEqual(float.mean);
    expect(back.std).toEqual(float.std);
    expect(back.layers.map((l) => l.bias)).toEqual(float.layers.map((l) => l.bias));
    // Each weight moved by at most half its column's step.
    int8.tensors.forEach((t, l) => {
      float.layers[l]?.weights.forEach((row, i) =>
        row.forEach((w, j) => {
          const step = t.scales[j] ?? 0;
          expect(Math.abs((back.layers[l]?.weights[i]?.[j] ?? 0) - w)).toBeLessThanOrEqual(step / 2 + 1e-7);
        }),
      );
    });
  });

  it('stores INT8 weights behind DequantizeLinear nodes, one scale per output column', () => {
    const graph = onnx.ModelProto.decode(int8.bytes).graph;
    const types = new Map((graph?.initializer ?? []).map((t) => [t.name, t.dataType]));
    // The one-column score layer stays float (scoreLayer, below).
    expect(int8.tensors.map((t) => t.name)).toEqual(['layer0.weight', 'layer1.weight']);
    expect(int8.tensors.map((t) => t.scales.length)).toEqual([32, 16]);
    for (const t of int8.tensors) {
      expect(types.get(`${t.name}.int8`)).toBe(onnx.TensorProto.DataType.INT8);
      expect(types.has(t.name)).toBe(false);
    }
    expect(types.get('layer2.weight')).toBe(onnx.TensorProto.DataType.FLOAT);
    expect((graph?.node ?? []).filter((n) => n.opType === 'DequantizeLinear')).toHaveLength(2);
    expect((graph?.node ?? []).filter((n) => n.opType === 'MatMul')).toHaveLength(3);
    const all = quantizeOnnxWeights(floatBytes, { scoreLayer: 'int8' });
    expect(all.tensors.map((t) => t.scales.length)).toEqual([32, 16, 1]);
  });

  it('loads in onnxruntime and scores within the bound its quantisation steps allow', async () => {
    const x = rows(2000, 3);
    const [floatScores, int8Scores] = await Promise.all([score(floatBytes, x), score(int8.bytes, x)]);
    const float = readMlpOnnx(floatBytes);
    const back = readMlpOnnx(int8.bytes);
    const scales = int8.tensors.map((t) => t.scales);
    let largest = 0;
    for (let r = 0; r < 2000; r++) {
      const diff = Math.abs((int8Scores[r] ?? 0) - (floatScores[r] ?? 0));
      largest = Math.max(largest, diff);
      // float32 rounding of the two sessions on top of the bound.
      expect(diff).toBeLessThanOrEqual(
        scoreBound(float, back, scales, x.subarray(r * WIDTH, (r + 1) * WIDTH)) + 1e-6,
      );
    }
    // Measured on this model: the largest difference is a few thousandths of a score.
    expect(largest).toBeGreaterThan(0);
    expect(largest).toBeLessThan(0.01);
  });

  it('serves exactly the weight-only arithmetic (readMlpOnnx of the int8 graph = its float twin)', async () => {
    const x = rows(200, 5);
    const twin = buildMlpOnnx(readMlpOnnx(int8.bytes));
    const [a, b] = await Promise.all([score(int8.bytes, x, 'all'), score(twin, x, 'all')]);
    for (let r = 0; r < 200; r++) expect(Math.abs((a[r] ?? 0) - (b[r] ?? 0))).toBeLessThan(1e-6);
  });

  it('keeps the score layer float: onnxruntime would also quantise its activations', async () => {
    const x = rows(200, 5);
    const all = quantizeOnnxWeights(floatBytes, { scoreLayer: 'int8' });
    const twin = buildMlpOnnx(readMlpOnnx(all.bytes));
    // Without onnxruntime's extended rewrites the graph is DequantizeLinear + the float MatMul...
    const [a, b] = await Promise.all([score(all.bytes, x, 'basic'), score(twin, x, 'basic')]);
    for (let r = 0; r < 200; r++) expect(Math.abs((a[r] ?? 0) - (b[r] ?? 0))).toBeLessThan(1e-6);
    // ...but at the scorer's level ('all') onnxruntime 1.30 turns the last DequantizeLinear + MatMul
    // into MatMulNBits, which by default quantises the activations too: the scores move by ~1e-3.
    const served = await score(all.bytes, x, 'all');
    let largest = 0;
    for (let r = 0; r < 200; r++) largest = Math.max(largest, Math.abs((served[r] ?? 0) - (b[r] ?? 0)));
    expect(largest).toBeGreaterThan(1e-4);
    expect(largest).toBeLessThan(0.01);
  });

  it('makes the artifact 47 % smaller than the float one (75 % for a wide model)', () => {
    // 1,120 hidden-layer weights at 1 byte instead of 4; the standardisation constants, the biases,
    // the score layer, a float scale and an int8 zero point per column and the names stay:
    // 5,629 bytes -> 2,994 (0.53). On a wide 64-1024-1024-512-1 model the weights are everything: 0.25.
    expect(floatBytes.length).toBeGreaterThan(5500);
    const ratio = int8.bytes.length / floatBytes.length;
    expect(ratio).toBeGreaterThan(0.5);
    expect(ratio).toBeLessThan(0.56);
    const wide = buildMlpOnnx(randomMlpSpec(64, [1024, 1024, 512], 7));
    expect(quantizeOnnxWeights(wide).bytes.length / wide.length).toBeLessThan(0.26);
  });

  it('scores per tensor, and on a 2-bit grid, within their (larger) bounds', async () => {
    const x = rows(500, 9);
    const floatScores = await score(floatBytes, x);
    const float = readMlpOnnx(floatBytes);
    let worst8 = 0;
    let worst2 = 0;
    for (const [options, record] of [
      [{ granularity: 'per-tensor' as const }, (d: number) => (worst8 = Math.max(worst8, d))],
      [{ bits: 2 }, (d: number) => (worst2 = Math.max(worst2, d))],
    ] as const) {
      const q = quantizeOnnxWeights(floatBytes, options);
      const back = readMlpOnnx(q.bytes);
      const qScores = await score(q.bytes, x);
      const scales = q.tensors.map((t) => t.scales);
      for (let r = 0; r < 500; r++) {
        const diff = Math.abs((qScores[r] ?? 0) - (floatScores[r] ?? 0));
        record(diff);
        expect(diff).toBeLessThanOrEqual(
          scoreBound(float, back, scales, x.subarray(r * WIDTH, (r + 1) * WIDTH)) + 1e-6,
        );
      }
    }
    expect(worst2).toBeGreaterThan(worst8);
  });

  it('quantises a transposed Gemm weight along its rows', async () => {
    // y = x · Wᵀ + b with W [2, 3] (transB = 1): the output channels are W's rows.
    const w = Float32Array.from([0.5, -1, 0.25, 2, 0.01, -0.02]);
    const raw = (v: Float32Array) => new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
    const info = (name: string, width: number): onnx.IValueInfoProto => ({
      name,
      type: { tensorType: { elemType: 1, shape: { dim: [{ dimParam: 'N' }, { dimValue: width }] } } },
    });
    const bytes = onnx.ModelProto.encode(
      onnx.ModelProto.create({
        irVersion: 8,
        opsetImport: [{ domain: '', version: 17 }],
        graph: {
          name: 'gemm',
          node: [
            {
              opType: 'Gemm',
              input: ['x', 'W', 'b'],
              output: ['y'],
              attribute: [{ name: 'transB', type: onnx.AttributeProto.AttributeType.INT, i: 1 }],
            },
          ],
          initializer: [
            { name: 'W', dims: [2, 3], dataType: 1, rawData: raw(w) },
            { name: 'b', dims: [2], dataType: 1, rawData: raw(Float32Array.from([0.1, -0.1])) },
          ],
          input: [info('x', 3)],
          output: [info('y', 2)],
        },
      }),
    ).finish();
    const q = quantizeOnnxWeights(bytes);
    // Row 0's step is 1/127, row 1's 2/127: the small weights of row 1 round to 0 and ±1 steps.
    expect(q.tensors[0]?.scales).toEqual([Math.fround(1 / 127), Math.fround(2 / 127)]);
    const session = await ort.InferenceSession.create(q.bytes);
    const out = await session.run({ x: new ort.Tensor('float32', Float32Array.from([1, 2, 3]), [1, 3]) });
    const y = Array.from(out.y?.data as Float32Array);
    const s0 = Math.fround(1 / 127);
    const s1 = Math.fround(2 / 127);
    const deq = (v: number, s: number) => Math.fround(Math.round(v / s) * s);
    expect(y[0]).toBeCloseTo(deq(0.5, s0) + 2 * deq(-1, s0) + 3 * deq(0.25, s0) + 0.1, 5);
    expect(y[1]).toBeCloseTo(deq(2, s1) + 2 * deq(0.01, s1) + 3 * deq(-0.02, s1) - 0.1, 5);
    await session.release();
  });

  it('refuses what it cannot quantise', () => {
    expect(() => quantizeOnnxWeights(Uint8Array.from([1, 2, 3, 255]))).toThrow(ModelFormatError);
    expect(() => quantizeOnnxWeights(int8.bytes)).toThrow(/already quantised/);
    expect(() => quantizeOnnxWeights(floatBytes, { bits: 9 })).toThrow(ModelFormatError);
    const old = onnx.ModelProto.decode(floatBytes);
    old.opsetImport = [onnx.OperatorSetIdProto.create({ domain: '', version: 11 })];
    expect(() => quantizeOnnxWeights(onnx.ModelProto.encode(old).finish())).toThrow(/opset 11/);
  });
});
