import { describe, expect, it } from 'vitest';
import { DAY_MS, RetriableError } from '@fraudstream/contracts';
import { MemoryCheckpointStore } from './checkpoint-store.adapter';
import { defaultDriftSettings } from './drift.config';
import type { DriftOutputs } from './drift-detector';
import { DriftMonitorService, type DriftOutputSink } from './drift-monitor.service';
import {
  T0,
  deploymentOf,
  referenceManifestOf,
  scoreOf,
  syntheticDay,
  type SyntheticTx,
} from './drift-test.fixtures';
import type { ManifestSource } from './manifest-source.adapter';

const settings = defaultDriftSettings({
  windowMs: DAY_MS,
  allowedLatenessMs: 0,
  minWindowCount: 100,
  maxLabelLagMs: 0,
});
const manifest = referenceManifestOf('m1', syntheticDay(-5, 2000, 1), settings.analystDailyCapacity);
const manifests: ManifestSource = { load: () => Promise.resolve(manifest) };

class RecordingSink implements DriftOutputSink {
  readonly published: DriftOutputs[] = [];
  failNext = false;
  /** Called on each publish (to see how far the monitor had read when it published). */
  onPublish: () => void = () => undefined;
  publish(outputs: DriftOutputs): Promise<void> {
    if (this.failNext) {
      this.failNext = false;
      return Promise.reject(new Error('broker down'));
    }
    this.onPublish();
    this.published.push(outputs);
    return Promise.resolve();
  }
}

const promotion = deploymentOf('m1', 0, {
  artifact_uri: 'file:///models/m1/model.onnx',
  reason: 'bootstrap',
});

function records(day: number, seed: number, firstOffset: number, partition = 0) {
  return syntheticDay(day, 200, seed).map((tx, i) => ({
    topic: 'scores',
    partition,
    offset: String(firstOffset + i),
    value: scoreOf(tx, 'm1'),
  }));
}

