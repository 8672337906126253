import { DAY_MS, HOUR_MS, type Alert, type Label, type Transaction } from '@fraudstream/contracts';
import { streamRng, uniform } from '@fraudstream/stats';
import type { GroundTruth } from './simulation.types';

export interface AnalystDeskOptions {
  readonly seed: number;
  /** Alerts the analysts can review per event-time day; the rest get no verdict. */
  readonly capacityPerDay: number;
  /** Verdict delay after the alert's event time, uniform in [min, max) hours. Default [1, 6). */
  readonly delayHours?: readonly [number, number];
  /**
   * Share of the daily capacity kept for INVESTIGATE alerts (the drift monitor's investigation
   * share): score alerts get the rest. Default 0 (every review may go to score alerts).
   */
  readonly investigationShare?: number;
  /**
   * Share of the alerts the desk leaves to people in the console (the demo's live mode), picked by
   * the seed and the transaction id; they get no verdict from the desk. Default 0.
   */
  readonly peopleShare?: number;
  /**
   * How far back, before the alert was raised, a confirmed fraud's case reaches on its card: the
   * desk then labels every transaction of the card in that span (the customer, called about the
   * fraud, says which payments were theirs), not only the alerted one. 0 (the default) labels the
   * alerted transaction alone. Needs `cardHistory`.
   */
  readonly caseLookbackMs?: number;
  /** The card's transactions with an event time in [from, to] (the desk's view of a case). */
  readonly cardHistory?: (cardId: string, from: number, to: number) => Iterable<CaseTransaction>;
}

/** One of a card's transactions as a case shows it. */
export interface CaseTransaction {
  readonly transaction_id: string;
  readonly terminal_id: string;
  readonly event_time: number;
}

/**
 * Days back from an alert that a confirmed fraud's case reaches by default (the simulator's and the
 * quality benchmark's desk): 0, the alerted transaction only. Cases of 7 days (the chargeback window)
 * were measured and not made the default: docs/quality.md, "Analysts working cases".
 */
export const DEFAULT_CASE_DAYS = 0;

/** The `analyst` of the desk's labels. */
export const ANALYST_DESK_NAME = 'analyst-desk';

/**
 * Analysts reviewing alerts: each reviewed alert gets the TRUE verdict (from the simulator's ground
 * truth) some hours after the alert was raised (the transaction's time for a score alert, the
 * drift monitor's for an INVESTIGATE alert), up to a daily capacity taken first come, first served;
 * score alerts leave the investigation share of it free. A verdict's delay depends only on the seed
 * and the transaction id, so its time is reproducible whatever order and however late the alerts
 * arrive in.
 */
export class AnalystDesk {
  private readonly reviewedPerDay = new Map<number, number>();
  private readonly scoreReviewsPerDay = new Map<number, number>();
  private readonly reviewed = new Set<string>();
  private readonly delay: readonly [number, number];

  constructor(private readonly options: AnalystDeskOptions) {
    this.delay = options.delayHours ?? [1, 6];
  }

  /**
   * Verdict labels for the alerts within capacity; alerts with unknown truth or already reviewed are
   * skipped. A verdict is dated hours after its alert was raised, as at a bank, where an alert
   * reaches the analysts within milliseconds, however late it reached this desk: an accelerated
   * stream runs hours of event time while an alert travels, and a verdict that comes after the
   * drift monitor passed its time is counted at the monitor's next check (docs/drift.md).
   */
  review(alerts: readonly Alert[], truthOf: (transactionId: string) => GroundTruth | undefined): Label[] {
    const labels: Label[] = [];
    for (const alert of alerts) {
      if (this.reviewed.has(alert.transaction_id)) continue;
      if (this.leftToPeople(alert)) continue;
      const truth = truthOf(alert.transaction_id);
      if (!truth) continue;
      const raised = Math.max(alert.event_time, alert.raised_at ?? alert.event_time);
      const day = Math.floor(raised / DAY_MS);
      const used = this.reviewedPerDay.get(day) ?? 0;
      if (used >= this.options.capacityPerDay) continue;
      if (alert.kind === 'SCORE') {
        const scoreUsed = this.scoreReviewsPerDay.get(day) ?? 0;
        const share = this.options.investigationShare ?? 0;
        if (scoreUsed >= Math.floor(this.options.capacityPerDay * (1 - share))) continue;
        this.scoreReviewsPerDay.set(day, scoreUsed + 1);
      }
      this.reviewedPerDay.set(day, used + 1);
      this.reviewed.add(alert.transaction_id);
      const rng = streamRng(this.options.seed, 'analyst', alert.transaction_id);
      const verdict: Label = {
        transaction_id: alert.transaction_id,
        card_id: alert.card_id,
        terminal_id: alert.terminal_id,
        is_fraud: truth.is_fraud,
        source: 'ANALYST',
        transaction_time: alert.event_time,
        event_time: raised + Math.round(uniform(rng, this.delay[0], this.delay[1]) * HOUR_MS),
        alert_id: alert.alert_id,
        analyst: ANALYST_DESK_NAME,
      };
      labels.push(verdict);
      if (truth.is_fraud) labels.push(...this.caseLabels(verdict, raised, truthOf));
    }
    this.forgetBefore(alerts);
    return labels;
  }

