import { SEQUENCE_STEP_WIDTH, featureSetOf } from '@fraudstream/features';
import {
  MLP_ONNX_OPSET,
  SEQUENCE_INPUT_NAMES,
  buildMlpOnnx,
  buildSequenceOnnx,
  readMlpOnnx,
  readSequenceOnnx,
} from '@fraudstream/model';
import { modelFamilyOf, type ModelManifest } from '@fraudstream/registry';
import { MlpNetwork } from './mlp.network';
import type { SequenceLayout } from './sequence.network';
import { SequenceNetwork } from './sequence.network';
import { TrainingJobError } from './training.errors';

/** A network of either family: what base training, fine-tuning, the gate and packaging handle. */
export type ScoringNetwork = MlpNetwork | SequenceNetwork;

/** The network a deployed model's ONNX bytes hold, by its manifest's family (the warm start). */
export function networkOfOnnx(bytes: Uint8Array, manifest: Pick<ModelManifest, 'family'>): ScoringNetwork {
  return modelFamilyOf(manifest) === 'sequence'
    ? SequenceNetwork.fromSpec(readSequenceOnnx(bytes))
    : MlpNetwork.fromWeights(readMlpOnnx(bytes));
}

/** The ONNX bytes of a network and the manifest fields its family adds. */
export function exportNetwork(network: ScoringNetwork): {
  readonly onnx: Uint8Array;
  readonly fields: Pick<ModelManifest, 'family' | 'sequence'>;
  readonly opset: number;
} {
  if (network instanceof MlpNetwork)
    return { onnx: buildMlpOnnx(network.toSpec()), fields: {}, opset: MLP_ONNX_OPSET };
  return {
    onnx: buildSequenceOnnx(network.toSpec()),
    fields: {
      family: 'sequence',
      sequence: {
        flat_width: network.flatWidth,
        steps: network.steps,
        step_width: network.stepWidth,
        sequence_input_name: SEQUENCE_INPUT_NAMES.sequence,
        gru_units: network.gruUnits,
      },
    },
    opset: MLP_ONNX_OPSET,
  };
}

/**
 * Where the sequence block is in a feature set's vectors; TrainingJobError when the set has none
 * (the sequence family cannot train on it).
 */
export function sequenceLayoutOf(featureSetVersion: string): SequenceLayout {
  const set = featureSetOf(featureSetVersion);
  if (set.sequenceSteps === 0)
    throw new TrainingJobError(
      'FEATURE_SET_MISMATCH',
      `the sequence family needs a feature set with a history block (fs-v1-seq16); ${featureSetVersion} has none`,
    );
  return { flatWidth: set.flatWidth, steps: set.sequenceSteps, stepWidth: SEQUENCE_STEP_WIDTH };
}
