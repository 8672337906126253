import { boolVar, intVar, numberVar } from '@fraudstream/config';
import { DAY_MS, retrainTriggerSchema, type RetrainTrigger } from '@fraudstream/contracts';
import { MODEL_FAMILIES, type ModelFamily } from '@fraudstream/registry';
import { z } from 'zod';
import type { DistillationSettings } from './distillation';
import type { DpSgdSettings } from './dp-sgd.gradients';
import type { TrainingStrategy } from './fine-tune.steps';
import type { ClassWeighting, TrainOptions } from './mlp.trainer';
import type { GateConfig } from './model-gate';
import type { QuantizationSettings } from './quantized-variant';
import type { ShadowBounds } from './shadow-check';
import { SOFT_LABEL_ALERTS, type SoftLabelAlerts } from './soft-labels';

/** Which of a parent's weights a fine-tuning job starts from (TrainingSettings.warmStartWeights). */
export const WARM_START_WEIGHTS = ['served', 'best-epoch'] as const;
export type WarmStartWeights = (typeof WARM_START_WEIGHTS)[number];

/** Everything a training job, the gate and the shadow check are tuned by. */
export interface TrainingSettings {
  readonly seed: number;
  /**
   * The family a base model is trained in (a fine-tuning keeps its parent's): `sequence` needs a
   * feature set with a history block (fs-v1-seq16).
   */
  readonly modelFamily: ModelFamily;
  /** Units of the sequence family's GRU state. */
  readonly gruUnits: number;
  readonly hiddenUnits: readonly number[];
  readonly baseEpochs: number;
  /** Newest mature days the base model holds out (a single day has too few frauds to stop on). */
  readonly baseHoldoutDays: number;
  /**
   * MLPs a base model from scratch is made of (seeds `seed`, `seed + 1`, ...), served as one MLP
   * whose logit is the mean of theirs (1: a single network).
   */
  readonly baseEnsemble: number;
  /**
   * A base model keeps the mean of its weights over the epochs within `patience` of its early-stopped
   * best (TrainOptions.averageAroundBest), not the best epoch's alone.
   */
  readonly baseAverageWeights: boolean;
  /**
   * Copies of the parent a fine-tuning job trains (shuffle seeds `seed`, `seed + 1`, ...) and
   * averages weight by weight into one challenger of the parent's shape (1: a single copy). An MLP
   * without DP-SGD only; otherwise one copy trains.
   */
  readonly fineTuneSoup: number;
  /**
   * A fine-tuned challenger keeps the mean of its weights over the epochs within `patience` of its
   * best (the last `patience + 1` epochs of a full-epochs run; TrainOptions.averageAroundBest).
   */
  readonly fineTuneAverageWeights: boolean;
  /**
   * A fine-tuning job warm-starts from the parent's served weights (`served`), or from the best
   * epoch's weights its manifest keeps where the served ones are averaged (`best-epoch`; a parent
   * without them: its served weights). The gate judges the challenger against the served parent.
   */
  readonly warmStartWeights: WarmStartWeights;
  readonly fineTuneEpochs: number;
  readonly batchSize: number;
  readonly baseLearningRate: number;
  readonly fineTuneLearningRate: number;
  readonly patience: number;
  readonly frozenLayers: number;
  readonly l2: number;
  readonly classWeighting: ClassWeighting;
  /** Replayed older rows per training row of the window. */
  readonly replayRatio: number;
  /** How far before the window the replay pool reaches. */
  readonly replayLookbackMs: number;
  readonly chargebackWindowMs: number;
  readonly minTrainRows: number;
  readonly minTrainPositives: number;
  readonly minHoldoutRows: number;
  readonly minHoldoutPositives: number;
  /** k of card precision@k (the analysts' daily capacity in cards). */
  readonly cardPrecisionK: number;
  readonly gate: GateConfig;
  readonly shadow: ShadowBounds;
  /** Roll production back to the previous model when a scorer refuses to load it. */
  readonly rollbackOnLoadRefused: boolean;
  /** One model on mixed delayed and feedback labels, or the aggregate of a delayed and a feedback model. */
  readonly strategy: TrainingStrategy;
  /** The feedback model's weight in an aggregate (Dal Pozzolo et al. use 0.5). */
  readonly aggregateFeedbackWeight: number;
  /**
   * Requests with these triggers also train on the window's unlabelled recent transactions, each
   * with the probability that a fraud label is still coming as its target (soft-labels.ts).
   */
  readonly softLabelTriggers: readonly RetrainTrigger[];
  /**
   * What a soft-labelled row the serving model alerted on (an alert no analyst has reviewed yet)
   * aims at: the window's fraud rate as any row, nothing (left out), or the share of frauds among
   * the analysts' verdicts on the window's recent alerts (soft-labels.ts).
   */
  readonly softLabelAlerts: SoftLabelAlerts;
  /**
   * Requests with these triggers train every epoch, without early stopping: their hold-out day, the
   * newest mature one, is older than the change their evidence reports, so its validation loss
   * measures only what the challenger forgets, which the gate's hold-out tolerance already bounds.
   */
  readonly fullEpochTriggers: readonly RetrainTrigger[];
  /**
   * A challenger's novelty reference (the drift monitor's test of which missed frauds are new) takes
   * the new regime's early-confirmed frauds only where the challenger scores them at or above its
   * threshold: a pattern it has not learnt stays new to the monitor, whose investigations go on.
   */
  readonly noveltyLearntOnly: boolean;
  /**
   * Under a `daily-capacity` threshold policy, a challenger's threshold is cut on the newest day of
   * traffic before the request (every scored transaction of that day, labelled or not: a count needs
   * no label) instead of the hold-out day, a chargeback window old, when the count no longer holds
   * there: the champion's alerts on that day at least this many times its count a day, or at most
   * its inverse (a shift in the legitimate traffic flooding the analysts' queue). 0: never; 1: always.
   */
  readonly thresholdRecutRatio: number;
  /**
   * An int8 weight-quantised variant of every challenger that passes its gate, registered as a
   * candidate with its float parent's lineage and gated on the AP it loses (quantized-variant.ts).
   */
  readonly quantization: QuantizationSettings;
  /**
   * A distilled student (fewer hidden units) of every challenger that passes its gate, registered as
   * a candidate with its teacher's lineage and gated on the AP it loses (distillation.ts); off by default.
   */
  readonly distillation: DistillationSettings;
  /**
   * DP-SGD for fine-tuning jobs (per-row clipping, Gaussian noise, Rényi-DP accounting), or null
   * (off, the default): set by a target ε or an explicit noise multiplier.
   */
  readonly privacy: DpSgdSettings | null;
}

