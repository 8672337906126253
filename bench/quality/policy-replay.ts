import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Label, ModelDeployment, RetrainRequest, Score } from '@fraudstream/contracts';
import {
  DriftDetector,
  averagePrecision,
  cardPrecisionAtK,
  eventDay,
  type DriftSettings,
} from '@fraudstream/drift';
import { FEATURE_NAMES, FEATURE_SET_VERSION } from '@fraudstream/features';
import { FileSystemModelStore, ModelRegistry, type ModelManifest } from '@fraudstream/registry';
import {
  DeploymentAnnouncer,
  FineTuneJob,
  deploymentEvent,
  type DeploymentPublisher,
  type FineTuneStatus,
  type ScoredTransaction,
  type TrainingDataSource,
  type TrainingSettings,
} from '@fraudstream/training';
import { OnnxDayScorer } from './onnx-day.scorer';
import type { QualityStream, StreamDay } from './quality-stream';

const DAY_MS = 86_400_000;

/** How the replayed loop decides to retrain. */
export type RetrainPolicy = 'static' | 'triggered' | 'periodic';

export interface ReplayInput {
  readonly stream: QualityStream;
  /** Model v1, trained on the history: registered and in production when the stream starts. */
  readonly base: { readonly onnx: Uint8Array; readonly manifest: ModelManifest };
  readonly training: TrainingSettings;
  /** The drift monitor's settings: its policy (triggered), and the data rules every retrain shares. */
  readonly drift: DriftSettings;
  /** k of card precision@k: the analysts' daily capacity in cards. */
  readonly k: number;
  readonly onDay?: (line: string) => void;
}

/** One fine-tuning job the policy ran. */
export interface RetrainRecord {
  /** Stream day during which the request was made; a promoted model serves from the next day. */
  readonly day: number;
  readonly requestId: string;
  readonly trigger: RetrainRequest['trigger'];
  readonly status: Exclude<FineTuneStatus, 'DUPLICATE'> | 'DUPLICATE';
  readonly version: string | null;
  /** Why the request was made (the drift monitor's summary, or the schedule). */
  readonly requestReason: string;
  /** The job's outcome: the gate's decision or the failure. */
  readonly reason: string;
  readonly averagePrecisionGain: number | null;
  readonly seconds: number;
}

export interface ReplayResult {
  readonly policy: RetrainPolicy;
  readonly apByDay: number[];
  readonly cardPrecisionByDay: number[];
  /** Version that served each day. */
  readonly modelByDay: string[];
  readonly retrains: RetrainRecord[];
  /** Drift verdicts of the monitor's mature evaluations (triggered only), by verdict. */
  readonly matureVerdicts: Record<string, number>;
}

/** The trainer's reads, over the replayed run's arrays: nothing later than what was asked is returned. */
class ReplaySource implements TrainingDataSource {
  constructor(
    private readonly rows: readonly ScoredTransaction[],
    private readonly labels: readonly Label[],
  ) {}

  readScores(start: number, end: number): Promise<ScoredTransaction[]> {
    return Promise.resolve(this.rows.filter((s) => s.event_time >= start && s.event_time < end));
  }

  readLabels(start: number, end: number, asOf: number): Promise<Label[]> {
    return Promise.resolve(
      this.labels.filter(
        (l) => l.transaction_time >= start && l.transaction_time < end && l.event_time <= asOf,
      ),
    );
  }
}

class CollectingPublisher implements DeploymentPublisher {
  private events: ModelDeployment[] = [];

  publish(events: readonly ModelDeployment[]): Promise<void> {
    this.events.push(...events);
    return Promise.resolve();
  }

  drain(): ModelDeployment[] {
    const out = this.events;
    this.events = [];
    return out;
  }
}

/**
 * The periodic schedule's request at the start of a day, on the same data rules as the drift
 * monitor's: the training window is the `trainingWindowMs` ending at the request (a triggered
 * request's window ends at its decision too), and the trainer keeps only mature labels and the
 * frauds confirmed by the request's time, holding out the newest fully mature day.
 */
