import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplicationContext } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DriftScenario } from '@fraudstream/simulation';
import { AvroProducer, DeadLetterHeaders, createIdempotentProducer, type Producer } from '@fraudstream/kafka';
import { DAY_MS, HOUR_MS, type Label } from '@fraudstream/contracts';
import { DriftMonitorService } from '@fraudstream/drift';
import { DriftMonitorModule } from '../../apps/drift-monitor/src/drift-monitor.module';
import { testClients, uniqueName } from '../support/kafka-env';
import { readTopic } from '../support/read-topic';
import { waitFor } from '../support/wait-for';
import {
  DriftOutputsCollector,
  TEST_DRIFT_ENV,
  createDriftTopics,
  produceDay,
  promotion,
  simulateScoredDays,
  standInManifest,
  startDriftMonitor,
  writeManifest,
  type ScoredDay,
} from './drift.harness';

/*
 * The drift monitor end to end on the real broker, fed with simulator data. Scores come from a
 * deterministic stand-in for the model (drift.harness.ts: it knows the classic fraud patterns and
 * nothing else), whose reference profile is built with buildFeatureProfile on two stable weeks.
 * Day 0 is a Thursday, so the weekly windows (epoch-aligned) are simulated days 7k .. 7k+6; the
 * drift starts on day 42, the first day of a window. Days 0-27 only warm up the 30-day features.
 */
const START = Date.UTC(2026, 0, 1);
const DRIFT_DAY = 42;
const window = (day: number) => START + day * DAY_MS;

async function simulate(scenario: DriftScenario, days: number, driftIntensity = 1): Promise<ScoredDay[]> {
  return simulateScoredDays(
    {
      seed: 11,
      days,
      startTime: START,
      customers: 400,
      terminals: 800,
      maxMeanTxPerDay: 8,
      scenario,
      driftDay: DRIFT_DAY,
      driftIntensity,
    },
    'standin-1',
  );
}

