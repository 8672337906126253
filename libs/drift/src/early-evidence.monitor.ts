/*
 * Early evidence of a new fraud pattern, before the drifted days' labels mature.
 *
 * Two label sources are fast (Dal Pozzolo et al. 2018): analysts' verdicts (hours) and the first
 * chargebacks of missed frauds (from a day). The monitor keeps the serving model's recent
 * transactions (bounded) and, at every check boundary of event time:
 *
 * 1. Missed frauds, sequentially: each chargeback on a known transaction is one Bernoulli
 *    observation "the model scored it below its threshold". A one-sided CUSUM against the reference
 *    miss share (1 - validation recall) raises MISSED_FRAUDS. Chargebacks only: analysts confirm the
 *    alerted frauds first, so counting their verdicts would bias the share towards "caught".
 * 2. Novel missed frauds localise the change: a confirmed fraud the model missed that lies further
 *    from every reference fraud than 99 % of the reference frauds lie from each other
 *    (FraudNoveltyIndex, a held-out domain classifier on the fraud class) seeds an investigation.
 * 3. Investigation sampling: up to a share of the analysts' daily capacity goes to the recent
 *    unalerted, unlabelled transactions of OTHER cards at OTHER terminals nearest to a seed and
 *    themselves novel, as INVESTIGATE alerts. Their verdicts come back as labels within hours.
 * 4. The hit rate of investigations, sequentially: Wald's SPRT of "fraud share among investigated
 *    transactions" p0 against p1 raises NEW_PATTERN at H1. Several unrelated cards sharing a
 *    pattern no reference fraud has is what a new pattern is; one odd card, or one compromised
 *    terminal whose every payment is fraud, is not (the seed's card and terminal are excluded).
 * 5. The precision of the score alerts, sequentially: each analyst's verdict on a score alert is one
 *    Bernoulli observation "a false alert". A one-sided CUSUM against the share measured on the
 *    model's first reviews raises ALERT_PRECISION: legitimate traffic that has moved towards the
 *    frauds (a spending shift) floods the alerts long before a chargeback window has passed.
 *
 * Everything is decided at check boundaries (multiples of the interval) from label and score event
 * times at or before them, so a replay, or another interleaving of the two topics, decides alike.
 */
import { DAY_MS } from '@fraudstream/contracts';
import { lowerBound } from '@fraudstream/stats';
import {
  FraudNoveltyIndex,
  hasNoveltyPoints,
  squaredDistance,
  type FraudNoveltyReference,
} from './fraud-novelty';
import { LabelDelayModel, type LabelDelaySnapshot } from './label-delay.model';
import {
  BernoulliCusum,
  Sprt,
  twoWayDesignEffect,
  type ClusteredObservation,
  type CusumState,
  type SprtSettings,
  type SprtState,
} from './sequential-tests';

export interface EarlyEvidenceSettings {
  readonly enabled: boolean;
  /** Check boundaries every this much event time (aligned on the epoch). */
  readonly checkIntervalMs: number;
  /** A confirmed missed fraud with a novelty p-value at or below this seeds an investigation. */
  readonly seedAlpha: number;
  /** A transaction is investigated only if its own novelty p-value is at or below this. */
  readonly candidateAlpha: number;
  /** Share of the analysts' daily capacity that investigations may take. */
  readonly investigationShare: number;
  /** The analysts' daily capacity (reviews a day). */
  readonly analystDailyCapacity: number;
  /** Investigated transactions are at most this old at the check. */
  readonly lookbackMs: number;
  readonly maxInvestigationsPerSeed: number;
  /** Investigation hit rate: in control, and the one to detect; alpha/beta of the SPRT. */
  readonly sprt: SprtSettings;
  /**
   * Features that say a place is known for fraud (its recent confirmed fraud rate), as the model
   * saw them when it scored: a verdict on a payment where one of them was above the reference's
   * fraud rate is no evidence of a new pattern and does not enter the SPRT. Names the serving
   * model does not have are ignored; empty turns the rule off.
   */
  readonly knownFraudPlaceFeatures: readonly string[];
  /** CUSUM on the missed share of chargebacks: odds ratio to detect, and the alarm threshold. */
  readonly missedOddsRatio: number;
  readonly missedCusumH: number;
  /**
   * Chargebacks of the serving model observed before the CUSUM starts: its in-control miss share
   * is measured on them (the validation day's recall is an optimistic estimate, picked with the
   * threshold on the same rows).
   */
  readonly missedBurnIn: number;
  /**
   * Whether the CUSUM's threshold is multiplied by the burn-in's design effect for chargebacks
   * clustered by card and by terminal (twoWayDesignEffect): a compromised card's or terminal's frauds
   * are missed together, so n chargebacks carry the evidence of fewer independent ones.
   */
  readonly missedClusterRobust: boolean;
  /**
   * CUSUM on the false share of reviewed score alerts: odds ratio to detect, threshold, and the
   * trailing baseline its in-control share is measured on (ending a day before the check; at least
   * `falseAlertBurnIn` reviews in it, or the test waits).
   */
  readonly falseAlertOddsRatio: number;
  readonly falseAlertCusumH: number;
  readonly falseAlertBurnIn: number;
  readonly falseAlertBaselineMs: number;
  /**
   * Whether a baseline window holding fewer than `falseAlertBurnIn` reviews (a bank reviewing fewer
   * than burn-in / baseline days a day) reaches back over the serving model's earlier reviews until
   * it holds them, rather than the test waiting for a busier week.
   */
  readonly falseAlertBaselineReachBack: boolean;
  /** ...and only while the last day's alerts per transaction are at least this many times the baseline's. */
  readonly falseAlertMinRateRatio: number;
  /** Transactions kept for seeds and candidates (oldest dropped beyond it). */
  readonly maxRecentRows: number;
  /** Chargeback window: labels older than this after their transaction are not expected. */
  readonly chargebackWindowMs: number;
}