export function periodicRequest(
  dayStart: number,
  modelVersion: string,
  drift: DriftSettings,
): RetrainRequest {
  const windowEnd = dayStart;
  return {
    request_id: `periodic:${modelVersion}:${dayStart}`,
    model_version: modelVersion,
    trigger: 'SCHEDULED',
    reason: 'daily schedule',
    severity: 'LOW',
    drift_event_id: null,
    window_start: windowEnd - drift.trainingWindowMs,
    window_end: windowEnd,
    event_time: dayStart,
  };
}

/** A day's score records and labels in event-time order (a label first when times tie, as the simulator emits them). */
export function dayRecords(
  day: StreamDay,
  scores: Float32Array,
  model: { readonly version: string; readonly threshold: number },
): ({ readonly kind: 'score'; readonly score: Score } | { readonly kind: 'label'; readonly label: Label })[] {
  const out: ({ kind: 'score'; score: Score } | { kind: 'label'; label: Label })[] = [];
  let li = 0;
  day.rows.forEach((row, i) => {
    while (li < day.labels.length && (day.labels[li]?.event_time ?? Infinity) <= row.event_time) {
      const label = day.labels[li++];
      if (label) out.push({ kind: 'label', label });
    }
    const tx = day.transactions[i];
    const score = scores[i] ?? 0;
    out.push({
      kind: 'score',
      score: {
        transaction_id: row.transaction_id,
        card_id: row.card_id,
        terminal_id: tx?.terminal_id ?? '',
        amount: tx?.amount ?? 0,
        event_time: row.event_time,
        ingest_time: row.event_time,
        scored_at: row.event_time,
        score,
        threshold: model.threshold,
        is_alert: score >= model.threshold,
        model_version: model.version,
        role: 'CHAMPION',
        feature_set_version: row.feature_set_version,
        features: row.features,
      },
    });
  });
  for (; li < day.labels.length; li++) {
    const label = day.labels[li];
    if (label) out.push({ kind: 'label', label });
  }
  return out;
}

/**
 * Replays the stream day by day under one retraining policy. Each day is scored by the model in
 * production at its start (the registered ONNX artifact, with onnxruntime). `triggered`: the drift
 * monitor's detector reads the day's champion scores and the labels as they become known (event
 * time), and each retrain request it makes runs the trainer's FineTuneJob (warm start, mature labels
 * of the requested window, replay, gate). `periodic`: one such job at the start of every day.
 * A challenger the gate passes is promoted and serves from the next day; a rejected one leaves the
 * champion in place. The shadow period is left out: the gate is the quality decision.
 */
