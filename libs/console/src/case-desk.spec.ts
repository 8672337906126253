import { HOUR_MS, MINUTE_MS, type CaseRecord, type Label } from '@fraudstream/contracts';
import { MetricsRegistry } from '@fraudstream/observability';
import { beforeEach, describe, expect, it } from 'vitest';
import { CaseBook } from './case-book';
import { CaseDesk, type CaseOutbox, type TopicCatchUp } from './case-desk.service';
import {
  CaseBusyError,
  CaseClaimedError,
  CaseClosedError,
  NotAcknowledgedError,
  NotClaimedError,
  NotReadyError,
  UnknownCaseError,
} from './console.errors';
import { consoleMetrics } from './console.metrics';
import { T0, testAlert, testLabel, testScore } from './console-test.fixtures';

/**
 * The topics, faked: what was sent, in order; sends answer at once unless a test holds them, and a
 * held send can be acknowledged, lost after writing (the broker wrote, its answer never came) or
 * refused. `caughtUp` delivers what was written to the book, as the console's consumer would.
 */
class FakeTopics implements CaseOutbox, TopicCatchUp {
  readonly labels: Label[] = [];
  readonly cases: CaseRecord[] = [];
  private readonly unread: Label[] = [];
  hold = false;
  private held: { label: Label; resolve: () => void; reject: (e: Error) => void }[] = [];

  constructor(private readonly book: CaseBook) {}

  sendLabel(label: Label): Promise<void> {
    if (!this.hold) {
      this.labels.push(label);
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => this.held.push({ label, resolve, reject }));
  }

  sendCase(record: CaseRecord): Promise<void> {
    this.cases.push(record);
    return Promise.resolve();
  }

  caughtUp(): Promise<void> {
    this.book.applyLabels(this.unread.splice(0));
    return Promise.resolve();
  }

  /** Answers the oldest held send: `ack`, `lost` (written, answer lost) or `refused` (not written). */
  answer(how: 'ack' | 'lost' | 'refused'): void {
    const next = this.held.shift();
    if (!next) throw new Error('no send is held');
    if (how !== 'refused') this.labels.push(next.label);
    if (how === 'lost') this.unread.push(next.label);
    if (how === 'ack') next.resolve();
    else next.reject(new Error(how === 'lost' ? 'request timed out' : 'broker refused'));
  }

  get pending(): number {
    return this.held.length;
  }
}