/** Env fragment of the training settings (trainer app, CLIs, benchmark). */
export const trainingConfigFragment = z.object({
  TRAINER_SEED: intVar(42),
  TRAINER_MODEL_FAMILY: z.enum(MODEL_FAMILIES).default('mlp'),
  TRAINER_GRU_UNITS: intVar(16, 1, 256),
  TRAINER_HIDDEN_UNITS: z
    .string()
    .regex(/^\d+(,\d+)*$/, 'comma-separated positive integers')
    .default('32,16'),
  TRAINER_BASE_EPOCHS: intVar(30, 1, 1000),
  TRAINER_BASE_HOLDOUT_DAYS: intVar(3, 1, 60),
  TRAINER_BASE_ENSEMBLE: intVar(1, 1, 16),
  TRAINER_BASE_AVERAGE_WEIGHTS: boolVar(true),
  TRAINER_FINE_TUNE_SOUP: intVar(1, 1, 8),
  TRAINER_FINE_TUNE_AVERAGE_WEIGHTS: boolVar(false),
  TRAINER_WARM_START_WEIGHTS: z.enum(WARM_START_WEIGHTS).default('served'),
  TRAINER_FINE_TUNE_EPOCHS: intVar(15, 1, 1000),
  TRAINER_BATCH_SIZE: intVar(256, 1, 65536),
  TRAINER_BASE_LEARNING_RATE: numberVar(0.003, 1e-6, 1),
  TRAINER_FINE_TUNE_LEARNING_RATE: numberVar(0.001, 1e-6, 1),
  TRAINER_PATIENCE: intVar(5, 1, 100),
  TRAINER_FROZEN_LAYERS: intVar(0, 0, 16),
  TRAINER_L2: numberVar(0, 0, 1),
  TRAINER_CLASS_WEIGHTING: z.enum(['balanced', 'none']).default('balanced'),
  TRAINER_REPLAY_RATIO: numberVar(0.5, 0, 10),
  TRAINER_REPLAY_LOOKBACK_MS: intVar(28 * DAY_MS, 0),
  TRAINER_CHARGEBACK_WINDOW_MS: intVar(7 * DAY_MS, 0),
  TRAINER_MIN_TRAIN_ROWS: intVar(1000, 1),
  TRAINER_MIN_TRAIN_POSITIVES: intVar(20, 1),
  TRAINER_MIN_HOLDOUT_ROWS: intVar(500, 1),
  TRAINER_MIN_HOLDOUT_POSITIVES: intVar(10, 1),
  TRAINER_CARD_PRECISION_K: intVar(100, 1),
  GATE_MIN_AP_GAIN: numberVar(0.01, -1, 1),
  GATE_MAX_AP_DROP: numberVar(0.02, 0, 1),
  GATE_MAX_RELATIVE_AP_DROP_ON_SHIFT: numberVar(0.2, 0, 1),
  GATE_MAX_ROC_AUC_DROP: numberVar(0.01, 0, 1),
  GATE_MAX_CARD_PRECISION_DROP: numberVar(0.05, 0, 1),
  GATE_MIN_POSITIVES: intVar(5, 0),
  GATE_NOISE_Z: numberVar(1.645, 0, 10),
  GATE_BOOTSTRAP_RESAMPLES: intVar(200, 0, 100_000),
  GATE_EVIDENCE_TRIGGERS: z
    .string()
    .default('NEW_PATTERN,MISSED_FRAUDS')
    .transform((s) => s.split(',').filter((t) => t !== ''))
    .pipe(z.array(retrainTriggerSchema)),
  GATE_EVIDENCE_MIN_AP_GAIN: numberVar(0, -1, 1),
  GATE_EVIDENCE_NOISE: boolVar(true),
  GATE_MAX_FAIRNESS_GAP_WIDENING: numberVar(0.2, 0, 10),
  GATE_FAIRNESS_MIN_EXPECTED_COUNT: numberVar(5, 1, 1_000_000),
  GATE_FAIRNESS_MIN_SEGMENT_CARDS: intVar(10, 2),
  SHADOW_PERIOD_MS: intVar(DAY_MS, 0),
  SHADOW_MIN_ROWS: intVar(1000, 1),
  SHADOW_MAX_SCORE_PSI: numberVar(0.25, 0),
  SHADOW_MAX_ALERT_RATE: numberVar(0.05, 0, 1),
  SHADOW_MAX_ALERT_RATE_RATIO: numberVar(3, 1),
  ROLLBACK_ON_LOAD_REFUSED: boolVar(true),
  TRAINER_STRATEGY: z.enum(['mixed', 'aggregate']).default('mixed'),
  TRAINER_AGGREGATE_FEEDBACK_WEIGHT: numberVar(0.5, 0.01, 0.99),
  TRAINER_SOFT_LABEL_TRIGGERS: z
    .string()
    .default('ALERT_PRECISION')
    .transform((s) => s.split(',').filter((t) => t !== ''))
    .pipe(z.array(retrainTriggerSchema)),
  TRAINER_SOFT_LABEL_ALERTS: z.enum(SOFT_LABEL_ALERTS).default('window-rate'),
  TRAINER_FULL_EPOCH_TRIGGERS: z
    .string()
    .default('NEW_PATTERN,MISSED_FRAUDS')
    .transform((s) => s.split(',').filter((t) => t !== ''))
    .pipe(z.array(retrainTriggerSchema)),
  TRAINER_NOVELTY_LEARNT_ONLY: boolVar(true),
  TRAINER_THRESHOLD_RECUT_RATIO: numberVar(0, 0),
  TRAINER_QUANTIZE: z.enum(['none', 'int8']).default('none'),
  GATE_MAX_QUANTIZATION_AP_LOSS: numberVar(0.005, 0, 1),
  /** Hidden units of a distilled student of each passing challenger (e.g. `8`); unset: none. */
  TRAINER_DISTILL_HIDDEN_UNITS: z
    .string()
    .regex(/^\d+(,\d+)*$/, 'comma-separated positive integers')
    .optional(),
  TRAINER_DISTILL_TEACHER_WEIGHT: numberVar(0.5, 0, 1),
  GATE_MAX_DISTILLATION_AP_LOSS: numberVar(0.005, 0, 1),
  /** Target ε of a fine-tuning job's DP-SGD; unset (with no noise multiplier) leaves DP off. */
  TRAINER_DP_EPSILON: z.coerce.number().positive().max(100).optional(),
  /** σ of DP-SGD set directly instead of a target ε (the manifest records the ε it spends). */
  TRAINER_DP_NOISE_MULTIPLIER: z.coerce.number().positive().max(1000).optional(),
  /** δ of the guarantee; a job uses min(δ, 1 / its training rows). */
  TRAINER_DP_DELTA: numberVar(1e-5, 1e-12, 0.1),
  /** L2 norm each row's gradient is clipped to. */
  TRAINER_DP_CLIP_NORM: numberVar(1, 1e-6, 1e6),
  /**
   * ε a row may spend over a model's whole DP-SGD ancestry (its RDP composed across the jobs); a
   * challenger beyond it is refused by the gate. Unset: recorded, not enforced.
   */
  TRAINER_DP_MAX_CUMULATIVE_EPSILON: z.coerce.number().positive().max(10_000).optional(),
});