/** A counted review of a score alert: when, and whether the analyst found no fraud. */
interface ReviewRecord {
  readonly at: number;
  readonly falseAlert: boolean;
}

/** One recent transaction of the serving model. */
interface RecentRow {
  readonly id: string;
  readonly card: string;
  readonly terminal: string;
  readonly amount: number;
  readonly time: number;
  readonly score: number;
  readonly alerted: boolean;
  /** Feature vector (null only in rows restored from an older snapshot, which kept none for alerted rows). */
  readonly features: Float32Array | null;
  /** A confirmed fraud's distance to the reference frauds (the domain classifier's score), once known. */
  fraudDistance: number | null;
  fraudAt: number | null;
  /** Time of the first chargeback (the CUSUM's observation). */
  chargebackAt: number | null;
  legitAt: number | null;
  investigatedAt: number | null;
  seeded: boolean;
  /** Whether a check has counted its chargeback, and its investigation verdict. */
  chargebackCounted: boolean;
  verdictCounted: boolean;
  /** An analyst's first verdict: when, and whether fraud (a score alert's review when alerted). */
  reviewAt: number | null;
  reviewFraud: boolean;
  reviewCounted: boolean;
}

export type EarlyAlarmKind = 'NEW_PATTERN' | 'MISSED_FRAUDS' | 'ALERT_PRECISION';

export interface EarlyAlarm {
  readonly kind: EarlyAlarmKind;
  /** A follow-up of an early-evidence retrain rather than new evidence: its depth in the chain (1 for the first). */
  readonly followUpDepth?: number;
  /** A refused request of an early-evidence chain asked again: how many times (absent: not a retry). */
  readonly retries?: number;
  /** The check boundary at which the test crossed. */
  readonly at: number;
  readonly summary: string;
}

/** An investigation the analysts are asked for: an INVESTIGATE alert. */
export interface Investigation {
  readonly transactionId: string;
  readonly cardId: string;
  readonly terminalId: string;
  readonly amount: number;
  readonly eventTime: number;
  /** The check boundary that raised it (the alert's raised_at). */
  readonly raisedAt: number;
  /** The serving model's score and threshold (the transaction was below it). */
  readonly score: number;
  readonly threshold: number;
  readonly modelVersion: string;
  /** The confirmed missed fraud it resembles. */
  readonly seedTransactionId: string;
  readonly noveltyPValue: number;
  /** Features that set it apart from the nearest reference fraud (value, gap in robust units). */
  readonly reasons: readonly { readonly feature: string; readonly value: number; readonly gap: number }[];
}

/** Counters for the drift events and the metrics. */
export interface EarlyEvidenceStats {
  readonly referenceFrauds: number;
  readonly chargebacksObserved: number;
  readonly missedChargebacks: number;
  readonly seeds: number;
  readonly investigations: number;
  readonly investigationVerdicts: number;
  readonly investigationHits: number;
  readonly sprtLlr: number;
  readonly missedCusum: number;
  /** The threshold it alarms at (h times the burn-in's design effect); null during the burn-in. */
  readonly missedCusumThreshold: number | null;
  /** Analysts' verdicts on the model's score alerts, and how many of them found no fraud. */
  readonly alertReviews: number;
  readonly falseAlerts: number;
  readonly falseAlertCusum: number;
  /** Median chargeback delay learnt from the labels, ms (null before any). */
  readonly medianChargebackDelayMs: number | null;
}

/**
 * The domain classifier on the fraud class over recently confirmed frauds: its AUC against the
 * reference frauds, the one-sided p-value, and how many frauds.
 */
export interface FraudDomainStatistic {
  readonly auc: number;
  readonly pValue: number;
  readonly frauds: number;
}

