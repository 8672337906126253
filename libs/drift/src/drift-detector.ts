import {
  HOUR_MS,
  type DriftEvent,
  type DriftSeverity,
  type DriftVerdict,
  type EarlyEvidenceSummary,
  type Label,
  type ModelDeployment,
  type RetrainRequest,
  type RetrainTrigger,
  type Score,
} from '@fraudstream/contracts';
import type { DriftSettings } from './drift.config';
import { DriftWindow, type WindowDistributionStats, type WindowSnapshot } from './drift-window';
import {
  EarlyEvidenceMonitor,
  type EarlyAlarm,
  type EarlyEvidenceSnapshot,
  type EarlyEvidenceStats,
  type EvidenceReference,
  type Investigation,
} from './early-evidence.monitor';
import { EventTimeClock, type WatermarkInput } from './event-time.clock';
import {
  ReferenceMismatchError,
  prepareReference,
  type PreparedReference,
  type ReferenceManifest,
} from './reference-model';
import { RetrainPolicy, phaseSuffix, type DecisionPhase, type PolicyState } from './retrain.policy';
import { RowReservoir, hashPriority, labelledBy } from './row-reservoir';
import {
  NO_PERFORMANCE,
  VERDICT_RANK,
  distributionVerdict,
  judgePerformance,
  labelDrift,
  maturePerformance,
  pooledApDrop,
  provisionalPerformance,
  type Performance,
} from './window-verdicts';

export type { WatermarkInput } from './event-time.clock';

/** What the detector decided since the last drain: produce these, then checkpoint. */
export interface DriftOutputs {
  readonly driftEvents: DriftEvent[];
  readonly retrainRequests: RetrainRequest[];
  /** Transactions the analysts are asked to investigate (INVESTIGATE alerts). */
  readonly investigations: Investigation[];
}

/** Counters of inputs the detector did not aggregate, by reason (bounded set). */
export interface DriftSkipCounts {
  challenger: number;
  otherModel: number;
  noReference: number;
  badShape: number;
  late: number;
  labelTooOld: number;
  labelUnsampled: number;
}

export interface DriftStatus {
  readonly modelVersion: string | null;
  readonly watermark: number | null;
  /** The label watermark: the newest label time read minus the allowed lateness. */
  readonly labelWatermark: number | null;
  /**
   * Event time up to which the monitor can decide: the score watermark, held back by the label
   * watermark for at most the label lag. Verdicts and requests are dated no later than this.
   */
  readonly decidedUntil: number | null;
  readonly openWindows: number;
  readonly windowsAwaitingMaturity: number;
  /** Sampled transactions of closed windows with no label and not yet mature. */
  readonly labelBacklog: number;
  /** Share of sampled transactions of closed windows that are labelled or mature. */
  readonly labelMaturity: number;
  readonly pendingLabels: number;
  readonly openRequestId: string | null;
  readonly skipped: Readonly<DriftSkipCounts>;
}

/** When a model began serving (a promotion that replaced another) and stopped (the next one's). */
interface ServingSpan {
  from: number;
  until: number | null;
}

export interface DriftDetectorSnapshot {
  readonly format: 1;
  readonly references: ReferenceManifest[];
  readonly currentVersion: string | null;
  readonly productionSince: number | null;
  readonly maxEventTime: number | null;
  readonly maxLabelTime: number | null;
  readonly windows: WindowSnapshot[];
  readonly pendingLabels: [string, PendingLabel][];
  readonly policy: PolicyState;
  readonly skipped: DriftSkipCounts;
  /** Absent in checkpoints written before the early evidence existed. */
  readonly evidence?: EarlyEvidenceSnapshot;
  /** Absent in checkpoints written before the live performance baseline existed. */
  readonly performanceBaseline?: { windows: number; ap: number; auc: number };
  /** Absent in checkpoints written before promotions within a window were recorded. */
  readonly serving?: [string, ServingSpan][];
}

/** Labels that arrived before their score: the earliest fraud and legitimate verdict times. */
interface PendingLabel {
  fraudAt: number | null;
  legitAt: number | null;
}

/** EVIDENCE events carry no distribution statistics: a neutral placeholder for the score's. */
const EMPTY_PREDICTION = {
  feature: 'score',
  psi: 0,
  ks_statistic: 0,
  ks_p_value: 1,
  js_distance: 0,
  wasserstein: 0,
  p_value_adjusted: 1,
  drifted: false,
};

function evidenceReferenceOf(manifest: ReferenceManifest): EvidenceReference {
  return {
    version: manifest.version,
    threshold: manifest.threshold,
    missShare: 1 - manifest.metrics.validation.recall_at_threshold,
    falseAlertShare: 1 - manifest.metrics.validation.precision_at_threshold,
    novelty: manifest.reference.novelty ?? null,
    featureNames: manifest.feature_names,
    fraudRate: manifest.reference.fraud_rate,
  };
}

