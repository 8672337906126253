import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DAY_MS,
  HOUR_MS,
  type Alert,
  type DriftEvent,
  type Label,
  type ModelDeployment,
  type RetrainRequest,
  type Score,
} from '@fraudstream/contracts';
import {
  DriftDetector,
  driftDecisionTime,
  investigationAlert,
  type DriftSettings,
  type EarlyEvidenceStats,
} from '@fraudstream/drift';
import { DEFAULT_FEATURE_SET } from '@fraudstream/features';
import {
  FileSystemModelStore,
  ModelRegistry,
  localKeyRingKeys,
  type ModelManifest,
} from '@fraudstream/registry';
import {
  AnalystDesk,
  type CaseTransaction,
  type FraudScenario,
  type GroundTruth,
} from '@fraudstream/simulation';
import {
  DeploymentAnnouncer,
  FineTuneJob,
  PrequentialOracle,
  deploymentEvent,
  type DeploymentPublisher,
  type FineTuneStatus,
  type ScoredTransaction,
  type TrainingDataSource,
  type TrainingSettings,
} from '@fraudstream/training';
import { averagePrecision, cardPrecisionTopK, eventDay } from '@fraudstream/stats';
import { apByFraudScenario, fraudsConfirmedByScenario, streamFrauds } from './fraud-scenarios';
import { OnnxDayScorer } from './onnx-day.scorer';
import type { QualityStream, StreamDay } from './quality-stream';

/**
 * How the replayed loop decides to retrain. `oracle` is the prequential instant-label oracle: every
 * day the same model family retrained on everything before it with the TRUE labels, no delay.
 */
export type RetrainPolicy = 'static' | 'triggered' | 'periodic' | 'oracle';

export interface ReplayInput {
  readonly stream: QualityStream;
  /** Model v1, trained on the history: registered and in production when the stream starts. */
  readonly base: { readonly onnx: Uint8Array; readonly manifest: ModelManifest };
  readonly training: TrainingSettings;
  /** The drift monitor's settings: its policy (triggered), and the data rules every retrain shares. */
  readonly drift: DriftSettings;
  /** k of card precision@k: the analysts' daily capacity in cards. */
  readonly k: number;
  /** Analysts' reviews a day (score alerts and, for `triggered`, investigations within its share). */
  readonly analystCapacity: number;
  /** Days back from an alert that the analysts' case of a confirmed fraud reaches on its card. */
  readonly caseDays: number;
  readonly seed: number;
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
  /**
   * The stream's frauds confirmed by the request's event time, by the simulator's kind, against how
   * many there were by then (diagnostic: the ground truth the loop never sees; null for the oracle).
   */
  readonly fraudsConfirmed: Partial<Record<FraudScenario, { confirmed: number; of: number }>> | null;
  /** The gate's rows from the new regime (settled rows after the hold-out day) and their frauds. */
  readonly gateRecent: { readonly rows: number; readonly frauds: number } | null;
  /** Epochs the challenger trained and the one early stopping kept (null when no model was trained). */
  readonly epochs: { readonly run: number; readonly best: number } | null;
  readonly seconds: number;
}

