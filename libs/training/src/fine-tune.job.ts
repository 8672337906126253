import { Logger } from '@nestjs/common';
import type { ModelStage, RetrainRequest } from '@fraudstream/contracts';
import { OnnxWorkerPool, type InferenceRuntime } from '@fraudstream/model';
import {
  ArtifactNotFoundError,
  ChecksumMismatchError,
  ManifestError,
  SignatureError,
  VersionExistsError,
  type EvaluationMetrics,
  type ModelManifest,
  type ModelRegistry,
  type ReferenceProfile,
  type VerifiedArtifact,
} from '@fraudstream/registry';
import type { StageAnnouncer } from './deployment-announcer.service';
import {
  challengerReference,
  checkTrainingRows,
  judgeChallenger,
  selectTrainingRows,
  trainChallenger,
  type SelectedRows,
} from './fine-tune.steps';
import { registerDistilledVariant } from './distillation';
import type { DpRandom } from './dp-sgd.gradients';
import { MlpNetwork } from './mlp.network';
import { decodeWeights } from './network-weights';
import { networkOfOnnx, type ScoringNetwork } from './scoring-network';
import { dpSgdPrivacy, privacyBudgetRefusal, packageModel, type CardFacts } from './model-packaging';
import { registerQuantizedVariant, type VariantOutcome } from './quantized-variant';
import type { TrainingDataSource } from './training-io.types';
import { TrainingJobError, type TrainingFailureReason } from './training.errors';
import { baseTrainOptions, type TrainingSettings, type WarmStartWeights } from './training.settings';
import { countPositives } from './training-rows';
import { initTfjsWasm } from './tfjs-wasm.backend';

/** The registration reason's note of a DP-SGD training (empty without one). */
function privacyNote(privacy: CardFacts['privacy']): string {
  if (privacy?.mechanism !== 'dp-sgd') return '';
  return `; DP-SGD epsilon ${privacy.epsilon.toFixed(4)} at delta ${privacy.delta.toExponential(2)}, clip norm ${privacy.clip_norm}, noise multiplier ${privacy.noise_multiplier.toFixed(4)}`;
}

export type FineTuneStatus = 'SHADOW' | 'REJECTED' | 'FAILED' | 'DUPLICATE';

/** A registered challenger, with the bytes and manifest it was registered with. */
interface RegisteredChallenger {
  readonly version: string;
  readonly uri: string;
  readonly sha256: string;
  readonly onnx: Uint8Array;
  readonly manifest: ModelManifest;
}

export interface FineTuneOutcome {
  readonly status: FineTuneStatus;
  readonly requestId: string;
  /** The challenger's version (null when the job failed before registering one). */
  readonly version: string | null;
  readonly parentVersion: string;
  readonly reason: string;
  readonly failure: TrainingFailureReason | null;
  /** For a DUPLICATE: what the earlier run of the request ended with. */
  readonly duplicateOf?: Exclude<FineTuneStatus, 'DUPLICATE'>;
  readonly metrics: Readonly<Record<string, number>>;
  readonly timings: { readonly readMs: number; readonly trainMs: number; readonly totalMs: number };
  readonly trainRows: number;
  /** The int8 variant of a challenger that passed (TRAINER_QUANTIZE=int8); absent otherwise. */
  readonly variant?: VariantOutcome;
  /** The distilled student of a challenger that passed (TRAINER_DISTILL_HIDDEN_UNITS); absent otherwise. */
  readonly student?: VariantOutcome;
}

export interface FineTuneJobDeps {
  readonly registry: ModelRegistry;
  readonly source: TrainingDataSource;
  /** Writes the stage change or job failure to the registry and announces it (DeploymentAnnouncer). */
  readonly announcer: StageAnnouncer;
  readonly settings: TrainingSettings;
  /** Recorded as the actor of audit entries, e.g. `trainer:<instance>`. */
  readonly actor: string;
  readonly codeRevision: string;
  readonly featureSetVersion: string;
  readonly featureNames: readonly string[];
  readonly wallClock?: () => Date;
  /** Called between epochs (a consumer heartbeat). */
  readonly onProgress?: () => Promise<void>;
  /**
   * The ONNX runtime that scores a quantised variant and its float parent for the quantisation gate
   * (made per job, closed after); default: one onnxruntime worker thread, as a scorer runs it.
   */
  readonly inferenceRuntime?: () => InferenceRuntime;
  /**
   * Randomness of DP-SGD's sampling and noise; default: the OS's CSPRNG, which the guarantee needs.
   * A seeded one is for tests that must reproduce a private job's outcome.
   */
  readonly dpRandom?: DpRandom;
}