/**
 * The drift monitor's core, free of I/O, as an orchestrator of parts with one job each: the
 * event-time clock (watermarks, partition holds), the windows (aggregates, samples, labels), the
 * verdict functions, the retraining policy and the early-evidence monitor. A window closes when the
 * clock passes its end and matures a chargeback window later; each yields a drift event
 * (`<model>:<start>` at close, `<model>:<start>:mature` at maturity), early evidence yields
 * `<model>:<start>:evidence:<boundary>`. The state snapshots to JSON and restores exactly.
 */
export class DriftDetector {
  private readonly references = new Map<string, PreparedReference>();
  private current: PreparedReference | null = null;
  /** Event time of the production stage change applied last; older ones (a replay) are ignored. */
  private productionSince: number | null = null;
  /** Models promoted in place of another, or replaced: when they served (untestedPart). */
  private readonly serving = new Map<string, ServingSpan>();
  private readonly clock: EventTimeClock;
  private readonly policy: RetrainPolicy;
  private readonly evidence: EarlyEvidenceMonitor;
  private readonly windows = new Map<string, DriftWindow>();
  private lastWindow: DriftWindow | null = null;
  /** Earliest event time at which some window closes or matures (skips the scan on most events). */
  private nextBoundary = Number.POSITIVE_INFINITY;
  /** The earliest close or maturity boundary of any window (whether or not the labels passed it). */
  private earliestBoundary = Number.POSITIVE_INFINITY;
  private readonly pendingLabels = new Map<string, PendingLabel>();
  private skipped: DriftSkipCounts = {
    challenger: 0,
    otherModel: 0,
    noReference: 0,
    badShape: 0,
    late: 0,
    labelTooOld: 0,
    labelUnsampled: 0,
  };
  private driftEvents: DriftEvent[] = [];
  private retrainRequests: RetrainRequest[] = [];
  private investigations: Investigation[] = [];
  private readonly seasonal: ReadonlySet<string>;
  /** The production model's live performance baseline (sums over its first mature windows). */
  private baseline = { windows: 0, ap: 0, auc: 0 };

  constructor(readonly settings: DriftSettings) {
    this.seasonal = new Set(settings.seasonalFeatures);
    this.clock = new EventTimeClock(settings.allowedLatenessMs, settings.maxLabelLagMs);
    this.policy = new RetrainPolicy(settings);
    this.evidence = new EarlyEvidenceMonitor(settings.evidence);
  }

  get modelVersion(): string | null {
    return this.current?.version ?? null;
  }

  /** Alerts per transaction of the production model's last day against the days before (early evidence). */
  alertRateRatio(at: number): number | null {
    return this.evidence.active ? this.evidence.alertRateRatio(at) : null;
  }

  /** The early evidence's counters and statistics for the production model (null when it is off). */
  get evidenceStats(): EarlyEvidenceStats | null {
    return this.evidence.active ? this.evidence.stats() : null;
  }

  /** The score watermark (see EventTimeClock). */
  get watermark(): number | null {
    return this.clock.watermark;
  }

  /** The label watermark (see EventTimeClock). */
  get labelWatermark(): number | null {
    return this.clock.labelWatermark;
  }

  /**
   * Marks input partition `source` as behind its end (a backlog to read): the watermark of `input`
   * waits at the newest event time read from it, raised to `eventTime` (null: nothing read yet).
   * Call it before a backlogged partition's first batch and after each of its batches.
   */
  holdWatermark(input: WatermarkInput, source: string, eventTime: number | null): void {
    this.clock.hold(input, source, eventTime);
    this.catchUp();
  }

  /** `source` has reached its end: it no longer holds the watermark back. */
  releaseWatermark(input: WatermarkInput, source: string): void {
    if (this.clock.release(input, source)) this.catchUp();
  }

  /** Closes and matures the windows a released (or advanced) hold lets the watermarks pass. */
  private catchUp(): void {
    const scores = this.clock.watermark;
    if (scores !== null && scores >= this.earliestBoundary) this.advance();
  }

  /** Makes `manifest` the reference (a new production model); its windows start fresh, the old ones finish. */
  setReference(manifest: ReferenceManifest): void {
    if (this.current?.version === manifest.version) return;
    const prepared = prepareReference(manifest);
    this.references.set(prepared.version, prepared);
    this.current = prepared;
    this.evidence.setReference(evidenceReferenceOf(manifest));
    this.policy.startOver();
    this.baseline = { windows: 0, ap: 0, auc: 0 };
    this.lastWindow = null;
  }

  /** Whether `event` makes a model the production reference (a promotion newer than the one applied). */
  promotes(event: ModelDeployment): boolean {
    return (
      event.kind === 'STAGE_CHANGE' &&
      event.stage === 'PRODUCTION' &&
      (this.productionSince === null || event.event_time >= this.productionSince)
    );
  }

