import {
  DAY_MS,
  type Alert,
  type AlertKind,
  type CaseNote,
  type CaseRecord,
  type CaseStatus,
  type CaseVerdict,
  type Label,
  type Score,
  type Severity,
} from '@fraudstream/contracts';

/** How much the book keeps: everything it holds is bounded. */
export interface CaseBookLimits {
  /** Alerts kept (closed ones are forgotten first). */
  readonly maxAlerts: number;
  /** Champion scores kept per card for the case view. */
  readonly cardHistory: number;
  /** Cards whose history is kept (least recently scored forgotten first). */
  readonly maxCards: number;
  /** Days of event time over which a terminal's fraud rate is computed. */
  readonly terminalDays: number;
  /** Terminals whose counts are kept (least recently seen forgotten first). */
  readonly maxTerminals: number;
}

export const DEFAULT_CASE_BOOK_LIMITS: CaseBookLimits = {
  maxAlerts: 50_000,
  cardHistory: 20,
  maxCards: 200_000,
  terminalDays: 28,
  maxTerminals: 100_000,
};

/** The verdict a label records for an alert (from this console, another replica or the simulator's desk). */
export interface RecordedVerdict {
  readonly verdict: CaseVerdict;
  readonly analyst: string | null;
  readonly eventTime: number;
  readonly label: Label;
}

/** A case as a reader sees it now: the record's state, claims past their end dropped, a label closing it. */
export interface CaseState {
  readonly alertId: string;
  readonly status: CaseStatus;
  readonly claimedBy: string | null;
  readonly claimedUntil: number | null;
  /** Handed on for a second opinion at some point (and not closed since). */
  readonly escalated: boolean;
  readonly verdict: CaseVerdict | null;
  readonly decidedBy: string | null;
  readonly decidedEventTime: number | null;
  readonly history: readonly CaseNote[];
}

export type QueueSort = 'newest' | 'score';
export type QueueStatus = 'open' | 'closed' | 'all';

export interface QueueFilter {
  readonly severity?: Severity;
  readonly kind?: AlertKind;
  readonly model?: string;
  readonly card?: string;
  readonly status?: QueueStatus;
  readonly sort?: QueueSort;
  readonly limit?: number;
}

export interface QueueItem {
  readonly alert: Alert;
  /** When the alert was raised (event time): the transaction's time, or later for INVESTIGATE. */
  readonly raisedAt: number;
  readonly state: CaseState;
}

export interface QueuePage {
  readonly items: readonly QueueItem[];
  /** Alerts matching the filter (items holds at most `limit` of them). */
  readonly matching: number;
  readonly open: { readonly SCORE: number; readonly INVESTIGATE: number };
}

/** A champion score as the case view lists it. */
export interface CardScore {
  readonly transactionId: string;
  readonly terminalId: string;
  readonly amount: number;
  readonly eventTime: number;
  readonly score: number;
  readonly threshold: number;
  readonly modelVersion: string;
}

export interface TerminalFraudRate {
  readonly terminalId: string;
  readonly transactions: number;
  readonly frauds: number;
  /** Confirmed frauds per transaction over the window, null without transactions. */
  readonly rate: number | null;
  readonly days: number;
}

/** Alerts raised on one event-time day, by kind. */
export interface AlertsOnDay {
  readonly day: number;
  readonly SCORE: number;
  readonly INVESTIGATE: number;
}

/** When an alert was raised, in event time. */
export function raisedAt(alert: Alert): number {
  return Math.max(alert.event_time, alert.raised_at ?? alert.event_time);
}

interface TerminalDay {
  transactions: number;
  frauds: Set<string>;
}

/**
 * The console's view of the loop, built only from the topics (alerts, cases, labels, scores): the
 * open and closed cases, each card's recent champion scores, each terminal's recent fraud rate and
 * the alert volume by day. A label naming an alert closes its case whoever wrote it. Every map is
 * bounded (CaseBookLimits). Listeners hear of every change (the live queue).
 */
