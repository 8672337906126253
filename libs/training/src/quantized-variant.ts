/*
 * The int8 variant of a float model (compressed serving): its weights quantised in the ONNX
 * graph (libs/model quantizeOnnxWeights), judged against its float parent on the parent's hold-out
 * rows, both scored by onnxruntime as a scorer serves them.
 */
import {
  quantizeOnnxWeights,
  readMlpOnnx,
  type InferenceRuntime,
  type QuantizationGranularity,
} from '@fraudstream/model';
import {
  VersionExistsError,
  type ChangeContext,
  type EvaluationMetrics,
  type ModelCompression,
  type ModelManifest,
  type ModelRegistry,
  type ReferenceProfile,
} from '@fraudstream/registry';
import { MlpNetwork } from './mlp.network';
import { evaluateScores, maxAbsScoreDifference } from './model-evaluation';
import { packageQuantizedVariant } from './model-packaging';
import { countPositives, toTrainingMatrix, type TrainingRow } from './training-rows';

/** Whether and how the trainer makes compressed variants (TRAINER_QUANTIZE, GATE_MAX_QUANTIZATION_AP_LOSS). */
export interface QuantizationSettings {
  /** `int8`: every challenger that passes its gate gets an int8 variant; `none` (default): none. */
  readonly kind: 'none' | 'int8';
  /** The variant may lose at most this much average precision against its float parent. */
  readonly maxApLoss: number;
  readonly granularity: QuantizationGranularity;
  /** Signed levels (8 in service; tests coarsen it to make a variant that must fail). */
  readonly bits: number;
}

export interface QuantizedVariant {
  readonly bytes: Uint8Array;
  /** The variant's metrics and its float parent's on the same rows, each at the parent's threshold. */
  readonly metrics: EvaluationMetrics;
  readonly parentMetrics: EvaluationMetrics;
  readonly compression: ModelCompression;
  /** Every number of the decision, for the manifest's `metrics.gate` and the audit entry. */
  readonly gateMetrics: Record<string, number>;
}

/** Float slack so a loss equal to the tolerance passes. */
const SLACK = 1e-9;
const fmt = (v: number): string => v.toFixed(4);

/** The AP-loss verdict on a variant (pure): passed when parent AP − variant AP <= maxApLoss. */
export function decideQuantizationGate(
  parent: EvaluationMetrics,
  variant: EvaluationMetrics,
  maxApLoss: number,
): { readonly passed: boolean; readonly apLoss: number; readonly reason: string } {
  const apLoss = parent.average_precision - variant.average_precision;
  const passed = apLoss <= maxApLoss + SLACK;
  const facts = `int8 AP ${fmt(variant.average_precision)} vs float parent ${fmt(parent.average_precision)} on the same ${variant.rows} hold-out rows (${variant.positives} frauds)`;
  return {
    passed,
    apLoss,
    reason: passed
      ? `${facts}: loss ${fmt(apLoss)} <= ${fmt(maxApLoss)}`
      : `quantisation gate failed: ${facts}: loss ${fmt(apLoss)} > ${fmt(maxApLoss)} (GATE_MAX_QUANTIZATION_AP_LOSS)`,
  };
}

/**
 * Quantises a float model's ONNX bytes and judges the variant: both graphs scored on `rows` by
 * `runtime` (an OnnxWorkerPool loads them as the scorer does, so the scores are the served ones),
 * evaluated at the parent's threshold, the AP loss checked against `settings.maxApLoss`.
 */
