import { sha256Hex } from './artifact-checks';
import {
  NO_PRIVACY_STATEMENT,
  type EvaluationMetrics,
  type FeatureProfile,
  type ModelManifest,
} from './manifest.types';

const profile = (name: string): FeatureProfile => ({
  name,
  quantile_edges: [0.5],
  bin_fractions: [0.5, 0.5],
  mean: 0.5,
  std: 0.5,
  min: 0,
  max: 1,
  median: 0.5,
  sample: [0, 1],
});

const metrics: EvaluationMetrics = {
  rows: 10,
  positives: 1,
  average_precision: 0.5,
  roc_auc: 0.9,
  recall_at_threshold: 1,
  precision_at_threshold: 0.5,
  card_precision_at_k: 0.1,
  k: 10,
};

/** A small but complete manifest describing `onnx`, for store and registry tests. */
export function manifestFor(version: string, onnx: Uint8Array, parent: string | null = null): ModelManifest {
  return {
    version,
    parent_version: parent,
    created_at: '2026-01-05T12:00:00.000Z',
    created_event_time: 1_767_614_400_000,
    code_revision: 'test',
    feature_set_version: 'fs-test',
    feature_names: ['a', 'b'],
    onnx: {
      file: 'model.onnx',
      sha256: sha256Hex(onnx),
      input_name: 'features',
      output_name: 'score',
      opset: 17,
    },
    preprocessing: { mean: [0, 0], std: [1, 1] },
    architecture: { hidden_units: [4], activation: 'relu' },
    threshold: 0.5,
    threshold_policy: { kind: 'daily-capacity', value: 100 },
    training: {
      window_start: 0,
      window_end: 1,
      rows: 10,
      positives: 1,
      replay_rows: 0,
      validation_rows: 5,
      request_id: null,
      drift_event_id: null,
      seed: 1,
      epochs: 1,
      warm_start: false,
      frozen_layers: 0,
    },
    metrics: { validation: metrics },
    reference: {
      row_count: 10,
      fraud_rate: 0.1,
      features: [profile('a'), profile('b')],
      score: profile('score'),
    },
  };
}

/** `manifest` with a fine-tuned challenger's model card (unsigned: the signer fills `signer`). */
export function withCard(manifest: ModelManifest): ModelManifest {
  return {
    ...manifest,
    model_card: {
      training_window: { start: 1_767_225_600_000, end: 1_767_744_000_000 },
      data: {
        rows: 5200,
        frauds: 61,
        labelled_rows: 5000,
        soft_labelled_rows: 200,
        replay_rows: 1300,
        validation_rows: 700,
      },
      gate: {
        passed: true,
        reason: 'AP +0.042 over the champion',
        challenger: { ...metrics, average_precision: 0.542 },
        champion: metrics,
      },
      evaluation: { ...metrics, average_precision: 0.542 },
      segments: {
        rows: 10,
        model: [
          { attribute: 'age_band', value: '18-29', rows: 4, frauds: 1, false_positive_rate: 0.25, recall: 1 },
          { attribute: 'age_band', value: '65+', rows: 6, frauds: 0, false_positive_rate: 0, recall: null },
        ],
        champion: [
          { attribute: 'age_band', value: '18-29', rows: 4, frauds: 1, false_positive_rate: 0, recall: 0 },
          { attribute: 'age_band', value: '65+', rows: 6, frauds: 0, false_positive_rate: 0.5, recall: null },
        ],
      },
      lineage: {
        parent_version: manifest.parent_version,
        request_id: 'req-7',
        drift_event_id: 'drift-3',
        trigger: 'DRIFT',
      },
      privacy: { mechanism: 'none', statement: NO_PRIVACY_STATEMENT },
      signer: null,
    },
  };
}
