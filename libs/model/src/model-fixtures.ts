import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  localKeyRingKeys,
  sha256Hex,
  type EvaluationMetrics,
  type ManifestSigner,
  type FeatureProfile,
  type ModelManifest,
  type SequenceInputLayout,
} from '@fraudstream/registry';
import { mulberry32 } from '@fraudstream/stats';
import { MLP_ONNX_OPSET, buildMlpOnnx, type MlpSpec } from './mlp-onnx.builder';
import { SEQUENCE_INPUT_NAMES, buildSequenceOnnx, type SequenceSpec } from './sequence-onnx.builder';

/**
 * A deterministic pseudo-random sequence-family model (mulberry32) over F flat features and a
 * [steps, stepWidth] block, for tests and benchmarks: standardisation 0/1, a GRU of `gruUnits`,
 * a head of `hidden`.
 */
export function randomSequenceSpec(
  shape: {
    readonly flatWidth: number;
    readonly steps: number;
    readonly stepWidth: number;
    readonly gruUnits: number;
    readonly hidden: readonly number[];
  },
  seed = 1,
): SequenceSpec {
  const random = mulberry32(seed);
  const { flatWidth: F, steps, stepWidth: S, gruUnits: H } = shape;
  const uniform = (n: number, limit: number) =>
    Float32Array.from({ length: n }, () => (random() * 2 - 1) * limit);
  const sizes = [F + H, ...shape.hidden, 1];
  return {
    mean: new Array<number>(F).fill(0),
    std: new Array<number>(F).fill(1),
    stepMean: new Array<number>(S).fill(0),
    stepStd: new Array<number>(S).fill(1),
    steps,
    gru: {
      inputWeights: uniform(S * 3 * H, Math.sqrt(6 / (S + 3 * H))),
      recurrentWeights: uniform(H * 3 * H, Math.sqrt(6 / (4 * H))),
      bias: new Float32Array(3 * H),
    },
    head: sizes.slice(1).map((out, i) => ({
      weights: uniform((sizes[i] ?? 1) * out, Math.sqrt(6 / (sizes[i] ?? 1))),
      bias: new Float32Array(out),
    })),
  };
}

function isSequenceSpec(spec: MlpSpec | SequenceSpec): spec is SequenceSpec {
  return 'gru' in spec;
}

/** The manifest layout of a sequence spec. */
export function sequenceLayoutOf(spec: SequenceSpec): SequenceInputLayout {
  return {
    flat_width: spec.mean.length,
    steps: spec.steps,
    step_width: spec.stepMean.length,
    sequence_input_name: SEQUENCE_INPUT_NAMES.sequence,
    gru_units: spec.gru.bias.length / 3,
  };
}

/** A deterministic pseudo-random MLP (mulberry32), for tests and benchmarks. */
export function randomMlpSpec(width: number, hidden: readonly number[], seed = 1): MlpSpec {
  const random = mulberry32(seed);
  const sizes = [width, ...hidden, 1];
  const layers = sizes.slice(1).map((out, i) => {
    const inputs = sizes[i] ?? width;
    const scale = Math.sqrt(2 / inputs);
    const weights = Float32Array.from({ length: inputs * out }, () => (random() * 2 - 1) * scale);
    return { weights, bias: Array.from({ length: out }, () => 0) };
  });
  return {
    mean: Array.from({ length: width }, () => 0),
    std: Array.from({ length: width }, () => 1),
    layers,
  };
}

const NO_METRICS: EvaluationMetrics = {
  rows: 0,
  positives: 0,
  average_precision: 0,
  roc_auc: 0,
  recall_at_threshold: 0,
  precision_at_threshold: 0,
  card_precision_at_k: 0,
  k: 0,
};

function flatProfile(name: string, median: number): FeatureProfile {
  return {
    name,
    quantile_edges: [],
    bin_fractions: [1],
    mean: median,
    std: 0,
    min: median,
    max: median,
    median,
    sample: [median],
  };
}

