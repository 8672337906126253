/*
 * The model manifest: everything a scorer, the drift monitor and an auditor need to know about one
 * model version, stored as manifest.json beside model.onnx in the registry. Shared contract of the
 * trainer (writes it), the scorer (threshold, feature order, reason baselines) and the drift monitor
 * (reference profile, validation metrics).
 */

/** Summary of one numeric feature (or of the score) over the model's training data. */
export interface FeatureProfile {
  readonly name: string;
  /**
   * Inner cut points of the reference's quantile bins (e.g. the 10 %, 20 %, ... 90 % quantiles,
   * de-duplicated). Bin i holds values in (edges[i-1], edges[i]]; the first and last bins are open.
   */
  readonly quantile_edges: readonly number[];
  /** Fraction of the reference rows in each bin: quantile_edges.length + 1 entries summing to 1. */
  readonly bin_fractions: readonly number[];
  readonly mean: number;
  readonly std: number;
  readonly min: number;
  readonly max: number;
  readonly median: number;
  /** A uniform sample of the reference values (at most a few thousand), sorted, for KS and Wasserstein. */
  readonly sample: readonly number[];
}

/**
 * The frauds of the training window, for the drift monitor's novelty test (is a fraud confirmed now
 * unlike every fraud the model learnt from?), in a robust space: log1p of each compared feature,
 * centred on the window's median and scaled by its inter-quartile range. The frauds themselves are
 * not published: only centroids of groups of at least `min_group_rows` of them (microaggregation),
 * and the order statistics of their held-out distances to those centroids (the test's null).
 */
export interface NoveltyReference {
  /** Indices (into feature_names) of the compared features. */
  readonly features: readonly number[];
  readonly centre: readonly number[];
  readonly scale: readonly number[];
  /** Centroids, in the robust space (one value per compared feature), of groups of `min_group_rows` to 2 × that − 1 frauds. */
  readonly centroids?: readonly (readonly number[])[];
  readonly min_group_rows?: number;
  /**
   * Evenly spaced order statistics (sorted, at most a few hundred) of each summarised fraud's distance
   * to the nearest centroid, its own group's taken without it.
   */
  readonly null_distances?: readonly number[];
  /** How many frauds the centroids summarise (the null's size). */
  readonly null_count?: number;
  /**
   * Manifests written before the centroids: the frauds' raw feature vectors (full, in feature_names
   * order). Still read, so that a model registered then keeps its novelty test; never written now.
   */
  readonly frauds?: readonly (readonly number[])[];
}

/**
 * The score's reference per value of a calendar feature (weekday / weekend): the model uses the
 * feature, so a weekend day's scores differ from a weekday's, and a daily window must be compared
 * with the mix of its own days, not the whole reference. Bins on the overall score profile's edges.
 */
export interface SeasonalScoreProfile {
  readonly feature: string;
  readonly strata: readonly {
    readonly value: number;
    readonly bin_fractions: readonly number[];
    /** Evenly spaced order statistics of the stratum's scores, sorted. */
    readonly sample: readonly number[];
  }[];
}

/** The reference the drift monitor compares live windows with. */
export interface ReferenceProfile {
  readonly row_count: number;
  readonly fraud_rate: number;
  readonly features: readonly FeatureProfile[];
  readonly score: FeatureProfile;
  /** Absent in manifests written before the novelty test existed (the test then stays off). */
  readonly novelty?: NoveltyReference;
  /** Absent in older manifests, or when a stratum had too few rows: the score is then compared whole. */
  readonly score_by_season?: SeasonalScoreProfile;
}

/** Ranking quality of a model on one labelled data set. */
export interface EvaluationMetrics {
  readonly rows: number;
  readonly positives: number;
  readonly average_precision: number;
  readonly roc_auc: number;
  readonly recall_at_threshold: number;
  readonly precision_at_threshold: number;
  /** Mean over days of the share of compromised cards among the k highest-scored cards of the day. */
  readonly card_precision_at_k: number;
  readonly k: number;
}

/**
 * A model's error rates at its threshold on one customer segment (one value of one attribute, e.g.
 * age_band 65+) of a labelled data set: what the fairness check of the gate compares.
 */
export interface SegmentMetrics {
  /** The attribute (`age_band`, `region`). */
  readonly attribute: string;
  readonly value: string;
  readonly rows: number;
  readonly frauds: number;
  /** Legitimate rows scored at or above the threshold, over the legitimate rows; null without any. */
  readonly false_positive_rate: number | null;
  /** Frauds scored at or above the threshold, over the frauds; null without any. */
  readonly recall: number | null;
}