export async function judgeQuantizedVariant(input: {
  readonly parent: { readonly version: string; readonly onnx: Uint8Array; readonly sha256: string };
  readonly rows: readonly TrainingRow[];
  readonly width: number;
  readonly threshold: number;
  readonly k: number;
  readonly settings: QuantizationSettings;
  readonly runtime: InferenceRuntime;
}): Promise<QuantizedVariant> {
  const { parent, rows, width, settings, runtime } = input;
  const quantized = quantizeOnnxWeights(parent.onnx, {
    granularity: settings.granularity,
    bits: settings.bits,
  });
  const matrix = toTrainingMatrix(rows, width);
  const options = { executionProvider: 'cpu' as const, intraOpThreads: 1, interOpThreads: 1 };
  const keys = { float: `${parent.version}:float`, int8: `${parent.version}:int8` };
  let parentScores: Float32Array;
  let scores: Float32Array;
  try {
    await runtime.load(keys.float, parent.onnx, options);
    await runtime.load(keys.int8, quantized.bytes, options);
    parentScores = await runtime.run(keys.float, matrix.x, matrix.rows, width);
    scores = await runtime.run(keys.int8, matrix.x, matrix.rows, width);
  } finally {
    await runtime.unload(keys.float).catch(() => undefined);
    await runtime.unload(keys.int8).catch(() => undefined);
  }
  const evaluate = (s: Float32Array) => evaluateScores(rows, s, { threshold: input.threshold, k: input.k });
  const parentMetrics = evaluate(parentScores);
  const metrics = evaluate(scores);
  const maxDiff = maxAbsScoreDifference(scores, parentScores);
  const decision = decideQuantizationGate(parentMetrics, metrics, settings.maxApLoss);
  const compression: ModelCompression = {
    kind: 'int8-weights',
    parent_version: parent.version,
    parent_sha256: parent.sha256,
    granularity: quantized.granularity,
    bits: quantized.bits,
    bytes: quantized.bytes.length,
    parent_bytes: parent.onnx.length,
    rows: rows.length,
    positives: countPositives(rows),
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
    gate_max_quantization_ap_loss: settings.maxApLoss,
    quantized_average_precision: metrics.average_precision,
    parent_average_precision: parentMetrics.average_precision,
    quantization_ap_loss: decision.apLoss,
    quantized_roc_auc: metrics.roc_auc,
    parent_roc_auc: parentMetrics.roc_auc,
    max_abs_score_difference: maxDiff,
    quantized_bytes: quantized.bytes.length,
    parent_bytes: parent.onnx.length,
    quantization_bits: quantized.bits,
    gate_passed: decision.passed ? 1 : 0,
  };
  return { bytes: quantized.bytes, metrics, parentMetrics, compression, gateMetrics };
}

/**
 * The int8 variant of a model: registered and left a CANDIDATE when it passes its gate (a
 * challenger's float parent takes the shadow slot; an operator promotes the variant), REJECTED when
 * it does not; FAILED (nothing registered) when it could not be made or scored.
 */
export interface VariantOutcome {
  readonly status: 'CANDIDATE' | 'REJECTED' | 'FAILED';
  readonly version: string | null;
  readonly reason: string;
  readonly metrics: Readonly<Record<string, number>>;
}

/**
 * Quantises a registered float model, judges the variant on `rows` (judgeQuantizedVariant, in a
 * runtime made for it and closed after) and registers it as the next version: `parent_version` the
 * float model, `compression` in the manifest, its reference profile from its own scores
 * (`reference` of its dequantised weights). A variant over the AP-loss tolerance is moved to
 * REJECTED through `reject`. Failing to make or score it registers nothing and returns FAILED.
 */
export async function registerQuantizedVariant(input: {
  readonly registry: ModelRegistry;
  readonly parent: {
    readonly version: string;
    readonly onnx: Uint8Array;
    readonly sha256: string;
    readonly manifest: ModelManifest;
  };
  /** The rows the parent was judged on (its hold-out). */
  readonly rows: readonly TrainingRow[];
  readonly width: number;
  readonly threshold: number;
  readonly k: number;
  readonly settings: QuantizationSettings;
  readonly runtime: () => InferenceRuntime;
  readonly reference: (network: MlpNetwork) => ReferenceProfile;
  readonly context: { readonly actor: string; readonly eventTime: number; readonly requestId: string | null };
  readonly reject: (version: string, context: ChangeContext) => Promise<void>;
  readonly now: Date;
}): Promise<VariantOutcome> {
  const { registry, parent } = input;
  const runtime = input.runtime();
  let judged: QuantizedVariant;
  try {
    judged = await judgeQuantizedVariant({ ...input, runtime });
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    return {
      status: 'FAILED',
      version: null,
      reason: `int8 variant of ${parent.version} not made: ${why}`,
      metrics: {},
    };
  } finally {
    await runtime.close();
  }
  const twin = MlpNetwork.fromWeights(readMlpOnnx(judged.bytes));
  let reference: ReferenceProfile;
  try {
    reference = input.reference(twin);
  } finally {
    twin.dispose();
  }
  const { passed, reason } = judged.compression;
  const context = { ...input.context, metrics: judged.gateMetrics };
  // Two trainers may pick the same next version: the store refuses the second, which takes the next.
  for (let attempt = 0; ; attempt++) {
    const version = await registry.nextVersion();
    const packaged = packageQuantizedVariant({
      parent: parent.manifest,
      variant: judged,
      version,
      reference,
      now: input.now,
    });
    try {
      await registry.register(packaged.onnx, packaged.manifest, {
        ...context,
        reason: `int8 weights of ${parent.version} (${judged.compression.bytes} bytes, float ${judged.compression.parent_bytes})`,
      });
    } catch (error) {
      if (!(error instanceof VersionExistsError) || attempt >= 3) throw error;
      continue;
    }
    if (!passed) await input.reject(version, { ...context, actor: `${context.actor}/gate`, reason });
    return { status: passed ? 'CANDIDATE' : 'REJECTED', version, reason, metrics: judged.gateMetrics };
  }
}
