/*
 * Knowledge distillation (Hinton, Vinyals & Dean 2015) for compressed serving: a student network
 * with fewer hidden units learns from a larger teacher's scores as well as from the labels. The
 * teacher's probability is a soft target: it says how fraud-like a legitimate payment looks, which
 * a 0/1 label does not, so a narrow student can rank like the wide teacher from the same rows. The
 * student keeps the teacher's standardisation constants (one preprocessing for both), and is judged
 * like any compressed variant: it may lose at most a set AP against its teacher on the same rows.
 */
import { buildMlpOnnx } from '@fraudstream/model';
import {
  VersionExistsError,
  type ChangeContext,
  type DistilledStudentCompression,
  type EvaluationMetrics,
  type ModelManifest,
  type ModelRegistry,
  type ReferenceProfile,
} from '@fraudstream/registry';
import { MlpNetwork } from './mlp.network';
import { trainMlp, type TrainOptions, type TrainResult } from './mlp.trainer';
import { evaluateScores, maxAbsScoreDifference } from './model-evaluation';
import { packageQuantizedVariant } from './model-packaging';
import type { VariantOutcome } from './quantized-variant';
import { countPositives, toTrainingMatrix, type TrainingMatrix, type TrainingRow } from './training-rows';

/** Whether and how the trainer distils a student of each passing challenger (TRAINER_DISTILL_*). */
export interface DistillationSettings {
  /** The student's hidden units; null (the default): no student. */
  readonly hiddenUnits: readonly number[] | null;
  /** The teacher's share of each target (TRAINER_DISTILL_TEACHER_WEIGHT). */
  readonly teacherWeight: number;
  /** The student may lose at most this much AP against its teacher (GATE_MAX_DISTILLATION_AP_LOSS). */
  readonly maxApLoss: number;
}

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

/**
 * Distils a student of a registered float model (its teacher) on `trainRows`, judges it on `rows`
 * (the teacher's hold-out) at the teacher's threshold, and registers it as the next version:
 * `parent_version` the teacher, its own architecture, metrics and reference profile, `compression`
 * of kind `distilled-student`. A student over the AP-loss tolerance is moved to REJECTED through
 * `reject`; one that could not be trained registers nothing and returns FAILED.
 */
export async function registerDistilledVariant(input: {
  readonly registry: ModelRegistry;
  readonly parent: {
    readonly version: string;
    readonly onnx: Uint8Array;
    readonly sha256: string;
    readonly manifest: ModelManifest;
  };
  readonly teacher: MlpNetwork;
  readonly trainRows: readonly TrainingRow[];
  readonly validationRows: readonly TrainingRow[];
  /** The rows the teacher was judged on (its hold-out). */
  readonly rows: readonly TrainingRow[];
  readonly threshold: number;
  readonly k: number;
  readonly hiddenUnits: readonly number[];
  readonly settings: DistillationSettings;
  readonly trainOptions: TrainOptions;
  readonly reference: (network: MlpNetwork) => ReferenceProfile;
  readonly context: { readonly actor: string; readonly eventTime: number; readonly requestId: string | null };
  readonly reject: (version: string, context: ChangeContext) => Promise<void>;
  readonly now: Date;
}): Promise<VariantOutcome> {
  const { registry, parent, teacher, settings } = input;
  const width = teacher.inputWidth;
  let student: MlpNetwork;
  try {
    student = (
      await distillStudent({
        teacher,
        train: toTrainingMatrix(input.trainRows, width),
        validation: toTrainingMatrix(input.validationRows, width),
        hiddenUnits: input.hiddenUnits,
        teacherWeight: settings.teacherWeight,
        options: input.trainOptions,
      })
    ).student;
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    return {
      status: 'FAILED',
      version: null,
      reason: `student of ${parent.version} not made: ${why}`,
      metrics: {},
    };
  }
  let bytes: Uint8Array;
  let reference: ReferenceProfile;
  let metrics: EvaluationMetrics;
  let parentMetrics: EvaluationMetrics;
  let maxDiff: number;
  try {
    const matrix = toTrainingMatrix(input.rows, width);
    const parentScores = teacher.predict(matrix.x, matrix.rows);
    const scores = student.predict(matrix.x, matrix.rows);
    const evaluate = (s: Float32Array) =>
      evaluateScores(input.rows, s, { threshold: input.threshold, k: input.k });
    parentMetrics = evaluate(parentScores);
    metrics = evaluate(scores);
    maxDiff = maxAbsScoreDifference(scores, parentScores);
    bytes = buildMlpOnnx(student.toSpec());
    reference = input.reference(student);
  } finally {
    student.dispose();
  }
  const decision = decideDistillationGate(parentMetrics, metrics, settings.maxApLoss);
  const compression: DistilledStudentCompression = {
    kind: 'distilled-student',
    parent_version: parent.version,
    parent_sha256: parent.sha256,
    hidden_units: [...input.hiddenUnits],
    parent_hidden_units: teacher.hiddenUnits,
    teacher_weight: settings.teacherWeight,
    train_rows: input.trainRows.length,
    bytes: bytes.length,
    parent_bytes: parent.onnx.length,
    rows: input.rows.length,
    positives: countPositives(input.rows),
    parent_average_precision: parentMetrics.average_precision,
    average_precision: metrics.average_precision,
    ap_loss: decision.apLoss,
    max_ap_loss: settings.maxApLoss,
    max_abs_score_difference: maxDiff,
    passed: decision.passed,
    reason: decision.reason,
  };
  const gateMetrics: Record<string, number> = {
    gate_rows: metrics.rows,
    gate_positives: metrics.positives,
    gate_max_distillation_ap_loss: settings.maxApLoss,
    student_average_precision: metrics.average_precision,
    parent_average_precision: parentMetrics.average_precision,
    distillation_ap_loss: decision.apLoss,
    student_roc_auc: metrics.roc_auc,
    parent_roc_auc: parentMetrics.roc_auc,
    max_abs_score_difference: maxDiff,
    student_bytes: bytes.length,
    parent_bytes: parent.onnx.length,
    gate_passed: decision.passed ? 1 : 0,
  };
  const context = { ...input.context, metrics: gateMetrics };
  // Two trainers may pick the same next version: the store refuses the second, which takes the next.
  for (let attempt = 0; ; attempt++) {
    const version = await registry.nextVersion();
    const packaged = packageQuantizedVariant({
      parent: parent.manifest,
      variant: { bytes, metrics, parentMetrics, compression, gateMetrics },
      version,
      reference,
      now: input.now,
      architecture: { hidden_units: [...input.hiddenUnits], activation: 'relu' },
    });
    try {
      await registry.register(packaged.onnx, packaged.manifest, {
        ...context,
        reason: `student (hidden ${input.hiddenUnits.join(',')}) distilled from ${parent.version} (hidden ${teacher.hiddenUnits.join(',')})`,
      });
    } catch (error) {
      if (!(error instanceof VersionExistsError) || attempt >= 3) throw error;
      continue;
    }
    if (!decision.passed)
      await input.reject(version, { ...context, actor: `${context.actor}/gate`, reason: decision.reason });
    return {
      status: decision.passed ? 'CANDIDATE' : 'REJECTED',
      version,
      reason: decision.reason,
      metrics: gateMetrics,
    };
  }
}
