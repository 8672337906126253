import { DAY_MS } from '@fraudstream/contracts';
import type {
  DriftSeverity,
  ModelDeployment,
  RetrainRequest,
  RetrainSeverity,
  RetrainTrigger,
} from '@fraudstream/contracts';
import type { DriftSettings } from './drift.config';
import type { MatureAp } from './window-verdicts';

/** The triggers of early-evidence requests, whose promoted models get a follow-up. */
export type EarlyTrigger = Extract<RetrainTrigger, 'NEW_PATTERN' | 'MISSED_FRAUDS' | 'ALERT_PRECISION'>;

/** When a decision is taken: at a window's close, at its maturity, or on early evidence. */
export type DecisionPhase = 'close' | 'mature' | 'evidence';

/** The policy's state, as it is checkpointed. */
export interface PolicyState {
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
  /** Mature windows of the current model in a row whose performance dropped (absent in older checkpoints). */
  performanceDrops?: number;
  /** The current model's latest consecutive mature windows' AP, oldest first (absent in older checkpoints). */
  matureAps?: { start: number; ap: MatureAp }[];
  /**
   * Whether an early-evidence request for the current model was refused with no retry left: the
   * evidence said the world changed and no challenger was good enough (absent in older checkpoints).
   */
  earlyEvidenceSpent?: boolean;
  /** The open request's trigger (absent in older checkpoints). */
  openTrigger?: RetrainTrigger | null;
  /** Read from older checkpoints only: whether the open request was a follow-up (depth 1). */
  openIsFollowUp?: boolean;
  /** How many follow-ups deep the open request is (0: none; absent in older checkpoints). */
  openFollowUpDepth?: number;
  /** How many times the open request's link of an early-evidence chain was asked again (absent: 0). */
  openRetries?: number;
  /**
   * A follow-up request due for the model an early-evidence request promoted, once more of the new
   * pattern's labels are in, and its depth in the chain (absent in older checkpoints); or, with
   * `retries`, a refused link asked again for the model still serving.
   */
  followUp?: {
    version: string;
    at: number;
    depth?: number;
    trigger?: EarlyTrigger;
    retries?: number;
    /** A link the retrain budget held back, asked when the budget allows it (absent: false). */
    deferred?: boolean;
  } | null;
  /** Event times of the requests within the retrain budget's window, oldest first (absent: none). */
  requestTimes?: number[];
}

/** A follow-up, retry or held-back link of an early-evidence chain, as it falls due. */
export interface DueLink {
  readonly at: number;
  readonly depth: number;
  readonly trigger: EarlyTrigger;
  readonly retries: number;
  readonly deferred: boolean;
}

function isEarly(trigger: RetrainTrigger | null | undefined): trigger is EarlyTrigger {
  return trigger === 'NEW_PATTERN' || trigger === 'MISSED_FRAUDS' || trigger === 'ALERT_PRECISION';
}

/** A decision the policy is asked to turn into a request. */
export interface RetrainDecision {
  readonly modelVersion: string;
  readonly windowStart: number;
  readonly phase: DecisionPhase;
  /** The boundary the decision was taken at (window end, end + chargeback window, or a check). */
  readonly eventTime: number;
  readonly trigger: RetrainTrigger;
  readonly severity: DriftSeverity;
  readonly reason: string;
  /** A follow-up of an early-evidence retrain: how deep in the chain (1 for the first; 0 or absent: none). */
  readonly followUpDepth?: number;
  /** How many times this link of an early-evidence chain was asked before and refused (0 or absent: none). */
  readonly retries?: number;
}

function retrainSeverity(severity: DriftSeverity): RetrainSeverity {
  return severity === 'HIGH' ? 'HIGH' : severity === 'MEDIUM' ? 'MEDIUM' : 'LOW';
}

/** The id suffix of a decision's phase ('' at close), shared by the drift event and the request. */
export function phaseSuffix(phase: DecisionPhase, eventTime: number): string {
  return phase === 'close' ? '' : phase === 'mature' ? ':mature' : `:evidence:${eventTime}`;
}