export class CaseBook {
  private readonly alerts = new Map<string, Alert>();
  private readonly records = new Map<string, CaseRecord>();
  /** Verdict labels by alert id: kept beyond the alerts (a label may arrive before its alert). */
  private readonly verdicts = new Map<string, RecordedVerdict>();
  private readonly labelsByTransaction = new Map<string, Label[]>();
  private readonly cards = new Map<string, CardScore[]>();
  private readonly terminals = new Map<string, Map<number, TerminalDay>>();
  private readonly perDay = new Map<number, { SCORE: number; INVESTIGATE: number }>();
  private readonly listeners = new Set<() => void>();
  private clock: number | null = null;

  constructor(private readonly limits: CaseBookLimits = DEFAULT_CASE_BOOK_LIMITS) {}

  /** Newest event time seen on the scores and alerts topics: the loop's "now" in event time. */
  get streamClock(): number | null {
    return this.clock;
  }

  /** Calls `listener` after every change; returns the unsubscribe function. */
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  applyAlerts(alerts: readonly Alert[]): void {
    for (const alert of alerts) {
      if (!this.alerts.has(alert.alert_id)) {
        const day = Math.floor(raisedAt(alert) / DAY_MS);
        const counts = this.perDay.get(day) ?? { SCORE: 0, INVESTIGATE: 0 };
        counts[alert.kind]++;
        this.perDay.set(day, counts);
      }
      this.alerts.set(alert.alert_id, alert);
      this.advance(raisedAt(alert));
    }
    this.evictAlerts();
    this.changed(alerts.length);
  }

  applyCases(records: readonly CaseRecord[]): void {
    for (const record of records) {
      const known = this.records.get(record.alert_id);
      // Writes of one case come from one console at a time; the newest state wins a replay's reordering.
      if (!known || known.updated_at <= record.updated_at) this.records.set(record.alert_id, record);
    }
    this.changed(records.length);
  }

  applyLabels(labels: readonly Label[]): void {
    for (const label of labels) {
      const alertId = label.alert_id ?? null;
      if (alertId !== null && label.source === 'ANALYST' && !this.verdicts.has(alertId)) {
        this.verdicts.set(alertId, {
          verdict: label.is_fraud ? 'FRAUD' : 'LEGITIMATE',
          analyst: label.analyst ?? null,
          eventTime: label.event_time,
          label,
        });
        this.evictVerdicts();
      }
      const list = this.labelsByTransaction.get(label.transaction_id) ?? [];
      if (!list.some((l) => l.source === label.source && l.event_time === label.event_time)) list.push(label);
      this.labelsByTransaction.delete(label.transaction_id);
      this.labelsByTransaction.set(label.transaction_id, list);
      if (this.labelsByTransaction.size > this.limits.maxAlerts * 4) {
        const oldest = this.labelsByTransaction.keys().next().value;
        if (oldest !== undefined) this.labelsByTransaction.delete(oldest);
      }
      if (label.is_fraud)
        this.terminalDay(label.terminal_id, label.transaction_time)?.frauds.add(label.transaction_id);
    }
    this.changed(labels.length);
  }

  applyScores(scores: readonly Score[]): void {
    for (const s of scores) {
      if (s.role !== 'CHAMPION') continue;
      this.advance(s.event_time);
      const history = this.cards.get(s.card_id) ?? [];
      if (!history.some((h) => h.transactionId === s.transaction_id)) {
        history.push({
          transactionId: s.transaction_id,
          terminalId: s.terminal_id,
          amount: s.amount,
          eventTime: s.event_time,
          score: s.score,
          threshold: s.threshold,
          modelVersion: s.model_version,
        });
        history.sort((a, b) => a.eventTime - b.eventTime);
        if (history.length > this.limits.cardHistory)
          history.splice(0, history.length - this.limits.cardHistory);
        const day = this.terminalDay(s.terminal_id, s.event_time);
        if (day) day.transactions++;
      }
      this.cards.delete(s.card_id);
      this.cards.set(s.card_id, history);
      if (this.cards.size > this.limits.maxCards) {
        const oldest = this.cards.keys().next().value;
        if (oldest !== undefined) this.cards.delete(oldest);
      }
    }
    this.changed(scores.length);
  }