/**
 * One incremental fine-tuning job for one retrain request: read the window's logged feature vectors
 * joined with mature labels, add a replay sample of older rows, warm-start from the parent's ONNX
 * weights, train with class weights and early stopping on the newest mature day, then gate the
 * challenger against the champion on held-out rows of that day. A challenger that passes goes to
 * SHADOW; one that does not is registered and REJECTED (its numbers stay auditable). Bad input fails
 * the job with a reason, a JOB_FAILED event and an audit entry; nothing is deployed.
 * Idempotent by request id: a request the registry already knows is not run again.
 */
export class FineTuneJob {
  private readonly logger = new Logger(FineTuneJob.name);
  private readonly wallClock: () => Date;

  constructor(private readonly deps: FineTuneJobDeps) {
    this.wallClock = deps.wallClock ?? (() => new Date());
  }

  async run(request: RetrainRequest): Promise<FineTuneOutcome> {
    const started = performance.now();
    const base = { requestId: request.request_id, parentVersion: request.model_version };
    const previous = await this.deps.registry.entriesForRequest(request.request_id);
    if (previous.length > 0) {
      const last = previous[previous.length - 1];
      this.logger.log({ msg: 'retrain request already handled', requestId: request.request_id });
      const stage =
        last?.action === 'JOB_FAILED' ? null : await this.deps.registry.stageOf(last?.version ?? '');
      return {
        ...base,
        status: 'DUPLICATE',
        duplicateOf: stage === null ? 'FAILED' : stage === 'REJECTED' ? 'REJECTED' : 'SHADOW',
        version: last?.action === 'JOB_FAILED' ? null : (last?.version ?? null),
        reason: `request ${request.request_id} was already handled (${last?.action ?? '?'} ${last?.version ?? ''})`,
        failure: null,
        metrics: last?.metrics ?? {},
        timings: { readMs: 0, trainMs: 0, totalMs: performance.now() - started },
        trainRows: 0,
      };
    }
    try {
      return await this.execute(request, started);
    } catch (error) {
      if (!(error instanceof TrainingJobError)) throw error;
      await this.fail(request, error);
      return {
        ...base,
        status: 'FAILED',
        version: null,
        reason: error.message,
        failure: error.reason,
        metrics: {},
        timings: { readMs: 0, trainMs: 0, totalMs: performance.now() - started },
        trainRows: 0,
      };
    }
  }