/** Per-segment metrics of a model, and of the champion on the same rows for a gated challenger. */
export interface SegmentTable {
  /** Rows of the data set that carried segments (the others are in no segment). */
  readonly rows: number;
  readonly model: readonly SegmentMetrics[];
  /** The champion on the same rows at its own threshold; null for a base model. */
  readonly champion: readonly SegmentMetrics[] | null;
}

export interface TrainingLineage {
  /** Event-time window of the training data, UTC epoch ms [start, end). */
  readonly window_start: number;
  readonly window_end: number;
  readonly rows: number;
  readonly positives: number;
  /** Rows of older data replayed against forgetting. */
  readonly replay_rows: number;
  readonly validation_rows: number;
  readonly request_id: string | null;
  readonly drift_event_id: string | null;
  readonly seed: number;
  readonly epochs: number;
  readonly warm_start: boolean;
  readonly frozen_layers: number;
  /**
   * A model of several networks served as one (their logits averaged): their number, seeds `seed` on
   * (absent: one network). A base model trains them from scratch; a fine-tuning job of such a parent
   * fine-tunes each on its own. `epochs` is then the first network's; each stopped on its own.
   */
  readonly ensemble?: number;
  /**
   * A base model whose weights are the mean of those at the end of these epochs, first and last,
   * around its early-stopped best `epochs` (TRAINER_BASE_AVERAGE_WEIGHTS; absent: the best epoch's).
   */
  readonly averaged_epochs?: readonly [number, number];
  /**
   * With `averaged_epochs` (one network): the best epoch's own weights, float32 little-endian in the
   * network's variable order, base64. A fine-tuning job with TRAINER_WARM_START_WEIGHTS=best-epoch
   * continues from them rather than from the averaged weights served.
   */
  readonly best_epoch_weights?: string;
  /**
   * A fine-tuned model averaged weight by weight from this many copies of its parent, trained with
   * shuffle seeds `seed` on (absent: one copy). `epochs` is then the first copy's.
   */
  readonly soup?: number;
  /** `mixed` (absent in older manifests) or `aggregate` of a feedback and a delayed model. */
  readonly strategy?: 'mixed' | 'aggregate';
  /** For an aggregate: the two models' hidden widths (feedback first) and the feedback logit's weight. */
  readonly components?: {
    readonly feedback: readonly number[];
    readonly delayed: readonly number[];
    readonly feedbackWeight: number;
  };
}

/**
 * The trainer's Ed25519 signature over the manifest's canonical JSON (every field but this one,
 * `onnx.sha256` included): it proves who made both the manifest and the ONNX bytes.
 */
export interface ManifestSignature {
  readonly algorithm: 'ed25519';
  /** First 16 hex digits of the sha256 of the signing key's public key (SPKI DER). */
  readonly key_id: string;
  /** The signature, base64. */
  readonly value: string;
}

/**
 * A model card: what an auditor asks of a version, in one place, signed with the rest of the manifest.
 * Approvals are not in it: they happen after registration and manifests are immutable, so they are
 * read from the audit log beside it (`npm run models -- show`).
 */
export interface ModelCard {
  /** Event-time window of the training data, UTC epoch ms [start, end). */
  readonly training_window: { readonly start: number; readonly end: number };
  readonly data: {
    /** Rows the model trained on (replayed and soft-labelled rows included). */
    readonly rows: number;
    /** Frauds among them (settled labels). */
    readonly frauds: number;
    /** Rows with a settled label: a mature chargeback state, a confirmed fraud or an analyst's verdict. */
    readonly labelled_rows: number;
    /** Unlabelled recent rows trained on with a soft target (0 unless the trigger asks for them). */
    readonly soft_labelled_rows: number;
    /** Older rows replayed against forgetting (among `rows`). */
    readonly replay_rows: number;
    /** Rows held out for early stopping and the threshold. */
    readonly validation_rows: number;
  };
  /** The promotion gate: challenger against champion on the same held-out rows; null for a base model (nothing to compare). */
  readonly gate: {
    readonly passed: boolean;
    readonly reason: string;
    readonly challenger: EvaluationMetrics;
    readonly champion: EvaluationMetrics;
  } | null;
  /** The model's own held-out metrics. */
  readonly evaluation: EvaluationMetrics;
  /**
   * False-positive rate and recall per customer segment on the same held-out rows as `evaluation`
   * (the gate's rows for a challenger, with the champion beside it); absent in cards written before
   * segments existed.
   */
  readonly segments?: SegmentTable;
  readonly lineage: {
    readonly parent_version: string | null;
    readonly request_id: string | null;
    readonly drift_event_id: string | null;
    /** The retrain request's trigger, or `base` for a base model. */
    readonly trigger: string;
  };
  /** Privacy parameters of training, stated rather than left out when there are none. */
  readonly privacy: ModelPrivacy;
  /** The key that signed the manifest (set when it is signed, so the signature covers it); null before. */
  readonly signer: { readonly key_id: string } | null;
}

