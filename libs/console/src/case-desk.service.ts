import { Logger } from '@nestjs/common';
import {
  CONTRACT_LIMITS,
  describeError,
  type Alert,
  type CaseAction,
  type CaseRecord,
  type CaseStatus,
  type Label,
} from '@fraudstream/contracts';
import { raisedAt, type CaseBook, type CaseState } from './case-book';
import {
  CaseBusyError,
  CaseClaimedError,
  CaseClosedError,
  NotAcknowledgedError,
  NotClaimedError,
  NotReadyError,
  UnknownCaseError,
} from './console.errors';
import type { ConsoleMetrics } from './console.metrics';

/** Writes a case's label and records (the Kafka producer in the app; a fake in tests). */
export interface CaseOutbox {
  /** Resolves once the broker acknowledged the label; rejects when the outcome is unknown. */
  sendLabel(label: Label): Promise<void>;
  sendCase(record: CaseRecord): Promise<void>;
}

/**
 * Resolves once the book has read the labels and cases topics up to their ends as of the call: after
 * a write whose outcome is unknown, the book then shows whether it landed.
 */
export interface TopicCatchUp {
  caughtUp(): Promise<void>;
}

export interface CaseDeskSettings {
  /** How long a claim holds without a new one (wall time). */
  readonly claimTtlMs: number;
  /** How long a request waits for the broker's acknowledgement before answering "pending". */
  readonly ackTimeoutMs: number;
}

export type VerdictChoice = 'FRAUD' | 'LEGITIMATE' | 'ESCALATE';

export interface VerdictOutcome {
  /** `recorded`: acknowledged by the broker; `pending`: sent, not yet acknowledged (the case stays locked). */
  readonly status: 'recorded' | 'pending';
  readonly state: CaseState;
  /** The label written (FRAUD / LEGITIMATE), null for an escalation. */
  readonly label: Label | null;
}

const TIMED_OUT = Symbol('timed out');

/**
 * The analysts' actions on cases: claim, release, escalate and the verdict, each a case record on
 * the compacted cases topic and, for a verdict, one label on fraud.labels.v1.
 *
 * Exactly one label per case: every action on a card holds the card's lock from its check of the
 * book until the broker's answer is known, so a double click, a retry or a second tab finds the case
 * busy or closed; the book holds every verdict label on the topic (replayed before the console
 * accepts verdicts), so a restart does too. A label whose send fails with an unknown outcome keeps
 * the lock until the book has read the labels topic to its end: a label that landed closes the
 * case, one that did not lets the next verdict through. One console process writes verdicts
 * (docs/console.md says why and what scaling out needs).
 */
export class CaseDesk {
  private readonly logger = new Logger(CaseDesk.name);
  private readonly busyCards = new Set<string>();
  private isReady = false;

  constructor(
    private readonly book: CaseBook,
    private readonly outbox: CaseOutbox,
    private readonly topics: TopicCatchUp,
    private readonly settings: CaseDeskSettings,
    private readonly metrics: ConsoleMetrics | null = null,
    private readonly now: () => number = Date.now,
  ) {}

  /** Set once the book has replayed the alerts, cases and labels topics. */
  markReady(): void {
    this.isReady = true;
  }

  get ready(): boolean {
    return this.isReady;
  }

  /** Takes the case (and so its card) for `analyst` for the claim's time; renews their own claim. */
  claim(alertId: string, analyst: string, comment = ''): Promise<CaseState> {
    return this.onCard(alertId, analyst, async (alert, state) => {
      const record = this.next(alert, state, 'CLAIM', analyst, comment, {
        status: 'CLAIMED',
        claimed_by: analyst,
        claimed_until: this.now() + this.settings.claimTtlMs,
      });
      await this.writeCase(record, 'the claim');
      return this.book.state(alertId, this.now());
    });
  }