  alert(alertId: string): Alert | undefined {
    return this.alerts.get(alertId);
  }

  /** The last case record written for the alert (by any console), if any. */
  record(alertId: string): CaseRecord | undefined {
    return this.records.get(alertId);
  }

  /** The verdict label recorded for the alert, if any. */
  verdictOf(alertId: string): RecordedVerdict | undefined {
    return this.verdicts.get(alertId);
  }

  /** The case's state at wall time `now` (claims past their end are dropped). */
  state(alertId: string, now: number): CaseState {
    const record = this.records.get(alertId);
    const verdict = this.verdicts.get(alertId);
    const history = record?.history ?? [];
    const escalated = history.some((n) => n.action === 'ESCALATE');
    if (verdict || record?.status === 'CLOSED') {
      return {
        alertId,
        status: 'CLOSED',
        claimedBy: null,
        claimedUntil: null,
        escalated: false,
        verdict: verdict?.verdict ?? record?.verdict ?? null,
        decidedBy: verdict ? verdict.analyst : (record?.decided_by ?? null),
        decidedEventTime: verdict?.eventTime ?? record?.decided_event_time ?? null,
        history,
      };
    }
    const claimed =
      record?.status === 'CLAIMED' && record.claimed_by !== null && (record.claimed_until ?? 0) > now;
    return {
      alertId,
      status: claimed ? 'CLAIMED' : escalated ? 'ESCALATED' : 'OPEN',
      claimedBy: claimed ? record.claimed_by : null,
      claimedUntil: claimed ? record.claimed_until : null,
      escalated,
      verdict: null,
      decidedBy: null,
      decidedEventTime: null,
      history,
    };
  }

  /** The live claim on any open case of the card, if one is held. */
  claimOnCard(cardId: string, now: number): { alertId: string; analyst: string; until: number } | null {
    for (const record of this.records.values()) {
      if (record.card_id !== cardId || record.status !== 'CLAIMED') continue;
      const state = this.state(record.alert_id, now);
      if (state.status === 'CLAIMED' && state.claimedBy !== null && state.claimedUntil !== null)
        return { alertId: record.alert_id, analyst: state.claimedBy, until: state.claimedUntil };
    }
    return null;
  }

  /** The alerts matching the filter, newest (raised) or highest score first. */
  queue(filter: QueueFilter, now: number): QueuePage {
    const status = filter.status ?? 'open';
    const items: QueueItem[] = [];
    const open = { SCORE: 0, INVESTIGATE: 0 };
    for (const alert of this.alerts.values()) {
      const state = this.state(alert.alert_id, now);
      if (state.status !== 'CLOSED') open[alert.kind]++;
      if (status === 'open' && state.status === 'CLOSED') continue;
      if (status === 'closed' && state.status !== 'CLOSED') continue;
      if (filter.severity && alert.severity !== filter.severity) continue;
      if (filter.kind && alert.kind !== filter.kind) continue;
      if (filter.model && alert.model_version !== filter.model) continue;
      if (filter.card && alert.card_id !== filter.card) continue;
      items.push({ alert, raisedAt: raisedAt(alert), state });
    }
    items.sort((a, b) =>
      filter.sort === 'score'
        ? b.alert.score - a.alert.score || b.raisedAt - a.raisedAt
        : b.raisedAt - a.raisedAt || b.alert.score - a.alert.score,
    );
    return { items: items.slice(0, filter.limit ?? 200), matching: items.length, open };
  }