export interface EarlyEvidenceSnapshot {
  readonly format: 1;
  readonly lastCheck: number | null;
  readonly rows: {
    id: string;
    card: string;
    terminal: string;
    amount: number;
    time: number;
    score: number;
    alerted: boolean;
    features: number[] | null;
    fraudAt: number | null;
    chargebackAt: number | null;
    legitAt: number | null;
    investigatedAt: number | null;
    seeded: boolean;
    /** Absent in snapshots of an earlier version: then counted when before the last check. */
    chargebackCounted?: boolean;
    verdictCounted?: boolean;
    /** Absent in snapshots of an earlier version (no review counted then). */
    reviewAt?: number | null;
    reviewFraud?: boolean;
    reviewCounted?: boolean;
    /** Absent in snapshots of an earlier version. */
    fraudDistance?: number | null;
  }[];
  readonly pendingSeeds: string[];
  /** Labels that came before their score (absent in snapshots of an earlier version). */
  readonly pendingLabels?: {
    id: string;
    fraudAt: number | null;
    chargebackAt: number | null;
    legitAt: number | null;
    reviewAt?: number | null;
    reviewFraud?: boolean;
  }[];
  readonly budgetDay: number | null;
  readonly budgetUsed: number;
  readonly sprt: SprtState;
  /**
   * The burn-in's design effect (absent in snapshots of an earlier version: 1). The threshold is
   * recomputed from the settings at restore, so a changed h or a cluster-robust test turned off
   * applies at once; turned on, it applies from the next model's burn-in.
   */
  readonly cusum: (CusumState & { p0: number; p1: number; designEffect?: number }) | null;
  /** `observations` is absent in snapshots of an earlier version. */
  readonly burnIn: { chargebacks: number; missed: number; observations?: ClusteredObservation[] };
  /** Absent in snapshots of an earlier version. */
  readonly falseAlertCusum?: (CusumState & { p0: number; p1: number }) | null;
  readonly falseAlertRunStart?: number | null;
  /** Absent in snapshots of an earlier version (rebuilt from the rows' counted reviews). */
  readonly reviewLog?: ReviewRecord[];
  readonly delay: LabelDelaySnapshot;
  /** Absent in snapshots of an earlier version (which folded each delay as it was read). */
  readonly unfoldedDelays?: { at: number; delayMs: number }[];
  readonly counters: {
    chargebacks: number;
    missed: number;
    seeds: number;
    investigations: number;
    verdicts: number;
    hits: number;
    reviews?: number;
    falseAlerts?: number;
  };
}

interface PendingLabel {
  fraudAt: number | null;
  chargebackAt: number | null;
  legitAt: number | null;
  reviewAt: number | null;
  reviewFraud: boolean;
}

/** The serving model's side of the monitor: its threshold, miss share and reference frauds. */
export interface EvidenceReference {
  readonly version: string;
  readonly threshold: number;
  /** 1 - validation recall at the threshold: the share of frauds the model misses in control. */
  readonly missShare: number;
  /** 1 - validation precision at the threshold: the share of false alerts in control. */
  readonly falseAlertShare: number;
  readonly novelty: FraudNoveltyReference | null;
  readonly featureNames: readonly string[];
  /** The fraud rate of the model's training window. */
  readonly fraudRate: number;
}

const MAX_PENDING_LABELS = 100_000;

export class EarlyEvidenceMonitor {
  private reference: EvidenceReference | null = null;
  private index: FraudNoveltyIndex | null = null;
  /** Positions of the serving model's known-fraud-place features (settings.knownFraudPlaceFeatures). */
  private knownFraudPlaceIndices: readonly number[] = [];
  private cusum: BernoulliCusum | null = null;
  private readonly sprt: Sprt;
  private delay: LabelDelayModel;
  private readonly rows = new Map<string, RecentRow>();
  private readonly pending = new Map<string, PendingLabel>();
  private pendingSeeds: string[] = [];
  private lastCheck: number | null = null;
  private budgetDay: number | null = null;
  private budgetUsed = 0;
  private counters = emptyCounters();
  /** Chargebacks counted towards the CUSUM's in-control miss share, until the burn-in is complete. */
  private burnIn = emptyBurnIn();
  /** The burn-in's design effect the CUSUM's threshold was multiplied by (1 when not cluster-robust). */
  private designEffect = 1;
  /** The same for the false-alert CUSUM, on the analysts' verdicts of score alerts. */
  private falseAlertCusum: BernoulliCusum | null = null;
  /** Event time of the reviewed alert at which the false-alert CUSUM last stood at 0. */
  private falseAlertRunStart: number | null = null;
  /**
   * The serving model's counted reviews in order of time, back to the start of the next baseline
   * (or further, to hold `falseAlertBurnIn` of them): they outlive the rows, which are kept for the
   * chargeback window only.
   */
  private reviewLog: ReviewRecord[] = [];
  /** Chargeback delays read but not yet passed by a check (their event time is after the last one). */
  private unfoldedDelays: { at: number; delayMs: number }[] = [];
  private investigations: Investigation[] = [];
  private alarms: EarlyAlarm[] = [];

  constructor(readonly settings: EarlyEvidenceSettings) {
    this.sprt = new Sprt(settings.sprt);
    this.delay = new LabelDelayModel(settings.chargebackWindowMs);
  }

  /** Whether the serving model's reference lets the novelty tests run. */
  get active(): boolean {
    return this.settings.enabled && this.reference !== null;
  }

  get referenceVersion(): string | null {
    return this.reference?.version ?? null;
  }

  /** A new serving model: its rows start afresh (the old model's misses say nothing of the new one). */
  setReference(reference: EvidenceReference): void {
    if (this.reference?.version === reference.version) return;
    this.reference = reference;
    this.index =
      reference.novelty && hasNoveltyPoints(reference.novelty)
        ? new FraudNoveltyIndex(reference.novelty)
        : null;
    this.knownFraudPlaceIndices = this.settings.knownFraudPlaceFeatures
      .map((name) => reference.featureNames.indexOf(name))
      .filter((i) => i >= 0);
    this.cusum = null;
    this.burnIn = emptyBurnIn();
    this.designEffect = 1;
    this.falseAlertCusum = null;
    this.falseAlertRunStart = null;
    this.reviewLog = [];
    this.counters = emptyCounters();
    this.rows.clear();
    this.pendingSeeds = [];
    this.sprt.reset();
  }

  /** The next check boundary after `t`. */
  nextBoundaryAfter(t: number): number {
    const i = this.settings.checkIntervalMs;
    return (Math.floor(t / i) + 1) * i;
  }

