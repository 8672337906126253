import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { buildMlpOnnx, readMlpOnnx, type MlpSpec } from './mlp-onnx.builder';
import { ModelFormatError } from './model.errors';
import { readOnnxSignature } from './onnx-signature';

// 3 features -> 2 hidden units (ReLU) -> 1 output (sigmoid).
const spec: MlpSpec = {
  mean: [10, 0, -2],
  std: [2, 1, 4],
  layers: [
    {
      weights: [
        [0.5, -1],
        [1, 0.25],
        [-0.5, 2],
      ],
      bias: [0.1, -0.2],
    },
    { weights: [[1.5], [-0.75]], bias: [0.3] },
  ],
};

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

describe(buildMlpOnnx.name, () => {
  it('scores like the hand-computed forward pass', async () => {
    const session = await ort.InferenceSession.create(buildMlpOnnx(spec));
    // Row 1: z = [(14-10)/2, (1-0)/1, (2+2)/4] = [2, 1, 1]
    //   h = relu([2*0.5 + 1*1 + 1*-0.5 + 0.1, 2*-1 + 1*0.25 + 1*2 - 0.2]) = relu([1.6, 0.05]) = [1.6, 0.05]
    //   logit = 1.6*1.5 + 0.05*-0.75 + 0.3 = 2.6625
    // Row 2: z = [(8-10)/2, (-3)/1, (-6+2)/4] = [-1, -3, -1]
    //   h = relu([-0.5 - 3 + 0.5 + 0.1, 1 - 0.75 - 2 - 0.2]) = relu([-2.9, -1.95]) = [0, 0]
    //   logit = 0.3
    const features = new ort.Tensor('float32', Float32Array.from([14, 1, 2, 8, -3, -6]), [2, 3]);
    const result = await session.run({ features });
    const score = result.score;
    expect(score?.dims).toEqual([2, 1]);
    const values = Array.from(score?.data as Float32Array);
    expect(values[0]).toBeCloseTo(sigmoid(2.6625), 6);
    expect(values[1]).toBeCloseTo(sigmoid(0.3), 6);
    await session.release();
  });

  it('reads the same weights back', () => {
    const back = readMlpOnnx(buildMlpOnnx(spec));
    expect(back.mean).toEqual([10, 0, -2]);
    expect(back.std).toEqual([2, 1, 4]);
    expect(back.layers).toHaveLength(2);
    expect(back.layers[0]?.weights).toEqual([
      [0.5, -1],
      [1, 0.25],
      [-0.5, 2],
    ]);
    expect(back.layers[0]?.bias.map((b) => Number(b.toFixed(6)))).toEqual([0.1, -0.2]);
    expect(back.layers[1]?.weights).toEqual([[1.5], [-0.75]]);
    expect(back.inputName).toBe('features');
    expect(back.outputName).toBe('score');
  });

  it('accepts flat Float32Array weights and stores a zero std as 1', async () => {
    const bytes = buildMlpOnnx({
      mean: [1, 2],
      std: [0, 2],
      layers: [{ weights: Float32Array.from([2, -1]), bias: [0] }],
    });
    expect(readMlpOnnx(bytes).std).toEqual([1, 2]);
    const session = await ort.InferenceSession.create(bytes);
    const result = await session.run({
      features: new ort.Tensor('float32', Float32Array.from([3, 6]), [1, 2]),
    });
    // z = [(3-1)/1, (6-2)/2] = [2, 2]; logit = 4 - 2 = 2
    expect((result.score?.data as Float32Array)[0]).toBeCloseTo(sigmoid(2), 6);
    await session.release();
  });

  it('exposes a [N, F] input and a [N, 1] output in its signature', () => {
    const signature = readOnnxSignature(buildMlpOnnx(spec));
    expect(signature.inputs).toEqual([{ name: 'features', dims: [null, 3], elemType: 1 }]);
    expect(signature.outputs).toEqual([{ name: 'score', dims: [null, 1], elemType: 1 }]);
    expect(signature.opset).toBe(17);
  });

  it('rejects inconsistent shapes', () => {
    expect(() => buildMlpOnnx({ ...spec, std: [1, 1] })).toThrow(ModelFormatError);
    expect(() =>
      buildMlpOnnx({ mean: [0, 0], std: [1, 1], layers: [{ weights: [[1], [1], [1]], bias: [0] }] }),
    ).toThrow(ModelFormatError);
    expect(() => readMlpOnnx(Uint8Array.from([1, 2, 3, 255]))).toThrow(ModelFormatError);
  });
});
