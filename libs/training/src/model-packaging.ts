import { MLP_ONNX_OPSET, buildMlpOnnx } from '@fraudstream/model';
import {
  sha256Hex,
  type EvaluationMetrics,
  type ModelManifest,
  type ReferenceProfile,
  type TrainingLineage,
} from '@fraudstream/registry';
import type { MlpNetwork } from './mlp.network';
import type { ThresholdPolicy } from './threshold';

export interface PackagedModel {
  readonly onnx: Uint8Array;
  readonly manifest: ModelManifest;
}

/** Exports a trained network to ONNX and writes the manifest that describes those exact bytes. */
export function packageModel(fields: {
  readonly network: MlpNetwork;
  readonly version: string;
  readonly parentVersion: string | null;
  readonly createdEventTime: number;
  readonly codeRevision: string;
  readonly featureSetVersion: string;
  readonly featureNames: readonly string[];
  readonly threshold: number;
  readonly thresholdPolicy: ThresholdPolicy;
  readonly training: TrainingLineage;
  readonly validation: EvaluationMetrics;
  readonly champion?: EvaluationMetrics;
  readonly gate?: Readonly<Record<string, number>>;
  readonly reference: ReferenceProfile;
  readonly now: Date;
}): PackagedModel {
  const spec = fields.network.toSpec();
  const onnx = buildMlpOnnx(spec);
  const manifest: ModelManifest = {
    version: fields.version,
    parent_version: fields.parentVersion,
    created_at: fields.now.toISOString(),
    created_event_time: fields.createdEventTime,
    code_revision: fields.codeRevision,
    feature_set_version: fields.featureSetVersion,
    feature_names: [...fields.featureNames],
    onnx: {
      file: 'model.onnx',
      sha256: sha256Hex(onnx),
      input_name: 'features',
      output_name: 'score',
      opset: MLP_ONNX_OPSET,
    },
    preprocessing: { mean: Array.from(fields.network.mean), std: Array.from(fields.network.std) },
    architecture: { hidden_units: fields.network.hiddenUnits, activation: 'relu' },
    threshold: fields.threshold,
    threshold_policy: fields.thresholdPolicy,
    training: fields.training,
    metrics: {
      validation: fields.validation,
      ...(fields.champion ? { champion: fields.champion } : {}),
      ...(fields.gate ? { gate: fields.gate } : {}),
    },
    reference: fields.reference,
  };
  return { onnx, manifest };
}
