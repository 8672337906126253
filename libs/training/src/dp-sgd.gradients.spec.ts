import { mulberry32 } from '@fraudstream/stats';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  clippedGradientSum,
  gaussianNoise,
  planDpSgd,
  poissonSample,
  seededDpRandom,
  secureDpRandom,
} from './dp-sgd.gradients';
import { MlpNetwork } from './mlp.network';
import { trainMlp } from './mlp.trainer';
import { privacySpent } from './rdp.accountant';
import { initTfjsWasm, tf } from './tfjs-wasm.backend';
import type { TrainingMatrix } from './training-rows';

const WIDTH = 5;

function rows(n: number, seed: number): TrainingMatrix {
  const random = mulberry32(seed);
  const x = Float32Array.from({ length: n * WIDTH }, () => random() * 6 - 3);
  const y = Float32Array.from({ length: n }, (_, i) =>
    (x[i * WIDTH] ?? 0) + (x[i * WIDTH + 1] ?? 0) > 2 ? 1 : 0,
  );
  return { x, y, rows: n, width: WIDTH };
}

function network(seed = 3): MlpNetwork {
  return MlpNetwork.create({
    mean: [0.1, -0.2, 0, 0.3, 0],
    std: [1.5, 1, 2, 1, 0.5],
    hiddenUnits: [7, 4],
    seed,
  });
}

/** tfjs's own gradient of one row's w·logloss, for the variables of layers `from` up. */
function tfjsRowGradient(
  net: MlpNetwork,
  data: TrainingMatrix,
  row: number,
  weight: number,
  from: number,
): Float32Array[] {
  return tf.tidy(() => {
    const x = tf.tensor2d(data.x.subarray(row * WIDTH, (row + 1) * WIDTH), [1, WIDTH]);
    const y = tf.scalar(data.y[row] ?? 0);
    const { grads } = tf.variableGrads(() => {
      const z = net.logits(x).reshape<tf.Scalar>([]);
      // max(z, 0) − z·y + log(1 + exp(−|z|)), times the row's weight.
      return tf
        .relu<tf.Scalar>(z)
        .sub(z.mul(y))
        .add(tf.log1p(tf.exp(tf.neg(tf.abs(z)))))
        .mul<tf.Scalar>(weight);
    }, net.trainableVariables(from));
    return net.trainableVariables(from).map((v) => Float32Array.from(grads[v.name]?.dataSync() ?? []));
  });
}

const norm = (parts: readonly Float32Array[]): number =>
  Math.sqrt(parts.reduce((s, p) => s + p.reduce((a, v) => a + v * v, 0), 0));

function ours(
  net: MlpNetwork,
  data: TrainingMatrix,
  indices: readonly number[],
  weights: readonly number[],
  clip: number,
  from: number,
) {
  return tf.tidy(() => {
    const x = tf.tensor2d(
      Float32Array.from(indices.flatMap((r) => Array.from(data.x.subarray(r * WIDTH, (r + 1) * WIDTH)))),
      [indices.length, WIDTH],
    );
    const y = tf.tensor2d(
      Float32Array.from(indices, (r) => data.y[r] ?? 0),
      [indices.length, 1],
    );
    const w = tf.tensor2d(Float32Array.from(weights), [indices.length, 1]);
    const { sums, norms } = clippedGradientSum(net, x, y, w, clip, from);
    return {
      sums: sums.map((s) => Float32Array.from(s.dataSync())),
      norms: Float32Array.from(norms.dataSync()),
    };
  });
}