  /** The earliest boundary not yet checked, or null before any record. */
  get dueBoundary(): number | null {
    if (!this.active || this.lastCheck === null) return null;
    return this.lastCheck + this.settings.checkIntervalMs;
  }

  observeScore(s: {
    id: string;
    card: string;
    terminal: string;
    amount: number;
    time: number;
    score: number;
    version: string;
    features: readonly number[];
  }): void {
    const ref = this.reference;
    if (!this.active || !ref || s.version !== ref.version || this.rows.has(s.id)) return;
    if (this.lastCheck === null)
      this.lastCheck = Math.floor(s.time / this.settings.checkIntervalMs) * this.settings.checkIntervalMs;
    const alerted = s.score >= ref.threshold;
    const row: RecentRow = {
      id: s.id,
      card: s.card,
      terminal: s.terminal,
      amount: s.amount,
      time: s.time,
      score: s.score,
      alerted,
      features: Float32Array.from(s.features),
      fraudDistance: null,
      fraudAt: null,
      chargebackAt: null,
      legitAt: null,
      investigatedAt: null,
      seeded: false,
      chargebackCounted: false,
      verdictCounted: false,
      reviewAt: null,
      reviewFraud: false,
      reviewCounted: false,
    };
    const p = this.pending.get(s.id);
    if (p) {
      this.pending.delete(s.id);
      row.fraudAt = p.fraudAt;
      row.chargebackAt = p.chargebackAt;
      row.legitAt = p.legitAt;
      row.reviewAt = p.reviewAt;
      row.reviewFraud = p.reviewFraud;
    }
    this.rows.set(s.id, row);
    if (this.rows.size > this.settings.maxRecentRows) {
      const oldest = this.rows.keys().next().value;
      if (oldest !== undefined) this.rows.delete(oldest);
    }
  }

  observeLabel(l: {
    transactionId: string;
    isFraud: boolean;
    source: 'CHARGEBACK' | 'ANALYST';
    transactionTime: number;
    eventTime: number;
  }): void {
    if (!this.active) return;
    // The delay model learns a chargeback at the check that passes its time, as the counts do.
    if (l.isFraud && l.source === 'CHARGEBACK' && this.unfoldedDelays.length < MAX_PENDING_LABELS)
      this.unfoldedDelays.push({ at: l.eventTime, delayMs: l.eventTime - l.transactionTime });
    const row = this.rows.get(l.transactionId);
    const target: PendingLabel | RecentRow | undefined =
      row ?? this.pendingFor(l.transactionId, l.transactionTime);
    if (!target) return;
    const at = l.eventTime;
    if (l.isFraud) {
      target.fraudAt = target.fraudAt === null ? at : Math.min(target.fraudAt, at);
      if (l.source === 'CHARGEBACK')
        target.chargebackAt = target.chargebackAt === null ? at : Math.min(target.chargebackAt, at);
    } else target.legitAt = target.legitAt === null ? at : Math.min(target.legitAt, at);
    if (l.source === 'ANALYST' && (target.reviewAt === null || at < target.reviewAt)) {
      target.reviewAt = at;
      target.reviewFraud = l.isFraud;
    }
  }

  private pendingFor(id: string, transactionTime: number): PendingLabel | undefined {
    // A label for a transaction older than anything kept can never meet its score.
    if (this.lastCheck !== null && transactionTime < this.lastCheck - this.settings.chargebackWindowMs)
      return undefined;
    let p = this.pending.get(id);
    if (!p) {
      p = { fraudAt: null, chargebackAt: null, legitAt: null, reviewAt: null, reviewFraud: false };
      this.pending.set(id, p);
      if (this.pending.size > MAX_PENDING_LABELS) {
        const oldest = this.pending.keys().next().value;
        if (oldest !== undefined) this.pending.delete(oldest);
      }
    }
    return p;
  }

  /**
   * Runs every check boundary up to and including `until` (a time both watermarks have passed).
   * Returns nothing; drain() hands out the investigations and alarms.
   */
  advanceTo(until: number): void {
    while (
      this.active &&
      this.lastCheck !== null &&
      this.lastCheck + this.settings.checkIntervalMs <= until
    ) {
      const b = this.lastCheck + this.settings.checkIntervalMs;
      this.check(b);
      this.lastCheck = b;
    }
  }

  drain(): { investigations: Investigation[]; alarms: EarlyAlarm[] } {
    const out = { investigations: this.investigations, alarms: this.alarms };
    this.investigations = [];
    this.alarms = [];
    return out;
  }

