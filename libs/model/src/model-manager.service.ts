import { Logger } from '@nestjs/common';
import { describeError, type ModelDeployment, type ScoreRole } from '@fraudstream/contracts';
import type { ArtifactReader, ManifestVerifier } from '@fraudstream/registry';
import type { ExecutionProvider, InferenceRuntime, SessionOptions } from './inference-runtime.types';
import { LoadedModel } from './loaded-model';
import type { MicroBatcherOptions } from './micro-batcher';
import { ModelRefusedError, type RefusalReason } from './model.errors';
import { inputLayoutOf, loadVerifiedModel, type ModelLocation } from './model-loader';
import type { ModelMetrics } from './model.metrics';

/** Production versions remembered as fallbacks. */
const MAX_FALLBACKS = 20;

export interface ModelManagerOptions {
  /** The scorer's feature list: a model must take exactly these, in this order. */
  readonly featureNames: readonly string[];
  /**
   * The feature set version the scorer computes: a model whose manifest names another is refused
   * (`inputs`). Absent: only the names are checked.
   */
  readonly featureSetVersion?: string;
  /** The keys a manifest must be signed by (MODEL_TRUSTED_KEYS_FILE); others are refused (`signature`). */
  readonly verifier: ManifestVerifier;
  readonly threads: Omit<SessionOptions, 'executionProvider'>;
  readonly defaultProvider: ExecutionProvider;
  /** Execution provider by model version, overriding the default. */
  readonly providerByVersion?: ReadonlyMap<string, ExecutionProvider>;
  readonly batching: MicroBatcherOptions;
  readonly metrics?: ModelMetrics;
  /** Called for every refused artifact (the app publishes LOAD_REFUSED). */
  readonly onRefused?: (refusal: ModelRefusal) => Promise<void> | void;
}

export interface ModelRefusal {
  readonly version: string;
  readonly role: ScoreRole;
  readonly artifactUri: string;
  readonly sha256: string;
  readonly reason: RefusalReason;
  readonly error: string;
  /** Event time of the refused deployment (null for the bootstrap model). */
  readonly eventTime: number | null;
}

/** The models one batch scores with; release it when the batch's outputs are built. */
export interface ModelLease {
  readonly champion: LoadedModel;
  readonly challenger: LoadedModel | null;
  release(): void;
}

/** The stage changes a run of deployment events amounts to (later events win). */
interface DesiredState {
  champion?: ModelDeployment;
  /** undefined: unchanged; null: unload the challenger. */
  challenger?: ModelDeployment | null;
}

/**
 * Which model is champion and which challenger, and the hot swap between them. New artifacts are
 * verified (signature, sha256, manifest, inputs), loaded in the workers and warmed up before they replace
 * the serving model; the swap is one reference assignment, so it lands between batches: a batch
 * leases the models it started with and every score of a batch has the same model version. A
 * refused artifact leaves the serving model in place.
 */
export class ModelManager {
  private readonly logger = new Logger(ModelManager.name);
  private championModel: LoadedModel | null = null;
  private challengerModel: LoadedModel | null = null;
  private loads = 0;
  private queue: Promise<void> = Promise.resolve();
  /** PRODUCTION deployments seen, oldest first, one per version (the newest event of each). */
  private readonly productionHistory: ModelDeployment[] = [];
  /** Versions a REJECTED event ruled out: never a fallback. */
  private readonly rejected = new Set<string>();
  private readonly championListeners: ((version: string) => void)[] = [];

  constructor(
    private readonly runtime: InferenceRuntime,
    private readonly store: ArtifactReader,
    private readonly options: ModelManagerOptions,
  ) {}

  get champion(): LoadedModel | null {
    return this.championModel;
  }

  get challenger(): LoadedModel | null {
    return this.challengerModel;
  }

  /** Calls `listener` with the version every time a champion starts serving. */
  onChampion(listener: (version: string) => void): void {
    this.championListeners.push(listener);
  }

  /** Leases the current models for one batch, or null when no champion is loaded yet. */
  lease(): ModelLease | null {
    const champion = this.championModel;
    if (!champion) return null;
    const challenger = this.challengerModel;
    champion.acquire();
    challenger?.acquire();
    let released = false;
    return {
      champion,
      challenger,
      release: () => {
        if (released) return;
        released = true;
        champion.release();
        challenger?.release();
      },
    };
  }