/**
 * The retraining policy: which drifts ask for a retrain, at most one open request, the cooldown
 * between requests (shortened to a retry delay after a refused challenger), the retrain budget over
 * a longer window, and the covariate-shift rule's streak. It owns its state; the detector asks and
 * records.
 */
export class RetrainPolicy {
  private s: PolicyState = {
    consecutiveDriftWindows: 0,
    lastRequestTime: null,
    openRequest: null,
    driftStreakStart: null,
    performanceHolds: null,
  };

  constructor(private readonly settings: DriftSettings) {}

  get state(): PolicyState {
    return { ...this.s, openRequest: this.s.openRequest ? { ...this.s.openRequest } : null };
  }

  restore(state: PolicyState): void {
    this.s = { ...state, openRequest: state.openRequest ? { ...state.openRequest } : null };
  }

  get openRequestId(): string | null {
    return this.s.openRequest?.id ?? null;
  }

  /** A new production model: the streak starts over (what was measured was about the old one). */
  startOver(): void {
    this.s.consecutiveDriftWindows = 0;
    this.s.driftStreakStart = null;
    this.s.performanceHolds = null;
    this.s.performanceDrops = 0;
    this.s.matureAps = [];
    this.s.earlyEvidenceSpent = false;
  }

  /** Whether the current model's early evidence asked, was refused and has no retry left. */
  get earlyEvidenceSpent(): boolean {
    return this.s.earlyEvidenceSpent === true;
  }

  /**
   * A lifecycle event: closes the open request it answers (a stage change to production, rejected
   * or retired, or a failed job carrying its id). A refused challenger leaves the drift in place:
   * the next request may come the retry delay after the answer instead of a whole cooldown, and an
   * early-evidence one is asked again then for `servingVersion`, the model still in production.
   */
  observeDeployment(event: ModelDeployment, servingVersion: string | null = null): void {
    const open = this.s.openRequest;
    const refused =
      event.kind === 'JOB_FAILED' || (event.kind === 'STAGE_CHANGE' && event.stage === 'REJECTED');
    const answers =
      refused || (event.kind === 'STAGE_CHANGE' && ['PRODUCTION', 'RETIRED'].includes(event.stage));
    if (!open || event.request_id !== open.id || !answers) return;
    this.s.openRequest = null;
    const s = this.settings;
    const trigger = this.s.openTrigger;
    const early = isEarly(trigger);
    const promoted = event.kind === 'STAGE_CHANGE' && event.stage === 'PRODUCTION';
    const depth = this.s.openFollowUpDepth ?? (this.s.openIsFollowUp ? 1 : 0);
    const retries = this.s.openRetries ?? 0;
    // A model trained on the first days of a new pattern learnt from a handful of its frauds: ask
    // once more when more of them are confirmed (the gate decides whether the follow-up is better).
    if (early && promoted && depth < s.earlyFollowUps && s.earlyFollowUpMs > 0)
      this.s.followUp = {
        version: event.model_version,
        at: event.event_time + s.earlyFollowUpMs,
        depth: depth + 1,
        trigger,
      };
    // A refusal says this challenger was not good enough yet, not that the evidence went away (the
    // sequential tests started afresh at their alarm and would need as much evidence again): ask
    // again, with the labels confirmed in the meantime.
    const pending = this.s.followUp;
    const retryAt = event.event_time + s.retryAfterRejectionMs;
    const sooner = pending?.version === servingVersion && pending.at <= retryAt;
    if (early && refused && !sooner) {
      if (servingVersion !== null && retries < s.earlyRetries && s.retryAfterRejectionMs > 0)
        this.s.followUp = {
          version: servingVersion,
          at: retryAt,
          depth,
          trigger,
          retries: retries + 1,
        };
      // The last retry refused: the mature labels are left to say whether the drop the evidence saw
      // holds (the detector then judges consecutive mature windows together).
      else this.s.earlyEvidenceSpent = true;
    }
    // Kept as an earlier last-request time, so the checkpointed state keeps its shape.
    const last = this.s.lastRequestTime;
    const retryFrom = event.event_time + s.retryAfterRejectionMs - s.cooldownMs;
    if (refused && last !== null && retryFrom < last) this.s.lastRequestTime = retryFrom;
  }