  /** Gives the claim up: the case is back in the queue for anyone. */
  release(alertId: string, analyst: string, comment = ''): Promise<CaseState> {
    return this.onCard(alertId, analyst, async (alert, state) => {
      if (state.claimedBy !== analyst) throw new NotClaimedError(alertId);
      const record = this.next(alert, state, 'RELEASE', analyst, comment, {
        status: state.escalated ? 'ESCALATED' : 'OPEN',
        claimed_by: null,
        claimed_until: null,
      });
      await this.writeCase(record, 'the release');
      return this.book.state(alertId, this.now());
    });
  }

  /**
   * FRAUD or LEGITIMATE: writes the case's one label (source ANALYST, the analyst and the alert id),
   * then the closed case record with the comment. ESCALATE: hands the case on (no label).
   */
  decide(alertId: string, analyst: string, choice: VerdictChoice, comment = ''): Promise<VerdictOutcome> {
    if (!this.isReady) return Promise.reject(new NotReadyError());
    const alert = this.book.alert(alertId);
    if (!alert) return Promise.reject(new UnknownCaseError(alertId));
    if (choice === 'ESCALATE') {
      return this.onCard(alertId, analyst, async (a, state) => {
        const record = this.next(a, state, 'ESCALATE', analyst, comment, {
          status: 'ESCALATED',
          claimed_by: null,
          claimed_until: null,
        });
        await this.writeCase(record, 'the escalation');
        this.metrics?.verdicts.inc({ outcome: 'escalate' });
        return { status: 'recorded', state: this.book.state(alertId, this.now()), label: null };
      });
    }
    return this.lockCard(alert, analyst, async (release) => {
      const state = this.book.state(alertId, this.now());
      const label = this.labelFor(alert, analyst, choice);
      // Whether the label's fate is known: only then may another verdict on the card be tried.
      let known = true;
      const settled = this.outbox.sendLabel(label).then(
        async () => {
          this.book.applyLabels([label]);
          this.recordVerdictMetrics(alert, label);
          await this.closeRecord(alert, state, label, analyst, comment);
        },
        async (error: unknown) => {
          this.logger.error({
            msg: 'verdict label not acknowledged; reading the labels topic to its end before the case opens again',
            alertId,
            error: describeError(error),
          });
          try {
            await this.topics.caughtUp();
          } catch (readError) {
            // Not known whether it landed: the card stays locked (a restart replays the topic).
            known = false;
            throw new NotAcknowledgedError('the verdict', { cause: readError });
          }
          const landed = this.book.verdictOf(alertId);
          if (!landed || landed.analyst !== analyst || landed.verdict !== choice)
            throw new NotAcknowledgedError('the verdict', { cause: error });
          // It did land (the broker wrote it, its answer was lost): the case is closed by it.
          this.recordVerdictMetrics(alert, label);
          await this.closeRecord(alert, state, label, analyst, comment);
        },
      );
      // The card stays locked until the label's fate is known, however long the broker takes.
      void settled.then(release, (error: unknown) => {
        if (known) release();
        this.logger.warn({
          msg: 'verdict not recorded',
          alertId,
          cardLocked: !known,
          error: describeError(error),
        });
      });
      const outcome = await Promise.race([settled, this.timeout()]);
      if (outcome === TIMED_OUT) return { status: 'pending', state, label };
      return { status: 'recorded', state: this.book.state(alertId, this.now()), label };
    });
  }

  /** The label a verdict becomes: deterministic from the alert, the verdict and the stream's event time. */
  labelFor(alert: Alert, analyst: string, choice: 'FRAUD' | 'LEGITIMATE'): Label {
    return {
      transaction_id: alert.transaction_id,
      card_id: alert.card_id,
      terminal_id: alert.terminal_id,
      is_fraud: choice === 'FRAUD',
      source: 'ANALYST',
      transaction_time: alert.event_time,
      // Event time, never the wall clock: the verdict is known "now" in the stream the loop runs on.
      event_time: Math.max(raisedAt(alert), this.book.streamClock ?? 0),
      alert_id: alert.alert_id,
      analyst,
    };
  }

  private recordVerdictMetrics(alert: Alert, label: Label): void {
    const outcome = label.is_fraud ? 'fraud' : 'legitimate';
    this.metrics?.verdicts.inc({ outcome });
    this.metrics?.alertToVerdict.observe({ outcome }, (label.event_time - raisedAt(alert)) / 1000);
  }