  /**
   * The rest of a confirmed fraud's case: the card's other transactions from `caseLookbackMs`
   * before the alert up to it, each with its true verdict, given with the alert's verdict. A
   * transaction labelled here is not reviewed again (a later alert on it takes no capacity).
   */
  private caseLabels(
    verdict: Label,
    raised: number,
    truthOf: (transactionId: string) => GroundTruth | undefined,
  ): Label[] {
    const lookback = this.options.caseLookbackMs ?? 0;
    if (lookback <= 0 || !this.options.cardHistory) return [];
    const labels: Label[] = [];
    for (const tx of this.options.cardHistory(verdict.card_id, raised - lookback, raised)) {
      if (this.reviewed.has(tx.transaction_id)) continue;
      const truth = truthOf(tx.transaction_id);
      if (!truth) continue;
      this.reviewed.add(tx.transaction_id);
      labels.push({
        ...verdict,
        transaction_id: tx.transaction_id,
        terminal_id: tx.terminal_id,
        is_fraud: truth.is_fraud,
        transaction_time: tx.event_time,
      });
    }
    return labels;
  }

  /** Whether the alert is one of the share left to people (the same alert always is, or is not). */
  leftToPeople(alert: Alert): boolean {
    const share = this.options.peopleShare ?? 0;
    return share > 0 && uniform(streamRng(this.options.seed, 'people', alert.transaction_id), 0, 1) < share;
  }

  /** Keeps the per-day counters bounded: days more than a week older than the newest alert go. */
  private forgetBefore(alerts: readonly Alert[]): void {
    let newest = -Infinity;
    for (const a of alerts) newest = Math.max(newest, Math.floor(a.event_time / DAY_MS));
    for (const day of this.reviewedPerDay.keys()) if (day < newest - 7) this.reviewedPerDay.delete(day);
    for (const day of this.scoreReviewsPerDay.keys())
      if (day < newest - 7) this.scoreReviewsPerDay.delete(day);
    if (this.reviewed.size > 1_000_000) this.reviewed.clear();
  }
}

/**
 * Ground truth of recent transactions by id, and each card's recent transactions (the analysts'
 * case view), for the analyst desk: the simulator records each transaction; days older than
 * `retainDays` behind the newest are forgotten (bounded memory). `cardKey` names a transaction's
 * card as the alerts do (the ingress's token of it); by default its `card_id`.
 */
export class TruthLedger {
  private readonly byDay = new Map<number, LedgerDay>();
  private newestDay = -Infinity;

  constructor(
    private readonly retainDays = 3,
    private readonly cardKey: (transaction: LedgerTransaction) => string = (t) => t.card_id,
  ) {}

  record(truth: GroundTruth, transaction: LedgerTransaction): void {
    const eventTime = transaction.event_time;
    const day = Math.floor(eventTime / DAY_MS);
    let entry = this.byDay.get(day);
    if (!entry) {
      entry = { truth: new Map(), cards: new Map() };
      this.byDay.set(day, entry);
    }
    entry.truth.set(truth.transaction_id, truth);
    const card = this.cardKey(transaction);
    let list = entry.cards.get(card);
    if (!list) entry.cards.set(card, (list = []));
    list.push({
      transaction_id: truth.transaction_id,
      terminal_id: transaction.terminal_id,
      event_time: eventTime,
    });
    if (day > this.newestDay) {
      this.newestDay = day;
      for (const d of this.byDay.keys()) if (d < day - this.retainDays) this.byDay.delete(d);
    }
  }

  get(transactionId: string): GroundTruth | undefined {
    for (const entry of this.byDay.values()) {
      const truth = entry.truth.get(transactionId);
      if (truth) return truth;
    }
    return undefined;
  }

  /** The card's retained transactions with an event time in [from, to], in event-time order. */
  cardTransactions(cardId: string, from: number, to: number): CaseTransaction[] {
    const found: CaseTransaction[] = [];
    for (let d = Math.floor(from / DAY_MS); d <= Math.floor(to / DAY_MS); d++)
      for (const tx of this.byDay.get(d)?.cards.get(cardId) ?? [])
        if (tx.event_time >= from && tx.event_time <= to) found.push(tx);
    return found.sort((a, b) => a.event_time - b.event_time);
  }

  get size(): number {
    let n = 0;
    for (const entry of this.byDay.values()) n += entry.truth.size;
    return n;
  }
}

/** What the ledger keeps of a transaction beside its truth. */
export type LedgerTransaction = Pick<Transaction, 'card_id' | 'terminal_id' | 'event_time'>;

interface LedgerDay {
  readonly truth: Map<string, GroundTruth>;
  readonly cards: Map<string, CaseTransaction[]>;
}