  /** Another model now serves: whatever was asked of the previous one is answered. */
  closeOpenRequest(): void {
    this.s.openRequest = null;
  }

  /**
   * The follow-up due for `version` by `until`, once (it is cleared when returned, or when another
   * model serves by then).
   */
  dueFollowUp(version: string, until: number): DueLink | null {
    const f = this.s.followUp;
    if (!f || f.at > until) return null;
    this.s.followUp = null;
    return f.version === version
      ? {
          at: f.at,
          depth: f.depth ?? 1,
          trigger: f.trigger ?? 'NEW_PATTERN',
          retries: f.retries ?? 0,
          deferred: f.deferred === true,
        }
      : null;
  }

  /**
   * The covariate rule, at a window's close: k features drifted in m consecutive windows. Returns
   * the rule's text when it asks for a retrain, else null, with what it reports in `reasons`.
   */
  featureRule(windowStart: number, driftedFeatures: number, reasons: string[]): string | null {
    const s = this.settings;
    if (driftedFeatures >= s.featuresK) {
      // Performance measured before the shift says nothing about the shifted data.
      if (this.s.consecutiveDriftWindows === 0) {
        this.s.driftStreakStart = windowStart;
        this.s.performanceHolds = null;
      }
      this.s.consecutiveDriftWindows++;
    } else {
      this.s.consecutiveDriftWindows = 0;
      this.s.driftStreakStart = null;
    }
    if (this.s.consecutiveDriftWindows < s.consecutiveWindowsM) return null;
    const rule = `${s.featuresK}+ features drifted for ${this.s.consecutiveDriftWindows} consecutive windows`;
    if (!s.retrainOnCovariateShift) {
      reasons.push(`${rule}: reported only (retraining on covariate shift is off)`);
      return null;
    }
    if (this.s.performanceHolds === true) {
      reasons.push(`${rule}: not retraining, performance on mature labels holds`);
      return null;
    }
    reasons.push(rule);
    return rule;
  }

  /**
   * A matured window of the current model: does its performance hold (within the drift streak)?
   * Returns how many mature windows in a row have now dropped.
   */
  notePerformance(windowStart: number, holds: boolean): number {
    const streak = this.s.driftStreakStart;
    if (streak === null || windowStart >= streak) this.s.performanceHolds = holds;
    this.s.performanceDrops = holds ? 0 : (this.s.performanceDrops ?? 0) + 1;
    return this.s.performanceDrops;
  }

  /**
   * Records the AP of the current model's matured window at `windowStart` and returns that of the
   * `count` consecutive windows ending with it, oldest first; null while fewer are recorded (a
   * window not judged, or another model, breaks the run).
   */
  consecutiveMatureAps(windowStart: number, ap: MatureAp, count: number): MatureAp[] | null {
    const previous = this.s.matureAps ?? [];
    const last = previous[previous.length - 1];
    const run = last && last.start === windowStart - this.settings.windowMs ? previous : [];
    const kept = [...run, { start: windowStart, ap }].slice(-count);
    this.s.matureAps = kept;
    return kept.length === count ? kept.map((w) => w.ap) : null;
  }