  private async closeRecord(
    alert: Alert,
    state: CaseState,
    label: Label,
    analyst: string,
    comment: string,
  ): Promise<void> {
    const record = this.next(alert, state, 'VERDICT', analyst, comment, {
      status: 'CLOSED',
      claimed_by: null,
      claimed_until: null,
      verdict: label.is_fraud ? 'FRAUD' : 'LEGITIMATE',
      decided_by: analyst,
      decided_event_time: label.event_time,
    });
    try {
      await this.outbox.sendCase(record);
      this.book.applyCases([record]);
    } catch (error) {
      // The label closed the case already; only the comment and the step's history are missing.
      this.logger.error({
        msg: 'closed case record not written (the label is)',
        alertId: alert.alert_id,
        error: describeError(error),
      });
    }
  }

  /** Runs a case-record action under the card's lock, after the common checks. */
  private onCard<T>(
    alertId: string,
    analyst: string,
    action: (alert: Alert, state: CaseState) => Promise<T>,
  ): Promise<T> {
    if (!this.isReady) return Promise.reject(new NotReadyError());
    const alert = this.book.alert(alertId);
    if (!alert) return Promise.reject(new UnknownCaseError(alertId));
    return this.lockCard(alert, analyst, async (release) => {
      try {
        return await action(alert, this.book.state(alertId, this.now()));
      } finally {
        release();
      }
    });
  }

  /**
   * Takes the card's lock (or refuses: busy), refuses a closed case and a card claimed by someone
   * else, then runs `work`, which owns the lock from there: it calls `release` once the outcome of
   * its writes is known.
   */
  private async lockCard<T>(
    alert: Alert,
    analyst: string,
    work: (release: () => void) => Promise<T>,
  ): Promise<T> {
    const card = alert.card_id;
    if (this.busyCards.has(card)) throw new CaseBusyError(card);
    this.busyCards.add(card);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      this.busyCards.delete(card);
    };
    try {
      const state = this.book.state(alert.alert_id, this.now());
      if (state.status === 'CLOSED')
        throw new CaseClosedError(alert.alert_id, state.verdict ?? 'CLOSED', state.decidedBy);
      const claim = this.book.claimOnCard(card, this.now());
      if (claim && claim.analyst !== analyst) throw new CaseClaimedError(card, claim.analyst, claim.until);
    } catch (error) {
      release();
      throw error;
    }
    return work(release);
  }

  /** Writes a case record and applies it; a send past the acknowledgement timeout is refused, its outcome applied when known. */
  private async writeCase(record: CaseRecord, what: string): Promise<void> {
    const sending = this.outbox.sendCase(record).then(() => this.book.applyCases([record]));
    const outcome = await Promise.race([
      sending.catch((error: unknown) => {
        throw new NotAcknowledgedError(what, { cause: error });
      }),
      this.timeout(),
    ]);
    // The caller's lock is released now; a late record still lands in the book when acknowledged
    // (a claim or a note, never a label: a second one changes the case's state, not its verdict).
    if (outcome === TIMED_OUT) throw new NotAcknowledgedError(what);
  }

  private next(
    alert: Alert,
    state: CaseState,
    action: CaseAction,
    analyst: string,
    comment: string,
    change: Partial<CaseRecord> & { status: CaseStatus },
  ): CaseRecord {
    const at = this.now();
    const history = [...state.history, { action, analyst, at, comment }].slice(-CONTRACT_LIMITS.maxCaseNotes);
    return {
      alert_id: alert.alert_id,
      transaction_id: alert.transaction_id,
      card_id: alert.card_id,
      claimed_by: null,
      claimed_until: null,
      verdict: null,
      decided_by: null,
      decided_event_time: null,
      ...change,
      history,
      updated_at: at,
    };
  }

  private timeout(): Promise<typeof TIMED_OUT> {
    return new Promise((resolve) => setTimeout(() => resolve(TIMED_OUT), this.settings.ackTimeoutMs).unref());
  }
}