  /**
   * Applies a lifecycle event: closes the open request it answers and, for a promotion newer than
   * the last one applied, switches the reference to `manifest` (which also closes any open request:
   * it was about the previous model).
   */
  observeDeployment(event: ModelDeployment, manifest: ReferenceManifest | null): void {
    this.policy.observeDeployment(event, this.current?.version ?? null);
    if (this.promotes(event) && manifest) {
      if (manifest.version !== event.model_version) {
        throw new ReferenceMismatchError(
          `deployment of ${event.model_version} came with the manifest of ${manifest.version}`,
        );
      }
      const previous = this.current?.version ?? null;
      if (previous !== manifest.version) {
        this.policy.closeOpenRequest();
        if (previous !== null) {
          const span = this.serving.get(previous) ?? { from: -Infinity, until: null };
          this.serving.set(previous, { ...span, until: event.event_time });
          this.serving.set(manifest.version, { from: event.event_time, until: null });
        }
      }
      this.setReference(manifest);
      this.productionSince = event.event_time;
    }
  }

  /** The hot path: one score. Challenger rows and rows of another model than the reference are skipped. */
  observeScore(s: Score): void {
    if (s.role !== 'CHAMPION') {
      this.skipped.challenger++;
      return;
    }
    const ref = this.current;
    if (!ref) {
      this.skipped.noReference++;
      return;
    }
    if (s.model_version !== ref.version) {
      this.skipped.otherModel++;
      // The stream moved on all the same: after a switch, the old model's last scores (or, before
      // it, the new one's first) advance the clock, else a stream paused for the monitor to catch up
      // (the demo's backpressure) would wait on it for ever.
      this.clock.observeScoreTime(s.event_time);
      const watermark = this.clock.watermark;
      if (watermark !== null && watermark >= this.nextBoundary) this.advance();
      return;
    }
    if (s.features.length !== ref.featureNames.length) {
      this.skipped.badShape++;
      return;
    }
    const t = s.event_time;
    this.clock.observeScoreTime(t);
    const watermark = this.clock.watermark ?? t;
    let window = this.lastWindow;
    if (!window || t < window.start || t >= window.end || window.reference !== ref) {
      const start = Math.floor(t / this.settings.windowMs) * this.settings.windowMs;
      if (start + this.settings.windowMs <= watermark) {
        this.skipped.late++;
        return;
      }
      window = this.window(ref, start);
      this.lastWindow = window;
    }
    const priority = hashPriority(s.transaction_id, this.settings.sampleSeed);
    window.add(priority, s.transaction_id, s.card_id, t, s.score, s.features, s.terminal_id);
    this.evidence.observeScore({
      id: s.transaction_id,
      card: s.card_id,
      terminal: s.terminal_id,
      amount: s.amount,
      time: t,
      score: s.score,
      version: s.model_version,
      features: s.features,
    });
    // The evidence's first check (set by its first score) is a boundary too, before any window's end.
    const due = this.evidence.dueBoundary;
    if (due !== null && due < this.earliestBoundary) {
      this.earliestBoundary = due;
      this.nextBoundary = Math.min(this.nextBoundary, this.clock.trigger(due));
    }
    if (this.pendingLabels.size > 0) {
      const pending = this.pendingLabels.get(s.transaction_id);
      if (pending !== undefined) {
        this.pendingLabels.delete(s.transaction_id);
        if (pending.fraudAt !== null) {
          window.reservoir.label(s.transaction_id, true, pending.fraudAt);
          window.addFraudCard(t, s.card_id, pending.fraudAt);
        }
        if (pending.legitAt !== null) window.reservoir.label(s.transaction_id, false, pending.legitAt);
      }
    }
    if (watermark >= this.nextBoundary) this.advance();
  }

  /**
   * One label, known from its event time: confirms fraud (or legitimacy) of a sampled transaction
   * and marks its card for card precision@k. Label times are kept, so each evaluation counts exactly
   * the labels known at its boundary, whatever order the topics are read in.
   */
  observeLabel(label: Label): void {
    const at = label.event_time;
    this.evidence.observeLabel({
      transactionId: label.transaction_id,
      isFraud: label.is_fraud,
      source: label.source,
      transactionTime: label.transaction_time,
      eventTime: at,
    });
    this.clock.observeLabelTime(at);
    const start = Math.floor(label.transaction_time / this.settings.windowMs) * this.settings.windowMs;
    const priority = hashPriority(label.transaction_id, this.settings.sampleSeed);
    let applied = false;
    let windowSeen = false;
    let mayArrive = false;
    for (const w of this.windows.values()) {
      if (w.start !== start) continue;
      windowSeen = true;
      if (label.is_fraud) w.addFraudCard(label.transaction_time, label.card_id, at);
      if (w.reservoir.label(label.transaction_id, label.is_fraud, at)) applied = true;
      else if (!w.closed && w.reservoir.admits(priority)) mayArrive = true;
    }
    if (!applied) this.keepPending(label, start, windowSeen, mayArrive);
    const labels = this.clock.labelWatermark;
    if (labels !== null && labels >= this.earliestBoundary) {
      const scores = this.clock.watermark;
      if (scores !== null && scores >= this.earliestBoundary) this.advance();
      else this.nextBoundary = Math.min(this.nextBoundary, this.earliestBoundary);
    }
  }

