import type {
  DriftEvent,
  DriftSeverity,
  EarlyEvidenceSummary,
  DriftVerdict,
  Label,
  ModelDeployment,
  RetrainRequest,
  RetrainSeverity,
  RetrainTrigger,
  Score,
} from '@fraudstream/contracts';
import type { DriftSettings } from './drift.config';
import { DriftWindow, type WindowDistributionStats, type WindowSnapshot } from './drift-window';
import { twoProportionZTest } from './distribution.stats';
import { averagePrecision, recallAtThreshold, rocAuc } from './evaluation.stats';
import {
  ReferenceMismatchError,
  prepareReference,
  type PreparedReference,
  type ReferenceManifest,
} from './reference-model';
import { RowReservoir, fraudBy, hashPriority, labelledBy, type SampledRow } from './row-reservoir';
import {
  EarlyEvidenceMonitor,
  type EarlyAlarm,
  type EarlyEvidenceSnapshot,
  type Investigation,
} from './early-evidence.monitor';

/** The two inputs whose partitions hold the watermarks: champion scores and labels. */
export type WatermarkInput = 'scores' | 'labels';

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
  readonly evidence?: EarlyEvidenceSnapshot;
}

/** Labels that arrived before their score: the earliest fraud and legitimate verdict times. */
interface PendingLabel {
  fraudAt: number | null;
  legitAt: number | null;
}

interface PolicyState {
  consecutiveDriftWindows: number;
  lastRequestTime: number | null;
  openRequest: { id: string; eventTime: number } | null;
  /** Start of the current run of feature-drifted windows, or null. */
  driftStreakStart: number | null;
  /**
   * Whether the latest matured window of the current model (within the current drift streak, if
   * any) kept its performance; null when unknown.
   */
  performanceHolds: boolean | null;
}

interface Performance {
  readonly matureLabels: number;
  readonly positives: number;
  readonly fraudRate: number | null;
  readonly fraudRatePValue: number | null;
  readonly averagePrecision: number | null;
  readonly rocAuc: number | null;
  readonly recall: number | null;
  readonly cardPrecision: number | null;
}

const NO_PERFORMANCE: Performance = {
  matureLabels: 0,
  positives: 0,
  fraudRate: null,
  fraudRatePValue: null,
  averagePrecision: null,
  rocAuc: null,
  recall: null,
  cardPrecision: null,
};

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

const VERDICT_RANK: Record<DriftVerdict, number> = {
  INSUFFICIENT_DATA: 0,
  NO_DRIFT: 1,
  COVARIATE_DRIFT: 2,
  PREDICTION_DRIFT: 3,
  LABEL_DRIFT: 4,
  PERFORMANCE_DRIFT: 5,
};

function round(x: number, digits = 4): string {
  return Number.isFinite(x) ? x.toFixed(digits) : String(x);
}

function finiteOrNull(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}

/**
 * The drift monitor's core, free of I/O: it aggregates champion scores into event-time windows,
 * applies labels, closes a window when the watermark (newest score event time minus the allowed
 * lateness) passes its end, evaluates it again once its labels are mature (chargeback window after
 * its end), and applies the retraining policy. Each window yields two drift events: at close
 * (`<model>:<start>`, feature and prediction drift) and at maturity (`<model>:<start>:mature`,
 * adding label and performance drift). The state snapshots to JSON and restores exactly.
 */
export class DriftDetector {
  private readonly references = new Map<string, PreparedReference>();
  private current: PreparedReference | null = null;
  /** Event time of the production stage change applied last; older ones (a replay) are ignored. */
  private productionSince: number | null = null;
  private maxEventTime: number | null = null;
  private maxLabelTime: number | null = null;
  /**
   * Per input partition with a backlog, the newest event time read from it (-Infinity before its
   * first record): the watermarks wait for the slowest of them, so a catch-up that reads one
   * partition ahead of another closes no window the other still holds records of.
   */
  private readonly holds: Record<WatermarkInput, Map<string, number>> = {
    scores: new Map(),
    labels: new Map(),
  };
  private readonly windows = new Map<string, DriftWindow>();
  private lastWindow: DriftWindow | null = null;
  /** Earliest event time at which some window closes or matures (skips the scan on most events). */
  private nextBoundary = Number.POSITIVE_INFINITY;
  /** The earliest close or maturity boundary of any window (whether or not the labels passed it). */
  private earliestBoundary = Number.POSITIVE_INFINITY;
  private readonly pendingLabels = new Map<string, PendingLabel>();
  private policy: PolicyState = {
    consecutiveDriftWindows: 0,
    lastRequestTime: null,
    openRequest: null,
    driftStreakStart: null,
    performanceHolds: null,
  };
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
  private readonly evidence: EarlyEvidenceMonitor;

