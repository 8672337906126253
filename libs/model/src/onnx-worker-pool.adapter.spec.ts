import type { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quantizeOnnxWeights } from './int8-weights.quantizer';
import { buildMlpOnnx, readMlpOnnx } from './mlp-onnx.builder';
import { randomMlpSpec, randomSequenceSpec } from './model-fixtures';
import { buildSequenceOnnx } from './sequence-onnx.builder';
import * as ort from 'onnxruntime-node';
import { ScoringError } from './model.errors';
import { OnnxWorkerPool } from './onnx-worker-pool.adapter';

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));
// score = sigmoid(x0 - x1)
const model = buildMlpOnnx({ mean: [0, 0], std: [1, 1], layers: [{ weights: [[1], [-1]], bias: [0] }] });
const threads = { executionProvider: 'cpu' as const, intraOpThreads: 1, interOpThreads: 1 };

/** The pool's workers, for a test that kills one as a crash would. */
function workersOf(pool: OnnxWorkerPool): Worker[] {
  return (pool as unknown as { slots: { worker: Worker }[] }).slots.map((s) => s.worker);
}

describe(OnnxWorkerPool.name, () => {
  let pool: OnnxWorkerPool;

  beforeAll(async () => {
    pool = new OnnxWorkerPool(2);
    await pool.load('m', model, threads);
  });

  afterAll(() => pool.close());

  it('scores in worker threads, spreading concurrent runs', async () => {
    const runs = await Promise.all(
      [0, 1, 2, 3].map((k) => pool.run('m', Float32Array.from([k, 0, 0, k]), 2, 2)),
    );
    runs.forEach((scores, k) => {
      expect(scores[0]).toBeCloseTo(sigmoid(k), 6);
      expect(scores[1]).toBeCloseTo(sigmoid(-k), 6);
    });
  });

  it('serves an int8-weights model (even its score layer) with the weight-only arithmetic of its float twin', async () => {
    const spec = randomMlpSpec(19, [32, 16], 3);
    const int8 = quantizeOnnxWeights(buildMlpOnnx(spec), { scoreLayer: 'int8' }).bytes;
    await pool.load('int8', int8, threads);
    await pool.load('twin', buildMlpOnnx(readMlpOnnx(int8)), threads);
    const x = Float32Array.from({ length: 19 * 256 }, (_, k) => 3 * Math.sin(k * 0.7));
    const [a, b] = await Promise.all([pool.run('int8', x, 256, 19), pool.run('twin', x, 256, 19)]);
    // Plain onnxruntime would run the last layer as MatMulNBits on int8 activations (~1e-3 off).
    for (let r = 0; r < 256; r++) expect(Math.abs((a[r] ?? 0) - (b[r] ?? 0))).toBeLessThan(1e-6);
    await pool.unload('int8');
    await pool.unload('twin');
  });

  it('feeds a sequence model its two inputs from the flat rows: the scores of a direct two-input run', async () => {
    const shape = { flatWidth: 3, steps: 4, stepWidth: 2, gruUnits: 5, hidden: [6] };
    const bytes = buildSequenceOnnx(randomSequenceSpec(shape, 9));
    const layout = {
      kind: 'sequence' as const,
      featuresName: 'features',
      flatWidth: 3,
      sequenceName: 'sequence',
      steps: 4,
      stepWidth: 2,
    };
    await pool.load('seq', bytes, threads, layout);
    const rows = 50;
    const width = 3 + 4 * 2;
    const x = Float32Array.from({ length: rows * width }, (_, k) => 2 * Math.sin(k * 1.3));
    const scores = await pool.run('seq', x, rows, width);
    const direct = await ort.InferenceSession.create(bytes);
    const flat = new Float32Array(rows * 3);
    const block = new Float32Array(rows * 8);
    for (let r = 0; r < rows; r++) {
      flat.set(x.subarray(r * width, r * width + 3), r * 3);
      block.set(x.subarray(r * width + 3, (r + 1) * width), r * 8);
    }
    const expected = await direct.run({
      features: new ort.Tensor('float32', flat, [rows, 3]),
      sequence: new ort.Tensor('float32', block, [rows, 4, 2]),
    });
    await direct.release();
    expect(Array.from(scores)).toEqual(Array.from(expected.score?.data as Float32Array));
    expect(new Set(Array.from(scores, (s) => s.toFixed(3))).size).toBeGreaterThan(10);
    // A row of another width is an error, not a silently misread block.
    await expect(pool.run('seq', x, 5, width - 1)).rejects.toThrow('rows of 10 values, the model reads 11');
    await pool.unload('seq');
  });

  it('fails a run on an unknown model with ScoringError', async () => {
    await expect(pool.run('nope', new Float32Array(2), 1, 2)).rejects.toBeInstanceOf(ScoringError);
  });

  it('replaces a crashed worker with the models reloaded', async () => {
    const [first] = workersOf(pool);
    await first?.terminate();
    // Whichever worker a run lands on, scoring works again once the replacement has loaded.
    const deadline = Date.now() + 10_000;
    let ok = 0;
    while (ok < 4 && Date.now() < deadline) {
      const scores = await pool.run('m', Float32Array.from([2, 0]), 1, 2).catch(() => null);
      if (scores) {
        expect(scores[0]).toBeCloseTo(sigmoid(2), 6);
        ok++;
      }
    }
    expect(ok).toBe(4);
    expect(workersOf(pool)).not.toContain(first);
  });
});

describe(`${OnnxWorkerPool.name} close`, () => {
  it('releases the sessions and ends every worker, without replacing them', async () => {
    const pool = new OnnxWorkerPool(2);
    await pool.load('m', model, threads);
    const exits = workersOf(pool).map((w) => new Promise<number>((resolve) => w.once('exit', resolve)));
    await pool.close();
    expect(await Promise.all(exits)).toHaveLength(2);
    expect(workersOf(pool).every((w) => w.threadId === -1)).toBe(true);
    await expect(pool.run('m', new Float32Array(2), 1, 2)).rejects.toBeInstanceOf(ScoringError);
  });
});
