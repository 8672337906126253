import { mulberry32, rocAuc } from '@fraudstream/stats';
import { beforeAll, describe, expect, it } from 'vitest';
import { decideDistillationGate, distillStudent, distillationTargets } from './distillation';
import { MlpNetwork } from './mlp.network';
import { trainMlp } from './mlp.trainer';
import { initTfjsWasm } from './tfjs-wasm.backend';
import type { TrainingMatrix } from './training-rows';

/** Fraud when a hidden non-linear score is high; a few % positives. */
function syntheticData(rows: number, seed: number): TrainingMatrix {
  const random = mulberry32(seed);
  const width = 4;
  const x = new Float32Array(rows * width);
  const y = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < width; c++) x[r * width + c] = random() * 2 - 1;
    const a = x[r * width] ?? 0;
    const b = x[r * width + 1] ?? 0;
    y[r] = 2 * a - 1.5 * b + a * b + 0.3 * (random() - 0.5) > 2 ? 1 : 0;
  }
  return { x, y, rows, width };
}

const options = {
  epochs: 20,
  batchSize: 128,
  learningRate: 0.01,
  seed: 42,
  classWeighting: 'balanced' as const,
  patience: 4,
};

describe(distillationTargets.name, () => {
  it("blends each label with the teacher's probability by the teacher's weight", () => {
    const targets = distillationTargets([1, 0, 1], [0.2, 0.6, 1], 0.25);
    expect(targets[0]).toBeCloseTo(0.75 + 0.05, 6);
    expect(targets[1]).toBeCloseTo(0.15, 6);
    expect(targets[2]).toBeCloseTo(1, 6);
    expect(Array.from(distillationTargets([1, 0], [0.3, 0.4], 0))).toEqual([1, 0]);
    expect(() => distillationTargets([1], [0.5], 1.5)).toThrow(RangeError);
    expect(() => distillationTargets([1, 0], [0.5], 0.5)).toThrow(RangeError);
  });
});

describe(decideDistillationGate.name, () => {
  const teacher = { average_precision: 0.8, rows: 1000, positives: 40 };
  it('passes a student that loses at most the tolerance against its teacher, and fails one that loses more', () => {
    expect(decideDistillationGate(teacher, { average_precision: 0.795 }, 0.005).passed).toBe(true);
    expect(decideDistillationGate(teacher, { average_precision: 0.82 }, 0.005).passed).toBe(true);
    const failed = decideDistillationGate(teacher, { average_precision: 0.79 }, 0.005);
    expect(failed.passed).toBe(false);
    expect(failed.apLoss).toBeCloseTo(0.01, 12);
    expect(failed.reason).toContain('distillation gate failed');
  });
});

describe(distillStudent.name, () => {
  beforeAll(() => initTfjsWasm());

  it("trains a narrower student with the teacher's preprocessing that ranks like the teacher", async () => {
    const train = syntheticData(4000, 1);
    const validation = syntheticData(1500, 2);
    const test = syntheticData(3000, 3);
    const teacher = MlpNetwork.create({
      mean: [0, 0, 0, 0],
      std: [1, 1, 1, 1],
      hiddenUnits: [32, 16],
      seed: 5,
    });
    await trainMlp(teacher, train, validation, options);
    const { student } = await distillStudent({
      teacher,
      train,
      validation,
      hiddenUnits: [4],
      teacherWeight: 0.5,
      options,
    });
    expect(student.hiddenUnits).toEqual([4]);
    expect(Array.from(student.mean)).toEqual(Array.from(teacher.mean));
    const teacherAuc = rocAuc(teacher.predict(test.x, test.rows), test.y);
    const studentAuc = rocAuc(student.predict(test.x, test.rows), test.y);
    expect(teacherAuc).toBeGreaterThan(0.95);
    expect(studentAuc).toBeGreaterThan(teacherAuc - 0.02);
    teacher.dispose();
    student.dispose();
  });
});