export interface ReplayResult {
  readonly policy: RetrainPolicy;
  readonly apByDay: number[];
  /** Each day's AP per kind of fraud (`apByFraudScenario`; diagnostic: the simulator's ground truth). */
  readonly apByDayByScenario: Partial<Record<FraudScenario, number>>[];
  /**
   * Card precision@k of each day as the Fraud Detection Handbook defines it: cards detected on an
   * earlier stream day (compromised and among that day's top k) are left out, as the analysts
   * would have blocked them.
   */
  readonly cardPrecisionByDay: number[];
  /** The per-day variant (each day judged on its own), for comparison with earlier runs of this benchmark. */
  readonly dailyCardPrecisionByDay: number[];
  /** Version that served each day. */
  readonly modelByDay: string[];
  readonly retrains: RetrainRecord[];
  /** Drift verdicts of the monitor (triggered only), by phase and verdict, e.g. `mature PERFORMANCE_DRIFT`. */
  readonly verdicts: Record<string, number>;
  /** Stream days of the monitor's retrain-recommending events (triggered only), by the day of their decision. */
  readonly recommendationDays: number[];
  /** Stream days of the windows whose mature verdict found the fraud rate off the reference's (triggered only). */
  readonly labelDriftDays: number[];
  /** Analysts' verdicts on score alerts, and on investigations (with how many were fraud). */
  scoreReviews: number;
  /** Score alerts each day (what the analysts' queue receives), and the frauds their verdicts found. */
  readonly alertsByDay: number[];
  readonly reviewedFraudsByDay: number[];
  investigations: number;
  investigationHits: number;
  /** Days on which investigations were raised. */
  readonly investigationDays: number[];
  /** Frauds the investigations found, by the simulator's fraud scenario (diagnostic). */
  readonly investigationHitsByScenario: Record<string, number>;
  /**
   * The highest value each day of the early evidence's sequential statistics (triggered only): how
   * close a quiet stream came to an alarm (the thresholds are DRIFT_*_CUSUM_H and the SPRT's bound).
   */
  readonly evidencePeakByDay: {
    falseAlertCusum: number[];
    missedCusum: number[];
    /** The statistic over the threshold it alarms at (which carries the design effect). */
    missedCusumOfThreshold: number[];
    sprtLlr: number[];
    alertRateRatio: number[];
  };
}

/**
 * The trainer's reads, over the replayed run's arrays: nothing later than what was asked is returned.
 * A streamed row carries whether the model serving it then alerted on it (`alerted`, filled as the
 * days are scored), as a logged score does; the history's rows were never served and carry none.
 */
export class ReplaySource implements TrainingDataSource {
  constructor(
    private readonly rows: readonly ScoredTransaction[],
    private readonly labels: readonly Label[],
    private readonly alerted: ReadonlyMap<string, boolean>,
  ) {}