  private check(b: number): void {
    const ref = this.reference;
    if (!ref) return;
    // Each check takes the labels up to its boundary that no check has counted: those since the last
    // one, and any that came late (a label partition read behind the others) rather than losing them.
    const due = (t: number | null): t is number => t !== null && t <= b;
    const later: { at: number; delayMs: number }[] = [];
    for (const d of this.unfoldedDelays) {
      if (d.at <= b) this.delay.observe(d.delayMs);
      else later.push(d);
    }
    this.unfoldedDelays = later;

    // 1. Chargebacks since the last check, in event-time order: the missed-share CUSUM.
    const chargebacks = [...this.rows.values()]
      .filter((r) => !r.chargebackCounted && due(r.chargebackAt))
      .sort((x, y) => (x.chargebackAt ?? 0) - (y.chargebackAt ?? 0) || (x.id < y.id ? -1 : 1));
    for (const r of chargebacks) {
      r.chargebackCounted = true;
      this.counters.chargebacks++;
      if (!r.alerted) this.counters.missed++;
      if (!this.cusum) {
        this.burnIn.chargebacks++;
        if (!r.alerted) this.burnIn.missed++;
        this.burnIn.observations.push({ card: r.card, terminal: r.terminal, success: !r.alerted });
        if (this.burnIn.chargebacks >= this.settings.missedBurnIn) {
          this.designEffect = this.settings.missedClusterRobust
            ? twoWayDesignEffect(this.burnIn.observations)
            : 1;
          this.cusum = inControlCusum(
            this.burnIn.missed,
            this.burnIn.chargebacks,
            ref.missShare,
            this.settings.missedOddsRatio,
            this.settings.missedCusumH * this.designEffect,
          );
          this.burnIn.observations = [];
        }
        continue;
      }
      if (this.cusum.observe(!r.alerted)) {
        this.alarms.push({
          kind: 'MISSED_FRAUDS',
          at: b,
          summary:
            `missed-fraud CUSUM crossed ${threshold(this.settings.missedCusumH, this.designEffect)}: ${this.counters.missed} of ` +
            `${this.counters.chargebacks} chargebacks since ${ref.version} served were scored below its ` +
            `threshold (in-control miss share ${round(this.cusum.settings.p0)}, measured on its first ` +
            `${this.settings.missedBurnIn} chargebacks; validation ${round(ref.missShare)})`,
        });
      }
    }

    // 2. Analysts' verdicts on score alerts since the last check: the false-alert CUSUM.
    const reviews = [...this.rows.values()]
      .filter((r) => r.alerted && !r.reviewCounted && due(r.reviewAt))
      .sort((x, y) => (x.reviewAt ?? 0) - (y.reviewAt ?? 0) || (x.id < y.id ? -1 : 1));
    // In control: the false share of the reviews of the week before the last day (a trailing
    // baseline: a sudden change shows within a day, a slow one is the mature rule's to judge).
    const baseline = reviews.length > 0 ? this.reviewBaseline(b) : { reviews: 0, falseAlerts: 0, from: b };
    if (reviews.length > 0) {
      const state = this.falseAlertCusum?.state ?? { statistic: 0, observations: 0 };
      this.falseAlertCusum =
        baseline.reviews >= this.settings.falseAlertBurnIn
          ? inControlCusum(
              baseline.falseAlerts,
              baseline.reviews,
              ref.falseAlertShare,
              this.settings.falseAlertOddsRatio,
              this.settings.falseAlertCusumH,
            )
          : null;
      this.falseAlertCusum?.restore(state);
    }
    for (const r of reviews) {
      r.reviewCounted = true;
      const falseAlert = !r.reviewFraud;
      this.logReview({ at: r.reviewAt ?? b, falseAlert });
      this.counters.reviews++;
      if (falseAlert) this.counters.falseAlerts++;
      // Page's estimate of the change time: the last observation at which the statistic was 0.
      if (this.falseAlertCusum && this.falseAlertCusum.state.statistic === 0)
        this.falseAlertRunStart = r.time;
      if (this.falseAlertCusum?.observe(falseAlert)) {
        // More false alerts in the share without more alerts per transaction since the change is
        // fewer (or less visible) frauds, not legitimate payments moving into the alerts: the
        // crossing is dismissed (the CUSUM restarted at 0 when it crossed).
        const rate = this.alertRateRatio(b, this.falseAlertRunStart ?? b - DAY_MS);
        if (rate === null || rate < this.settings.falseAlertMinRateRatio) continue;
        this.alarms.push({
          kind: 'ALERT_PRECISION',
          at: b,
          summary:
            `false-alert CUSUM crossed ${this.settings.falseAlertCusumH}: analysts found no fraud in ` +
            `${this.counters.falseAlerts} of the ${this.counters.reviews} score alerts of ${ref.version} ` +
            `they reviewed (in-control false share ${round(this.falseAlertCusum.settings.p0)}, measured on ` +
            `the ${baseline.reviews} reviews of the ${days(b - DAY_MS - baseline.from)} days before the last day; validation ` +
            `${round(ref.falseAlertShare)}), and ${rate.toFixed(2)} times as many alerts per transaction ` +
            `since the change began as in the week before it`,
        });
      }
    }

    // 3. Investigation verdicts since the last check: the hit-rate SPRT.
    const verdicts = [...this.rows.values()]
      .filter((r) => !r.verdictCounted && r.investigatedAt !== null && due(verdictTime(r)))
      .sort((x, y) => (verdictTime(x) ?? 0) - (verdictTime(y) ?? 0) || (x.id < y.id ? -1 : 1));
    for (const r of verdicts) {
      r.verdictCounted = true;
      const hit = r.fraudAt !== null && r.fraudAt <= b;
      this.counters.verdicts++;
      if (hit) this.counters.hits++;
      // A payment at a place the model already knew for fraud, missed all the same, is an old
      // pattern whose evidence lags (a compromised terminal's later payments), not a new one.
      if (this.atKnownFraudPlace(r)) continue;
      const before = this.sprt.state;
      const decision = this.sprt.observe(hit);
      if (decision === 'H1') {
        this.alarms.push({
          kind: 'NEW_PATTERN',
          at: b,
          summary:
            `investigations of transactions like confirmed novel missed frauds: ${before.successes + 1} ` +
            `frauds in ${before.trials + 1} verdicts (SPRT of hit rate ${this.settings.sprt.p0} against ` +
            `${this.settings.sprt.p1}, alpha ${this.settings.sprt.alpha}); novel frauds of several cards ` +
            `that the serving model ${ref.version} scored below its threshold`,
        });
      }
    }

    // 4. Seeds: missed frauds confirmed since the last check that no reference fraud resembles.
    const index = this.index;
    if (index) {
      const confirmed = [...this.rows.values()]
        .filter((r) => !r.alerted && !r.seeded && r.features !== null && due(r.fraudAt))
        .sort((x, y) => (x.fraudAt ?? 0) - (y.fraudAt ?? 0) || (x.id < y.id ? -1 : 1));
      for (const r of confirmed) {
        r.seeded = true;
        if (!r.features) continue;
        const { pValue } = index.novelty(Array.from(r.features));
        if (pValue <= this.settings.seedAlpha) {
          this.counters.seeds++;
          this.pendingSeeds.push(r.id);
        }
      }
      this.investigate(index, b);
    }
    this.forget(b);
  }

