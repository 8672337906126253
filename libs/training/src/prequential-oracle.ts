import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Label, RetrainRequest } from '@fraudstream/contracts';
import {
  FileSystemModelStore,
  ModelRegistry,
  ephemeralKeys,
  type ModelManifest,
} from '@fraudstream/registry';
import { lowerBound } from '@fraudstream/stats';
import { DeploymentAnnouncer } from './deployment-announcer.service';
import { FineTuneJob, type FineTuneOutcome } from './fine-tune.job';
import type { ScoredTransaction } from './mature-labels';
import type { DeploymentPublisher, TrainingDataSource } from './training-io.types';
import type { TrainingSettings } from './training.settings';

export interface PrequentialOracleInput {
  /** The model in production when the oracle starts (the loop's base model). */
  readonly base: { readonly onnx: Uint8Array; readonly manifest: ModelManifest };
  /** Every logged row the oracle may learn from (the scorer's feature vectors), any order. */
  readonly rows: readonly ScoredTransaction[];
  /** The TRUE class of a logged row (the simulator's ground truth, never the labels). */
  readonly isFraud: (transactionId: string) => boolean;
  /** The trainer's settings; the oracle drops the label delay and the gate. */
  readonly settings: TrainingSettings;
  /** Each retrain's window, ending at its day (the drift monitor's DRIFT_TRAINING_WINDOW_MS). */
  readonly trainingWindowMs: number;
  readonly featureNames: readonly string[];
  readonly featureSetVersion: string;
}

/** A model the oracle serves. */
export interface OracleModel {
  readonly version: string;
  readonly onnx: Uint8Array;
  readonly manifest: ModelManifest;
}

/** The rows, sorted, read back by event-time range; labels are the truth, known at the transaction's time. */
class InstantLabelSource implements TrainingDataSource {
  private readonly rows: ScoredTransaction[];

  constructor(
    rows: readonly ScoredTransaction[],
    private readonly isFraud: (transactionId: string) => boolean,
  ) {
    this.rows = [...rows].sort((a, b) => a.event_time - b.event_time);
  }

  private range(start: number, end: number): ScoredTransaction[] {
    const first = (t: number) =>
      lowerBound(this.rows.length, (i) => (this.rows[i]?.event_time ?? Infinity) >= t);
    return this.rows.slice(first(start), first(end));
  }

  readScores(start: number, end: number): Promise<ScoredTransaction[]> {
    return Promise.resolve(this.range(start, end));
  }

  /** Fraud labels only: with no chargeback window, an unlabelled row is a settled negative at once. */
  readLabels(start: number, end: number, asOf: number): Promise<Label[]> {
    return Promise.resolve(
      this.range(start, Math.min(end, asOf + 1))
        .filter((r) => this.isFraud(r.transaction_id))
        .map((r) => ({
          transaction_id: r.transaction_id,
          card_id: r.card_id,
          terminal_id: '',
          is_fraud: true,
          source: 'ANALYST' as const,
          transaction_time: r.event_time,
          event_time: r.event_time,
        })),
    );
  }
}

const NO_EVENTS: DeploymentPublisher = { publish: () => Promise.resolve() };

/**
 * The prequential instant-label oracle: what the same model family reaches when it is retrained
 * every day on everything before that day with the TRUE labels, no delay, no gate. Each retrain is
 * the trainer's own FineTuneJob (warm start from the model serving, the training window ending at
 * the day, replay, early stopping on the newest day) with the chargeback window set to zero and the
 * gate opened, in a registry of its own under a temporary directory; its challenger serves from that
 * day on. The bar a loop that waits for labels (chargebacks, analysts) is measured against.
 */
export class PrequentialOracle {
  private current: OracleModel;

  private constructor(
    private readonly registry: ModelRegistry,
    private readonly job: FineTuneJob,
    private readonly root: string,
    private readonly trainingWindowMs: number,
    base: OracleModel,
  ) {
    this.current = base;
  }

  static async create(input: PrequentialOracleInput): Promise<PrequentialOracle> {
    const root = mkdtempSync(join(tmpdir(), 'prequential-oracle-'));
    const registry = new ModelRegistry(new FileSystemModelStore(root), ephemeralKeys());
    const { manifest } = input.base;
    const context = { actor: 'oracle', reason: 'base model', eventTime: manifest.created_event_time };
    await registry.register(input.base.onnx, manifest, context);
    await registry.transition(manifest.version, 'PRODUCTION', context);
    const settings: TrainingSettings = {
      ...input.settings,
      chargebackWindowMs: 0,
      gate: {
        minAveragePrecisionGain: -1,
        maxAveragePrecisionDrop: 1,
        maxRelativeApDropOnShift: 1,
        maxRocAucDrop: 1,
        maxCardPrecisionDrop: 1,
        minPositives: 0,
        fairness: { maxGapWidening: Number.POSITIVE_INFINITY, minExpectedCount: 1, minCards: 2 },
        noise: { z: 0, resamples: 0 },
        evidenceTriggers: [],
        evidenceMinAveragePrecisionGain: -1,
      },
    };
    const job = new FineTuneJob({
      registry,
      source: new InstantLabelSource(input.rows, input.isFraud),
      announcer: new DeploymentAnnouncer(registry, NO_EVENTS),
      settings,
      actor: 'oracle',
      codeRevision: 'oracle',
      featureSetVersion: input.featureSetVersion,
      featureNames: input.featureNames,
    });
    return new PrequentialOracle(registry, job, root, input.trainingWindowMs, {
      version: manifest.version,
      onnx: input.base.onnx,
      manifest,
    });
  }

  /** The model serving now. */
  get serving(): OracleModel {
    return this.current;
  }

  /**
   * Retrains the serving model on the window ending at `at` (exclusive) with every row's true label
   * and serves the result from `at` on; a job that fails (too few rows, one class) leaves the
   * serving model in place.
   */
  async retrainAt(at: number): Promise<{ model: OracleModel; outcome: FineTuneOutcome }> {
    const request: RetrainRequest = {
      request_id: `oracle:${this.current.version}:${at}`,
      model_version: this.current.version,
      trigger: 'SCHEDULED',
      reason: 'prequential oracle: every day, on the true labels of everything before it',
      severity: 'LOW',
      drift_event_id: null,
      window_start: at - this.trainingWindowMs,
      window_end: at,
      event_time: at,
    };
    const outcome = await this.job.run(request);
    if (outcome.status === 'SHADOW' && outcome.version) {
      const context = { actor: 'oracle', reason: 'no gate', eventTime: at, requestId: request.request_id };
      await this.registry.transition(outcome.version, 'PRODUCTION', context);
      const artifact = await this.registry.readVerified(outcome.version);
      this.current = { version: artifact.version, onnx: artifact.onnx, manifest: artifact.manifest };
    }
    return { model: this.current, outcome };
  }

  /** Removes the oracle's registry. */
  close(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}