  private keepPending(label: Label, start: number, windowSeen: boolean, mayArrive: boolean): void {
    const watermark = this.clock.watermark;
    const tooOld = watermark !== null && start + this.settings.windowMs <= watermark;
    if (tooOld && !windowSeen) {
      this.skipped.labelTooOld++;
      return;
    }
    if (windowSeen && !mayArrive) {
      this.skipped.labelUnsampled++;
      return;
    }
    // The score has not arrived yet (topics are consumed independently): keep the label for it.
    if (this.settings.maxPendingLabels === 0) return;
    const pending = this.pendingLabels.get(label.transaction_id) ?? { fraudAt: null, legitAt: null };
    const at = label.event_time;
    if (label.is_fraud) pending.fraudAt = pending.fraudAt === null ? at : Math.min(pending.fraudAt, at);
    else pending.legitAt = pending.legitAt === null ? at : Math.min(pending.legitAt, at);
    this.pendingLabels.set(label.transaction_id, pending);
    if (this.pendingLabels.size > this.settings.maxPendingLabels) {
      const oldest = this.pendingLabels.keys().next().value;
      if (oldest !== undefined) this.pendingLabels.delete(oldest);
    }
  }

  /** Whether anything was decided since the last `drain`. */
  get hasOutputs(): boolean {
    return this.driftEvents.length + this.retrainRequests.length + this.investigations.length > 0;
  }

  /** What was decided since the last call: drift events, retrain requests and investigations. */
  drain(): DriftOutputs {
    const out = {
      driftEvents: this.driftEvents,
      retrainRequests: this.retrainRequests,
      investigations: this.investigations,
    };
    this.driftEvents = [];
    this.retrainRequests = [];
    this.investigations = [];
    return out;
  }

  status(): DriftStatus {
    const watermark = this.clock.watermark;
    let open = 0;
    let awaiting = 0;
    let backlog = 0;
    let sampled = 0;
    for (const w of this.windows.values()) {
      if (!w.closed) {
        open++;
        continue;
      }
      awaiting++;
      for (const row of w.reservoir.rows()) {
        sampled++;
        if (watermark === null) continue;
        const mature = row.time + this.settings.chargebackWindowMs <= watermark;
        if (!mature && !labelledBy(row, watermark)) backlog++;
      }
    }
    return {
      modelVersion: this.modelVersion,
      watermark,
      labelWatermark: this.clock.labelWatermark,
      decidedUntil: this.clock.passedUntil(),
      openWindows: open,
      windowsAwaitingMaturity: awaiting,
      labelBacklog: backlog,
      labelMaturity: sampled === 0 ? 1 : (sampled - backlog) / sampled,
      pendingLabels: this.pendingLabels.size,
      openRequestId: this.policy.openRequestId,
      skipped: { ...this.skipped },
    };
  }

  snapshot(): DriftDetectorSnapshot {
    const live = new Set<string>([...this.windows.values()].map((w) => w.version));
    if (this.current) live.add(this.current.version);
    return {
      format: 1,
      references: [...live].flatMap((v) => {
        const r = this.references.get(v);
        return r ? [r.manifest] : [];
      }),
      currentVersion: this.current?.version ?? null,
      productionSince: this.productionSince,
      ...this.clock.snapshot(),
      windows: [...this.windows.values()].map((w) => w.snapshot()),
      pendingLabels: [...this.pendingLabels.entries()].map(([id, p]) => [id, { ...p }]),
      policy: this.policy.state,
      skipped: { ...this.skipped },
      evidence: this.evidence.snapshot(),
      performanceBaseline: { ...this.baseline },
      serving: [...this.serving.entries()].flatMap(([version, span]): [string, ServingSpan][] =>
        live.has(version) ? [[version, { ...span }]] : [],
      ),
    };
  }

