import { Logger } from '@nestjs/common';
import { type Label, type ModelDeployment, RetriableError, type Score } from '@fraudstream/contracts';
import type { MetricsRegistry } from '@fraudstream/observability';
import type { DriftCheckpoint, DriftCheckpointStore } from './checkpoint-store.adapter';
import type { DriftSettings } from './drift.config';
import { DriftDetector, type DriftOutputs, type DriftStatus, type WatermarkInput } from './drift-detector';
import { driftMetrics, recordDriftOutputs, type DriftMetrics } from './drift.metrics';
import type { ManifestSource } from './manifest-source.adapter';

/**
 * Where drift events, retrain requests and investigations (as INVESTIGATE alerts) go (the app's
 * Kafka producer). Resolves once acknowledged.
 */
export interface DriftOutputSink {
  publish(outputs: DriftOutputs): Promise<void>;
}

/** One consumed record with its position, as the transport hands it over. */
export interface PositionedRecord<T> {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly value: T;
}

/** Where a batch left its partition: at the end of what the broker held when fetched, or behind it. */
/** Where an input partition resumes: the next offset to read. */
export interface InputOffset {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
}

export interface BatchProgress {
  readonly caughtUp: boolean;
}

export interface DriftMonitorOptions {
  /** Wall-clock time between two checkpoints when nothing was emitted (emissions always checkpoint). */
  readonly checkpointIntervalMs: number;
  readonly now?: () => number;
}

/**
 * Runs the detector on consumed records: skips records the checkpoint already reflects, feeds the
 * rest, publishes what the detector decided, then checkpoints (state + next offsets), all before the
 * transport commits. A restart restores the checkpoint and rewinds the consumer group to its
 * offsets, so the verdicts are those of an uninterrupted run.
 */
export class DriftMonitorService {
  private readonly logger = new Logger(DriftMonitorService.name);
  private detector: DriftDetector;
  private offsets: Record<string, string> = {};
  private lastSave = 0;
  private lastMetrics = 0;
  private dirty = false;
  private readonly metrics: DriftMetrics | undefined;
  private readonly now: () => number;
  /** Outputs decided but not yet acknowledged by the sink; retried with the next batch (or its redelivery). */
  private unpublished: DriftOutputs = { driftEvents: [], retrainRequests: [], investigations: [] };

  constructor(
    readonly settings: DriftSettings,
    private readonly sink: DriftOutputSink,
    private readonly store: DriftCheckpointStore,
    private readonly manifests: ManifestSource,
    private readonly options: DriftMonitorOptions,
    metrics?: MetricsRegistry,
  ) {
    this.detector = new DriftDetector(settings);
    this.metrics = metrics ? driftMetrics(metrics) : undefined;
    this.now = options.now ?? Date.now;
  }

  /** Restores the last checkpoint, if any; returns the offsets the input consumer must resume from. */
  async restore(): Promise<InputOffset[]> {
    const checkpoint = await this.store.load();
    if (checkpoint) {
      this.detector = DriftDetector.restore(this.settings, checkpoint.detector);
      this.offsets = { ...checkpoint.offsets };
      this.logger.log({
        msg: 'restored checkpoint',
        modelVersion: this.detector.modelVersion,
        watermark: this.detector.watermark,
        partitions: Object.keys(this.offsets).length,
      });
    }
    this.lastSave = this.now();
    // The checkpoint keys offsets by `topic:partition` (its on-disk format); callers get them typed.
    return Object.entries(this.offsets).map(([key, offset]) => {
      const cut = key.lastIndexOf(':');
      return { topic: key.slice(0, cut), partition: Number(key.slice(cut + 1)), offset };
    });
  }

  status(): DriftStatus {
    return this.detector.status();
  }

  /** Applies lifecycle events; loads the manifest of a newly promoted model. */
  async handleDeployments(events: readonly ModelDeployment[]): Promise<void> {
    for (const event of events) {
      let manifest = null;
      if (this.detector.promotes(event)) {
        try {
          manifest = await this.manifests.load(event.artifact_uri);
        } catch (error) {
          // The scorer refuses such a model too; keep comparing with the serving reference.
          this.logger.error({
            msg: 'cannot load the manifest of a promoted model; keeping the current reference',
            modelVersion: event.model_version,
            artifactUri: event.artifact_uri,
            error: error instanceof Error ? error.message : String(error),
          });
        }
      }
      this.detector.observeDeployment(event, manifest);
      if (manifest) {
        this.logger.log({ msg: 'reference switched', modelVersion: manifest.version });
        this.dirty = true;
      }
    }
  }

  /**
   * Feeds one partition's batch of scores. With `progress`, a partition still behind its end holds
   * the score watermark at its newest event time until it catches up (see `holdBacklog`).
   */
  async handleScores(records: readonly PositionedRecord<Score>[], progress?: BatchProgress): Promise<void> {
    const rest = await this.feed(records, (r) => this.detector.observeScore(r.value));
    if (progress) this.track('scores', records, progress);
    await this.afterBatch(rest);
  }

  /** Feeds one partition's batch of labels; `progress` as for scores, for the label watermark. */
  async handleLabels(records: readonly PositionedRecord<Label>[], progress?: BatchProgress): Promise<void> {
    const rest = await this.feed(records, (r) => this.detector.observeLabel(r.value));
    if (progress) this.track('labels', records, progress);
    await this.afterBatch(rest);
  }