  private readonly seasonal: ReadonlySet<string>;

  constructor(readonly settings: DriftSettings) {
    this.seasonal = new Set(settings.seasonalFeatures);
    this.evidence = new EarlyEvidenceMonitor(settings.evidence);
  }

  get modelVersion(): string | null {
    return this.current?.version ?? null;
  }

  /**
   * The event-time watermark: newest champion score time (or the slowest held partition's, if older)
   * minus the allowed lateness.
   */
  get watermark(): number | null {
    return this.heldWatermark(this.maxEventTime, this.holds.scores);
  }

  /** The label watermark: newest label event time (or the slowest held partition's) minus the allowed lateness. */
  get labelWatermark(): number | null {
    return this.heldWatermark(this.maxLabelTime, this.holds.labels);
  }

  private heldWatermark(newest: number | null, holds: ReadonlyMap<string, number>): number | null {
    if (newest === null) return null;
    let t = newest;
    for (const held of holds.values()) t = Math.min(t, held);
    return t - this.settings.allowedLatenessMs;
  }

  /**
   * Marks input partition `source` as behind its end (a backlog to read): the watermark of `input`
   * waits at the newest event time read from it, raised to `eventTime` (null: nothing read yet).
   * Call it before a backlogged partition's first batch and after each of its batches.
   */
  holdWatermark(input: WatermarkInput, source: string, eventTime: number | null): void {
    const held = this.holds[input].get(source) ?? Number.NEGATIVE_INFINITY;
    this.holds[input].set(source, Math.max(held, eventTime ?? Number.NEGATIVE_INFINITY));
    this.catchUp();
  }

  /** `source` has reached its end: it no longer holds the watermark back. */
  releaseWatermark(input: WatermarkInput, source: string): void {
    if (this.holds[input].delete(source)) this.catchUp();
  }

  /** Closes and matures the windows a released (or advanced) hold lets the watermarks pass. */
  private catchUp(): void {
    const scores = this.watermark;
    if (scores !== null && scores >= this.earliestBoundary) this.advance();
  }

  /** Whether event time has passed boundary `b`: the scores have, and the labels have too (or lag too far). */
  private passed(b: number): boolean {
    const scores = this.watermark;
    if (scores === null || scores < b) return false;
    const labels = this.labelWatermark;
    return (labels !== null && labels >= b) || scores >= b + this.settings.maxLabelLagMs;
  }