/** Lets the desk's promise callbacks run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe(CaseDesk.name, () => {
  let book: CaseBook;
  let topics: FakeTopics;
  let desk: CaseDesk;
  let now: number;
  let metrics: MetricsRegistry;
  const alert = testAlert('tx-1', { raised_at: null, event_time: T0 });

  beforeEach(() => {
    book = new CaseBook();
    topics = new FakeTopics(book);
    now = Date.UTC(2026, 5, 1);
    metrics = new MetricsRegistry();
    desk = new CaseDesk(
      book,
      topics,
      topics,
      { claimTtlMs: 30 * MINUTE_MS, ackTimeoutMs: 50 },
      consoleMetrics(metrics),
      () => now,
    );
    book.applyAlerts([alert, testAlert('tx-2', { card_id: 'card-2' })]);
    desk.markReady();
  });

  it('turns a FRAUD verdict into one ANALYST label naming the alert and the analyst, at the stream’s event time', async () => {
    book.applyScores([testScore('later', { event_time: T0 + 5 * HOUR_MS, card_id: 'card-9' })]);
    const outcome = await desk.decide(alert.alert_id, 'alice', 'FRAUD', 'two countries in an hour');
    expect(outcome.status).toBe('recorded');
    expect(topics.labels).toEqual([
      {
        transaction_id: 'tx-1',
        card_id: 'card-1',
        terminal_id: 'term-1',
        is_fraud: true,
        source: 'ANALYST',
        transaction_time: T0,
        event_time: T0 + 5 * HOUR_MS,
        alert_id: alert.alert_id,
        analyst: 'alice',
      },
    ]);
    expect(topics.cases.at(-1)).toMatchObject({
      status: 'CLOSED',
      verdict: 'FRAUD',
      decided_by: 'alice',
      history: [{ action: 'VERDICT', analyst: 'alice', comment: 'two countries in an hour' }],
    });
    expect(outcome.state).toMatchObject({ status: 'CLOSED', verdict: 'FRAUD', decidedBy: 'alice' });
    const text = await metrics.metrics();
    expect(text).toContain('fraudstream_console_verdicts_total{outcome="fraud"} 1');
    // Five event-time hours from the alert to its verdict.
    expect(text).toContain('fraudstream_console_alert_to_verdict_seconds_sum{outcome="fraud"} 18000');
  });

  it('writes one label for a double click, two tabs or a retry', async () => {
    const results = await Promise.allSettled([
      desk.decide(alert.alert_id, 'alice', 'FRAUD'),
      desk.decide(alert.alert_id, 'alice', 'FRAUD'),
      desk.decide(alert.alert_id, 'bob', 'LEGITIMATE'),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'rejected']);
    expect(results.slice(1).map((r) => r.status === 'rejected' && r.reason instanceof CaseBusyError)).toEqual(
      [true, true],
    );
    await expect(desk.decide(alert.alert_id, 'alice', 'FRAUD')).rejects.toThrow(CaseClosedError);
    expect(topics.labels).toHaveLength(1);
  });

  it('keeps the case locked while Kafka has not answered, and closes it when it does', async () => {
    topics.hold = true;
    const outcome = await desk.decide(alert.alert_id, 'alice', 'LEGITIMATE');
    expect(outcome.status).toBe('pending');
    await expect(desk.decide(alert.alert_id, 'bob', 'FRAUD')).rejects.toThrow(CaseBusyError);
    topics.answer('ack');
    await settle();
    expect(book.state(alert.alert_id, now)).toMatchObject({ status: 'CLOSED', verdict: 'LEGITIMATE' });
    await expect(desk.decide(alert.alert_id, 'bob', 'FRAUD')).rejects.toThrow(CaseClosedError);
    expect(topics.labels).toHaveLength(1);
  });

  it('reads the labels topic after a send whose answer was lost: a label that landed closes the case, one that did not lets a retry through', async () => {
    topics.hold = true;
    const lost = desk.decide(alert.alert_id, 'alice', 'FRAUD');
    await settle();
    topics.answer('lost');
    await expect(lost).resolves.toMatchObject({ status: 'recorded' });
    await expect(desk.decide(alert.alert_id, 'alice', 'FRAUD')).rejects.toThrow(CaseClosedError);
    expect(topics.labels).toHaveLength(1);

    const other = testAlert('tx-2', { card_id: 'card-2' }).alert_id;
    const refused = desk.decide(other, 'alice', 'FRAUD');
    await settle();
    topics.answer('refused');
    await expect(refused).rejects.toThrow(NotAcknowledgedError);
    topics.hold = false;
    await expect(desk.decide(other, 'alice', 'FRAUD')).resolves.toMatchObject({ status: 'recorded' });
    expect(topics.labels.map((l) => l.transaction_id)).toEqual(['tx-1', 'tx-2']);
  });

  it('keeps the card locked when it cannot tell whether a lost label landed', async () => {
    const blind = new CaseDesk(
      book,
      topics,
      { caughtUp: () => Promise.reject(new Error('broker away')) },
      { claimTtlMs: MINUTE_MS, ackTimeoutMs: 50 },
    );
    blind.markReady();
    topics.hold = true;
    const lost = blind.decide(alert.alert_id, 'alice', 'FRAUD');
    await settle();
    topics.answer('refused');
    await expect(lost).rejects.toThrow(NotAcknowledgedError);
    topics.hold = false;
    // Another verdict could write a second label if the first one landed after all: refused until a restart replays the topic.
    await expect(blind.decide(alert.alert_id, 'bob', 'LEGITIMATE')).rejects.toThrow(CaseBusyError);
    expect(topics.labels).toEqual([]);
  });

  it('refuses, writing nothing: an unknown alert, a case closed by the desk, a card claimed by someone else, before the replay', async () => {
    await expect(desk.decide('nope:v1', 'alice', 'FRAUD')).rejects.toThrow(UnknownCaseError);
    book.applyLabels([testLabel(testAlert('tx-2', { card_id: 'card-2' }))]);
    await expect(desk.decide('tx-2:v1', 'alice', 'FRAUD')).rejects.toThrow(/closed: FRAUD by analyst-desk/);
    await desk.claim(alert.alert_id, 'bob');
    const claims = topics.cases.length;
    await expect(desk.decide(alert.alert_id, 'alice', 'FRAUD')).rejects.toThrow(CaseClaimedError);
    await expect(desk.claim(alert.alert_id, 'alice')).rejects.toThrow(/claimed by bob/);
    await expect(desk.release(alert.alert_id, 'alice')).rejects.toThrow(CaseClaimedError);
    const fresh = new CaseDesk(book, topics, topics, { claimTtlMs: 1, ackTimeoutMs: 50 });
    await expect(fresh.decide(alert.alert_id, 'bob', 'FRAUD')).rejects.toThrow(NotReadyError);
    expect(topics.labels).toEqual([]);
    expect(topics.cases).toHaveLength(claims);
  });

  it('lets the claimer work the card, and anyone once the claim is released or over', async () => {
    await desk.claim(alert.alert_id, 'bob', 'looking');
    expect(book.state(alert.alert_id, now)).toMatchObject({ status: 'CLAIMED', claimedBy: 'bob' });
    await expect(desk.release(alert.alert_id, 'bob')).resolves.toMatchObject({ status: 'OPEN' });
    await expect(desk.release(alert.alert_id, 'bob')).rejects.toThrow(NotClaimedError);
    await desk.claim(alert.alert_id, 'bob');
    now += 31 * MINUTE_MS;
    await expect(desk.decide(alert.alert_id, 'alice', 'LEGITIMATE')).resolves.toMatchObject({
      status: 'recorded',
    });
    expect(topics.labels[0]?.analyst).toBe('alice');
  });

  it('escalates without a label, releasing the claim; a later verdict closes the case', async () => {
    await desk.claim(alert.alert_id, 'alice');
    const escalated = await desk.decide(alert.alert_id, 'alice', 'ESCALATE', 'needs a second look');
    expect(escalated).toMatchObject({ label: null, state: { status: 'ESCALATED', claimedBy: null } });
    expect(topics.labels).toEqual([]);
    await desk.decide(alert.alert_id, 'carol', 'FRAUD');
    expect(topics.labels).toHaveLength(1);
    expect(topics.cases.at(-1)?.history.map((n) => `${n.analyst}:${n.action}`)).toEqual([
      'alice:CLAIM',
      'alice:ESCALATE',
      'carol:VERDICT',
    ]);
  });
});