  /**
   * Feeds a batch record by record and publishes what a record decides before reading the next:
   * a batch can span hours of event time (a fetch of an accelerated stream, a catch-up), and a
   * retrain request decided at its first record should not wait for its last. Returns the records
   * fed since the last publish, for the caller's `afterBatch`.
   */
  private async feed<T>(
    records: readonly PositionedRecord<T>[],
    observe: (r: PositionedRecord<T>) => void,
  ): Promise<readonly PositionedRecord<T>[]> {
    let from = 0;
    for (let i = 0; i < records.length; i++) {
      const r = records[i] as PositionedRecord<T>;
      if (this.fresh(r)) observe(r);
      if (this.detector.hasOutputs) {
        await this.afterBatch(records.slice(from, i + 1));
        from = i + 1;
      }
    }
    return records.slice(from);
  }

  /**
   * Input partitions (`topic:partition`) that start with a backlog hold their watermark until read
   * up to their end: a catch-up (a restart, a lagging monitor) then closes each window only once
   * every partition has passed it, so its verdicts are those of an in-order run whatever the order
   * in which the partitions' batches arrive. Call before consuming.
   */
  holdBacklog(input: WatermarkInput, sources: readonly { topic: string; partition: number }[]): void {
    for (const source of sources)
      this.detector.holdWatermark(input, `${source.topic}:${source.partition}`, null);
  }

  private track(
    input: WatermarkInput,
    records: readonly PositionedRecord<Score | Label>[],
    progress: BatchProgress,
  ): void {
    const first = records[0];
    if (!first) return;
    const source = `${first.topic}:${first.partition}`;
    if (progress.caughtUp) {
      this.detector.releaseWatermark(input, source);
      return;
    }
    let newest = Number.NEGATIVE_INFINITY;
    for (const r of records) newest = Math.max(newest, r.value.event_time);
    this.detector.holdWatermark(input, source, newest);
  }

  /** Writes the checkpoint now (shutdown). */
  async checkpoint(): Promise<void> {
    const checkpoint: DriftCheckpoint = {
      format: 1,
      detector: this.detector.snapshot(),
      offsets: { ...this.offsets },
    };
    await this.store.save(checkpoint);
    this.lastSave = this.now();
    this.dirty = false;
  }

  /** Whether the checkpoint does not already reflect this record (a replay after a restart). */
  private fresh(r: PositionedRecord<unknown>): boolean {
    const next = this.offsets[`${r.topic}:${r.partition}`];
    return next === undefined || BigInt(r.offset) >= BigInt(next);
  }

  private async afterBatch(records: readonly PositionedRecord<unknown>[]): Promise<void> {
    for (const r of records) {
      const key = `${r.topic}:${r.partition}`;
      const next = (BigInt(r.offset) + 1n).toString();
      const current = this.offsets[key];
      if (current === undefined || BigInt(next) > BigInt(current)) this.offsets[key] = next;
    }
    const drained = this.detector.drain();
    const outputs: DriftOutputs = {
      driftEvents: [...this.unpublished.driftEvents, ...drained.driftEvents],
      retrainRequests: [...this.unpublished.retrainRequests, ...drained.retrainRequests],
      investigations: [...this.unpublished.investigations, ...drained.investigations],
    };
    const emitted =
      outputs.driftEvents.length + outputs.retrainRequests.length + outputs.investigations.length > 0;
    if (emitted) {
      try {
        await this.sink.publish(outputs);
      } catch (error) {
        // The state already holds these records: keep the outputs and let the transport retry the batch.
        this.unpublished = outputs;
        throw new RetriableError('publishing drift outputs failed', { cause: error });
      }
      this.unpublished = { driftEvents: [], retrainRequests: [], investigations: [] };
      for (const e of outputs.driftEvents) {
        this.logger.log({
          msg: 'drift event',
          eventId: e.event_id,
          verdict: e.verdict,
          severity: e.severity,
          rows: e.row_count,
          retrainRecommended: e.retrain_recommended,
        });
      }
      if (outputs.investigations.length > 0) {
        this.logger.log({
          msg: 'investigations raised',
          count: outputs.investigations.length,
          seeds: [...new Set(outputs.investigations.map((i) => i.seedTransactionId))].length,
          raisedAt: outputs.investigations[0]?.raisedAt,
        });
      }
      for (const r of outputs.retrainRequests) {
        this.logger.warn({
          msg: 'retrain requested',
          requestId: r.request_id,
          trigger: r.trigger,
          reason: r.reason,
        });
      }
    }
    // status() walks the samples of closed windows: refresh the gauges on emissions and once a second.
    if (this.metrics && (emitted || this.now() - this.lastMetrics >= 1000)) {
      recordDriftOutputs(this.metrics, outputs, this.detector.status());
      this.lastMetrics = this.now();
    }
    this.dirty ||= records.length > 0;
    // Drift events and requests are checkpointed at once, so a restart does not decide them again.
    // Investigations are not: a re-raised investigation is the same alert (its id names the
    // transaction), and the evidence rows make a checkpoint tens of MB, too heavy for every hourly
    // check that raises some (the monitor fell days behind an accelerated stream).
    const decided = outputs.driftEvents.length + outputs.retrainRequests.length > 0;
    if (decided || (this.dirty && this.now() - this.lastSave >= this.options.checkpointIntervalMs)) {
      await this.checkpoint();
    }
  }
}