  /** Makes `manifest` the reference (a new production model); its windows start fresh, the old ones finish. */
  setReference(manifest: ReferenceManifest): void {
    if (this.current?.version === manifest.version) return;
    const prepared = prepareReference(manifest);
    this.references.set(prepared.version, prepared);
    this.current = prepared;
    this.evidence.setReference({
      version: manifest.version,
      threshold: manifest.threshold,
      missShare: 1 - manifest.metrics.validation.recall_at_threshold,
      novelty: manifest.reference.novelty ?? null,
      featureNames: manifest.feature_names,
    });
    this.policy.consecutiveDriftWindows = 0;
    this.policy.driftStreakStart = null;
    this.policy.performanceHolds = null;
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
   * Applies a lifecycle event: closes the open request it answers (a stage change to production,
   * rejected or retired, or a failed job, carrying its request id) and, for a promotion newer than
   * the last one applied, switches the reference to `manifest` (which also closes any open request:
   * it was about the previous model).
   */
  observeDeployment(event: ModelDeployment, manifest: ReferenceManifest | null): void {
    const open = this.policy.openRequest;
    const refused =
      event.kind === 'JOB_FAILED' || (event.kind === 'STAGE_CHANGE' && event.stage === 'REJECTED');
    const answers =
      refused || (event.kind === 'STAGE_CHANGE' && ['PRODUCTION', 'RETIRED'].includes(event.stage));
    if (open && event.request_id === open.id && answers) {
      this.policy.openRequest = null;
      // A refused challenger leaves the drift in place: the next request need not wait the whole
      // cooldown, only the retry delay after this answer (kept as an earlier last-request time).
      const last = this.policy.lastRequestTime;
      const retryFrom = event.event_time + this.settings.retryAfterRejectionMs - this.settings.cooldownMs;
      if (refused && last !== null && retryFrom < last) this.policy.lastRequestTime = retryFrom;
    }
    if (this.promotes(event) && manifest) {
      if (manifest.version !== event.model_version) {
        throw new ReferenceMismatchError(
          `deployment of ${event.model_version} came with the manifest of ${manifest.version}`,
        );
      }
      // A new production model answers whatever was asked of the previous one.
      if (this.current?.version !== manifest.version) this.policy.openRequest = null;
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
      return;
    }
    if (s.features.length !== ref.featureNames.length) {
      this.skipped.badShape++;
      return;
    }
    const t = s.event_time;
    if (this.maxEventTime === null || t > this.maxEventTime) this.maxEventTime = t;
    const watermark = this.watermark ?? t;
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
    window.add(priority, s.transaction_id, s.card_id, t, s.score, s.features);
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
      this.nextBoundary = Math.min(this.nextBoundary, this.trigger(due));
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
    if (this.maxLabelTime === null || at > this.maxLabelTime) this.maxLabelTime = at;
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
    const labels = this.labelWatermark;
    if (labels !== null && labels >= this.earliestBoundary) {
      const scores = this.watermark;
      if (scores !== null && scores >= this.earliestBoundary) this.advance();
      else this.nextBoundary = Math.min(this.nextBoundary, this.earliestBoundary);
    }
  }

  private keepPending(label: Label, start: number, windowSeen: boolean, mayArrive: boolean): void {
    const watermark = this.watermark;
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

  /** The drift events and retrain requests decided since the last call. */
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
    const watermark = this.watermark;
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
      openWindows: open,
      windowsAwaitingMaturity: awaiting,
      labelBacklog: backlog,
      labelMaturity: sampled === 0 ? 1 : (sampled - backlog) / sampled,
      pendingLabels: this.pendingLabels.size,
      openRequestId: this.policy.openRequest?.id ?? null,
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
      maxEventTime: this.maxEventTime,
      maxLabelTime: this.maxLabelTime,
      windows: [...this.windows.values()].map((w) => w.snapshot()),
      pendingLabels: [...this.pendingLabels.entries()].map(([id, p]) => [id, { ...p }]),
      policy: { ...this.policy },
      skipped: { ...this.skipped },
      evidence: this.evidence.snapshot(),
    };
  }

  static restore(settings: DriftSettings, s: DriftDetectorSnapshot): DriftDetector {
    const d = new DriftDetector(settings);
    for (const m of s.references) d.references.set(m.version, prepareReference(m));
    d.current = s.currentVersion === null ? null : (d.references.get(s.currentVersion) ?? null);
    d.productionSince = s.productionSince;
    d.maxEventTime = s.maxEventTime;
    d.maxLabelTime = s.maxLabelTime;
    for (const ws of s.windows) {
      const ref = d.references.get(ws.version);
      if (!ref) continue;
      const w = DriftWindow.restore(ws, ref, settings.analystDailyCapacity, settings.maxFraudCardsPerDay);
      d.windows.set(`${w.version}|${w.start}`, w);
    }
    for (const [id, p] of s.pendingLabels) d.pendingLabels.set(id, { ...p });
    d.policy = { ...s.policy };
    d.skipped = { ...s.skipped };
    if (d.current) {
      d.evidence.setReference({
        version: d.current.version,
        threshold: d.current.manifest.threshold,
        missShare: 1 - d.current.manifest.metrics.validation.recall_at_threshold,
        novelty: d.current.manifest.reference.novelty ?? null,
        featureNames: d.current.manifest.feature_names,
      });
      if (s.evidence) d.evidence.restoreState(s.evidence);
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
      this.nextBoundary = Math.min(this.nextBoundary, this.trigger(w.end));
    }
    return w;
  }

