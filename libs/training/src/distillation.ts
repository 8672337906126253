/*
 * Knowledge distillation (Hinton, Vinyals & Dean 2015) for compressed serving: a student network
 * with fewer hidden units learns from a larger teacher's scores as well as from the labels. The
 * teacher's probability is a soft target: it says how fraud-like a legitimate payment looks, which
 * a 0/1 label does not, so a narrow student can rank like the wide teacher from the same rows. The
 * student keeps the teacher's standardisation constants (one preprocessing for both), and is judged
 * like any compressed variant: it may lose at most a set AP against its teacher on the same rows.
 */
import { MlpNetwork } from './mlp.network';
import { trainMlp, type TrainOptions, type TrainResult } from './mlp.trainer';
import type { TrainingMatrix } from './training-rows';

/** Float slack so a loss equal to the tolerance passes. */
const SLACK = 1e-9;

/**
 * The student's targets: (1 − teacherWeight) · label + teacherWeight · teacher's probability, per
 * row. 0 is plain training on the labels, 1 pure imitation of the teacher.
 */
export function distillationTargets(
  labels: ArrayLike<number>,
  teacherScores: ArrayLike<number>,
  teacherWeight: number,
): Float32Array {
  if (!(teacherWeight >= 0 && teacherWeight <= 1))
    throw new RangeError(`distillationTargets: teacherWeight must be in [0, 1], got ${teacherWeight}`);
  if (labels.length !== teacherScores.length)
    throw new RangeError(
      `distillationTargets: ${labels.length} labels, ${teacherScores.length} teacher scores`,
    );
  return Float32Array.from(
    { length: labels.length },
    (_, i) => (1 - teacherWeight) * (labels[i] ?? 0) + teacherWeight * (teacherScores[i] ?? 0),
  );
}

/**
 * A student of `hiddenUnits` trained on the teacher's soft targets over `train` (early stopping on
 * the labels of `validation`, which the gate measures). The caller disposes the student.
 */
export async function distillStudent(input: {
  readonly teacher: MlpNetwork;
  readonly train: TrainingMatrix;
  readonly validation: TrainingMatrix;
  readonly hiddenUnits: readonly number[];
  readonly teacherWeight: number;
  readonly options: TrainOptions;
}): Promise<{ readonly student: MlpNetwork; readonly train: TrainResult }> {
  const { teacher, train } = input;
  const targets = distillationTargets(train.y, teacher.predict(train.x, train.rows), input.teacherWeight);
  const student = MlpNetwork.create({
    mean: Array.from(teacher.mean),
    std: Array.from(teacher.std),
    hiddenUnits: input.hiddenUnits,
    seed: input.options.seed,
  });
  try {
    const result = await trainMlp(student, { ...train, y: targets }, input.validation, input.options);
    return { student, train: result };
  } catch (error) {
    student.dispose();
    throw error;
  }
}

/** The AP-loss verdict on a student (pure): passed when teacher AP − student AP <= maxApLoss. */
export function decideDistillationGate(
  teacher: { readonly average_precision: number; readonly rows: number; readonly positives: number },
  student: { readonly average_precision: number },
  maxApLoss: number,
): { readonly passed: boolean; readonly apLoss: number; readonly reason: string } {
  const apLoss = teacher.average_precision - student.average_precision;
  const passed = apLoss <= maxApLoss + SLACK;
  const facts = `student AP ${student.average_precision.toFixed(4)} vs teacher ${teacher.average_precision.toFixed(4)} on the same ${teacher.rows} hold-out rows (${teacher.positives} frauds)`;
  return {
    passed,
    apLoss,
    reason: passed
      ? `${facts}: loss ${apLoss.toFixed(4)} <= ${maxApLoss.toFixed(4)}`
      : `distillation gate failed: ${facts}: loss ${apLoss.toFixed(4)} > ${maxApLoss.toFixed(4)}`,
  };
}