  /**
   * Applies deployment events in order. Only the end state of the run is loaded, so replaying the
   * topic's history at start-up loads the current champion and challenger, not every past model.
   */
  applyDeployments(events: readonly ModelDeployment[]): Promise<void> {
    const desired: DesiredState = {};
    for (const event of events) {
      if (event.kind !== 'STAGE_CHANGE') continue;
      this.remember(event);
      switch (event.stage) {
        case 'PRODUCTION':
          desired.champion = event;
          // A promoted challenger is no longer shadowed; a stale SHADOW for the same version is dropped.
          if (this.isChallenger(desired, event.model_version)) desired.challenger = null;
          break;
        case 'SHADOW':
          desired.challenger = event;
          break;
        case 'RETIRED':
        case 'REJECTED':
          if (this.isChallenger(desired, event.model_version)) desired.challenger = null;
          break;
        case 'CANDIDATE':
          break;
      }
    }
    return this.serialised(() => this.applyDesired(desired));
  }

  /** Loads the bootstrap model (MODEL_PATH) as champion when no deployment named one. */
  loadBootstrap(artifactUri: string): Promise<boolean> {
    return this.serialised(async () => {
      if (this.championModel) return false;
      const model = await this.prepare({ artifactUri, sha256: null, version: null }, 'CHAMPION');
      if (model) this.install('CHAMPION', model);
      return model !== null;
    });
  }

  /** Unloads every model (shutdown). */
  async close(): Promise<void> {
    await this.queue;
    this.championModel?.retire();
    this.challengerModel?.retire();
    this.championModel = null;
    this.challengerModel = null;
  }

  private remember(event: ModelDeployment): void {
    if (event.stage === 'REJECTED') this.rejected.add(event.model_version);
    if (event.stage !== 'PRODUCTION') return;
    const known = this.productionHistory.findIndex((e) => e.model_version === event.model_version);
    if (known >= 0) this.productionHistory.splice(known, 1);
    this.productionHistory.push(event);
    if (this.productionHistory.length > MAX_FALLBACKS) this.productionHistory.shift();
  }

  /**
   * With no champion serving (a restart whose newest production version does not verify), the
   * production versions before it, newest first, until one verifies: a restarted scorer serves the
   * newest version that verifies, never nothing while an older good one exists.
   */
  private async fallBack(refused: ModelDeployment): Promise<void> {
    for (let i = this.productionHistory.length - 1; i >= 0 && !this.championModel; i--) {
      const event = this.productionHistory[i];
      if (!event || event.model_version === refused.model_version || this.rejected.has(event.model_version))
        continue;
      this.logger.warn({
        msg: 'falling back to an earlier production version',
        modelVersion: event.model_version,
        refusedVersion: refused.model_version,
      });
      const model = await this.prepare(locationOf(event), 'CHAMPION');
      if (model) this.install('CHAMPION', model);
    }
  }

  private isChallenger(desired: DesiredState, version: string): boolean {
    const pending = desired.challenger;
    if (pending !== undefined) return pending?.model_version === version;
    return this.challengerModel?.version === version;
  }