  /** The score watermark from which boundary `b` may be passed: `b` once the labels passed it, else later. */
  private trigger(b: number): number {
    const labels = this.labelWatermark;
    return labels !== null && labels >= b ? b : b + this.settings.maxLabelLagMs;
  }

  private recomputeBoundary(): void {
    let earliest = Number.POSITIVE_INFINITY;
    let next = Number.POSITIVE_INFINITY;
    for (const w of this.windows.values()) {
      const b = w.closed ? w.end + this.settings.chargebackWindowMs : w.end;
      earliest = Math.min(earliest, b);
      next = Math.min(next, this.trigger(b));
    }
    const due = this.evidence.dueBoundary;
    if (due !== null) {
      earliest = Math.min(earliest, due);
      next = Math.min(next, this.trigger(due));
    }
    this.earliestBoundary = earliest;
    this.nextBoundary = next;
  }

  /** Closes and matures every window whose boundary event time has passed, oldest first. */
  private advance(): void {
    this.advanceEvidence();
    const due = [...this.windows.values()].sort(
      (a, b) => a.start - b.start || (a.version < b.version ? -1 : 1),
    );
    for (const w of due) {
      if (!w.closed && this.passed(w.end)) this.closeWindow(w);
      if (w.closed && this.passed(w.end + this.settings.chargebackWindowMs)) {
        this.matureWindow(w);
        this.windows.delete(`${w.version}|${w.start}`);
        if (this.lastWindow === w) this.lastWindow = null;
      }
    }
    // Labels waiting for scores of windows that already matured can no longer count.
    if (this.pendingLabels.size > 0 && this.windows.size === 0) this.pendingLabels.clear();
    this.recomputeBoundary();
  }

  /** The latest event time both watermarks have passed (the labels' lag fallback included). */
  private passedUntil(): number | null {
    const scores = this.watermark;
    if (scores === null) return null;
    const labels = this.labelWatermark;
    return Math.min(
      scores,
      Math.max(labels ?? Number.NEGATIVE_INFINITY, scores - this.settings.maxLabelLagMs),
    );
  }

  /** Runs the early-evidence checks the watermarks have passed and turns their alarms into events and requests. */
  private advanceEvidence(): void {
    const until = this.passedUntil();
    if (until === null) return;
    this.evidence.advanceTo(until);
    const { investigations, alarms } = this.evidence.drain();
    this.investigations.push(...investigations);
    for (const alarm of alarms) this.raiseEarlyAlarm(alarm);
  }

  /** An early-evidence alarm: a drift event of phase EVIDENCE and, by the policy, a retrain request. */
  private raiseEarlyAlarm(alarm: EarlyAlarm): void {
    const ref = this.current;
    if (!ref) return;
    const s = this.settings;
    const start = Math.floor((alarm.at - 1) / s.windowMs) * s.windowMs;
    const w = this.windows.get(`${ref.version}|${start}`) ?? this.window(ref, start);
    const reasons = [`early evidence (${alarm.kind}): ${alarm.summary}`];
    const trigger: RetrainTrigger = alarm.kind === 'NEW_PATTERN' ? 'NEW_PATTERN' : 'MISSED_FRAUDS';
    this.requestRetrainAt(w, `:evidence:${alarm.at}`, alarm.at, trigger, 'HIGH', alarm.summary, reasons);
    this.driftEvents.push({
      event_id: `${w.version}:${w.start}:evidence:${alarm.at}`,
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
      retrain_recommended: true,
      reasons,
      evidence: this.evidenceSummary(alarm.kind),
    });
  }