  readScores(start: number, end: number): Promise<ScoredTransaction[]> {
    const rows: ScoredTransaction[] = [];
    for (const s of this.rows) {
      if (s.event_time < start || s.event_time >= end) continue;
      const isAlert = this.alerted.get(s.transaction_id);
      rows.push(isAlert === undefined ? s : { ...s, is_alert: isAlert });
    }
    return Promise.resolve(rows);
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
 * The periodic schedule's request at the end of a day, on the same data rules as the drift
 * monitor's: the training window is the `trainingWindowMs` ending at the request, and the trainer
 * keeps only mature labels and the frauds confirmed by then, holding out the newest fully mature
 * day. Its model serves the next day, as a triggered request made during the day does.
 */
export function periodicRequest(dayEnd: number, modelVersion: string, drift: DriftSettings): RetrainRequest {
  return {
    request_id: `periodic:${modelVersion}:${dayEnd}`,
    model_version: modelVersion,
    trigger: 'SCHEDULED',
    reason: 'daily schedule',
    severity: 'LOW',
    drift_event_id: null,
    window_start: dayEnd - drift.trainingWindowMs,
    window_end: dayEnd,
    event_time: dayEnd,
  };
}

/** A day's score records and labels in event-time order (a label first when times tie, as the simulator emits them). */
export function dayRecords(
  day: StreamDay,
  scores: Float32Array,
  model: { readonly version: string; readonly threshold: number },
): ({ readonly kind: 'score'; readonly score: Score } | { readonly kind: 'label'; readonly label: Label })[] {
  return mergeRecords(
    day.labels,
    day.rows.map((row, i) => scoreRecord(day, i, row, scores[i] ?? 0, model)),
  );
}

/** The stream's transactions by card in event-time order, for the analysts' case view. */
function cardHistoryOf(
  stream: QualityStream,
): (cardId: string, from: number, to: number) => CaseTransaction[] {
  const byCard = new Map<string, CaseTransaction[]>();
  for (const day of stream.days)
    day.rows.forEach((row, i) => {
      let list = byCard.get(row.card_id);
      if (!list) byCard.set(row.card_id, (list = []));
      list.push({
        transaction_id: row.transaction_id,
        terminal_id: day.transactions[i]?.terminal_id ?? '',
        event_time: row.event_time,
      });
    });
  return (cardId, from, to) =>
    (byCard.get(cardId) ?? []).filter((t) => t.event_time >= from && t.event_time <= to);
}

function scoreRecord(
  day: StreamDay,
  i: number,
  row: ScoredTransaction,
  score: number,
  model: { readonly version: string; readonly threshold: number },
): Score {
  const tx = day.transactions[i];
  return {
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
  };
}

function mergeRecords(
  labels: readonly Label[],
  scores: readonly Score[],
): ({ readonly kind: 'score'; readonly score: Score } | { readonly kind: 'label'; readonly label: Label })[] {
  const out: ({ kind: 'score'; score: Score } | { kind: 'label'; label: Label })[] = [];
  let li = 0;
  for (const score of scores) {
    while (li < labels.length && (labels[li]?.event_time ?? Infinity) <= score.event_time) {
      const label = labels[li++];
      if (label) out.push({ kind: 'label', label });
    }
    out.push({ kind: 'score', score });
  }
  for (; li < labels.length; li++) {
    const label = labels[li];
    if (label) out.push({ kind: 'label', label });
  }
  return out;
}

/** Labels not yet due, kept in event-time order. */
class LabelQueue {
  private items: Label[] = [];

  push(labels: readonly Label[]): void {
    if (labels.length === 0) return;
    this.items.push(...labels);
    this.items.sort((a, b) => a.event_time - b.event_time || (a.transaction_id < b.transaction_id ? -1 : 1));
  }

  /** Removes and returns the labels with event time before `t`. */
  takeBefore(t: number): Label[] {
    let i = 0;
    while (i < this.items.length && (this.items[i]?.event_time ?? Infinity) < t) i++;
    const out = this.items.slice(0, i);
    this.items = this.items.slice(i);
    return out;
  }
}

/**
 * Replays the stream day by day under one retraining policy. Each day is scored by the model in
 * production at its start (the registered ONNX artifact, with onnxruntime). The policy's analysts
 * review its score alerts (first come, first served, up to their daily capacity) and answer hours
 * later; their verdicts are labels like the chargebacks. `triggered`: the drift monitor's detector
 * reads the champion's scores and the labels in event-time order, hour by hour; its investigations
 * go to the analysts within their share of the capacity, and each retrain request it makes runs the
 * trainer's FineTuneJob (warm start, labels known at the request, replay, gate). `periodic`: one
 * such job at the end of every day. `oracle`: the same job every day on the true labels, no delay,
 * no gate. A challenger the gate passes serves from the next day.
 */
export async function replayPolicy(policy: RetrainPolicy, input: ReplayInput): Promise<ReplayResult> {
  const { stream, base, drift, k } = input;
  const featureSet = stream.options.featureSet ?? DEFAULT_FEATURE_SET;
  const training = input.training;
  const root = mkdtempSync(join(tmpdir(), `bench-quality-${policy}-`));
  let oracle: PrequentialOracle | null = null;
  try {
    const registry = new ModelRegistry(new FileSystemModelStore(root), localKeyRingKeys());
    const baseVersion = base.manifest.version;
    const context = { actor: 'bench:quality', reason: 'base model', eventTime: stream.streamStart };
    await registry.register(base.onnx, base.manifest, context);
    await registry.transition(baseVersion, 'PRODUCTION', context);

    let manifest = base.manifest;
    let scorer = await OnnxDayScorer.load(base.manifest, base.onnx);
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
    const truth = new Map<string, GroundTruth>();
    for (const day of stream.days)
      day.rows.forEach((row, i) =>
        truth.set(row.transaction_id, {
          transaction_id: row.transaction_id,
          is_fraud: day.isFraud[i] ?? false,
          scenario: day.scenarios[i] ?? 'none',
        }),
      );
    const desk = new AnalystDesk({
      seed: input.seed,
      capacityPerDay: input.analystCapacity,
      caseLookbackMs: input.caseDays * DAY_MS,
      ...(input.caseDays > 0 ? { cardHistory: cardHistoryOf(stream) } : {}),
      investigationShare:
        policy === 'triggered' && drift.evidence.enabled ? drift.evidence.investigationShare : 0,
    });
    const trainerLabels: Label[] = stream.labels.filter((l) => l.event_time < stream.streamStart);
    // The history's frauds (before the stream's truth): every fraud gets its chargeback in the end.
    const historyFrauds = new Set(stream.labels.filter((l) => l.is_fraud).map((l) => l.transaction_id));
    oracle =
      policy === 'oracle'
        ? await PrequentialOracle.create({
            base,
            rows: stream.rows,
            isFraud: (id) => truth.get(id)?.is_fraud ?? historyFrauds.has(id),
            settings: input.training,
            trainingWindowMs: drift.trainingWindowMs,
            featureNames: featureSet.names,
            featureSetVersion: featureSet.version,
          })
        : null;
    const frauds = streamFrauds(stream.days);
    const pending = new LabelQueue();
    const publisher = new CollectingPublisher();
    /** Whether the champion serving each streamed transaction alerted on it. */
    const alertedById = new Map<string, boolean>();
    const job = new FineTuneJob({
      registry,
      source: new ReplaySource(stream.rows, trainerLabels, alertedById),
      announcer: new DeploymentAnnouncer(registry, publisher),
      settings: training,
      actor: 'bench:quality',
      codeRevision: 'bench',
      featureSetVersion: featureSet.version,
      featureNames: featureSet.names,
    });

    const result: ReplayResult = {
      policy,
      apByDay: [],
      apByDayByScenario: [],
      cardPrecisionByDay: [],
      dailyCardPrecisionByDay: [],
      modelByDay: [],
      retrains: [],
      verdicts: {},
      recommendationDays: [],
      labelDriftDays: [],
      scoreReviews: 0,
      alertsByDay: [],
      reviewedFraudsByDay: [],
      investigations: 0,
      investigationHits: 0,
      investigationDays: [],
      investigationHitsByScenario: {},
      evidencePeakByDay: {
        falseAlertCusum: [],
        missedCusum: [],
        missedCusumOfThreshold: [],
        sprtLlr: [],
        alertRateRatio: [],
      },
    };
    const dayOf = (t: number) => Math.floor((t - stream.streamStart) / DAY_MS);
    const notePeaks = (d: number, e: EarlyEvidenceStats | null, alertRate: number | null) => {
      const peaks = result.evidencePeakByDay;
      const note = (list: number[], v: number) => {
        while (list.length <= d) list.push(0);
        list[d] = Math.max(list[d] ?? 0, v);
      };
      note(peaks.falseAlertCusum, e?.falseAlertCusum ?? 0);
      note(peaks.missedCusum, e?.missedCusum ?? 0);
      note(
        peaks.missedCusumOfThreshold,
        e?.missedCusumThreshold ? e.missedCusum / e.missedCusumThreshold : 0,
      );
      note(peaks.sprtLlr, e?.sprtLlr ?? 0);
      note(peaks.alertRateRatio, alertRate ?? 0);
    };
    const noteEvents = (events: readonly DriftEvent[]) => {
      for (const e of events) {
        const phase = e.event_id.includes(':evidence:')
          ? 'evidence'
          : e.event_id.endsWith(':mature')
            ? 'mature'
            : 'close';
        const key = `${phase} ${e.verdict}`;
        result.verdicts[key] = (result.verdicts[key] ?? 0) + 1;
        if (e.retrain_recommended)
          result.recommendationDays.push(dayOf(driftDecisionTime(e, drift.chargebackWindowMs) - 1));
        if (phase === 'mature' && e.reasons.some((r) => r.startsWith('label drift:')))
          result.labelDriftDays.push(dayOf(e.window_start));
      }
    };
    let detectedCards: ReadonlySet<string> = new Set<string>();
    for (const day of stream.days) {
      const scores = await scorer.score(day.rows);
      result.apByDay.push(averagePrecision(scores, day.isFraud));
      result.apByDayByScenario.push(apByFraudScenario(scores, day.isFraud, day.scenarios));
      const evaluationRows = day.rows.map((row, i) => ({
        cardId: row.card_id,
        day: eventDay(row.event_time),
        score: scores[i] ?? 0,
        isFraud: day.isFraud[i] ?? false,
      }));
      const cardPrecision = cardPrecisionTopK(evaluationRows, k, { alreadyDetected: detectedCards });
      detectedCards = cardPrecision.detectedCards;
      result.cardPrecisionByDay.push(cardPrecision.mean);
      result.dailyCardPrecisionByDay.push(
        cardPrecisionTopK(evaluationRows, k, { removeDetectedCards: false }).mean,
      );
      result.modelByDay.push(scorer.version);
      const model = { version: scorer.version, threshold: manifest.threshold };
      const scoreRecords = day.rows.map((row, i) => scoreRecord(day, i, row, scores[i] ?? 0, model));
      for (const s of scoreRecords) alertedById.set(s.transaction_id, s.is_alert);

      // The analysts review the day's score alerts as they come, within their capacity.
      if (policy !== 'oracle') {
        const alerts: Alert[] = scoreRecords
          .filter((s) => s.is_alert)
          .map((s) => ({
            alert_id: `${s.transaction_id}:${s.model_version}`,
            kind: 'SCORE',
            raised_at: null,
            note: '',
            transaction_id: s.transaction_id,
            card_id: s.card_id,
            terminal_id: s.terminal_id,
            amount: s.amount,
            event_time: s.event_time,
            score: s.score,
            threshold: s.threshold,
            model_version: s.model_version,
            severity: 'LOW',
            reasons: [],
          }));
        const verdicts = desk.review(alerts, (id) => truth.get(id));
        result.scoreReviews += verdicts.length;
        result.alertsByDay.push(alerts.length);
        result.reviewedFraudsByDay.push(verdicts.filter((v) => v.is_fraud).length);
        pending.push(verdicts);
      }

      const requests: RetrainRequest[] = [];
      const dayEnd = day.start + DAY_MS;
      // Hour by hour: the monitor's investigations are answered hours later, within the same day.
      for (let h = day.start; h < dayEnd; h += HOUR_MS) {
        const deskLabels = policy === 'oracle' ? [] : pending.takeBefore(h + HOUR_MS);
        const chargebacks = day.labels.filter((l) => l.event_time >= h && l.event_time < h + HOUR_MS);
        const hourLabels = [...chargebacks, ...deskLabels].sort(
          (a, b) => a.event_time - b.event_time || (a.transaction_id < b.transaction_id ? -1 : 1),
        );
        if (policy !== 'oracle') trainerLabels.push(...hourLabels);
        if (!detector) continue;
        const hourScores = scoreRecords.filter((s) => s.event_time >= h && s.event_time < h + HOUR_MS);
        for (const record of mergeRecords(hourLabels, hourScores))
          if (record.kind === 'score') detector.observeScore(record.score);
          else detector.observeLabel(record.label);
        const outputs = detector.drain();
        notePeaks(day.index, detector.evidenceStats, detector.alertRateRatio(h + HOUR_MS));
        noteEvents(outputs.driftEvents);
        requests.push(...outputs.retrainRequests);
        if (outputs.investigations.length > 0) {
          const answers = desk.review(outputs.investigations.map(investigationAlert), (id) => truth.get(id));
          result.investigations += outputs.investigations.length;
          const investigated = new Set(outputs.investigations.map((i) => i.transactionId));
          for (const l of answers.filter((a) => a.is_fraud && investigated.has(a.transaction_id))) {
            result.investigationHits++;
            const scenario = truth.get(l.transaction_id)?.scenario ?? 'none';
            result.investigationHitsByScenario[scenario] =
              (result.investigationHitsByScenario[scenario] ?? 0) + 1;
          }
          if (!result.investigationDays.includes(day.index)) result.investigationDays.push(day.index);
          pending.push(answers);
        }
      }
      if (policy === 'periodic') requests.push(periodicRequest(dayEnd, scorer.version, drift));

      let promoted: { version: string; onnx: Uint8Array; manifest: ModelManifest } | null = null;
      if (oracle) {
        const started = performance.now();
        const { model, outcome } = await oracle.retrainAt(dayEnd);
        result.retrains.push({
          day: day.index,
          requestId: outcome.requestId,
          trigger: 'SCHEDULED',
          status: outcome.status,
          version: outcome.version,
          requestReason: 'prequential oracle',
          reason: outcome.reason,
          averagePrecisionGain: outcome.metrics.average_precision_gain ?? null,
          fraudsConfirmed: null,
          gateRecent: null,
          epochs: epochsOf(outcome.metrics),
          seconds: (performance.now() - started) / 1000,
        });
        if (outcome.status === 'SHADOW') promoted = model;
      }
      for (const request of requests) {
        const started = performance.now();
        const fraudsConfirmed = fraudsConfirmedByScenario(frauds, trainerLabels, request.event_time);
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
          fraudsConfirmed,
          gateRecent:
            outcome.metrics.gate_recent_rows === undefined
              ? null
              : {
                  rows: outcome.metrics.gate_recent_rows,
                  frauds: outcome.metrics.gate_recent_positives ?? 0,
                },
          epochs: epochsOf(outcome.metrics),
          seconds: (performance.now() - started) / 1000,
        });
        if (outcome.status === 'SHADOW' && outcome.version) {
          const changeContext = {
            actor: 'bench:quality',
            reason: `gate passed for ${request.request_id}`,
            eventTime: dayEnd,
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
              eventTime: dayEnd,
            }),
          );
        }
        for (const event of events)
          detector?.observeDeployment(
            event,
            promoted && event.model_version === promoted.version ? promoted.manifest : null,
          );
        // One model a day: after a promotion, later requests of the day name a retired parent.
        if (promoted) break;
      }
      if (promoted) {
        await scorer.release();
        scorer = await OnnxDayScorer.load(promoted.manifest, promoted.onnx);
        manifest = promoted.manifest;
      }
      if (policy === 'triggered' && requests.length > 0)
        for (const r of result.retrains.filter((x) => x.day === day.index))
          input.onDay?.(`  ${r.requestId}: ${r.requestReason}`);
      const todays = result.retrains.filter((x) => x.day === day.index);
      input.onDay?.(
        `${policy} day ${day.index}: AP ${result.apByDay[day.index]?.toFixed(3)} model ${result.modelByDay[day.index]}` +
          (todays.length > 0
            ? ` retrain ${todays
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
    oracle?.close();
    rmSync(root, { recursive: true, force: true });
  }
}

/** The epochs a job's challenger trained and the one early stopping kept, from the job's metrics. */
function epochsOf(metrics: Readonly<Record<string, number>>): RetrainRecord['epochs'] {
  const run = metrics.epochs_run;
  const best = metrics.best_epoch;
  return run === undefined || best === undefined ? null : { run, best };
}