  /**
   * Whether the model scored the row at a place it knew for fraud: one of the known-fraud-place
   * features above the training window's fraud rate (false for a row restored without features).
   */
  private atKnownFraudPlace(r: RecentRow): boolean {
    const features = r.features;
    const ref = this.reference;
    if (!features || !ref) return false;
    return this.knownFraudPlaceIndices.some((i) => (features[i] ?? 0) > ref.fraudRate);
  }

  /**
   * Alerts per transaction in [since, b) against the same over the baseline before `since`
   * ([since − baseline, since)); null when either holds no transaction or no alert.
   */
  alertRateRatio(b: number, since: number = b - DAY_MS): number | null {
    const to = since;
    const from = to - this.settings.falseAlertBaselineMs;
    let rows = 0;
    let alerts = 0;
    let baseRows = 0;
    let baseAlerts = 0;
    for (const r of this.rows.values()) {
      if (r.time >= to && r.time <= b) {
        rows++;
        if (r.alerted) alerts++;
      } else if (r.time >= from && r.time < to) {
        baseRows++;
        if (r.alerted) baseAlerts++;
      }
    }
    if (rows === 0 || baseRows === 0 || baseAlerts === 0) return null;
    return alerts / rows / (baseAlerts / baseRows);
  }

  /**
   * The counted reviews of score alerts in [b − baseline − 1 day, b − 1 day); when they are fewer
   * than the burn-in (and reaching back is on), the last `falseAlertBurnIn` reviews before
   * b − 1 day. `from` is the time of the earliest.
   */
  private reviewBaseline(b: number): { reviews: number; falseAlerts: number; from: number } {
    const s = this.settings;
    const to = b - DAY_MS;
    const end = firstAtOrAfter(this.reviewLog, to);
    let start = firstAtOrAfter(this.reviewLog, to - s.falseAlertBaselineMs);
    if (s.falseAlertBaselineReachBack && end - start < s.falseAlertBurnIn)
      start = Math.max(0, end - s.falseAlertBurnIn);
    let falseAlerts = 0;
    for (let i = start; i < end; i++) if (this.reviewLog[i]?.falseAlert) falseAlerts++;
    return {
      reviews: end - start,
      falseAlerts,
      from: this.reviewLog[start]?.at ?? to - s.falseAlertBaselineMs,
    };
  }

  /** Adds a counted review in order of time (after any of the same time). */
  private logReview(review: ReviewRecord): void {
    this.reviewLog.splice(firstAtOrAfter(this.reviewLog, review.at + 1), 0, review);
  }

  /** Spends the day's investigation budget on the pending seeds, oldest first. */
  private investigate(index: FraudNoveltyIndex, b: number): void {
    const s = this.settings;
    const ref = this.reference;
    if (!ref) return;
    const day = Math.floor(b / DAY_MS);
    if (this.budgetDay !== day) {
      this.budgetDay = day;
      this.budgetUsed = 0;
    }
    const budget = Math.floor(s.investigationShare * s.analystDailyCapacity);
    const fresh: string[] = [];
    for (const seedId of this.pendingSeeds) {
      const seed = this.rows.get(seedId);
      if (!seed?.features || seed.time < b - s.lookbackMs - DAY_MS) continue;
      if (this.budgetUsed >= budget) {
        fresh.push(seedId);
        continue;
      }
      const point = index.project(Array.from(seed.features));
      const candidates: { row: RecentRow; d: number }[] = [];
      for (const r of this.rows.values()) {
        if (r.alerted || !r.features || r.investigatedAt !== null) continue;
        // Other cards at other terminals: one odd card, or one compromised terminal (whose every
        // payment is fraud), is not a new pattern.
        if (r.card === seed.card || r.terminal === seed.terminal) continue;
        if (r.time > b || r.time < b - s.lookbackMs) continue;
        if ((r.fraudAt !== null && r.fraudAt <= b) || (r.legitAt !== null && r.legitAt <= b)) continue;
        candidates.push({ row: r, d: squaredDistance(point, index.project(Array.from(r.features))) });
      }
      candidates.sort((x, y) => x.d - y.d || (x.row.id < y.row.id ? -1 : 1));
      let taken = 0;
      // Only the nearest few are worth a novelty check: the rest are further from the seed anyway.
      for (const { row } of candidates.slice(0, 20 * s.maxInvestigationsPerSeed)) {
        if (taken >= s.maxInvestigationsPerSeed || this.budgetUsed >= budget) break;
        const features = Array.from(row.features ?? []);
        const { pValue } = index.novelty(features);
        if (pValue > s.candidateAlpha) continue;
        row.investigatedAt = b;
        taken++;
        this.budgetUsed++;
        this.counters.investigations++;
        this.investigations.push({
          transactionId: row.id,
          cardId: row.card,
          terminalId: row.terminal,
          amount: row.amount,
          eventTime: row.time,
          raisedAt: b,
          score: row.score,
          threshold: ref.threshold,
          modelVersion: ref.version,
          seedTransactionId: seed.id,
          noveltyPValue: pValue,
          reasons: index.distinguishingFeatures(features, ref.featureNames),
        });
      }
      // A seed whose neighbourhood ran dry is spent; one cut short by the budget waits for tomorrow.
      if (this.budgetUsed >= budget && taken < s.maxInvestigationsPerSeed) fresh.push(seedId);
    }
    this.pendingSeeds = fresh;
  }