  /**
   * A retrain request for `d`, unless one is open (expired after the timeout, judged at the
   * decision's boundary so a replay decides alike) or the cooldown has not passed. The outcome is
   * said in `reasons` either way.
   */
  request(d: RetrainDecision, reasons: string[]): RetrainRequest | null {
    const s = this.settings;
    let open = this.s.openRequest;
    if (open && open.eventTime + s.requestTimeoutMs <= d.eventTime) open = this.s.openRequest = null;
    if (open) {
      reasons.push(`retrain request suppressed: request ${open.id} is still open`);
      return null;
    }
    const last = this.s.lastRequestTime;
    if (last !== null && d.eventTime - last < s.cooldownMs) {
      reasons.push(
        `retrain request suppressed: cooldown until ${new Date(last + s.cooldownMs).toISOString()}`,
      );
      return null;
    }
    const allowedAt = this.budgetSpentUntil(d.eventTime);
    if (allowedAt !== null) {
      reasons.push(
        `retrain request suppressed: the retrain budget (${s.retrainBudget} ` +
          `request${s.retrainBudget === 1 ? '' : 's'} in ` +
          `${+(s.retrainBudgetWindowMs / DAY_MS).toFixed(2)} days) is spent until ${new Date(allowedAt).toISOString()}`,
      );
      this.holdBack(d, allowedAt, reasons);
      return null;
    }
    const suffix = phaseSuffix(d.phase, d.eventTime);
    const id = `retrain:${d.modelVersion}:${d.windowStart}${suffix}`;
    this.s.openRequest = { id, eventTime: d.eventTime };
    this.s.openTrigger = d.trigger;
    delete this.s.openIsFollowUp;
    this.s.openFollowUpDepth = d.followUpDepth ?? 0;
    this.s.openRetries = d.retries ?? 0;
    this.s.lastRequestTime = d.eventTime;
    if (s.retrainBudget > 0) this.s.requestTimes = [...this.requestsWithin(d.eventTime), d.eventTime];
    reasons.push(`retrain requested: ${id}`);
    return {
      request_id: id,
      model_version: d.modelVersion,
      trigger: d.trigger,
      reason: d.reason,
      severity: retrainSeverity(d.severity),
      drift_event_id: `${d.modelVersion}:${d.windowStart}${suffix}`,
      // The data known at the decision: the drifted window (fully labelled, the trainer's hold-out)
      // and, for a mature decision, the frauds confirmed on the days since, the freshest signal of
      // the new regime. Ending at the window would train on the days before the drift only.
      window_start: d.eventTime - s.trainingWindowMs,
      window_end: d.eventTime,
      event_time: d.eventTime,
    };
  }

  /** The requests made in the budget's window ending at `eventTime` (half-open: (t - window, t]). */
  private requestsWithin(eventTime: number): number[] {
    const from = eventTime - this.settings.retrainBudgetWindowMs;
    return (this.s.requestTimes ?? []).filter((t) => t > from && t <= eventTime);
  }

  /**
   * When the retrain budget is spent at `eventTime`, the event time from which it allows a request
   * again (enough of the window's requests have left it); null when it allows one now.
   */
  private budgetSpentUntil(eventTime: number): number | null {
    const budget = this.settings.retrainBudget;
    if (budget <= 0) return null;
    const within = this.requestsWithin(eventTime);
    const leaving = within.length >= budget ? within[within.length - budget] : undefined;
    return leaving === undefined ? null : leaving + this.settings.retrainBudgetWindowMs;
  }

  /**
   * An early-evidence link the budget held back: the evidence stands (its sequential test started
   * afresh at the alarm), so it is asked, in its place in the chain, once the budget allows (the
   * cooldown has passed: it is checked first). A link already due for the same model keeps its place.
   */
  private holdBack(d: RetrainDecision, allowedAt: number, reasons: string[]): void {
    if (!isEarly(d.trigger)) return;
    const pending = this.s.followUp;
    if (pending && pending.version === d.modelVersion) return;
    this.s.followUp = {
      version: d.modelVersion,
      at: allowedAt,
      depth: d.followUpDepth ?? 0,
      trigger: d.trigger,
      retries: d.retries ?? 0,
      deferred: true,
    };
    reasons.push(`asked again at ${new Date(allowedAt).toISOString()}`);
  }
}