/**
 * A compressed variant of a float model, gated on the average precision it loses against its float
 * parent on the parent's hold-out rows: its weights quantised in the ONNX graph (`int8-weights`:
 * int8 stored, DequantizeLinear in front of the float MatMul), or a narrower network distilled from
 * it (`distilled-student`); same inputs, outputs and standardisation either way.
 */
export type ModelCompression = Int8WeightsCompression | DistilledStudentCompression;

/** What every compressed variant records of its gate. */
interface CompressionJudgement {
  /** The float model it was made from (also `parent_version`). */
  readonly parent_version: string;
  readonly parent_sha256: string;
  /** Sizes of the two ONNX files. */
  readonly bytes: number;
  readonly parent_bytes: number;
  /** Rows and frauds of the hold-out both were scored on. */
  readonly rows: number;
  readonly positives: number;
  readonly parent_average_precision: number;
  readonly average_precision: number;
  /** parent_average_precision − average_precision (negative: the variant ranked better). */
  readonly ap_loss: number;
  /** The tolerance of the gate (GATE_MAX_QUANTIZATION_AP_LOSS or GATE_MAX_DISTILLATION_AP_LOSS). */
  readonly max_ap_loss: number;
  /** Largest |variant score − parent score| over those rows. */
  readonly max_abs_score_difference: number;
  readonly passed: boolean;
  readonly reason: string;
}

/** The float model's weights quantised (scored by onnxruntime, as a scorer serves them). */
export interface Int8WeightsCompression extends CompressionJudgement {
  readonly kind: 'int8-weights';
  /** One scale per output column (`per-channel`) or per weight matrix. */
  readonly granularity: 'per-channel' | 'per-tensor';
  /** Signed levels used (8: -127..127); stored as INT8 either way. */
  readonly bits: number;
}

/** A student with fewer hidden units trained on the float model's scores and the labels. */
export interface DistilledStudentCompression extends CompressionJudgement {
  readonly kind: 'distilled-student';
  readonly hidden_units: readonly number[];
  readonly parent_hidden_units: readonly number[];
  /** The teacher's share of each training target (the label has the rest). */
  readonly teacher_weight: number;
  /** Rows the student trained on (the challenger's training and replay rows). */
  readonly train_rows: number;
}

/** The privacy mechanism of a model's training: none, or DP-SGD with what it spent. */
export type ModelPrivacy = { readonly mechanism: 'none'; readonly statement: string } | DifferentialPrivacy;

/**
 * DP-SGD (Abadi et al. 2016): per-row gradient clipping and Gaussian noise, accounted with the Rényi-DP
 * of the sampled Gaussian mechanism (Mironov, Talwar, Zhang 2019). The guarantee is about the rows the
 * job trained on (window and replay), each job on its own.
 */
export interface DifferentialPrivacy {
  readonly mechanism: 'dp-sgd';
  /** The ε the training spends at `delta` (the largest of its fits; they train on disjoint rows). */
  readonly epsilon: number;
  readonly delta: number;
  /** The operator's target (TRAINER_DP_EPSILON), or null when the noise multiplier was set directly. */
  readonly target_epsilon: number | null;
  /** L2 norm each row's gradient was clipped to. */
  readonly clip_norm: number;
  /** σ, the noise's standard deviation over the clip norm (the smallest of the fits). */
  readonly noise_multiplier: number;
  readonly accountant: 'rdp-sampled-gaussian';
  /** RDP to (ε, δ): `improved` (Balle et al. 2020) or `classic` (Mironov 2017). */
  readonly conversion: 'classic' | 'improved';
  /** One entry per trained network (two for an aggregate: the delayed and the feedback model). */
  readonly fits: readonly DifferentialPrivacyFit[];
  /**
   * This job composed with the DP-SGD jobs of its warm-start ancestry (absent in manifests of an
   * earlier version): what a row that every one of them trained on has spent.
   */
  readonly cumulative?: CumulativeDifferentialPrivacy;
  readonly statement: string;
}

/**
 * Successive fine-tuning jobs train on overlapping windows of the same cards, and each warm-starts
 * from the last: the released weights carry every ancestor's training. Their RDP adds up.
 */