  /** Drops rows older than the chargeback window before `b` (no label is expected for them). */
  private forget(b: number): void {
    const s = this.settings;
    const horizon = b - s.chargebackWindowMs - DAY_MS;
    for (const [id, r] of this.rows) {
      if (r.time >= horizon) break;
      this.rows.delete(id);
    }
    // Reviews no later baseline can hold: before this check's window (later windows start later),
    // beyond the burn-in's count before its end when reaching back.
    const to = b - DAY_MS;
    const keep = s.falseAlertBaselineReachBack ? s.falseAlertBurnIn : 0;
    const drop = Math.min(
      firstAtOrAfter(this.reviewLog, to - s.falseAlertBaselineMs),
      Math.max(0, firstAtOrAfter(this.reviewLog, to) - keep),
    );
    if (drop > 0) this.reviewLog.splice(0, drop);
  }

  stats(): EarlyEvidenceStats {
    return {
      referenceFrauds: this.index?.referenceFrauds ?? 0,
      chargebacksObserved: this.counters.chargebacks,
      missedChargebacks: this.counters.missed,
      seeds: this.counters.seeds,
      investigations: this.counters.investigations,
      investigationVerdicts: this.counters.verdicts,
      investigationHits: this.counters.hits,
      sprtLlr: this.sprt.state.llr,
      missedCusum: this.cusum?.state.statistic ?? 0,
      missedCusumThreshold: this.cusum?.settings.h ?? null,
      alertReviews: this.counters.reviews,
      falseAlerts: this.counters.falseAlerts,
      falseAlertCusum: this.falseAlertCusum?.state.statistic ?? 0,
      medianChargebackDelayMs: this.delay.quantile(0.5),
    };
  }

  /**
   * The domain classifier over the frauds confirmed by `at` among the transactions of the chargeback
   * window before it (by default the last check): a set fixed by that time, whatever order the topics
   * were read in. Each row's distance is computed once.
   */
  fraudDomain(at: number | null = this.lastCheck): FraudDomainStatistic | null {
    const index = this.index;
    if (!index || at === null) return null;
    const distances: number[] = [];
    for (const r of this.rows.values()) {
      if (
        r.fraudAt === null ||
        r.fraudAt > at ||
        r.time < at - this.settings.chargebackWindowMs ||
        r.time >= at
      )
        continue;
      if (!r.features) continue;
      r.fraudDistance ??= index.kthDistance(index.project(Array.from(r.features)));
      distances.push(r.fraudDistance);
    }
    const result = index.domainAuc(distances);
    return result ? { ...result, frauds: distances.length } : null;
  }

  snapshot(): EarlyEvidenceSnapshot {
    return {
      format: 1,
      lastCheck: this.lastCheck,
      rows: [...this.rows.values()].map((r) => ({
        ...r,
        features: r.features ? Array.from(r.features) : null,
      })),
      pendingSeeds: [...this.pendingSeeds],
      pendingLabels: [...this.pending].map(([id, p]) => ({ id, ...p })),
      budgetDay: this.budgetDay,
      budgetUsed: this.budgetUsed,
      sprt: this.sprt.state,
      cusum: this.cusum
        ? {
            ...this.cusum.state,
            p0: this.cusum.settings.p0,
            p1: this.cusum.settings.p1,
            designEffect: this.designEffect,
          }
        : null,
      burnIn: { ...this.burnIn, observations: this.burnIn.observations.map((o) => ({ ...o })) },
      falseAlertCusum: this.falseAlertCusum
        ? {
            ...this.falseAlertCusum.state,
            p0: this.falseAlertCusum.settings.p0,
            p1: this.falseAlertCusum.settings.p1,
          }
        : null,
      falseAlertRunStart: this.falseAlertRunStart,
      reviewLog: this.reviewLog.map((r) => ({ ...r })),
      delay: this.delay.snapshot(),
      unfoldedDelays: this.unfoldedDelays.map((d) => ({ ...d })),
      counters: { ...this.counters },
    };
  }

