import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HOUR_MS, DAY_MS, type Label } from '@fraudstream/contracts';
import { FeaturePipeline, type FeatureStore, MemoryFeatureStore } from '@fraudstream/features';
import { HealthRegistry } from '@fraudstream/observability';
import { describe, expect, it } from 'vitest';
import { cardPayment as tx } from '../../../tests/support/sample-records';
import { FeatureStateLifecycle } from './feature-state.lifecycle';

const T0 = Date.UTC(2026, 2, 2, 10, 0, 0);

const history = [
  tx('a', 'c1', 't1', 20, T0),
  tx('b', 'c1', 't2', 35, T0 + HOUR_MS),
  tx('c', 'c2', 't1', 400, T0 + DAY_MS),
  tx('d', 'c1', 't1', 12, T0 + 2 * DAY_MS),
];
const fraudOnT1: Label = {
  transaction_id: 'c',
  card_id: 'c2',
  terminal_id: 't1',
  is_fraud: true,
  source: 'CHARGEBACK',
  transaction_time: T0 + DAY_MS,
  event_time: T0 + 2 * DAY_MS + 60_000,
};
const next = tx('e', 'c1', 't1', 50, T0 + 3 * DAY_MS);

describe(FeatureStateLifecycle.name, () => {
  it('restarts warm: a scorer restored from the shutdown snapshot computes what the uninterrupted one computes', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'fs-snapshot-')), 'state', 'features.snapshot');

    const uninterrupted = new FeaturePipeline(new MemoryFeatureStore());
    await uninterrupted.computeBatch(history);
    await uninterrupted.applyLabels([fraudOnT1]);
    const [expected] = await uninterrupted.computeBatch([next]);

    const first = new FeaturePipeline(new MemoryFeatureStore());
    const firstLife = new FeatureStateLifecycle(first, path);
    await firstLife.onModuleInit(); // no snapshot yet: starts cold
    await first.computeBatch(history);
    await first.applyLabels([fraudOnT1]); // pending until event time passes it: must survive too
    await firstLife.onApplicationShutdown();
    expect(existsSync(path)).toBe(true);

    const restarted = new FeaturePipeline(new MemoryFeatureStore());
    await new FeatureStateLifecycle(restarted, path).onModuleInit();
    const [actual] = await restarted.computeBatch([next]);
    expect(actual).toEqual(expected);

    const cold = new FeaturePipeline(new MemoryFeatureStore());
    const [coldVector] = await cold.computeBatch([next]);
    expect(coldVector).not.toEqual(expected);
  });

  it('keeps no snapshot when no path is configured', async () => {
    const pipeline = new FeaturePipeline(new MemoryFeatureStore());
    const life = new FeatureStateLifecycle(pipeline, undefined);
    await life.onModuleInit();
    await pipeline.computeBatch(history);
    await expect(life.onApplicationShutdown()).resolves.toBeUndefined();
  });

  it('reports the store on /health: down while it does not answer, with its kind', async () => {
    const memory = new MemoryFeatureStore();
    let answering = true;
    const remote: FeatureStore = {
      kind: 'redis',
      get reachable() {
        return answering;
      },
      keepsCardHistory: true,
      enqueueLabels: (labels) => memory.enqueueLabels(labels),
      begin: (keys) => memory.begin(keys),
      close: () => memory.close(),
    };
    const health = new HealthRegistry();
    new FeatureStateLifecycle(new FeaturePipeline(remote), undefined, health);
    expect(await health.report()).toEqual({
      status: 'up',
      components: { 'feature-store': { up: true, details: { kind: 'redis' } } },
    });
    answering = false;
    expect((await health.report()).status).toBe('down');
    const local = new HealthRegistry();
    new FeatureStateLifecycle(new FeaturePipeline(new MemoryFeatureStore()), undefined, local);
    expect((await local.report()).components['feature-store']).toEqual({
      up: true,
      details: { kind: 'memory' },
    });
  });
});