  private serialised<R>(task: () => Promise<R>): Promise<R> {
    const run = this.queue.then(task);
    this.queue = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  private async applyDesired(desired: DesiredState): Promise<void> {
    const champion = desired.champion;
    if (champion && !this.serves(this.championModel, champion)) {
      if (this.serves(this.challengerModel, champion)) {
        // Promotion of the shadow model: its session is already loaded and warm.
        const promoted = this.challengerModel;
        this.challengerModel = null;
        if (promoted) this.install('CHAMPION', promoted);
        this.refreshInfo();
      } else {
        const model = await this.prepare(locationOf(champion), 'CHAMPION');
        if (model) this.install('CHAMPION', model);
        else if (!this.championModel) await this.fallBack(champion);
      }
    }
    const challenger = desired.challenger;
    if (challenger === null) {
      if (this.challengerModel) {
        this.logger.log({ msg: 'challenger unloaded', modelVersion: this.challengerModel.version });
        this.challengerModel.retire();
        this.challengerModel = null;
        this.refreshInfo();
      }
    } else if (challenger && !this.serves(this.challengerModel, challenger)) {
      const model = await this.prepare(locationOf(challenger), 'CHALLENGER');
      if (model) this.install('CHALLENGER', model);
    }
  }

  private serves(model: LoadedModel | null, event: ModelDeployment): boolean {
    return !!model && model.version === event.model_version && model.sha256 === event.sha256.toLowerCase();
  }

  private install(role: ScoreRole, model: LoadedModel): void {
    const previous = role === 'CHAMPION' ? this.championModel : this.challengerModel;
    if (role === 'CHAMPION') this.championModel = model;
    else this.challengerModel = model;
    if (previous && previous !== model) previous.retire();
    this.refreshInfo();
    this.options.metrics?.swaps.inc({ role });
    if (role === 'CHAMPION') for (const listener of this.championListeners) listener(model.version);
    this.logger.log({
      msg: 'model serving',
      role,
      modelVersion: model.version,
      previousVersion: previous?.version ?? null,
      provider: model.provider,
    });
  }

  /** The info gauge holds exactly one series per loaded role (old versions' series are dropped). */
  private refreshInfo(): void {
    const info = this.options.metrics?.modelInfo;
    if (!info) return;
    info.reset();
    const { championModel: champion, challengerModel: challenger } = this;
    if (champion) info.set({ role: 'CHAMPION', version: champion.version, provider: champion.provider }, 1);
    if (challenger)
      info.set({ role: 'CHALLENGER', version: challenger.version, provider: challenger.provider }, 1);
  }

  /** Verifies, loads and warms up an artifact; null (after reporting the refusal) when it must not serve. */
  private async prepare(location: ModelLocation, role: ScoreRole): Promise<LoadedModel | null> {
    const key = `${location.version ?? 'bootstrap'}#${++this.loads}`;
    let loaded = false;
    try {
      const verified = await loadVerifiedModel(
        this.store,
        location,
        this.options.featureNames,
        this.options.verifier,
        this.options.featureSetVersion,
      );
      const provider = this.options.providerByVersion?.get(verified.version) ?? this.options.defaultProvider;
      try {
        await this.runtime.load(
          key,
          verified.bytes,
          { ...this.options.threads, executionProvider: provider },
          inputLayoutOf(verified.manifest),
        );
      } catch (error) {
        throw new ModelRefusedError('load', `onnxruntime could not load the model on ${provider}`, {
          cause: error,
        });
      }
      loaded = true;
      const metrics = this.options.metrics;
      const model = new LoadedModel(
        key,
        verified.manifest,
        verified.sha256,
        provider,
        this.runtime,
        this.options.batching,
        (rows, seconds) => {
          metrics?.batchSize.observe({ role }, rows);
          metrics?.scoringDuration.observe({ role, provider }, seconds);
        },
      );
      await this.warmUp(model);
      this.options.metrics?.loads.inc({ role });
      return model;
    } catch (error) {
      if (loaded) await this.runtime.unload(key).catch(() => undefined);
      await this.refuse(location, role, error);
      return null;
    }
  }

  /** One run at the reference medians: the first run pays ORT's lazy allocations, and a model whose output is not a probability is refused. */
  private async warmUp(model: LoadedModel): Promise<void> {
    const width = model.featureNames.length;
    const rows = 4;
    const input = new Float32Array(rows * width);
    for (let r = 0; r < rows; r++) input.set(model.medians, r * width);
    let scores: Float32Array;
    try {
      scores = await model.score(input, rows);
    } catch (error) {
      throw new ModelRefusedError('warmup', 'warm-up run failed', { cause: error });
    }
    if (scores.length !== rows || !scores.every((s) => Number.isFinite(s) && s >= 0 && s <= 1))
      throw new ModelRefusedError('warmup', 'warm-up scores are not probabilities in [0, 1]');
  }

  private async refuse(location: ModelLocation, role: ScoreRole, error: unknown): Promise<void> {
    const reason: RefusalReason = error instanceof ModelRefusedError ? error.reason : 'load';
    this.options.metrics?.refusals.inc({ reason });
    this.logger.error({
      msg: 'model refused; the serving model stays',
      role,
      modelVersion: location.version,
      artifactUri: location.artifactUri,
      reason,
      error: describeError(error),
      servingVersion: this.championModel?.version ?? null,
    });
    try {
      await this.options.onRefused?.({
        version: location.version ?? 'bootstrap',
        role,
        artifactUri: location.artifactUri,
        sha256: location.sha256 ?? '',
        reason,
        error: describeError(error),
        eventTime: location.eventTime ?? null,
      });
    } catch (reportError) {
      this.logger.error({ msg: 'could not report the refusal', error: describeError(reportError) });
    }
  }
}

function locationOf(event: ModelDeployment): ModelLocation {
  return {
    artifactUri: event.artifact_uri,
    sha256: event.sha256,
    version: event.model_version,
    eventTime: event.event_time,
  };
}
