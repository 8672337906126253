import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplicationContext } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY_MS, type DriftEvent, type RetrainRequest } from '@fraudstream/contracts';
import { DriftDetector, DriftMonitorService, driftSettingsFromConfig } from '@fraudstream/drift';
import { AvroProducer, createIdempotentProducer, type Producer } from '@fraudstream/kafka';
import { loadDriftMonitorConfig } from '../../apps/drift-monitor/src/drift-monitor.config';
import { testClients, uniqueName } from '../support/kafka-env';
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
} from './drift.harness';

/*
 * A restart in the middle of a window: the second instance restores the checkpoint, rewinds the
 * consumer group to the checkpoint's offsets and must emit exactly what an uninterrupted detector
 * emits on the same records (no verdict lost, changed or duplicated). Scores come from the
 * deterministic stand-in model of drift.harness.ts; see drift-monitor.int-spec.ts for the layout.
 */
const START = Date.UTC(2026, 0, 1);
const DRIFT_DAY = 42;

describe(`${DriftMonitorService.name} restart`, () => {
  const { kafka, serde } = testClients();
  let raw: Producer;
  let producer: AvroProducer;
  const dir = mkdtempSync(join(tmpdir(), 'drift-restart-'));

  beforeAll(async () => {
    raw = createIdempotentProducer(kafka);
    await raw.connect();
    producer = new AvroProducer(raw, serde);
  });

  afterAll(async () => {
    await raw.disconnect();
  });

  it('resumes mid-window from its checkpoint with the verdicts of an uninterrupted run', async () => {
    const days = await simulateScoredDays(
      {
        seed: 11,
        days: DRIFT_DAY + 17,
        startTime: START,
        customers: 400,
        terminals: 800,
        maxMeanTxPerDay: 8,
        scenario: 'new-fraud-pattern',
        driftDay: DRIFT_DAY,
      },
      'standin-1',
    );
    const manifest = standInManifest('standin-1', days.slice(28, DRIFT_DAY), 20);
    const live = days.slice(DRIFT_DAY);

    // What an uninterrupted detector decides on the same records.
    const settings = driftSettingsFromConfig(loadDriftMonitorConfig({ ...TEST_DRIFT_ENV }));
    const reference = new DriftDetector(settings);
    reference.setReference(manifest);
    for (const day of live) {
      for (const label of day.labels) reference.observeLabel(label);
      for (const score of day.scores) reference.observeScore(score);
    }
    const expected = reference.drain();
    expect(expected.driftEvents.map((e) => e.event_id)).toEqual([
      `standin-1:${START + 42 * DAY_MS}`,
      `standin-1:${START + 42 * DAY_MS}:mature`,
      `standin-1:${START + 49 * DAY_MS}`,
    ]);
    expect(expected.retrainRequests).toHaveLength(1);

    const topics = await createDriftTopics(kafka, serde);
    await producer.sendMany([
      {
        topic: topics.deployments,
        records: [{ key: 'standin-1', value: promotion('standin-1', writeManifest(dir, manifest), START) }],
      },
    ]);
    const collector = new DriftOutputsCollector(kafka, serde, topics);
    await collector.start();
    const overrides = {
      DRIFT_GROUP_ID: uniqueName('drift-restart'),
      DRIFT_CHECKPOINT_PATH: join(dir, 'checkpoint.json'),
      // Wall-clock checkpoints only at emissions and shutdown: the restart must rely on the offset rewind.
      DRIFT_CHECKPOINT_INTERVAL_MS: '3600000',
    };
    let app: INestApplicationContext | null = null;
    const events: DriftEvent[] = collector.events;
    const requests: RetrainRequest[] = collector.requests;
    try {
      app = await startDriftMonitor(topics, overrides);
      for (const day of live.slice(0, 10)) await produceDay(producer, topics, day);
      // The first window closed (so the first instance got past day 49): stop it mid-window.
      await waitFor(() => events.length >= 1, 60_000, 'first window closed');
      await app.close();
      app = null;

      app = await startDriftMonitor(topics, overrides);
      for (const day of live.slice(10)) await produceDay(producer, topics, day);
      await waitFor(() => events.length >= 3 && requests.length >= 1, 60_000, 'verdicts after the restart');
      const service = app.get(DriftMonitorService);
      // Everything produced was consumed: the last score's day is in the watermark.
      await waitFor(
        () => (service.status().watermark ?? 0) >= START + (DRIFT_DAY + 16) * DAY_MS,
        30_000,
        'caught up',
      );
    } finally {
      await app?.close();
      await collector.stop();
    }
    expect(events).toEqual(expected.driftEvents);
    expect(requests).toEqual(expected.retrainRequests);
  });
});