  static restore(settings: DriftSettings, s: DriftDetectorSnapshot): DriftDetector {
    const d = new DriftDetector(settings);
    for (const m of s.references) d.references.set(m.version, prepareReference(m));
    d.current = s.currentVersion === null ? null : (d.references.get(s.currentVersion) ?? null);
    d.productionSince = s.productionSince;
    for (const [version, span] of s.serving ?? []) d.serving.set(version, { ...span });
    d.clock.restore(s);
    for (const ws of s.windows) {
      const ref = d.references.get(ws.version);
      if (!ref) continue;
      const w = DriftWindow.restore(ws, ref, settings.analystDailyCapacity, settings.maxFraudCardsPerDay);
      d.windows.set(`${w.version}|${w.start}`, w);
    }
    for (const [id, p] of s.pendingLabels) d.pendingLabels.set(id, { ...p });
    d.policy.restore(s.policy);
    d.skipped = { ...s.skipped };
    if (d.current) {
      d.evidence.setReference(evidenceReferenceOf(d.current.manifest));
      if (s.evidence) d.evidence.restoreState(s.evidence);
      if (s.performanceBaseline) d.baseline = { ...s.performanceBaseline };
    }
    d.recomputeBoundary();
    return d;
  }

  private window(ref: PreparedReference, start: number): DriftWindow {
    const key = `${ref.version}|${start}`;
    let w = this.windows.get(key);
    if (!w) {
      const reservoir = new RowReservoir(this.settings.reservoirSize, ref.featureNames.length);
      w = new DriftWindow(
        ref,
        start,
        start + this.settings.windowMs,
        reservoir,
        this.settings.analystDailyCapacity,
        this.settings.maxFraudCardsPerDay,
      );
      this.windows.set(key, w);
      this.earliestBoundary = Math.min(this.earliestBoundary, w.end);
      this.nextBoundary = Math.min(this.nextBoundary, this.clock.trigger(w.end));
    }
    return w;
  }

  private recomputeBoundary(): void {
    let earliest = Number.POSITIVE_INFINITY;
    let next = Number.POSITIVE_INFINITY;
    for (const w of this.windows.values()) {
      const b = w.closed ? w.end + this.settings.chargebackWindowMs : w.end;
      earliest = Math.min(earliest, b);
      next = Math.min(next, this.clock.trigger(b));
    }
    const due = this.evidence.dueBoundary;
    if (due !== null) {
      earliest = Math.min(earliest, due);
      next = Math.min(next, this.clock.trigger(due));
    }
    this.earliestBoundary = earliest;
    this.nextBoundary = next;
  }

  /** Runs the early-evidence checks, then closes and matures every window whose boundary has passed, oldest first. */
  private advance(): void {
    const until = this.clock.passedUntil();
    const due = [...this.windows.values()].sort(
      (a, b) => a.start - b.start || (a.version < b.version ? -1 : 1),
    );
    // In event-time order: the early-evidence checks up to a window's boundary run before the
    // window closes or matures, so its event carries the evidence as of its boundary whatever the
    // batching (a restart that reads bigger batches decides alike).
    for (const w of due) {
      if (!w.closed && this.clock.passed(w.end)) {
        this.advanceEvidence(w.end);
        this.closeWindow(w);
      }
      const matured = w.end + this.settings.chargebackWindowMs;
      if (w.closed && this.clock.passed(matured)) {
        this.advanceEvidence(matured);
        this.matureWindow(w);
        this.windows.delete(`${w.version}|${w.start}`);
        if (this.lastWindow === w) this.lastWindow = null;
      }
    }
    if (until !== null) this.advanceEvidence(until);
    // Labels waiting for scores of windows that already matured can no longer count.
    if (this.pendingLabels.size > 0 && this.windows.size === 0) this.pendingLabels.clear();
    this.recomputeBoundary();
  }

  /**
   * Runs the early-evidence checks up to `until` and turns their alarms into events and requests;
   * then a follow-up of an early-evidence retrain that fell due, at the check boundary after it.
   */
  private advanceEvidence(until: number): void {
    this.evidence.advanceTo(until);
    const { investigations, alarms } = this.evidence.drain();
    this.investigations.push(...investigations);
    for (const alarm of alarms) this.raiseEarlyAlarm(alarm);
    const version = this.current?.version;
    const interval = this.settings.evidence.checkIntervalMs;
    const due = version ? this.policy.dueFollowUp(version, Math.floor(until / interval) * interval) : null;
    if (due) {
      this.raiseEarlyAlarm({
        kind: due.trigger,
        followUpDepth: due.depth,
        retries: due.retries,
        at: Math.ceil(due.at / interval) * interval,
        summary: due.deferred
          ? `early evidence (${due.trigger}) asked again: the retrain budget held it back, and now ` +
            `allows it`
          : due.retries > 0
            ? `early evidence (${due.trigger}) asked again: its last challenger was refused, the evidence ` +
              `stands, and a retrain now has the labels confirmed since`
            : `follow-up of the early-evidence (${due.trigger}) retrain that made ${version} serve: the labels ` +
              `confirmed since then, for a model that learns from more than the drift's first days`,
      });
    }
  }