describe(DriftMonitorModule.name, () => {
  const { kafka, serde } = testClients();
  let raw: Producer;
  let producer: AvroProducer;
  const dir = mkdtempSync(join(tmpdir(), 'drift-monitor-'));

  beforeAll(async () => {
    raw = createIdempotentProducer(kafka);
    await raw.connect();
    producer = new AvroProducer(raw, serde);
  });

  afterAll(async () => {
    await raw.disconnect();
  });

  /** Runs the monitor over simulated days [DRIFT_DAY, lastDay] with the stand-in's reference from days 28-41. */
  async function run(
    scenario: DriftScenario,
    lastDay: number,
    until: (c: DriftOutputsCollector) => boolean,
    options: { readonly novelty?: boolean; readonly driftIntensity?: number } = {},
  ) {
    const days = await simulate(scenario, lastDay + 1, options.driftIntensity);
    const manifest = standInManifest('standin-1', days.slice(28, DRIFT_DAY), 20, {
      novelty: options.novelty ?? false,
    });
    const topics = await createDriftTopics(kafka, serde);
    await producer.sendMany([
      {
        topic: topics.deployments,
        records: [
          { key: 'standin-1', value: promotion('standin-1', writeManifest(dir, manifest), window(27)) },
        ],
      },
    ]);
    const collector = new DriftOutputsCollector(kafka, serde, topics);
    await collector.start();
    let app: INestApplicationContext | null = null;
    try {
      app = await startDriftMonitor(topics, {
        DRIFT_GROUP_ID: uniqueName('drift-monitor'),
        DRIFT_CHECKPOINT_PATH: join(dir, `${topics.scores}.json`),
      });
      for (const day of days.slice(DRIFT_DAY)) await produceDay(producer, topics, day);
      await waitFor(() => until(collector), 90_000, `${scenario} outputs`);
    } finally {
      await app?.close();
      await collector.stop();
    }
    return { collector, manifest, days };
  }

  it('requests no retraining over 30 stable days, while its performance checks run', async () => {
    // Windows of days 42, 49, 56, 63 close; those of 42, 49, 56 also mature (7-day chargeback window).
    const matured = (c: DriftOutputsCollector) => c.events.filter((e) => e.event_id.endsWith(':mature'));
    const { collector } = await run('stable', DRIFT_DAY + 29, (c) => matured(c).length >= 3);
    const closes = collector.events.filter((e) => !e.event_id.endsWith(':mature'));
    expect(closes.map((e) => e.window_start)).toEqual([42, 49, 56, 63].map(window));
    for (const e of matured(collector)) {
      expect(e.average_precision).not.toBeNull();
      expect(e.mature_labels).toBe(e.row_count);
    }
    expect(
      collector.events.filter((e) => e.verdict === 'PERFORMANCE_DRIFT' || e.retrain_recommended),
    ).toEqual([]);
    expect(collector.events.every((e) => e.features.every((f) => !f.drifted))).toBe(true);
    expect(collector.requests).toEqual([]);
  });

  it('flags a new fraud pattern within two windows of its onset and retrains once labels confirm it', async () => {
    const { collector } = await run('new-fraud-pattern', DRIFT_DAY + 14, (c) => c.requests.length > 0);
    const onset = window(DRIFT_DAY);
    const flagged = collector.events.filter((e) => e.verdict !== 'NO_DRIFT' && e.window_start >= onset);
    expect(flagged[0]?.window_start).toBeLessThanOrEqual(onset + 7 * DAY_MS);
    // Flagged at close from the frauds confirmed so far; not retrained before its labels are mature.
    expect(flagged[0]).toMatchObject({
      event_id: `standin-1:${onset}`,
      verdict: 'PERFORMANCE_DRIFT',
      retrain_recommended: false,
    });
    expect(collector.requests).toHaveLength(1);
    expect(collector.requests[0]).toMatchObject({
      request_id: `retrain:standin-1:${onset}:mature`,
      model_version: 'standin-1',
      trigger: 'PERFORMANCE_DRIFT',
      drift_event_id: `standin-1:${onset}:mature`,
      window_end: onset + 14 * DAY_MS,
      event_time: onset + 14 * DAY_MS,
    });
    const mature = collector.events.find((e) => e.event_id === `standin-1:${onset}:mature`);
    expect(mature?.verdict).toBe('PERFORMANCE_DRIFT');
    expect(mature?.retrain_recommended).toBe(true);
  });

  it('asks the analysts to investigate transactions like a confirmed novel missed fraud (INVESTIGATE alerts)', async () => {
    // The reference carries the stand-in's frauds of days 28-41 (the trainer's novelty reference):
    // the new pattern's frauds, missed by the stand-in and confirmed by chargebacks, are unlike all
    // of them and seed investigations of other cards' transactions, within the analysts' share.
    const { collector, days } = await run('new-fraud-pattern', DRIFT_DAY + 7, (c) => c.alerts.length >= 3, {
      novelty: true,
      driftIntensity: 3,
    });
    const scores = new Map(days.flatMap((d) => d.scores).map((s) => [s.transaction_id, s]));
    for (const { key, alert } of collector.alerts) {
      const scored = scores.get(alert.transaction_id);
      expect(scored, alert.transaction_id).toBeDefined();
      expect(key).toBe(alert.card_id);
      expect(alert).toMatchObject({
        alert_id: `investigate:${alert.transaction_id}`,
        kind: 'INVESTIGATE',
        card_id: scored?.card_id,
        terminal_id: scored?.terminal_id,
        event_time: scored?.event_time,
        score: scored?.score,
        threshold: 0.5,
        model_version: 'standin-1',
        severity: 'LOW',
      });
      // Raised at an hourly check after the transaction, on an unalerted one, with why in words.
      expect(alert.raised_at).toBeGreaterThan(alert.event_time);
      expect((alert.raised_at ?? 0) % 3_600_000).toBe(0);
      expect(alert.score).toBeLessThan(alert.threshold);
      expect(alert.note).toMatch(/^new pattern: like confirmed missed fraud \S+$/);
      expect(alert.reasons.length).toBeGreaterThan(0);
      expect(alert.reasons.every((r) => Number.isFinite(r.contribution) && r.contribution >= 0)).toBe(true);
    }
    // Never a transaction of the seed's own card, and each transaction investigated once.
    const seedCard = (a: { note: string }) => scores.get(a.note.split(' ').at(-1) ?? '')?.card_id;
    expect(collector.alerts.every(({ alert }) => seedCard(alert) !== alert.card_id)).toBe(true);
    const ids = collector.alerts.map(({ alert }) => alert.alert_id);
    expect(new Set(ids).size).toBe(ids.length);
    // Within the investigation share of the analysts' capacity: 0.2 x 20 = 4 a day.
    const perDay = new Map<number, number>();
    for (const { alert } of collector.alerts) {
      const day = Math.floor((alert.raised_at ?? 0) / DAY_MS);
      perDay.set(day, (perDay.get(day) ?? 0) + 1);
    }
    expect(Math.max(...perDay.values())).toBeLessThanOrEqual(4);
  });

  it('reports covariate-only drift without requesting retraining', async () => {
    const onset = window(DRIFT_DAY);
    const { collector } = await run('covariate-only', DRIFT_DAY + 14, (c) =>
      c.events.some((e) => e.event_id === `standin-1:${onset}:mature`),
    );
    const closes = collector.events.filter((e) => !e.event_id.endsWith(':mature'));
    expect(closes.length).toBeGreaterThanOrEqual(2);
    for (const e of closes) {
      expect(e.verdict).toBe('COVARIATE_DRIFT');
      expect(e.features.filter((f) => f.drifted).length).toBeGreaterThanOrEqual(2);
    }
    const mature = collector.events.find((e) => e.event_id === `standin-1:${onset}:mature`);
    expect(mature?.reasons.some((r) => r.startsWith('performance holds'))).toBe(true);
    expect(collector.events.every((e) => !e.retrain_recommended)).toBe(true);
    // The drift events and requests go out in one acknowledged send: none was sent with them.
    expect(collector.requests).toEqual([]);
  });

  it('dead-letters a label dated far ahead of the event-time watermark, and its clock stays where it was', async () => {
    const topics = await createDriftTopics(kafka, serde);
    const label = (id: string, eventTime: number): Label => ({
      transaction_id: id,
      card_id: 'card-1',
      terminal_id: 'terminal-1',
      is_fraud: true,
      source: 'CHARGEBACK',
      transaction_time: window(0),
      event_time: eventTime,
    });
    const app = await startDriftMonitor(topics, {
      DRIFT_GROUP_ID: uniqueName('drift-monitor'),
      DRIFT_CHECKPOINT_PATH: join(dir, `${topics.scores}.json`),
    });
    try {
      await producer.sendMany([
        {
          topic: topics.labels,
          records: [
            label('tx-1', window(1)),
            label('tx-2', Date.UTC(2099, 0, 1)),
            label('tx-3', window(1) + HOUR_MS),
          ].map((l) => ({ key: l.transaction_id, value: l })),
        },
      ]);
      const [letter] = await readTopic(kafka, `${topics.labels}.dlq`, 1);
      expect(letter?.headers[DeadLetterHeaders.reason]).toBe('validation');
      expect(letter?.headers[DeadLetterHeaders.error]).toMatch(
        /2099-01-01T00:00:00.000Z is more than .* ahead/,
      );
      const service = app.get(DriftMonitorService);
      const lateness = Number(TEST_DRIFT_ENV.DRIFT_ALLOWED_LATENESS_MS);
      // The label after it is read: the watermark is its time, not the year 2099's.
      await waitFor(
        () => service.status().labelWatermark === window(1) + HOUR_MS - lateness,
        30_000,
        'the label watermark at the third label',
      );
    } finally {
      await app.close();
    }
  });
});