  private async execute(request: RetrainRequest, started: number): Promise<FineTuneOutcome> {
    const { settings, registry } = this.deps;
    if (!(request.window_end > request.window_start))
      throw new TrainingJobError(
        'INVALID_REQUEST',
        `window [${request.window_start}, ${request.window_end}) is empty`,
      );
    const parent = await this.readParent(request.model_version);
    if (parent.manifest.feature_set_version !== this.deps.featureSetVersion)
      throw new TrainingJobError(
        'FEATURE_SET_MISMATCH',
        `parent ${parent.version} uses feature set ${parent.manifest.feature_set_version}, the pipeline ${this.deps.featureSetVersion}`,
      );
    const productionVersion = await registry.productionVersion();
    // A request names the production model it saw drift in; once another model serves, the drift
    // monitor judges that one afresh, and a fine-tuned superseded model would only compete with it.
    if (productionVersion !== null && productionVersion !== parent.version)
      throw new TrainingJobError(
        'STALE_REQUEST',
        `request names ${parent.version}, but ${productionVersion} is in production now`,
      );
    const readStarted = performance.now();
    const from = request.window_start - settings.replayLookbackMs;
    const [scores, labels] = await Promise.all([
      this.deps.source.readScores(from, request.window_end),
      this.deps.source.readLabels(from, request.window_end, request.event_time),
    ]);
    const readMs = performance.now() - readStarted;
    const selected = selectTrainingRows(scores, labels, request, settings, this.deps.featureSetVersion);
    checkTrainingRows(selected, settings);
    const { split, replay } = selected;

    const width = this.deps.featureNames.length;
    // The networks' variables are tensors: the backend must be up before they are made (a fresh
    // worker process has not trained anything yet).
    await initTfjsWasm();
    // The parent is the champion the challenger must beat.
    // The parent's family is the challenger's: a sequence champion fine-tunes as a sequence model.
    const championNet = networkOfOnnx(parent.onnx, parent.manifest);
    let challengerNet: ScoringNetwork | null = null;
    let startNet: ScoringNetwork | null = null;
    try {
      if (championNet.inputWidth !== width)
        throw new TrainingJobError(
          'FEATURE_SET_MISMATCH',
          `parent ${parent.version} takes ${championNet.inputWidth} features, the pipeline has ${width}`,
        );
      startNet = warmStartOf(parent, championNet, settings.warmStartWeights);
      const trainStarted = performance.now();
      const trained = await trainChallenger({
        parent: startNet ?? championNet,
        parentComponents: parent.manifest.training.components ?? null,
        selected,
        settings,
        fullEpochs: settings.fullEpochTriggers.includes(request.trigger),
        ...(this.deps.dpRandom ? { dpRandom: this.deps.dpRandom } : {}),
        parentEnsemble: parent.manifest.training.ensemble ?? 1,
        parentFraudRate:
          parent.manifest.training.rows > 0
            ? parent.manifest.training.positives / parent.manifest.training.rows
            : null,
        onEpoch: async (epoch) => {
          this.logger.debug({ msg: 'epoch', requestId: request.request_id, ...epoch });
          await this.deps.onProgress?.();
        },
      });
      challengerNet = trained.network;
      const trainMs = performance.now() - trainStarted;
      const judgement = judgeChallenger(
        challengerNet,
        { network: championNet, manifest: parent.manifest },
        split,
        settings,
        selected.recentSoft,
        request.trigger,
        selected.recentTraffic,
      );
      const { threshold } = judgement;
      const privateTraining = trained.privacy.length > 0;
      const reference = this.referenceOf(challengerNet, split, threshold, privateTraining);
      const privacy = dpSgdPrivacy(trained.privacy, settings.privacy?.targetEpsilon ?? null, {
        parent: parent.manifest,
        budget: settings.privacy?.maxCumulativeEpsilon ?? null,
      });
      // A challenger over the privacy budget is refused whatever its metrics (recorded, not served).
      const overBudget = privacyBudgetRefusal(privacy);
      const gate = overBudget
        ? { ...judgement.gate, passed: false, reason: `${overBudget}; ${judgement.gate.reason}` }
        : judgement.gate;
      const metrics: Record<string, number> = {
        ...gate.metrics,
        train_rows: split.train.length,
        train_positives: countPositives(split.train),
        replay_rows: replay.length,
        validation_rows: split.validation.length,
        gate_recent_rows: split.recentTest.length,
        gate_recent_positives: countPositives(split.recentTest),
        epochs_run: trained.epochsRun,
        best_epoch: trained.bestEpoch,
        threshold,
        champion_threshold: parent.manifest.threshold,
        threshold_rows: judgement.thresholdTraffic.rows,
        threshold_on_recent_traffic: judgement.thresholdTraffic.recent ? 1 : 0,
        ...(judgement.thresholdTraffic.championAlerts === null
          ? {}
          : { threshold_champion_alerts_newest_day: judgement.thresholdTraffic.championAlerts }),
        soft_labelled_rows: selected.softLabelled + selected.recentSoft.length,
        soft_label_alert_rows: selected.softLabelAlerts.rows,
        ...(selected.softLabelAlerts.fraudShare === null
          ? {}
          : { soft_label_alert_fraud_share: selected.softLabelAlerts.fraudShare }),
        train_seconds: trainMs / 1000,
        // The audit trail's copy of the training's privacy parameters (the card has the whole record).
        ...(privacy.mechanism === 'dp-sgd'
          ? {
              dp_epsilon: privacy.epsilon,
              dp_delta: privacy.delta,
              dp_clip_norm: privacy.clip_norm,
              dp_noise_multiplier: privacy.noise_multiplier,
              dp_sampling_rate: Math.max(...privacy.fits.map((f) => f.sampling_rate)),
              dp_steps: Math.max(...privacy.fits.map((f) => f.steps)),
              ...(privacy.target_epsilon === null ? {} : { dp_target_epsilon: privacy.target_epsilon }),
              ...(privacy.cumulative ? { dp_cumulative_epsilon: privacy.cumulative.epsilon } : {}),
            }
          : {}),
      };
      const registered = await this.registerChallenger(request, parent, {
        network: challengerNet,
        threshold,
        training: {
          window_start: request.window_start,
          window_end: request.window_end,
          rows: trained.rows,
          positives: trained.positives,
          replay_rows: replay.length,
          validation_rows: split.validation.length,
          request_id: request.request_id,
          drift_event_id: request.drift_event_id,
          seed: settings.seed,
          epochs: trained.bestEpoch,
          warm_start: true,
          frozen_layers: Math.min(settings.frozenLayers, championNet.layerCount - 1),
          strategy: trained.strategy,
          ...(trained.soup > 1 ? { soup: trained.soup } : {}),
          ...(trained.ensemble > 1 ? { ensemble: trained.ensemble } : {}),
          ...(trained.components ? { components: trained.components } : {}),
        },
        validation: judgement.challenger,
        championMetrics: judgement.champion,
        gateMetrics: metrics,
        reference,
        card: {
          trigger: request.trigger,
          softLabelledRows: selected.softLabelled,
          gate: { passed: gate.passed, reason: gate.reason },
          segments: judgement.segments,
          privacy,
        },
      });
      // The variant is recorded before the challenger's stage change, so the request's last audit
      // entry stays the challenger's (what a duplicate request reports).
      const variant =
        // The int8 variant quantises the MLP's layers; a sequence challenger has none.
        gate.passed && settings.quantization.kind === 'int8' && challengerNet.family === 'mlp'
          ? await this.quantizedVariant(request, registered, split, threshold, privateTraining)
          : undefined;
      // The student distils an MLP teacher; a sequence challenger has none (yet).
      const student =
        gate.passed && settings.distillation.hiddenUnits !== null && challengerNet instanceof MlpNetwork
          ? await this.distilledStudent(
              request,
              registered,
              challengerNet,
              selected,
              threshold,
              privateTraining,
            )
          : undefined;
      const stage: ModelStage = gate.passed ? 'SHADOW' : 'REJECTED';
      await this.announce(request, registered, parent.version, stage, gate.reason, metrics);
      this.logger.log({
        msg: gate.passed ? 'challenger shadowed' : 'challenger rejected by the gate',
        requestId: request.request_id,
        modelVersion: registered.version,
        reason: gate.reason,
      });
      return {
        status: stage === 'SHADOW' ? 'SHADOW' : 'REJECTED',
        requestId: request.request_id,
        version: registered.version,
        parentVersion: parent.version,
        reason: gate.reason,
        failure: null,
        metrics,
        timings: { readMs, trainMs, totalMs: performance.now() - started },
        trainRows: trained.rows,
        ...(variant ? { variant } : {}),
        ...(student ? { student } : {}),
      };
    } finally {
      challengerNet?.dispose();
      startNet?.dispose();
      championNet.dispose();
    }
  }