  private isCurrent(w: DriftWindow): boolean {
    return this.current !== null && w.reference === this.current;
  }

  /**
   * Why a window is not judged, when a promotion within it cut it (the old model scored its hours
   * before, the new one those after): the part its model served; null when it served all of it. A
   * part of a day is not comparable with a reference of whole days (the first hours are night): on
   * the demo, the old model's 629 scores of a promotion day's first hours came out as
   * `PREDICTION_DRIFT` (`is_night` PSI 9.7).
   */
  private untestedPart(w: DriftWindow): string | null {
    const span = this.serving.get(w.version);
    if (!span) return null;
    const from = Math.max(w.start, span.from);
    const until = Math.min(w.end, span.until ?? Infinity);
    if (from === w.start && until === w.end) return null;
    const clock = (t: number) => new Date(t).toISOString().slice(11, 16);
    return (
      `${w.version} served only ${clock(from)}-${until >= w.end ? 'the end' : clock(until)} ` +
      'of this window (a promotion within it): not judged against whole days'
    );
  }

  /** Why a window's distributions were not tested, or null when they were. */
  private untested(w: DriftWindow): string | null {
    const part = this.untestedPart(w);
    if (part) return part;
    if (w.rowCount < this.settings.minWindowCount)
      return `${w.rowCount} scores in the window, fewer than the ${this.settings.minWindowCount} required`;
    return null;
  }

  private closeWindow(w: DriftWindow): void {
    const s = this.settings;
    const boundary = w.end;
    const untested = this.untested(w);
    const enough = untested === null;
    const stats = w.close(s.fdr, s.psiThreshold, enough, this.seasonal);
    const reasons: string[] = [];
    let verdict: DriftVerdict = 'NO_DRIFT';
    let severity: DriftSeverity = 'NONE';
    let recommend = false;
    const rows = w.reservoir.rows();
    let known = 0;
    for (const row of rows)
      if (labelledBy(row, boundary) || row.time + s.chargebackWindowMs <= boundary) known++;
    let perf: Performance = { ...NO_PERFORMANCE, matureLabels: known };
    if (untested !== null) {
      verdict = 'INSUFFICIENT_DATA';
      reasons.push(untested);
    } else {
      const distribution = distributionVerdict(stats, s);
      ({ verdict, severity } = distribution);
      reasons.push(...distribution.reasons);
      if (this.isCurrent(w)) {
        const rule = this.policy.featureRule(w.start, stats.driftedFeatures, reasons);
        if (rule !== null)
          recommend = this.request(w, 'close', boundary, 'FEATURE_DRIFT', severity, rule, reasons);
      }
      const provisional = provisionalPerformance(rows, boundary, w.reference.manifest, s);
      if (provisional) {
        reasons.push(provisional.reason);
        perf = {
          ...perf,
          positives: provisional.positives,
          rocAuc: provisional.auc,
          recall: provisional.recall,
        };
        if (provisional.degraded && VERDICT_RANK[verdict] < VERDICT_RANK.PERFORMANCE_DRIFT) {
          verdict = 'PERFORMANCE_DRIFT';
          severity = 'MEDIUM';
        }
      }
    }
    this.emit(w, 'close', boundary, stats, verdict, severity, recommend, reasons, perf);
  }