  /** Restores state saved by snapshot(); call setReference() with the same reference first. */
  restoreState(s: EarlyEvidenceSnapshot): void {
    this.lastCheck = s.lastCheck;
    this.rows.clear();
    const before = (t: number | null): boolean => t !== null && s.lastCheck !== null && t <= s.lastCheck;
    for (const r of s.rows)
      this.rows.set(r.id, {
        ...r,
        features: r.features ? Float32Array.from(r.features) : null,
        chargebackCounted: r.chargebackCounted ?? before(r.chargebackAt),
        verdictCounted: r.verdictCounted ?? (r.investigatedAt !== null && before(verdictTime(r))),
        reviewAt: r.reviewAt ?? null,
        reviewFraud: r.reviewFraud ?? false,
        // An earlier version counted no review: one before the checkpoint is left out, not counted late.
        reviewCounted: r.reviewCounted ?? true,
        fraudDistance: r.fraudDistance ?? null,
      });
    this.pendingSeeds = [...s.pendingSeeds];
    // A label read before its score must meet it after a restart, as it would have without one.
    this.pending.clear();
    for (const { id, ...p } of s.pendingLabels ?? [])
      this.pending.set(id, { ...p, reviewAt: p.reviewAt ?? null, reviewFraud: p.reviewFraud ?? false });
    this.budgetDay = s.budgetDay;
    this.budgetUsed = s.budgetUsed;
    this.sprt.restore(s.sprt);
    this.burnIn = {
      chargebacks: s.burnIn.chargebacks,
      missed: s.burnIn.missed,
      observations: (s.burnIn.observations ?? []).map((o) => ({ ...o })),
    };
    this.designEffect = this.settings.missedClusterRobust ? (s.cusum?.designEffect ?? 1) : 1;
    this.cusum = s.cusum
      ? new BernoulliCusum({
          p0: s.cusum.p0,
          p1: s.cusum.p1,
          h: this.settings.missedCusumH * this.designEffect,
        })
      : null;
    this.cusum?.restore(s.cusum ?? { statistic: 0, observations: 0 });
    const fa = s.falseAlertCusum ?? null;
    this.falseAlertCusum = fa
      ? new BernoulliCusum({ p0: fa.p0, p1: fa.p1, h: this.settings.falseAlertCusumH })
      : null;
    this.falseAlertCusum?.restore(fa ?? { statistic: 0, observations: 0 });
    this.falseAlertRunStart = s.falseAlertRunStart ?? null;
    this.reviewLog = s.reviewLog
      ? s.reviewLog.map((r) => ({ ...r }))
      : [...this.rows.values()]
          .filter((r) => r.alerted && r.reviewCounted && r.reviewAt !== null)
          .map((r) => ({ at: r.reviewAt ?? 0, falseAlert: !r.reviewFraud }))
          .sort((x, y) => x.at - y.at);
    this.delay = LabelDelayModel.restore(this.settings.chargebackWindowMs, s.delay);
    this.unfoldedDelays = (s.unfoldedDelays ?? []).map((d) => ({ ...d }));
    this.counters = { ...emptyCounters(), ...s.counters };
  }
}

/**
 * A CUSUM in control at the larger of the validation share and the burn-in's (its upper 95 % Wilson
 * bound, so an unlucky burn-in does not make ordinary days look like a change), detecting the odds
 * of that share multiplied by `oddsRatio`.
 */
function inControlCusum(
  hits: number,
  n: number,
  validationShare: number,
  oddsRatio: number,
  h: number,
): BernoulliCusum {
  const p = n > 0 ? hits / n : 0;
  const z = 1.96;
  const upper =
    (p + (z * z) / (2 * n) + z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / (1 + (z * z) / n);
  const p0 = Math.min(0.95, Math.max(0.01, validationShare, upper));
  const odds = (p0 / (1 - p0)) * oddsRatio;
  return new BernoulliCusum({ p0, p1: odds / (1 + odds), h });
}

/** The index of the first record at or after `t` in records sorted by time. */
function firstAtOrAfter(records: readonly ReviewRecord[], t: number): number {
  return lowerBound(records.length, (i) => (records[i]?.at ?? Infinity) >= t);
}

function emptyBurnIn(): { chargebacks: number; missed: number; observations: ClusteredObservation[] } {
  return { chargebacks: 0, missed: 0, observations: [] };
}

/** The missed-fraud CUSUM's threshold, and how it came about when clustering raised it. */
function threshold(h: number, designEffect: number): string {
  if (designEffect <= 1) return String(h);
  return (
    `${(h * designEffect).toFixed(2)} (${h} times the design effect ${designEffect.toFixed(2)} of its ` +
    `burn-in's clustered chargebacks)`
  );
}

function emptyCounters(): EarlyEvidenceSnapshot['counters'] & { reviews: number; falseAlerts: number } {
  return {
    chargebacks: 0,
    missed: 0,
    seeds: 0,
    investigations: 0,
    verdicts: 0,
    hits: 0,
    reviews: 0,
    falseAlerts: 0,
  };
}

function verdictTime(r: Pick<RecentRow, 'fraudAt' | 'legitAt' | 'investigatedAt'>): number | null {
  const times = [r.fraudAt, r.legitAt].filter((t): t is number => t !== null && t >= (r.investigatedAt ?? 0));
  return times.length > 0 ? Math.min(...times) : null;
}

function round(x: number): string {
  return x.toFixed(3);
}

/** A span in days, to one decimal. */
function days(ms: number): string {
  return (ms / DAY_MS).toFixed(1);
}
