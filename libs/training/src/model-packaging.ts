import {
  NO_PRIVACY_STATEMENT,
  sha256Hex,
  type EvaluationMetrics,
  type ModelCard,
  type ModelManifest,
  type CumulativeDifferentialPrivacy,
  type ModelPrivacy,
  type ReferenceProfile,
  type SegmentTable,
  type TrainingLineage,
} from '@fraudstream/registry';
import type { DpSgdPlan } from './dp-sgd.gradients';
import { composedPrivacySpent, type SampledGaussianFit } from './rdp.accountant';
import { exportNetwork, type ScoringNetwork } from './scoring-network';
import type { QuantizedVariant } from './quantized-variant';
import type { ThresholdPolicy } from './threshold';

export interface PackagedModel {
  readonly onnx: Uint8Array;
  readonly manifest: ModelManifest;
}

/** Exports a trained network to ONNX and writes the manifest that describes those exact bytes. */
export function packageModel(fields: {
  readonly network: ScoringNetwork;
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
  /** What the card needs beyond the lineage and the metrics. */
  readonly card: CardFacts;
  readonly now: Date;
}): PackagedModel {
  const exported = exportNetwork(fields.network);
  const { onnx } = exported;
  const manifest: ModelManifest = {
    version: fields.version,
    ...exported.fields,
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
      opset: exported.opset,
    },
    // Per column of the vector, for either family (the sequence family's step constants repeated per step).
    preprocessing:
      fields.network.family === 'sequence'
        ? fields.network.columnStandardisation()
        : { mean: Array.from(fields.network.mean), std: Array.from(fields.network.std) },
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
    model_card: modelCardOf(fields),
  };
  return { onnx, manifest };
}

/** What the model card needs that the lineage does not say. */
export interface CardFacts {
  /** The retrain request's trigger, or `base`. */
  readonly trigger: string;
  /** Unlabelled rows trained on with soft targets (among the lineage's rows). */
  readonly softLabelledRows: number;
  /** The gate's verdict on a challenger; null for a base model. */
  readonly gate: { readonly passed: boolean; readonly reason: string } | null;
  /** Per-segment metrics on the rows of `validation` (and the champion's, for a challenger). */
  readonly segments?: SegmentTable;
  /** The training's privacy mechanism; absent: none. */
  readonly privacy?: ModelPrivacy;
}

/** The card of a model, from its lineage and metrics; the signer is set when the manifest is signed. */
export function modelCardOf(fields: {
  readonly parentVersion: string | null;
  readonly training: TrainingLineage;
  readonly validation: EvaluationMetrics;
  readonly champion?: EvaluationMetrics;
  readonly card: CardFacts;
}): ModelCard {
  const { training, card } = fields;
  if (card.gate && !fields.champion) throw new Error('a gated challenger needs the champion metrics');
  return {
    training_window: { start: training.window_start, end: training.window_end },
    data: {
      rows: training.rows,
      frauds: training.positives,
      labelled_rows: training.rows - card.softLabelledRows,
      soft_labelled_rows: card.softLabelledRows,
      replay_rows: training.replay_rows,
      validation_rows: training.validation_rows,
    },
    gate:
      card.gate && fields.champion
        ? { ...card.gate, challenger: fields.validation, champion: fields.champion }
        : null,
    evaluation: fields.validation,
    // Rows without segments (a bank's file that sends none) make no table.
    ...(card.segments && card.segments.rows > 0 ? { segments: card.segments } : {}),
    lineage: {
      parent_version: fields.parentVersion,
      request_id: training.request_id,
      drift_event_id: training.drift_event_id,
      trigger: card.trigger,
    },
    privacy: card.privacy ?? { mechanism: 'none', statement: NO_PRIVACY_STATEMENT },
    signer: null,
  };
}

/**
 * The card's privacy section of a DP-SGD training: the largest ε of its fits (they train on disjoint
 * rows, so a row is in one of them), the smallest noise, each fit's accounting and, with `parent`
 * (the warm start), this job composed with the parent's DP-SGD ancestry.
 */
export function dpSgdPrivacy(
  plans: readonly DpSgdPlan[],
  targetEpsilon: number | null,
  lineage?: { readonly parent: ModelManifest; readonly budget: number | null },
): ModelPrivacy {
  const first = plans[0];
  if (!first) return { mechanism: 'none', statement: NO_PRIVACY_STATEMENT };
  const epsilon = Math.max(...plans.map((p) => p.epsilon));
  const delta = Math.max(...plans.map((p) => p.delta));
  const cumulative = lineage
    ? cumulativePrivacy(plans, delta, first.conversion, lineage.parent, lineage.budget)
    : undefined;
  return {
    mechanism: 'dp-sgd',
    epsilon,
    delta,
    target_epsilon: targetEpsilon,
    clip_norm: first.clipNorm,
    noise_multiplier: Math.min(...plans.map((p) => p.noiseMultiplier)),
    accountant: 'rdp-sampled-gaussian',
    conversion: first.conversion,
    fits: plans.map((p) => ({
      rows: p.rows,
      sampling_rate: p.samplingRate,
      expected_batch_size: p.expectedBatchSize,
      steps: p.steps,
      noise_multiplier: p.noiseMultiplier,
      epsilon: p.epsilon,
      delta: p.delta,
      order: p.order,
    })),
    ...(cumulative ? { cumulative } : {}),
    statement:
      `DP-SGD: every training row's gradient clipped to L2 norm ${first.clipNorm}, Gaussian noise of ` +
      `standard deviation noise multiplier x clip norm added to each step's sum over a Poisson sample; ` +
      `(epsilon ${epsilon.toFixed(4)}, delta ${delta.toExponential(2)}) by the Renyi DP of the sampled Gaussian ` +
      `mechanism over every step the job could take, for each row this job trained on (window and replay ` +
      `rows; soft-labelled rows left out). Not covered: the hold-out day's rows (threshold, early stopping, ` +
      `gate, drift reference), the published row counts and the parent's own training` +
      (cumulative
        ? `; a row that this job and its ${cumulative.ancestors.length} DP-SGD ancestor(s) all trained on ` +
          `has spent epsilon ${cumulative.epsilon.toFixed(4)} at the same delta (their RDP added up)` +
          (cumulative.non_private_ancestor
            ? `, and the rows of ${cumulative.non_private_ancestor}, trained without DP, have no guarantee`
            : '')
        : `, and a row trained on by several jobs, whose epsilons add up`),
  };
}