  private matureWindow(w: DriftWindow): void {
    const s = this.settings;
    const stats = w.closed;
    if (!stats) return;
    const boundary = w.end + s.chargebackWindowMs;
    const perf = maturePerformance(w, boundary, s);
    const part = this.untestedPart(w);
    if (part !== null) {
      // Its performance and fraud rate are a part of a day's too: neither judged nor a baseline.
      this.emit(w, 'mature', boundary, stats, 'INSUFFICIENT_DATA', 'NONE', false, [part], perf);
      return;
    }
    const reasons: string[] = [];
    const untested = this.untested(w);
    let verdict: DriftVerdict = 'INSUFFICIENT_DATA';
    let severity: DriftSeverity = 'NONE';
    if (untested === null) {
      const distribution = distributionVerdict(stats, s);
      ({ verdict, severity } = distribution);
      reasons.push(...distribution.reasons);
    } else reasons.push(untested);
    let recommend = false;
    const current = this.isCurrent(w);

    const against = this.performanceReference(w, perf, reasons);
    const judgement = against ? judgePerformance(perf, against.metrics, s, against.name) : null;
    if (judgement) {
      // Once the early evidence has spent its retries on this model, a sustained drop is judged over
      // the days together, which shows it before any one day's bound can. Not before: on a quiet
      // stream a lucky baseline and a few compromised terminals make drops of that size too.
      const m = s.performanceConsecutiveWindows;
      const run = current ? this.policy.consecutiveMatureAps(w.start, judgement.averagePrecision, m) : null;
      const pooled =
        run && m > 1 && this.policy.earlyEvidenceSpent ? pooledApDrop(run, s.performanceConfidenceZ) : null;
      const pooledDrop = pooled?.dropped === true;
      const dropped = judgement.degraded || pooledDrop;
      const drops = current ? this.policy.notePerformance(w.start, !dropped) : 0;
      if (dropped) {
        verdict = 'PERFORMANCE_DRIFT';
        severity = judgement.severity;
        const reason = pooledDrop
          ? `performance dropped over ${m} mature windows: ${pooled.summary}; this window: ${judgement.summary}`
          : `performance dropped: ${judgement.summary}`;
        reasons.push(reason);
        // One day's AP on a small population moves by ±0.1: a drop must persist to ask for a retrain.
        if (current && (pooledDrop || drops >= m)) {
          recommend = true;
          this.request(
            w,
            'mature',
            boundary,
            'PERFORMANCE_DRIFT',
            severity,
            pooledDrop ? reason : `${reason} (${drops} mature windows running)`,
            reasons,
          );
        } else if (current)
          reasons.push(`${drops} of ${m} mature windows running dropped: not retraining yet`);
      } else reasons.push(`performance holds: ${judgement.summary}`);
    } else if (perf.averagePrecision === null || perf.rocAuc === null) {
      reasons.push(
        `performance not evaluated: ${perf.matureLabels} mature labels and ${perf.positives} frauds ` +
          `(need ${s.minMatureLabels} and ${s.minMaturePositives})`,
      );
    }

    const labelFinding = labelDrift(perf, w.reference.manifest.reference.fraud_rate, s);
    if (labelFinding !== null) {
      reasons.push(`label drift: ${labelFinding}`);
      if (VERDICT_RANK[verdict] < VERDICT_RANK.LABEL_DRIFT) {
        verdict = 'LABEL_DRIFT';
        severity = 'MEDIUM';
      }
      if (current && s.retrainOnLabelDrift && !recommend) {
        recommend = true;
        this.request(w, 'mature', boundary, 'LABEL_DRIFT', 'MEDIUM', `label drift: ${labelFinding}`, reasons);
      }
    }
    this.emit(w, 'mature', boundary, stats, verdict, severity, recommend, reasons, perf);
  }

  /**
   * What a mature window's performance is judged against. For the production model: its own first
   * `performanceBaselineWindows` mature windows (their mean AP and ROC-AUC), measured live; the
   * validation day is a noisy and optimistic stand-in (a 3-day hold-out of ~100 frauds: AP 0.988
   * on one benchmark seed whose live days ran 0.6-0.8, and the stable stream asked for retrains).
   * Null while the baseline is being measured (the window then only adds to it). Older models'
   * windows, and a baseline of 0 windows, use the validation metrics.
   */
  private performanceReference(
    w: DriftWindow,
    perf: Performance,
    reasons: string[],
  ): { metrics: { average_precision: number; roc_auc: number }; name: string } | null {
    const validation = w.reference.manifest.metrics.validation;
    const size = this.settings.performanceBaselineWindows;
    if (!this.isCurrent(w) || size === 0) return { metrics: validation, name: 'validation' };
    const b = this.baseline;
    if (b.windows >= size)
      return {
        metrics: { average_precision: b.ap / b.windows, roc_auc: b.auc / b.windows },
        name: `the mean of its first ${size} mature windows`,
      };
    if (perf.averagePrecision === null || perf.rocAuc === null) return null;
    b.windows++;
    b.ap += perf.averagePrecision;
    b.auc += perf.rocAuc;
    reasons.push(
      `performance baseline, window ${b.windows} of ${size}: AP ${perf.averagePrecision.toFixed(4)}, ` +
        `ROC-AUC ${perf.rocAuc.toFixed(4)} (validation AP ${validation.average_precision.toFixed(4)}, ` +
        `ROC-AUC ${validation.roc_auc.toFixed(4)})`,
    );
    return null;
  }