export interface CumulativeDifferentialPrivacy {
  /** ε at the job's δ of this job and every ancestor below, composed (the sum of their RDP). */
  readonly epsilon: number;
  readonly delta: number;
  /** The DP-SGD ancestors, nearest first, with what recomputes their RDP (a variant's are its float parent's). */
  readonly ancestors: readonly {
    readonly version: string;
    readonly fits: readonly Pick<DifferentialPrivacyFit, 'sampling_rate' | 'noise_multiplier' | 'steps'>[];
  }[];
  /**
   * The nearest ancestor trained without DP, where the chain stops (null: none). The rows it
   * trained on have no guarantee from this model's weights.
   */
  readonly non_private_ancestor: string | null;
  /** TRAINER_DP_MAX_CUMULATIVE_EPSILON when the job ran, or null (no budget). */
  readonly budget: number | null;
}

export interface DifferentialPrivacyFit {
  /** Rows sampled from (the privacy population of this fit). */
  readonly rows: number;
  readonly sampling_rate: number;
  readonly expected_batch_size: number;
  /** Every step the fit could take (epochs × steps per epoch): all charged. */
  readonly steps: number;
  readonly noise_multiplier: number;
  readonly epsilon: number;
  readonly delta: number;
  /** The integer RDP order where the bound was tightest. */
  readonly order: number;
}

/** What every model card says of privacy when training applies no privacy mechanism. */
export const NO_PRIVACY_STATEMENT =
  'no privacy mechanism: trained on the raw logged feature vectors, without differential privacy, noise or clipping; no privacy guarantee (epsilon, delta) is claimed';

/** The model families the scorer serves: an MLP over the flat vector, or a GRU over the card's history block and the flat vector. */
export const MODEL_FAMILIES = ['mlp', 'sequence'] as const;
export type ModelFamily = (typeof MODEL_FAMILIES)[number];

/** The family of a manifest: its `family` field, `mlp` when absent (manifests written before families). */
export function modelFamilyOf(manifest: Pick<ModelManifest, 'family'>): ModelFamily {
  return manifest.family ?? 'mlp';
}

/**
 * Where a sequence-family model's inputs come from in the feature vector: the first `flat_width`
 * names feed its `features` input [N, flat_width], the rest, row-major, its `sequence` input
 * [N, steps, step_width].
 */
export interface SequenceInputLayout {
  readonly flat_width: number;
  readonly steps: number;
  readonly step_width: number;
  readonly sequence_input_name: string;
  /** Units of the GRU's state. */
  readonly gru_units: number;
}

export interface ModelManifest {
  readonly version: string;
  /** Absent: `mlp` (manifests written before the sequence family). */
  readonly family?: ModelFamily;
  /** The sequence family's input layout; set exactly when `family` is `sequence`. */
  readonly sequence?: SequenceInputLayout;
  readonly parent_version: string | null;
  /** Wall-clock creation time (ISO 8601), for auditors. */
  readonly created_at: string;
  /** Event time of the loop when the model was made (UTC epoch ms). */
  readonly created_event_time: number;
  readonly code_revision: string;
  readonly feature_set_version: string;
  /** Input order of the ONNX graph's feature vector. */
  readonly feature_names: readonly string[];
  readonly onnx: {
    readonly file: string;
    readonly sha256: string;
    readonly input_name: string;
    readonly output_name: string;
    readonly opset: number;
  };
  /** Standardisation constants (also baked into the ONNX graph as its first nodes). */
  readonly preprocessing: { readonly mean: readonly number[]; readonly std: readonly number[] };
  readonly architecture: { readonly hidden_units: readonly number[]; readonly activation: 'relu' };
  readonly threshold: number;
  readonly threshold_policy: { readonly kind: 'daily-capacity' | 'target-precision'; readonly value: number };
  readonly training: TrainingLineage;
  readonly metrics: {
    readonly validation: EvaluationMetrics;
    /** The champion's metrics on the same held-out data, for a fine-tuned challenger. */
    readonly champion?: EvaluationMetrics;
    /** Every number behind the promotion gate's decision (margins, deltas, both models' metrics). */
    readonly gate?: Readonly<Record<string, number>>;
  };
  readonly reference: ReferenceProfile;
  /** Set on a compressed variant of a float model (lineage, size, the AP it lost); absent otherwise. */
  readonly compression?: ModelCompression;
  /** The version's model card; absent in manifests written before cards existed. */
  readonly model_card?: ModelCard;
  /** Absent only in manifests not yet signed (before registration); verifiers refuse those. */
  readonly signature?: ManifestSignature;
}