export async function replayPolicy(policy: RetrainPolicy, input: ReplayInput): Promise<ReplayResult> {
  const { stream, base, training, drift, k } = input;
  const root = mkdtempSync(join(tmpdir(), `bench-quality-${policy}-`));
  try {
    const registry = new ModelRegistry(new FileSystemModelStore(root));
    const baseVersion = base.manifest.version;
    const context = { actor: 'bench:quality', reason: 'base model', eventTime: stream.streamStart };
    await registry.register(base.onnx, base.manifest, context);
    await registry.transition(baseVersion, 'PRODUCTION', context);

    let manifest = base.manifest;
    let scorer = await OnnxDayScorer.load(baseVersion, base.onnx);
    const detector = policy === 'triggered' ? new DriftDetector(drift) : null;
    detector?.observeDeployment(
      deploymentEvent({
        version: baseVersion,
        stage: 'PRODUCTION',
        artifactUri: registry.artifactUri(baseVersion),
        sha256: base.manifest.onnx.sha256,
        reason: 'base model',
        eventTime: stream.streamStart,
      }),
      base.manifest,
    );
    const publisher = new CollectingPublisher();
    const job = new FineTuneJob({
      registry,
      source: new ReplaySource(stream.rows, stream.labels),
      announcer: new DeploymentAnnouncer(registry, publisher),
      settings: training,
      actor: 'bench:quality',
      codeRevision: 'bench',
      featureSetVersion: FEATURE_SET_VERSION,
      featureNames: FEATURE_NAMES,
    });

    const result: ReplayResult = {
      policy,
      apByDay: [],
      cardPrecisionByDay: [],
      modelByDay: [],
      retrains: [],
      matureVerdicts: {},
    };
    for (const day of stream.days) {
      const scores = await scorer.score(day.rows);
      result.apByDay.push(averagePrecision(scores, day.isFraud));
      result.cardPrecisionByDay.push(
        cardPrecisionAtK(
          day.rows.map((row, i) => ({
            cardId: row.card_id,
            day: eventDay(row.event_time),
            score: scores[i] ?? 0,
            isFraud: day.isFraud[i] ?? false,
          })),
          k,
        ),
      );
      result.modelByDay.push(scorer.version);

      const requests: RetrainRequest[] = [];
      if (detector) {
        for (const record of dayRecords(day, scores, {
          version: scorer.version,
          threshold: manifest.threshold,
        }))
          if (record.kind === 'score') detector.observeScore(record.score);
          else detector.observeLabel(record.label);
        const outputs = detector.drain();
        for (const event of outputs.driftEvents)
          if (event.event_id.endsWith(':mature'))
            result.matureVerdicts[event.verdict] = (result.matureVerdicts[event.verdict] ?? 0) + 1;
        requests.push(...outputs.retrainRequests);
      }
      if (policy === 'periodic') requests.push(periodicRequest(day.start, scorer.version, drift));

      let promoted: { version: string; onnx: Uint8Array; manifest: ModelManifest } | null = null;
      for (const request of requests) {
        const started = performance.now();
        const outcome = await job.run(request);
        const events = publisher.drain();
        result.retrains.push({
          day: day.index,
          requestId: request.request_id,
          trigger: request.trigger,
          status: outcome.status,
          version: outcome.version,
          requestReason: request.reason,
          reason: outcome.reason,
          averagePrecisionGain: outcome.metrics.average_precision_gain ?? null,
          seconds: (performance.now() - started) / 1000,
        });
        const nextDay = day.start + DAY_MS;
        if (outcome.status === 'SHADOW' && outcome.version) {
          const changeContext = {
            actor: 'bench:quality',
            reason: `gate passed for ${request.request_id}`,
            eventTime: nextDay,
            requestId: request.request_id,
          };
          await registry.transition(outcome.version, 'PRODUCTION', changeContext);
          const artifact = await registry.readVerified(outcome.version);
          promoted = { version: artifact.version, onnx: artifact.onnx, manifest: artifact.manifest };
          events.push(
            deploymentEvent({
              version: artifact.version,
              stage: 'PRODUCTION',
              previousVersion: scorer.version,
              parentVersion: outcome.parentVersion,
              artifactUri: artifact.uri,
              sha256: artifact.manifest.onnx.sha256,
              requestId: request.request_id,
              reason: changeContext.reason,
              eventTime: nextDay,
            }),
          );
        }
        for (const event of events)
          detector?.observeDeployment(
            event,
            promoted && event.model_version === promoted.version ? promoted.manifest : null,
          );
      }
      if (promoted) {
        await scorer.release();
        scorer = await OnnxDayScorer.load(promoted.version, promoted.onnx);
        manifest = promoted.manifest;
      }
      if (policy === 'triggered' && requests.length > 0)
        for (const r of result.retrains.slice(-requests.length))
          input.onDay?.(`  ${r.requestId}: ${r.requestReason}`);
      input.onDay?.(
        `${policy} day ${day.index}: AP ${result.apByDay[day.index]?.toFixed(3)} model ${result.modelByDay[day.index]}` +
          (requests.length > 0
            ? ` retrain ${result.retrains
                .slice(-requests.length)
                .map(
                  (r) =>
                    `${r.status}${r.averagePrecisionGain === null ? '' : ` (AP gain ${r.averagePrecisionGain.toFixed(3)})`} ${r.seconds.toFixed(0)} s`,
                )
                .join(', ')}`
            : ''),
      );
    }
    await scorer.release();
    return result;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