  /** An early-evidence alarm: a drift event of phase EVIDENCE and, by the policy, a retrain request. */
  private raiseEarlyAlarm(alarm: EarlyAlarm): void {
    const ref = this.current;
    if (!ref) return;
    const start = Math.floor((alarm.at - 1) / this.settings.windowMs) * this.settings.windowMs;
    const w = this.windows.get(`${ref.version}|${start}`) ?? this.window(ref, start);
    const reasons = [`early evidence (${alarm.kind}): ${alarm.summary}`];
    const trigger: RetrainTrigger = alarm.kind;
    // DRIFT_RETRAIN_ON_ALERT_PRECISION=false makes a precision drop a warning only: its retrains
    // recovered most shifted streams but served worse than the base model on some (docs/quality.md).
    const recommend = alarm.kind !== 'ALERT_PRECISION' || this.settings.retrainOnAlertPrecision;
    if (recommend)
      this.request(
        w,
        'evidence',
        alarm.at,
        trigger,
        'HIGH',
        alarm.summary,
        reasons,
        alarm.followUpDepth ?? 0,
        alarm.retries ?? 0,
      );
    else
      reasons.push('ALERT_PRECISION warns only (DRIFT_RETRAIN_ON_ALERT_PRECISION=false): no retrain asked');
    this.driftEvents.push({
      event_id: `${w.version}:${w.start}${phaseSuffix('evidence', alarm.at)}`,
      phase: 'EVIDENCE',
      model_version: w.version,
      window_start: w.start,
      window_end: w.end,
      // How many of the window's scores have arrived depends on how the topics interleave.
      row_count: 0,
      verdict: 'PERFORMANCE_DRIFT',
      severity: 'HIGH',
      features: [],
      prediction: EMPTY_PREDICTION,
      fraud_rate_reference: ref.manifest.reference.fraud_rate,
      fraud_rate_live: null,
      fraud_rate_p_value: null,
      mature_labels: 0,
      average_precision: null,
      roc_auc: null,
      recall_at_threshold: null,
      card_precision_at_k: null,
      reference_average_precision: ref.manifest.metrics.validation.average_precision,
      retrain_recommended: recommend,
      reasons,
      evidence: this.evidenceSummary(alarm.kind, alarm.at),
    });
  }

  /** Asks the policy for a request; true when it was made (the decision recommends either way). */
  private request(
    w: DriftWindow,
    phase: DecisionPhase,
    eventTime: number,
    trigger: RetrainTrigger,
    severity: DriftSeverity,
    reason: string,
    reasons: string[],
    /** 0, or how deep in a chain of follow-ups of an early-evidence retrain. */
    followUpDepth = 0,
    /** How many times this link of an early-evidence chain was refused and asked again. */
    retries = 0,
  ): boolean {
    const request = this.policy.request(
      {
        modelVersion: w.version,
        windowStart: w.start,
        phase,
        eventTime,
        trigger,
        severity,
        reason,
        followUpDepth,
        retries,
      },
      reasons,
    );
    if (request) this.retrainRequests.push(request);
    return true;
  }

  /** The early evidence's counters for a drift event (null when the novelty test is off). */
  private evidenceSummary(kind: EarlyEvidenceSummary['kind'], at: number): EarlyEvidenceSummary | null {
    if (!this.evidence.active) return null;
    const e = this.evidence.stats();
    const domain = this.evidence.fraudDomain(at);
    return {
      kind,
      reference_frauds: e.referenceFrauds,
      chargebacks: e.chargebacksObserved,
      missed_chargebacks: e.missedChargebacks,
      novel_missed_frauds: e.seeds,
      investigations: e.investigations,
      investigation_verdicts: e.investigationVerdicts,
      investigation_frauds: e.investigationHits,
      sprt_llr: e.sprtLlr,
      missed_cusum: e.missedCusum,
      missed_cusum_threshold: e.missedCusumThreshold,
      alert_reviews: e.alertReviews,
      false_alerts: e.falseAlerts,
      false_alert_cusum: e.falseAlertCusum,
      fraud_domain_auc: domain?.auc ?? null,
      fraud_domain_p_value: domain?.pValue ?? null,
      fraud_domain_frauds: domain?.frauds ?? 0,
      median_chargeback_delay_hours:
        e.medianChargebackDelayMs === null ? null : e.medianChargebackDelayMs / HOUR_MS,
    };
  }

  private emit(
    w: DriftWindow,
    phase: 'close' | 'mature',
    boundary: number,
    stats: WindowDistributionStats,
    verdict: DriftVerdict,
    severity: DriftSeverity,
    recommend: boolean,
    reasons: string[],
    perf: Performance,
  ): void {
    const ref = w.reference.manifest;
    this.driftEvents.push({
      event_id: `${w.version}:${w.start}${phaseSuffix(phase, boundary)}`,
      phase: phase === 'close' ? 'CLOSE' : 'MATURE',
      model_version: w.version,
      window_start: w.start,
      window_end: w.end,
      row_count: w.rowCount,
      verdict,
      severity,
      features: stats.features,
      prediction: stats.prediction,
      fraud_rate_reference: ref.reference.fraud_rate,
      fraud_rate_live: perf.fraudRate,
      fraud_rate_p_value: perf.fraudRatePValue,
      mature_labels: perf.matureLabels,
      average_precision: perf.averagePrecision,
      roc_auc: perf.rocAuc,
      recall_at_threshold: perf.recall,
      card_precision_at_k: perf.cardPrecision,
      reference_average_precision: ref.metrics.validation.average_precision,
      retrain_recommended: recommend,
      reasons,
      evidence: this.isCurrent(w) ? this.evidenceSummary('NONE', boundary) : null,
    });
  }
}