export type TrainingConfig = z.infer<typeof trainingConfigFragment>;

/** DP-SGD is set by a target ε or by a noise multiplier, never both (for an app schema's superRefine). */
export function checkDpSettings(config: TrainingConfig, ctx: z.RefinementCtx): void {
  if (config.TRAINER_DP_EPSILON !== undefined && config.TRAINER_DP_NOISE_MULTIPLIER !== undefined)
    ctx.addIssue({
      code: 'custom',
      path: ['TRAINER_DP_NOISE_MULTIPLIER'],
      message: 'set TRAINER_DP_EPSILON or TRAINER_DP_NOISE_MULTIPLIER, not both',
    });
}

export function trainingSettingsFrom(c: TrainingConfig): TrainingSettings {
  return {
    seed: c.TRAINER_SEED,
    modelFamily: c.TRAINER_MODEL_FAMILY,
    gruUnits: c.TRAINER_GRU_UNITS,
    hiddenUnits: c.TRAINER_HIDDEN_UNITS.split(',').map(Number),
    baseEpochs: c.TRAINER_BASE_EPOCHS,
    baseHoldoutDays: c.TRAINER_BASE_HOLDOUT_DAYS,
    baseEnsemble: c.TRAINER_BASE_ENSEMBLE,
    baseAverageWeights: c.TRAINER_BASE_AVERAGE_WEIGHTS,
    fineTuneSoup: c.TRAINER_FINE_TUNE_SOUP,
    fineTuneAverageWeights: c.TRAINER_FINE_TUNE_AVERAGE_WEIGHTS,
    warmStartWeights: c.TRAINER_WARM_START_WEIGHTS,
    fineTuneEpochs: c.TRAINER_FINE_TUNE_EPOCHS,
    batchSize: c.TRAINER_BATCH_SIZE,
    baseLearningRate: c.TRAINER_BASE_LEARNING_RATE,
    fineTuneLearningRate: c.TRAINER_FINE_TUNE_LEARNING_RATE,
    patience: c.TRAINER_PATIENCE,
    frozenLayers: c.TRAINER_FROZEN_LAYERS,
    l2: c.TRAINER_L2,
    classWeighting: c.TRAINER_CLASS_WEIGHTING,
    replayRatio: c.TRAINER_REPLAY_RATIO,
    replayLookbackMs: c.TRAINER_REPLAY_LOOKBACK_MS,
    chargebackWindowMs: c.TRAINER_CHARGEBACK_WINDOW_MS,
    minTrainRows: c.TRAINER_MIN_TRAIN_ROWS,
    minTrainPositives: c.TRAINER_MIN_TRAIN_POSITIVES,
    minHoldoutRows: c.TRAINER_MIN_HOLDOUT_ROWS,
    minHoldoutPositives: c.TRAINER_MIN_HOLDOUT_POSITIVES,
    cardPrecisionK: c.TRAINER_CARD_PRECISION_K,
    gate: {
      minAveragePrecisionGain: c.GATE_MIN_AP_GAIN,
      maxAveragePrecisionDrop: c.GATE_MAX_AP_DROP,
      maxRelativeApDropOnShift: c.GATE_MAX_RELATIVE_AP_DROP_ON_SHIFT,
      maxRocAucDrop: c.GATE_MAX_ROC_AUC_DROP,
      maxCardPrecisionDrop: c.GATE_MAX_CARD_PRECISION_DROP,
      minPositives: c.GATE_MIN_POSITIVES,
      noise: { z: c.GATE_NOISE_Z, resamples: c.GATE_BOOTSTRAP_RESAMPLES },
      evidenceTriggers: c.GATE_EVIDENCE_TRIGGERS,
      evidenceMinAveragePrecisionGain: c.GATE_EVIDENCE_MIN_AP_GAIN,
      evidenceNoise: c.GATE_EVIDENCE_NOISE,
      fairness: {
        maxGapWidening: c.GATE_MAX_FAIRNESS_GAP_WIDENING,
        minExpectedCount: c.GATE_FAIRNESS_MIN_EXPECTED_COUNT,
        minCards: c.GATE_FAIRNESS_MIN_SEGMENT_CARDS,
      },
    },
    shadow: {
      periodMs: c.SHADOW_PERIOD_MS,
      minRows: c.SHADOW_MIN_ROWS,
      maxScorePsi: c.SHADOW_MAX_SCORE_PSI,
      maxAlertRate: c.SHADOW_MAX_ALERT_RATE,
      maxAlertRateRatio: c.SHADOW_MAX_ALERT_RATE_RATIO,
    },
    rollbackOnLoadRefused: c.ROLLBACK_ON_LOAD_REFUSED,
    strategy: c.TRAINER_STRATEGY,
    aggregateFeedbackWeight: c.TRAINER_AGGREGATE_FEEDBACK_WEIGHT,
    softLabelTriggers: c.TRAINER_SOFT_LABEL_TRIGGERS,
    softLabelAlerts: c.TRAINER_SOFT_LABEL_ALERTS,
    fullEpochTriggers: c.TRAINER_FULL_EPOCH_TRIGGERS,
    noveltyLearntOnly: c.TRAINER_NOVELTY_LEARNT_ONLY,
    thresholdRecutRatio: c.TRAINER_THRESHOLD_RECUT_RATIO,
    quantization: {
      kind: c.TRAINER_QUANTIZE,
      maxApLoss: c.GATE_MAX_QUANTIZATION_AP_LOSS,
      granularity: 'per-channel',
      bits: 8,
    },
    distillation: {
      hiddenUnits: c.TRAINER_DISTILL_HIDDEN_UNITS?.split(',').map(Number) ?? null,
      teacherWeight: c.TRAINER_DISTILL_TEACHER_WEIGHT,
      maxApLoss: c.GATE_MAX_DISTILLATION_AP_LOSS,
    },
    privacy: privacySettingsFrom(c),
  };
}