/** The accountant's view of fits as a card records them. */
function fitsOf(fits: CumulativeDifferentialPrivacy['ancestors'][number]['fits']): SampledGaussianFit[] {
  return fits.map((f) => ({
    samplingRate: f.sampling_rate,
    noiseMultiplier: f.noise_multiplier,
    steps: f.steps,
  }));
}

/**
 * This job and the parent's DP-SGD ancestry: the parent's own fits, then the ancestors its card
 * recorded. A parent trained without DP ends the chain (its rows have no guarantee to compose).
 */
function cumulativePrivacy(
  plans: readonly DpSgdPlan[],
  delta: number,
  conversion: DpSgdPlan['conversion'],
  parent: ModelManifest,
  budget: number | null,
): CumulativeDifferentialPrivacy {
  const own = parent.model_card?.privacy;
  const ancestors: CumulativeDifferentialPrivacy['ancestors'] =
    own?.mechanism === 'dp-sgd'
      ? [
          {
            version: parent.version,
            fits: own.fits.map((f) => ({
              sampling_rate: f.sampling_rate,
              noise_multiplier: f.noise_multiplier,
              steps: f.steps,
            })),
          },
          ...(own.cumulative?.ancestors ?? []),
        ]
      : [];
  const nonPrivate =
    own?.mechanism === 'dp-sgd' ? (own.cumulative?.non_private_ancestor ?? null) : parent.version;
  // A plan carries its sampling rate, noise and steps: it is this job's fit as the accountant reads it.
  const spent = composedPrivacySpent([plans, ...ancestors.map((a) => fitsOf(a.fits))], delta, conversion);
  return { epsilon: spent.epsilon, delta, ancestors, non_private_ancestor: nonPrivate, budget };
}

/**
 * Why a challenger may not be released under the privacy budget, or null: the composed ε of its
 * DP-SGD ancestry beyond `TRAINER_DP_MAX_CUMULATIVE_EPSILON`.
 */
export function privacyBudgetRefusal(privacy: ModelPrivacy): string | null {
  if (privacy.mechanism !== 'dp-sgd' || !privacy.cumulative) return null;
  const { epsilon, budget, ancestors } = privacy.cumulative;
  if (budget === null || epsilon <= budget) return null;
  return (
    `privacy budget: this job and its ${ancestors.length} DP-SGD ancestor(s) spend epsilon ` +
    `${epsilon.toFixed(4)} together, beyond the budget ${budget} (TRAINER_DP_MAX_CUMULATIVE_EPSILON)`
  );
}

/**
 * The manifest of a compressed variant (quantised, or a distilled student): its float parent's (features, preprocessing, threshold,
 * training lineage, card) with its own version, bytes, metrics on the parent's hold-out rows,
 * reference profile and `compression`; `parent_version` and the card's lineage name the float model,
 * and the card's gate is the variant's (the variant against its float parent on the same rows).
 */
export function packageQuantizedVariant(fields: {
  readonly parent: ModelManifest;
  readonly variant: QuantizedVariant;
  readonly version: string;
  readonly reference: ReferenceProfile;
  readonly now: Date;
  /** A distilled student's own hidden layers (a quantised variant keeps its parent's). */
  readonly architecture?: ModelManifest['architecture'];
}): PackagedModel {
  const { parent, variant } = fields;
  // The parent's signature covers the parent only; the registry signs the variant's manifest.
  const { signature: _signature, model_card: parentCard, ...inherited } = parent;
  const manifest: ModelManifest = {
    ...inherited,
    version: fields.version,
    parent_version: parent.version,
    created_at: fields.now.toISOString(),
    onnx: { ...parent.onnx, sha256: sha256Hex(variant.bytes) },
    ...(fields.architecture ? { architecture: fields.architecture } : {}),
    metrics: { validation: variant.metrics, champion: variant.parentMetrics, gate: variant.gateMetrics },
    reference: fields.reference,
    compression: variant.compression,
    ...(parentCard
      ? {
          model_card: {
            // The float model's per-segment rates are not the variant's (its scores differ).
            ...withoutSegments(parentCard),
            gate: {
              passed: variant.compression.passed,
              reason: variant.compression.reason,
              challenger: variant.metrics,
              champion: variant.parentMetrics,
            },
            evaluation: variant.metrics,
            lineage: { ...parentCard.lineage, parent_version: parent.version },
            signer: null,
          },
        }
      : {}),
  };
  return { onnx: variant.bytes, manifest };
}

function withoutSegments(card: ModelCard): ModelCard {
  const { segments: _float, ...rest } = card;
  return rest;
}