describe(clippedGradientSum.name, () => {
  beforeAll(() => initTfjsWasm());

  it("computes every row's gradient norm as tfjs's own gradient of that row alone has it", () => {
    const net = network();
    const data = rows(40, 1);
    const indices = Array.from({ length: data.rows }, (_, i) => i);
    const weights = indices.map((i) => (data.y[i] ? 20 : 0.6));
    for (const from of [0, 1, 2]) {
      const { norms } = ours(net, data, indices, weights, 1e9, from);
      indices.forEach((r, i) => {
        const expected = norm(tfjsRowGradient(net, data, r, weights[i] ?? 0, from));
        expect(Math.abs((norms[i] ?? 0) - expected)).toBeLessThan(1e-4 * Math.max(1, expected));
      });
    }
    net.dispose();
  });

  it('with a clip norm no row reaches, sums exactly the rows’ tfjs gradients', () => {
    const net = network(5);
    const data = rows(30, 2);
    const indices = Array.from({ length: data.rows }, (_, i) => i);
    const weights = indices.map(() => 1.3);
    const { sums } = ours(net, data, indices, weights, 1e9, 0);
    const expected = sums.map((s) => new Float32Array(s.length));
    for (const r of indices)
      tfjsRowGradient(net, data, r, 1.3, 0).forEach((g, v) =>
        g.forEach((value, j) => {
          const sum = expected[v] as Float32Array;
          sum[j] = (sum[j] ?? 0) + value;
        }),
      );
    sums.forEach((s, v) =>
      s.forEach((value, j) => expect(value).toBeCloseTo(expected[v]?.[j] ?? Number.NaN, 4)),
    );
    net.dispose();
  });

  it('clips each row to norm C in the direction of its own gradient', () => {
    const net = network(7);
    const data = rows(25, 3);
    const clip = 0.05;
    let clipped = 0;
    for (let r = 0; r < data.rows; r++) {
      const weight = data.y[r] ? 30 : 1;
      const { sums } = ours(net, data, [r], [weight], clip, 0);
      const reference = tfjsRowGradient(net, data, r, weight, 0);
      const full = norm(reference);
      expect(norm(sums)).toBeLessThanOrEqual(clip * (1 + 1e-5));
      expect(norm(sums)).toBeCloseTo(Math.min(full, clip), 5);
      if (full > clip) clipped++;
      const factor = Math.min(1, clip / full);
      sums.forEach((s, v) =>
        s.forEach((value, j) => expect(value).toBeCloseTo((reference[v]?.[j] ?? 0) * factor, 5)),
      );
    }
    expect(clipped).toBeGreaterThan(10);
    net.dispose();
  });
});

describe(poissonSample.name, () => {
  it('takes each row with probability q, independently of the others', () => {
    const random = seededDpRandom(11);
    const rowsN = 2000;
    const q = 0.05;
    const counts = new Uint32Array(rowsN);
    const sizes: number[] = [];
    const draws = 400;
    for (let d = 0; d < draws; d++) {
      const sample = poissonSample(rowsN, q, random);
      sizes.push(sample.length);
      for (let i = 1; i < sample.length; i++) expect(sample[i]).toBeGreaterThan(sample[i - 1] ?? -1);
      for (const i of sample) (counts[i] as number)++;
    }
    // Batch size is Binomial(2000, 0.05): mean 100, sd 9.7; the mean of 400 draws has sd 0.49.
    const mean = sizes.reduce((a, b) => a + b, 0) / draws;
    expect(Math.abs(mean - rowsN * q)).toBeLessThan(4 * 0.49);
    const variance = sizes.reduce((a, b) => a + (b - mean) ** 2, 0) / (draws - 1);
    expect(variance).toBeGreaterThan(0.7 * rowsN * q * (1 - q));
    expect(variance).toBeLessThan(1.3 * rowsN * q * (1 - q));
    // First and last rows are drawn as often as the middle (no edge effect): each 400 · 0.05 = 20 ± 4.4.
    const firstTen = Array.from(counts.subarray(0, 100)).reduce((a, b) => a + b, 0) / 100;
    const lastTen = Array.from(counts.subarray(rowsN - 100)).reduce((a, b) => a + b, 0) / 100;
    for (const m of [firstTen, lastTen])
      expect(Math.abs(m - draws * q)).toBeLessThan(4 * Math.sqrt((draws * q) / 100));
  });
});

describe(gaussianNoise.name, () => {
  it('draws N(0, sd²) from the secure source', () => {
    const sd = 2.5;
    const n = 40_000;
    const noise = gaussianNoise(n, sd, secureDpRandom());
    const mean = noise.reduce((a, b) => a + b, 0) / n;
    const variance = noise.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1);
    expect(Math.abs(mean)).toBeLessThan((4 * sd) / Math.sqrt(n));
    // The sample variance's sd is sd²·√(2/n) ≈ 0.044.
    expect(Math.abs(variance - sd * sd)).toBeLessThan(4 * sd * sd * Math.sqrt(2 / n));
  });
});