describe(DriftMonitorService.name, () => {
  it('keeps outputs the sink refused and publishes them on the redelivery, counting no record twice', async () => {
    const sink = new RecordingSink();
    const service = new DriftMonitorService(settings, sink, new MemoryCheckpointStore(), manifests, {
      checkpointIntervalMs: 0,
    });
    await service.handleDeployments([promotion]);
    await service.handleScores(records(0, 1, 0));
    sink.failNext = true;
    const day1 = records(1, 2, 200);
    await expect(service.handleScores(day1)).rejects.toBeInstanceOf(RetriableError);
    await service.handleScores(day1); // the transport redelivers the batch
    expect(sink.published).toHaveLength(1);
    expect(sink.published[0]?.driftEvents.map((e) => [e.window_start, e.row_count])).toEqual([
      [0 + 0 * DAY_MS + Date.UTC(2026, 0, 1), 200],
    ]);
    expect(service.status().openWindows).toBe(1);
  });

  it('publishes what a record decides before reading the rest of its batch', async () => {
    const sink = new RecordingSink();
    const service = new DriftMonitorService(settings, sink, new MemoryCheckpointStore(), manifests, {
      checkpointIntervalMs: 0,
    });
    await service.handleDeployments([promotion]);
    const watermarks: (number | null)[] = [];
    sink.onPublish = () => watermarks.push(service.status().watermark);
    // One batch spanning three days: day 0's window closes at day 1's first record.
    const batch = [...records(0, 1, 0), ...records(1, 2, 200), ...records(2, 3, 400)];
    await service.handleScores(batch);
    const events = sink.published.flatMap((o) => o.driftEvents);
    expect(events.map((e) => e.row_count)).toEqual([200, 200]);
    const day1 = batch[200]?.value.event_time ?? NaN;
    const day2 = batch[400]?.value.event_time ?? NaN;
    expect(watermarks).toEqual([day1, day2]);
  });

  it('counts no record twice when a publish in the middle of a batch fails and the batch comes again', async () => {
    const sink = new RecordingSink();
    const service = new DriftMonitorService(settings, sink, new MemoryCheckpointStore(), manifests, {
      checkpointIntervalMs: 0,
    });
    await service.handleDeployments([promotion]);
    const batch = [...records(0, 1, 0), ...records(1, 2, 200), ...records(2, 3, 400)];
    sink.failNext = true;
    await expect(service.handleScores(batch)).rejects.toBeInstanceOf(RetriableError);
    await service.handleScores(batch); // the transport redelivers the batch
    expect(sink.published.flatMap((o) => o.driftEvents).map((e) => e.row_count)).toEqual([200, 200]);
    expect(service.status().openWindows).toBe(1);
  });

  it('resumes from its checkpoint and skips the records the checkpoint already holds', async () => {
    const store = new MemoryCheckpointStore();
    const sink = new RecordingSink();
    const first = new DriftMonitorService(settings, sink, store, manifests, { checkpointIntervalMs: 0 });
    await first.handleDeployments([promotion]);
    const day0 = records(0, 1, 0);
    await first.handleScores(day0);

    const second = new DriftMonitorService(settings, sink, store, manifests, { checkpointIntervalMs: 0 });
    expect(await second.restore()).toEqual([{ topic: 'scores', partition: 0, offset: '200' }]);
    await second.handleScores(day0.slice(150)); // redelivered tail: already counted
    await second.handleScores(records(1, 2, 200));
    expect(sink.published.flatMap((o) => o.driftEvents).map((e) => e.row_count)).toEqual([200]);
  });

  it('holds the watermark for partitions behind their end, so a catch-up drops nothing as late', async () => {
    const sink = new RecordingSink();
    const service = new DriftMonitorService(settings, sink, new MemoryCheckpointStore(), manifests, {
      checkpointIntervalMs: 0,
    });
    await service.handleDeployments([promotion]);
    service.holdBacklog('scores', [
      { topic: 'scores', partition: 0 },
      { topic: 'scores', partition: 1 },
    ]);
    // Partition 0 is read to its end (days 0-2) before partition 1's first batch.
    await service.handleScores(records(0, 1, 0), { caughtUp: false });
    await service.handleScores(records(1, 2, 200), { caughtUp: false });
    await service.handleScores(records(2, 3, 400), { caughtUp: true });
    expect(sink.published).toHaveLength(0); // partition 1 has not been read: no window may close
    await service.handleScores(records(0, 4, 0, 1), { caughtUp: false });
    await service.handleScores(records(1, 5, 200, 1), { caughtUp: true });
    expect(service.status().skipped.late).toBe(0);
    expect(sink.published.flatMap((o) => o.driftEvents).map((e) => e.row_count)).toEqual([400, 400]);
  });

  it('publishes investigations without writing a checkpoint for them (a re-raised one is the same alert)', async () => {
    const HOUR = 3_600_000;
    // 200 reference frauds around (1, 1): a fraud at (50, 50) is unlike all of them.
    const frauds = Array.from({ length: 200 }, (_, i) => [1 + (i % 5) * 0.1, 1 + (i % 7) * 0.1]);
    const novel = {
      ...manifest,
      reference: {
        ...manifest.reference,
        novelty: { features: [0, 1], centre: [0.7, 0.7], scale: [0.2, 0.2], frauds },
      },
    };
    let saves = 0;
    const store = new MemoryCheckpointStore();
    const counting = {
      load: () => store.load(),
      save: (c: Parameters<typeof store.save>[0]) => (saves++, store.save(c)),
    };
    const sink = new RecordingSink();
    const service = new DriftMonitorService(
      settings,
      sink,
      counting,
      { load: () => Promise.resolve(novel) },
      {
        checkpointIntervalMs: DAY_MS,
        now: () => 0,
      },
    );
    await service.handleDeployments([promotion]);
    const tx = (id: string, minute: number, features: number[]): SyntheticTx => ({
      id,
      card: `card-${id}`,
      time: T0 + minute * 60_000,
      features,
      fraud: false,
      score: 0.1,
    });
    const rows = [
      ...Array.from({ length: 100 }, (_, i) => tx(`l${i}`, i % 60, [1, 1])),
      tx('seed', 30, [50, 50]),
      ...Array.from({ length: 5 }, (_, i) => tx(`n${i}`, 60 + i, [50, 51])),
    ];
    await service.handleScores(
      rows.map((r, i) => ({
        topic: 'scores',
        partition: 0,
        offset: String(i),
        // Each at a terminal of its own: investigations leave out the seed's terminal.
        value: { ...scoreOf(r, 'm1'), terminal_id: `term-${r.id}` },
      })),
    );
    await service.handleLabels([
      {
        topic: 'labels',
        partition: 0,
        offset: '0',
        value: {
          transaction_id: 'seed',
          card_id: 'card-seed',
          terminal_id: 'term-seed',
          is_fraud: true,
          source: 'CHARGEBACK',
          transaction_time: T0 + 30 * 60_000,
          event_time: T0 + 2 * HOUR,
        },
      },
    ]);
    const before = saves;
    await service.handleScores([
      {
        topic: 'scores',
        partition: 0,
        offset: String(rows.length),
        value: scoreOf(tx('later', 180, [1, 1]), 'm1'),
      },
    ]);
    const investigations = sink.published.flatMap((o) => o.investigations);
    expect(investigations.map((i) => i.transactionId).sort()).toEqual(['n0', 'n1', 'n2', 'n3', 'n4']);
    expect(sink.published.flatMap((o) => o.driftEvents)).toEqual([]);
    expect(saves).toBe(before);
  });
});