  private async readParent(version: string): Promise<VerifiedArtifact> {
    try {
      return await this.deps.registry.readVerified(version);
    } catch (error) {
      if (error instanceof ArtifactNotFoundError)
        throw new TrainingJobError('PARENT_MISSING', `parent model ${version} is not in the registry`, {
          cause: error,
        });
      if (
        error instanceof ChecksumMismatchError ||
        error instanceof ManifestError ||
        error instanceof SignatureError
      )
        throw new TrainingJobError('PARENT_CORRUPT', `parent model ${version}: ${error.message}`, {
          cause: error,
        });
      throw error;
    }
  }

  private async registerChallenger(
    request: RetrainRequest,
    parent: VerifiedArtifact,
    fields: {
      network: ScoringNetwork;
      threshold: number;
      training: Parameters<typeof packageModel>[0]['training'];
      validation: EvaluationMetrics;
      championMetrics: EvaluationMetrics;
      gateMetrics: Record<string, number>;
      reference: Parameters<typeof packageModel>[0]['reference'];
      card: CardFacts;
    },
  ): Promise<RegisteredChallenger> {
    // Two trainers may pick the same next version: the store refuses the second, which takes the next.
    for (let attempt = 0; ; attempt++) {
      const version = await this.deps.registry.nextVersion();
      const packaged = packageModel({
        network: fields.network,
        version,
        parentVersion: parent.version,
        createdEventTime: request.event_time,
        codeRevision: this.deps.codeRevision,
        featureSetVersion: this.deps.featureSetVersion,
        featureNames: this.deps.featureNames,
        threshold: fields.threshold,
        thresholdPolicy: parent.manifest.threshold_policy,
        training: fields.training,
        validation: fields.validation,
        champion: fields.championMetrics,
        gate: fields.gateMetrics,
        reference: fields.reference,
        card: fields.card,
        now: this.wallClock(),
      });
      try {
        const uri = await this.deps.registry.register(packaged.onnx, packaged.manifest, {
          actor: this.deps.actor,
          reason:
            `fine-tuned from ${parent.version} for request ${request.request_id} (${request.trigger}: ${request.reason})` +
            privacyNote(fields.card.privacy),
          eventTime: request.event_time,
          requestId: request.request_id,
          metrics: fields.gateMetrics,
        });
        return {
          version,
          uri,
          sha256: packaged.manifest.onnx.sha256,
          onnx: packaged.onnx,
          manifest: packaged.manifest,
        };
      } catch (error) {
        if (!(error instanceof VersionExistsError) || attempt >= 3) throw error;
      }
    }
  }