export interface ModelFixtureOptions {
  readonly version: string;
  readonly featureNames: readonly string[];
  readonly featureSetVersion?: string;
  /** An MLP, or a sequence-family model (then the manifest says `family: 'sequence'` and its layout). */
  readonly spec: MlpSpec | SequenceSpec;
  /** A sequence model's layout in the manifest (default: the spec's own; tests of a lying manifest). */
  readonly sequenceLayout?: SequenceInputLayout;
  readonly threshold?: number;
  /** Reference medians by feature (default: the spec's means). */
  readonly medians?: readonly number[];
  /** Write these bytes as model.onnx instead of the built model (corrupt artifacts in tests). */
  readonly overrideBytes?: Uint8Array;
  /**
   * Signs the manifest; default: the local key ring's key (var/keys/local), which scorers started
   * without MODEL_TRUSTED_KEYS_FILE trust. null writes an unsigned manifest.
   */
  readonly signer?: ManifestSigner | null;
}

export interface ModelFixture {
  readonly directory: string;
  readonly artifactUri: string;
  readonly sha256: string;
  readonly manifest: ModelManifest;
}

/**
 * Writes model.onnx + manifest.json into `directory/<version>` the way the registry lays them out,
 * for tests, benchmarks and a bootstrap model, its manifest signed. The training fields are placeholders.
 */
export function writeModelFixture(root: string, options: ModelFixtureOptions): ModelFixture {
  const directory = join(root, options.version);
  mkdirSync(directory, { recursive: true });
  const { spec } = options;
  const built = isSequenceSpec(spec) ? buildSequenceOnnx(spec) : buildMlpOnnx(spec);
  const bytes = options.overrideBytes ?? built;
  const sha256 = sha256Hex(bytes);
  const medians = options.medians ?? Array.from(spec.mean);
  const hidden = (isSequenceSpec(spec) ? spec.head : spec.layers).slice(0, -1).map((l) => l.bias.length);
  const family = isSequenceSpec(spec)
    ? { family: 'sequence' as const, sequence: options.sequenceLayout ?? sequenceLayoutOf(spec) }
    : {};
  const unsigned: ModelManifest = {
    version: options.version,
    ...family,
    parent_version: null,
    created_at: new Date(0).toISOString(),
    created_event_time: 0,
    code_revision: 'fixture',
    feature_set_version: options.featureSetVersion ?? 'fixture',
    feature_names: [...options.featureNames],
    onnx: { file: 'model.onnx', sha256, input_name: 'features', output_name: 'score', opset: MLP_ONNX_OPSET },
    // One constant per column (a sequence model's step constants repeated per step), as the trainer writes it.
    preprocessing: isSequenceSpec(spec)
      ? {
          mean: [
            ...Array.from(spec.mean),
            ...Array.from({ length: spec.steps }, () => Array.from(spec.stepMean)).flat(),
          ],
          std: [
            ...Array.from(spec.std),
            ...Array.from({ length: spec.steps }, () => Array.from(spec.stepStd)).flat(),
          ],
        }
      : { mean: Array.from(spec.mean), std: Array.from(spec.std) },
    architecture: { hidden_units: hidden, activation: 'relu' },
    threshold: options.threshold ?? 0.5,
    threshold_policy: { kind: 'target-precision', value: 0.5 },
    training: {
      window_start: 0,
      window_end: 0,
      rows: 0,
      positives: 0,
      replay_rows: 0,
      validation_rows: 0,
      request_id: null,
      drift_event_id: null,
      seed: 0,
      epochs: 0,
      warm_start: false,
      frozen_layers: 0,
    },
    metrics: { validation: NO_METRICS },
    reference: {
      row_count: 0,
      fraud_rate: 0,
      features: options.featureNames.map((name, j) => flatProfile(name, medians[j] ?? 0)),
      score: flatProfile('score', 0),
    },
  };
  const signer = options.signer === undefined ? localKeyRingKeys().signer : options.signer;
  const manifest = signer ? signer.sign(unsigned) : unsigned;
  writeFileSync(join(directory, 'model.onnx'), bytes);
  writeFileSync(join(directory, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return {
    directory,
    artifactUri: pathToFileURL(join(directory, 'model.onnx')).toString(),
    sha256,
    manifest,
  };
}