  /** Open alerts by kind (the queue depth). */
  openCounts(now: number): { SCORE: number; INVESTIGATE: number } {
    return this.queue({ limit: 0 }, now).open;
  }

  /** The card's recent champion scores, newest first. */
  cardHistory(cardId: string): readonly CardScore[] {
    return [...(this.cards.get(cardId) ?? [])].reverse();
  }

  /** Labels known for the transaction (chargebacks, verdicts). */
  labelsOf(transactionId: string): readonly Label[] {
    return this.labelsByTransaction.get(transactionId) ?? [];
  }

  /** Confirmed frauds per transaction on the terminal over the last `terminalDays` days of event time. */
  terminalFraudRate(terminalId: string): TerminalFraudRate {
    const days = this.terminals.get(terminalId);
    let transactions = 0;
    let frauds = 0;
    const from = this.firstKeptDay();
    for (const [day, counts] of days ?? []) {
      if (day < from) continue;
      transactions += counts.transactions;
      frauds += counts.frauds.size;
    }
    return {
      terminalId,
      transactions,
      frauds,
      rate: transactions > 0 ? frauds / transactions : null,
      days: this.limits.terminalDays,
    };
  }

  /** Alerts by event-time day of raising, oldest day first. */
  alertsPerDay(): AlertsOnDay[] {
    return [...this.perDay]
      .sort(([a], [b]) => a - b)
      .map(([day, counts]) => ({ day, SCORE: counts.SCORE, INVESTIGATE: counts.INVESTIGATE }));
  }

  private advance(eventTime: number): void {
    if (this.clock === null || eventTime > this.clock) this.clock = eventTime;
  }

  private firstKeptDay(): number {
    return this.clock === null ? -Infinity : Math.floor(this.clock / DAY_MS) - this.limits.terminalDays + 1;
  }

  private terminalDay(terminalId: string, eventTime: number): TerminalDay | null {
    const day = Math.floor(eventTime / DAY_MS);
    if (day < this.firstKeptDay()) return null;
    let days = this.terminals.get(terminalId);
    if (days) this.terminals.delete(terminalId);
    else days = new Map();
    this.terminals.set(terminalId, days);
    if (this.terminals.size > this.limits.maxTerminals) {
      const oldest = this.terminals.keys().next().value;
      if (oldest !== undefined) this.terminals.delete(oldest);
    }
    const from = this.firstKeptDay();
    for (const d of days.keys()) if (d < from) days.delete(d);
    let counts = days.get(day);
    if (!counts) {
      counts = { transactions: 0, frauds: new Set() };
      days.set(day, counts);
    }
    return counts;
  }

  private evictAlerts(): void {
    const excess = this.alerts.size - this.limits.maxAlerts;
    if (excess <= 0) return;
    // Closed cases go first (oldest first); open ones only if the closed do not make room.
    let removed = 0;
    for (const id of this.alerts.keys()) {
      if (removed >= excess) break;
      if (this.verdicts.has(id) || this.records.get(id)?.status === 'CLOSED') {
        this.forget(id);
        removed++;
      }
    }
    for (const id of this.alerts.keys()) {
      if (removed >= excess) break;
      this.forget(id);
      removed++;
    }
  }

  private forget(alertId: string): void {
    this.alerts.delete(alertId);
    this.records.delete(alertId);
  }

  private evictVerdicts(): void {
    // A verdict must outlive its alert in the book as long as the alert may come back (a replay):
    // it is only forgotten far beyond the alerts kept.
    if (this.verdicts.size <= this.limits.maxAlerts * 4) return;
    for (const id of this.verdicts.keys()) {
      if (this.verdicts.size <= this.limits.maxAlerts * 4) break;
      if (!this.alerts.has(id)) this.verdicts.delete(id);
    }
  }

  private changed(count: number): void {
    if (count === 0) return;
    for (const listener of this.listeners) listener();
  }
}