function privacySettingsFrom(c: TrainingConfig): DpSgdSettings | null {
  const targetEpsilon = c.TRAINER_DP_EPSILON ?? null;
  const noiseMultiplier = c.TRAINER_DP_NOISE_MULTIPLIER ?? null;
  if (targetEpsilon === null && noiseMultiplier === null) return null;
  if (targetEpsilon !== null && noiseMultiplier !== null)
    throw new RangeError('set TRAINER_DP_EPSILON or TRAINER_DP_NOISE_MULTIPLIER, not both');
  return {
    targetEpsilon,
    noiseMultiplier,
    delta: c.TRAINER_DP_DELTA,
    clipNorm: c.TRAINER_DP_CLIP_NORM,
    maxCumulativeEpsilon: c.TRAINER_DP_MAX_CUMULATIVE_EPSILON ?? null,
  };
}

/** The defaults, as settings (tests override what they need). */
export function defaultTrainingSettings(): TrainingSettings {
  return trainingSettingsFrom(trainingConfigFragment.parse({}));
}

/** Training options of a network trained from scratch (a base model, a distilled student, a bench's reference model). */
export function baseTrainOptions(settings: TrainingSettings): TrainOptions {
  return {
    epochs: settings.baseEpochs,
    batchSize: settings.batchSize,
    learningRate: settings.baseLearningRate,
    seed: settings.seed,
    classWeighting: settings.classWeighting,
    patience: settings.patience,
    l2: settings.l2,
  };
}
