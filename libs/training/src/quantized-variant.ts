/*
 * The int8 variant of a float model (issue "compressed serving"): its weights quantised in the ONNX
 * graph (libs/model quantizeOnnxWeights), judged against its float parent on the parent's hold-out
 * rows, both scored by onnxruntime as a scorer serves them.
 */
import { quantizeOnnxWeights, type InferenceRuntime, type QuantizationGranularity } from '@fraudstream/model';
import type { EvaluationMetrics, ModelCompression } from '@fraudstream/registry';
import { eventDay, type EvaluationRow } from '@fraudstream/stats';
import { evaluateModel } from './model-evaluation';
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

function evaluationRows(rows: readonly TrainingRow[], scores: Float32Array): EvaluationRow[] {
  return rows.map((row, i) => ({
    cardId: row.cardId,
    day: eventDay(row.eventTime),
    score: scores[i] ?? 0,
    isFraud: row.isFraud,
  }));
}

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
 * `runtime` (onnxruntime, whose graph rewrites of the int8 graph are part of what serves), evaluated
 * at the parent's threshold, the AP loss checked against `settings.maxApLoss`.
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
  const evaluate = (s: Float32Array) =>
    evaluateModel(evaluationRows(rows, s), { threshold: input.threshold, k: input.k });
  const parentMetrics = evaluate(parentScores);
  const metrics = evaluate(scores);
  let maxDiff = 0;
  for (let i = 0; i < scores.length; i++)
    maxDiff = Math.max(maxDiff, Math.abs((scores[i] ?? 0) - (parentScores[i] ?? 0)));
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