  /**
   * A network's drift reference over the job's split (challengerReference), for the challenger and
   * its variants alike: with `TRAINER_NOVELTY_LEARNT_ONLY`, the new regime's frauds it scores below
   * the challenger's threshold stay new to the monitor.
   */
  private referenceOf(
    network: ScoringNetwork,
    split: SelectedRows['split'],
    threshold: number,
    privateTraining: boolean,
  ): ReferenceProfile {
    return challengerReference(network, split, this.deps.featureNames, {
      privateTraining,
      ...(this.deps.settings.noveltyLearntOnly ? { learntAbove: threshold } : {}),
    });
  }

  /**
   * The challenger's int8 variant (registerQuantizedVariant), judged on the gate's hold-out rows, its
   * drift reference from the same rows as the challenger's; a rejection is announced like any.
   */
  private async quantizedVariant(
    request: RetrainRequest,
    parent: RegisteredChallenger,
    split: SelectedRows['split'],
    threshold: number,
    privateTraining: boolean,
  ): Promise<VariantOutcome> {
    const { settings } = this.deps;
    const outcome = await registerQuantizedVariant({
      registry: this.deps.registry,
      parent,
      rows: split.test,
      width: this.deps.featureNames.length,
      threshold,
      k: settings.cardPrecisionK,
      settings: settings.quantization,
      runtime: this.deps.inferenceRuntime ?? (() => new OnnxWorkerPool(1)),
      reference: (network) => this.referenceOf(network, split, threshold, privateTraining),
      context: { actor: this.deps.actor, eventTime: request.event_time, requestId: request.request_id },
      reject: async (version, context) => {
        await this.deps.announcer.transition(version, 'REJECTED', context);
      },
      now: this.wallClock(),
    });
    const log = {
      requestId: request.request_id,
      modelVersion: outcome.version,
      parentVersion: parent.version,
    };
    if (outcome.status === 'FAILED')
      this.logger.warn({ msg: 'int8 variant not made', ...log, error: outcome.reason });
    else
      this.logger.log({
        msg:
          outcome.status === 'CANDIDATE'
            ? 'int8 variant registered'
            : 'int8 variant rejected by the quantisation gate',
        ...log,
        reason: outcome.reason,
      });
    return outcome;
  }