  /** The early evidence's counters for a drift event (null when the novelty test is off). */
  private evidenceSummary(kind: EarlyEvidenceSummary['kind']): EarlyEvidenceSummary | null {
    if (!this.evidence.active) return null;
    const e = this.evidence.stats();
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
      median_chargeback_delay_hours:
        e.medianChargebackDelayMs === null ? null : e.medianChargebackDelayMs / 3_600_000,
    };
  }

  private isCurrent(w: DriftWindow): boolean {
    return this.current !== null && w.reference === this.current;
  }

  private closeWindow(w: DriftWindow): void {
    const s = this.settings;
    const boundary = w.end;
    const enough = w.rowCount >= s.minWindowCount;
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
    if (!enough) {
      verdict = 'INSUFFICIENT_DATA';
      reasons.push(`${w.rowCount} scores in the window, fewer than the ${s.minWindowCount} required`);
    } else {
      ({ verdict, severity } = this.distributionVerdict(stats, reasons));
      if (this.isCurrent(w)) recommend = this.applyFeatureRule(w, stats, severity, reasons);
      const provisional = this.provisionalPerformance(w, rows, boundary, reasons);
      if (provisional) {
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
    this.emit(w, '', stats, verdict, severity, recommend, reasons, perf);
  }

  /**
   * An early look at performance when a window closes, before its labels are mature: the frauds
   * confirmed so far against every other transaction of the window. ROC-AUC and recall barely move
   * when not-yet-confirmed frauds sit among the negatives (they are ~1 % of them), and recall over
   * confirmed frauds is unbiased while the chargeback delay does not depend on the score; average
   * precision would be biased, so it waits for maturity, and so does any retraining.
   */
  private provisionalPerformance(
    w: DriftWindow,
    rows: readonly SampledRow[],
    boundary: number,
    reasons: string[],
  ): { positives: number; auc: number | null; recall: number; degraded: boolean } | null {
    const s = this.settings;
    const labels = rows.map((r) => fraudBy(r, boundary));
    let positives = 0;
    for (const l of labels) if (l) positives++;
    if (positives < s.minMaturePositives) return null;
    const scores = Float64Array.from(rows, (r) => r.score);
    const manifest = w.reference.manifest;
    const validation = manifest.metrics.validation;
    const auc = finiteOrNull(rocAuc(scores, labels));
    const recall = recallAtThreshold(scores, labels, manifest.threshold);
    const aucDrop = auc === null ? 0 : validation.roc_auc - auc;
    const recallDrop =
      validation.recall_at_threshold > 0
        ? (validation.recall_at_threshold - recall) / validation.recall_at_threshold
        : 0;
    const degraded = aucDrop > s.aucTolerance || recallDrop > s.recallTolerance;
    const summary =
      `ROC-AUC ${auc === null ? 'n/a' : round(auc)} vs validation ${round(validation.roc_auc)}, ` +
      `recall ${round(recall)} vs ${round(validation.recall_at_threshold)} on ${positives} frauds confirmed so far ` +
      `(unlabelled transactions counted as legitimate)`;
    reasons.push(
      degraded
        ? `provisional performance drop: ${summary}; retraining waits for mature labels`
        : `provisional performance holds: ${summary}`,
    );
    return { positives, auc, recall, degraded };
  }

  private distributionVerdict(
    stats: WindowDistributionStats,
    reasons: string[],
  ): { verdict: DriftVerdict; severity: DriftSeverity } {
    const s = this.settings;
    const drifted = stats.features.filter((f) => f.drifted);
    if (drifted.length > 0) {
      reasons.push(
        `${drifted.length} feature(s) drifted: ${drifted
          .map((f) => `${f.feature} (PSI ${round(f.psi)}, adjusted p ${f.p_value_adjusted.toExponential(2)})`)
          .join(', ')}`,
      );
    }
    if (stats.prediction.drifted) {
      reasons.push(
        `score distribution drifted (PSI ${round(stats.prediction.psi)}, KS ${round(stats.prediction.ks_statistic)})`,
      );
    }
    const verdict: DriftVerdict = stats.prediction.drifted
      ? 'PREDICTION_DRIFT'
      : drifted.length > 0
        ? 'COVARIATE_DRIFT'
        : 'NO_DRIFT';
    if (verdict === 'NO_DRIFT') return { verdict, severity: 'NONE' };
    const major = stats.maxPsi >= s.psiMajor || drifted.length >= s.featuresK;
    return { verdict, severity: major ? 'MEDIUM' : 'LOW' };
  }

  /** k features drifted for m consecutive windows: retrain only when configured and performance is not known to hold. */
  private applyFeatureRule(
    w: DriftWindow,
    stats: WindowDistributionStats,
    severity: DriftSeverity,
    reasons: string[],
  ): boolean {
    const s = this.settings;
    if (stats.driftedFeatures >= s.featuresK) {
      // Performance measured before the shift says nothing about the shifted data.
      if (this.policy.consecutiveDriftWindows === 0) {
        this.policy.driftStreakStart = w.start;
        this.policy.performanceHolds = null;
      }
      this.policy.consecutiveDriftWindows++;
    } else {
      this.policy.consecutiveDriftWindows = 0;
      this.policy.driftStreakStart = null;
    }
    if (this.policy.consecutiveDriftWindows < s.consecutiveWindowsM) return false;
    const rule = `${s.featuresK}+ features drifted for ${this.policy.consecutiveDriftWindows} consecutive windows`;
    if (!s.retrainOnCovariateShift) {
      reasons.push(`${rule}: reported only (retraining on covariate shift is off)`);
      return false;
    }
    if (this.policy.performanceHolds === true) {
      reasons.push(`${rule}: not retraining, performance on mature labels holds`);
      return false;
    }
    reasons.push(rule);
    this.requestRetrain(w, '', 'FEATURE_DRIFT', severity, rule, reasons);
    return true;
  }

  /** Performance once the window is mature: confirmed frauds are positives, everything else a mature negative. */
  private performance(w: DriftWindow, boundary: number): Performance {
    const s = this.settings;
    const rows = w.reservoir.rows();
    const scores = Float64Array.from(rows, (r) => r.score);
    const labels = rows.map((r) => fraudBy(r, boundary));
    let positives = 0;
    for (const l of labels) if (l) positives++;
    const ref = w.reference.manifest;
    const enoughRate = rows.length >= s.minMatureLabels;
    const enough = enoughRate && positives >= s.minMaturePositives;
    const rate = rows.length > 0 ? positives / rows.length : null;
    const refRows = ref.reference.row_count;
    const test = enoughRate
      ? twoProportionZTest(positives, rows.length, Math.round(ref.reference.fraud_rate * refRows), refRows)
      : null;
    return {
      matureLabels: rows.length,
      positives,
      fraudRate: enoughRate ? rate : null,
      fraudRatePValue: test ? test.pValue : null,
      averagePrecision: enough ? averagePrecision(scores, labels) : null,
      rocAuc: enough ? finiteOrNull(rocAuc(scores, labels)) : null,
      recall: enough ? recallAtThreshold(scores, labels, ref.threshold) : null,
      cardPrecision: enough && w.rowCount >= s.minWindowCount ? w.cardPrecisionAtK(boundary) : null,
    };
  }

  private matureWindow(w: DriftWindow): void {
    const s = this.settings;
    const stats = w.closed;
    if (!stats) return;
    const perf = this.performance(w, w.end + s.chargebackWindowMs);
    const reasons: string[] = [];
    const enough = w.rowCount >= s.minWindowCount;
    let { verdict, severity } = enough
      ? this.distributionVerdict(stats, reasons)
      : { verdict: 'INSUFFICIENT_DATA' as DriftVerdict, severity: 'NONE' as DriftSeverity };
    if (!enough)
      reasons.push(`${w.rowCount} scores in the window, fewer than the ${s.minWindowCount} required`);
    let recommend = false;
    const validation = w.reference.manifest.metrics.validation;
    const current = this.isCurrent(w);

    if (perf.averagePrecision !== null && perf.rocAuc !== null) {
      const apDrop =
        validation.average_precision > 0
          ? (validation.average_precision - perf.averagePrecision) / validation.average_precision
          : 0;
      const aucDrop = validation.roc_auc - perf.rocAuc;
      const degraded = apDrop > s.apTolerance || aucDrop > s.aucTolerance;
      const summary =
        `AP ${round(perf.averagePrecision)} vs validation ${round(validation.average_precision)} ` +
        `(drop ${round(apDrop * 100, 1)} %, tolerance ${round(s.apTolerance * 100, 1)} %), ` +
        `ROC-AUC ${round(perf.rocAuc)} vs ${round(validation.roc_auc)} on ${perf.matureLabels} mature labels ` +
        `(${perf.positives} frauds)`;
      const streak = this.policy.driftStreakStart;
      if (current && (streak === null || w.start >= streak)) this.policy.performanceHolds = !degraded;
      if (degraded) {
        verdict = 'PERFORMANCE_DRIFT';
        severity = apDrop > 2 * s.apTolerance || aucDrop > 2 * s.aucTolerance ? 'HIGH' : 'MEDIUM';
        reasons.push(`performance dropped: ${summary}`);
        if (current) {
          recommend = true;
          this.requestRetrain(
            w,
            ':mature',
            'PERFORMANCE_DRIFT',
            severity,
            `performance dropped: ${summary}`,
            reasons,
          );
        }
      } else {
        reasons.push(`performance holds: ${summary}`);
      }
    } else {
      reasons.push(
        `performance not evaluated: ${perf.matureLabels} mature labels and ${perf.positives} frauds ` +
          `(need ${s.minMatureLabels} and ${s.minMaturePositives})`,
      );
    }

    if (perf.fraudRatePValue !== null && perf.fraudRate !== null && perf.fraudRatePValue < s.labelAlpha) {
      const refRate = w.reference.manifest.reference.fraud_rate;
      const text = `fraud rate ${round(perf.fraudRate, 5)} vs reference ${round(refRate, 5)} (p ${perf.fraudRatePValue.toExponential(2)})`;
      reasons.push(`label drift: ${text}`);
      if (VERDICT_RANK[verdict] < VERDICT_RANK.LABEL_DRIFT) {
        verdict = 'LABEL_DRIFT';
        severity = 'MEDIUM';
      }
      if (current && s.retrainOnLabelDrift && !recommend) {
        recommend = true;
        this.requestRetrain(w, ':mature', 'LABEL_DRIFT', 'MEDIUM', `label drift: ${text}`, reasons);
      }
    }
    this.emit(w, ':mature', stats, verdict, severity, recommend, reasons, perf);
  }

  private requestRetrain(
    w: DriftWindow,
    phase: string,
    trigger: RetrainTrigger,
    severity: DriftSeverity,
    reason: string,
    reasons: string[],
  ): void {
    // Decisions are stamped with the boundary the watermark crossed, so a replay stamps them identically.
    const eventTime = phase === '' ? w.end : w.end + this.settings.chargebackWindowMs;
    this.requestRetrainAt(w, phase, eventTime, trigger, severity, reason, reasons);
  }

  private requestRetrainAt(
    w: DriftWindow,
    phase: string,
    eventTime: number,
    trigger: RetrainTrigger,
    severity: DriftSeverity,
    reason: string,
    reasons: string[],
  ): void {
    const s = this.settings;
    let open = this.policy.openRequest;
    // Expiry is judged at the decision's boundary, never at the watermark of the moment, so a replay decides alike.
    if (open && open.eventTime + s.requestTimeoutMs <= eventTime) open = this.policy.openRequest = null;
    if (open) {
      reasons.push(`retrain request suppressed: request ${open.id} is still open`);
      return;
    }
    const last = this.policy.lastRequestTime;
    if (last !== null && eventTime - last < s.cooldownMs) {
      reasons.push(
        `retrain request suppressed: cooldown until ${new Date(last + s.cooldownMs).toISOString()}`,
      );
      return;
    }
    const id = `retrain:${w.version}:${w.start}${phase}`;
    const retrainSeverity: RetrainSeverity =
      severity === 'HIGH' ? 'HIGH' : severity === 'MEDIUM' ? 'MEDIUM' : 'LOW';
    this.retrainRequests.push({
      request_id: id,
      model_version: w.version,
      trigger,
      reason,
      severity: retrainSeverity,
      drift_event_id: `${w.version}:${w.start}${phase}`,
      // The data known at the decision: the drifted window (fully labelled, the trainer's hold-out)
      // and, for a mature decision, the frauds confirmed on the days since, the freshest signal of
      // the new regime. Ending at the window would train on the days before the drift only.
      window_start: eventTime - s.trainingWindowMs,
      window_end: eventTime,
      event_time: eventTime,
    });
    this.policy.openRequest = { id, eventTime };
    this.policy.lastRequestTime = eventTime;
    reasons.push(`retrain requested: ${id}`);
  }

  private emit(
    w: DriftWindow,
    phase: string,
    stats: WindowDistributionStats,
    verdict: DriftVerdict,
    severity: DriftSeverity,
    recommend: boolean,
    reasons: string[],
    perf: Performance,
  ): void {
    const ref = w.reference.manifest;
    this.driftEvents.push({
      event_id: `${w.version}:${w.start}${phase}`,
      phase: phase === '' ? 'CLOSE' : 'MATURE',
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
      evidence: this.isCurrent(w) ? this.evidenceSummary('NONE') : null,
    });
  }
}