describe(planDpSgd.name, () => {
  it('sets the noise for the target ε over every step of the run, with δ at most 1/rows', () => {
    const plan = planDpSgd(
      { targetEpsilon: 3, noiseMultiplier: null, delta: 1e-5, clipNorm: 1 },
      50_000,
      256,
      15,
    );
    expect(plan.samplingRate).toBeCloseTo(256 / 50_000, 12);
    expect(plan.stepsPerEpoch).toBe(Math.round(50_000 / 256));
    expect(plan.steps).toBe(15 * plan.stepsPerEpoch);
    expect(plan.delta).toBe(1e-5);
    expect(plan.epsilon).toBeLessThanOrEqual(3);
    expect(plan.epsilon).toBeGreaterThan(2.99);
    const small = planDpSgd(
      { targetEpsilon: 3, noiseMultiplier: null, delta: 1e-5, clipNorm: 1 },
      20_000,
      256,
      15,
    );
    expect(small.delta).toBe(1e-5);
    const tiny = planDpSgd(
      { targetEpsilon: 3, noiseMultiplier: null, delta: 1e-3, clipNorm: 1 },
      5_000,
      256,
      15,
    );
    expect(tiny.delta).toBe(1 / 5_000);
  });

  it('reports what an explicit noise multiplier spends', () => {
    const plan = planDpSgd(
      { targetEpsilon: null, noiseMultiplier: 1.1, delta: 1e-5, clipNorm: 2 },
      60_000,
      256,
      60,
    );
    const spent = privacySpent({
      samplingRate: 256 / 60_000,
      noiseMultiplier: 1.1,
      steps: plan.steps,
      delta: 1e-5,
    });
    expect(plan.epsilon).toBe(spent.epsilon);
    expect(plan.noiseMultiplier).toBe(1.1);
  });
});

describe('DP-SGD in trainMlp', () => {
  beforeAll(() => initTfjsWasm());
  const base = {
    epochs: 3,
    learningRate: 0.01,
    seed: 1,
    classWeighting: { positiveWeight: 1, negativeWeight: 1 },
    patience: 10,
    earlyStopping: false,
  } as const;

  it('with no noise, a clip norm no row reaches and every row in every step, updates as plain full-batch training', async () => {
    const train = rows(300, 4);
    const validation = rows(100, 5);
    const plain = network(9);
    const privateNet = network(9);
    await trainMlp(plain, train, validation, { ...base, batchSize: train.rows });
    const plan = planDpSgd(
      { targetEpsilon: null, noiseMultiplier: 0, delta: 1e-5, clipNorm: 1e9 },
      train.rows,
      train.rows,
      base.epochs,
    );
    expect(plan.samplingRate).toBe(1);
    await trainMlp(privateNet, train, validation, {
      ...base,
      batchSize: train.rows,
      privacy: { plan, random: seededDpRandom(1) },
    });
    const a = plain.snapshot();
    const b = privateNet.snapshot();
    a.forEach((values, v) => values.forEach((value, j) => expect(b[v]?.[j]).toBeCloseTo(value, 4)));
    // And the weights did move.
    expect(a[0]).not.toEqual(network(9).snapshot()[0]);
    plain.dispose();
    privateNet.dispose();
  });

  it('with noise, two runs on the same rows and seed differ (the noise is drawn from the secure source)', async () => {
    const train = rows(400, 6);
    const validation = rows(100, 7);
    const plan = planDpSgd(
      { targetEpsilon: 3, noiseMultiplier: null, delta: 1e-5, clipNorm: 1 },
      train.rows,
      64,
      2,
    );
    const runs: Float32Array[][] = [];
    for (let i = 0; i < 2; i++) {
      const net = network(9);
      const result = await trainMlp(net, train, validation, {
        ...base,
        epochs: 2,
        batchSize: 64,
        privacy: { plan, random: secureDpRandom() },
      });
      // The private rows' training loss is not released.
      expect(result.history.every((h) => Number.isNaN(h.trainLoss))).toBe(true);
      runs.push(net.snapshot());
      net.dispose();
    }
    expect(runs[0]).not.toEqual(runs[1]);
  });

  it('refuses class weights counted from the private rows', async () => {
    const train = rows(100, 8);
    const plan = planDpSgd(
      { targetEpsilon: 3, noiseMultiplier: null, delta: 1e-5, clipNorm: 1 },
      train.rows,
      32,
      1,
    );
    const net = network();
    await expect(
      trainMlp(net, train, train, {
        ...base,
        classWeighting: 'balanced',
        batchSize: 32,
        privacy: { plan, random: secureDpRandom() },
      }),
    ).rejects.toThrow(/fixed class weights/);
    net.dispose();
  });
});