  /**
   * The challenger's distilled student (registerDistilledVariant): trained on the challenger's
   * training and replay rows with the base model's schedule, judged on the gate's hold-out rows, its
   * drift reference from the same rows as the challenger's. Not under DP-SGD: the teacher's scores of
   * the private rows as targets would release those rows outside the accountant's noise.
   */
  private async distilledStudent(
    request: RetrainRequest,
    parent: RegisteredChallenger,
    teacher: MlpNetwork,
    selected: SelectedRows,
    threshold: number,
    privateTraining: boolean,
  ): Promise<VariantOutcome> {
    const { settings } = this.deps;
    const hiddenUnits = settings.distillation.hiddenUnits ?? [];
    const log = { requestId: request.request_id, parentVersion: parent.version };
    if (privateTraining) {
      const reason = `no student of ${parent.version}: distillation is not offered with DP-SGD`;
      this.logger.warn({ msg: 'student not made', ...log, error: reason });
      return { status: 'FAILED', version: null, reason, metrics: {} };
    }
    const { split, replay } = selected;
    const outcome = await registerDistilledVariant({
      registry: this.deps.registry,
      parent,
      teacher,
      trainRows: [...split.train, ...replay],
      validationRows: split.validation,
      rows: split.test,
      threshold,
      k: settings.cardPrecisionK,
      hiddenUnits,
      settings: settings.distillation,
      trainOptions: baseTrainOptions(settings),
      reference: (network) => this.referenceOf(network, split, threshold, privateTraining),
      context: { actor: this.deps.actor, eventTime: request.event_time, requestId: request.request_id },
      reject: async (version, context) => {
        await this.deps.announcer.transition(version, 'REJECTED', context);
      },
      now: this.wallClock(),
    });
    if (outcome.status === 'FAILED')
      this.logger.warn({ msg: 'student not made', ...log, error: outcome.reason });
    else
      this.logger.log({
        msg:
          outcome.status === 'CANDIDATE' ? 'student registered' : 'student rejected by the distillation gate',
        ...log,
        modelVersion: outcome.version,
        reason: outcome.reason,
      });
    return outcome;
  }

  private async announce(
    request: RetrainRequest,
    model: RegisteredChallenger,
    _parentVersion: string,
    stage: ModelStage,
    reason: string,
    metrics: Record<string, number>,
  ): Promise<void> {
    await this.deps.announcer.transition(model.version, stage, {
      actor: `${this.deps.actor}/gate`,
      reason,
      eventTime: request.event_time,
      requestId: request.request_id,
      metrics,
    });
  }

  private async fail(request: RetrainRequest, error: TrainingJobError): Promise<void> {
    this.logger.warn({
      msg: 'fine-tuning job failed',
      requestId: request.request_id,
      failure: error.reason,
      error: error.message,
    });
    await this.deps.announcer.jobFailed(request.model_version, {
      actor: this.deps.actor,
      reason: `${error.reason}: ${error.message}`,
      eventTime: request.event_time,
      requestId: request.request_id,
    });
  }
}

/**
 * The network a challenger warm-starts from when it is not the served one: with `best-epoch`, a copy
 * of the champion holding the best epoch's weights its manifest keeps beside averaged ones; else null
 * (start from the champion itself). A parent whose kept weights do not fit its network is corrupt.
 */
function warmStartOf(
  parent: VerifiedArtifact,
  champion: ScoringNetwork,
  weights: WarmStartWeights,
): ScoringNetwork | null {
  const kept = parent.manifest.training.best_epoch_weights;
  if (weights !== 'best-epoch' || kept === undefined) return null;
  const start = champion.clone();
  try {
    start.restore(decodeWeights(kept, start.snapshot()));
    return start;
  } catch (error) {
    start.dispose();
    if (!(error instanceof RangeError)) throw error;
    throw new TrainingJobError(
      'PARENT_CORRUPT',
      `parent model ${parent.version}: its best epoch's weights do not fit its network (${error.message})`,
      { cause: error },
    );
  }
}
