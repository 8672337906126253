import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ModelDeployment, Transaction } from '@fraudstream/contracts';
import { MetricsRegistry } from '@fraudstream/observability';
import { ephemeralKeys } from '@fraudstream/registry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FeatureExtractor } from './feature-extractor.types';
import { writeModelFixture, type ModelFixture } from './model-fixtures';
import { ModelManager, type ModelRefusal } from './model-manager.service';
import { modelMetrics } from './model.metrics';
import { OnnxWorkerPool } from './onnx-worker-pool.adapter';
import { TransactionScorer } from './transaction-scorer.service';

const NAMES = ['a', 'b', 'c'];
/** The trainer's key in these tests: the managers trust it, and only it. */
const keys = ephemeralKeys();
const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/** score = sigmoid(wa*a + wc*c + bias): a logistic model whose scores are checked in closed form. */
function logistic(root: string, version: string, wa: number, wc: number, bias: number, threshold = 0.5) {
  return writeModelFixture(root, {
    version,
    featureNames: NAMES,
    spec: { mean: [0, 0, 0], std: [1, 1, 1], layers: [{ weights: [[wa], [0], [wc]], bias: [bias] }] },
    threshold,
    medians: [0, 0, 0],
    signer: keys.signer,
  });
}

function stageChange(
  fixture: ModelFixture,
  stage: ModelDeployment['stage'],
  sha256 = fixture.sha256,
): ModelDeployment {
  return {
    deployment_id: `${fixture.manifest.version}-${stage}`,
    kind: 'STAGE_CHANGE',
    model_version: fixture.manifest.version,
    stage,
    previous_version: null,
    parent_version: null,
    artifact_uri: fixture.artifactUri,
    sha256,
    request_id: null,
    reason: 'test',
    metrics: {},
    instance_id: null,
    event_time: 0,
  };
}

/** Features are the transaction's amount and event-time digits, known to the test. */
const extractor: FeatureExtractor = {
  names: NAMES,
  version: 'fs-test',
  computeBatch: (txs) => Promise.resolve(txs.map((tx) => [tx.amount, 7, tx.event_time % 10])),
  applyLabels: () => Promise.resolve(),
};

function tx(id: string, amount: number, eventTime: number): Transaction {
  return {
    transaction_id: id,
    card_id: `card-${id}`,
    terminal_id: 'term-1',
    amount,
    currency: 'EUR',
    channel: 'CARD_PRESENT',
    event_time: eventTime,
    ingest_time: 1000,
  };
}

describe(ModelManager.name, () => {
  let root: string;
  let pool: OnnxWorkerPool;
  let v1: ModelFixture;
  let v2: ModelFixture;
  let v3: ModelFixture;
  let wide: ModelFixture;

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'models-'));
    pool = new OnnxWorkerPool(1);
    v1 = logistic(root, 'v1', 2, 1, -1, 0.9);
    v2 = logistic(root, 'v2', -1, 0.5, 0);
    v3 = logistic(root, 'v3', 1, 1, 1);
    wide = writeModelFixture(root, {
      version: 'wide',
      featureNames: NAMES,
      spec: { mean: [0, 0, 0, 0], std: [1, 1, 1, 1], layers: [{ weights: [[1], [1], [1], [1]], bias: [0] }] },
      signer: keys.signer,
    });
  });

  afterAll(async () => {
    await pool.close();
    rmSync(root, { recursive: true, force: true });
  });

  function manager(refusals: ModelRefusal[] = [], metrics = new MetricsRegistry()) {
    return new ModelManager(
      pool,
      { read: (uri) => import('node:fs/promises').then((fs) => fs.readFile(new URL(uri))) },
      {
        featureNames: NAMES,
        verifier: keys.verifier,
        threads: { intraOpThreads: 1, interOpThreads: 1 },
        defaultProvider: 'cpu',
        batching: { maxBatchSize: 64, maxWaitMs: 1 },
        metrics: modelMetrics(metrics),
        onRefused: (r) => void refusals.push(r),
      },
    );
  }

  it('scores with the champion and alerts with reasons, in closed form', async () => {
    const models = manager();
    await models.applyDeployments([stageChange(v1, 'PRODUCTION')]);
    const scorer = new TransactionScorer(extractor, models, { maxReasons: 3, clock: { now: () => 1234 } });
    // v1: sigmoid(2a + c - 1). tx1: a=3, c=2 -> sigmoid(7) = 0.99909 >= 0.9; tx2: a=0, c=1 -> sigmoid(0) = 0.5
    const result = await scorer.scoreBatch([tx('1', 3, 12), tx('2', 0, 21)]);
    expect(result.championVersion).toBe('v1');
    expect(result.scores.map((s) => s.score)).toEqual([
      expect.closeTo(sigmoid(7), 6),
      expect.closeTo(sigmoid(0), 6),
    ]);
    expect(result.scores[0]).toMatchObject({
      features: [3, 7, 2],
      role: 'CHAMPION',
      is_alert: true,
      scored_at: 1234,
    });
    expect(result.scores[1]?.is_alert).toBe(false);
    expect(result.alerts).toHaveLength(1);
    const alert = result.alerts[0];
    expect(alert).toMatchObject({
      alert_id: '1:v1',
      transaction_id: '1',
      severity: 'CRITICAL',
      threshold: 0.9,
    });
    // With a at its median 0: sigmoid(1); with c at 0: sigmoid(5); b has no weight, so no reason.
    expect(alert?.reasons.map((r) => r.feature)).toEqual(['a', 'c']);
    expect(alert?.reasons[0]?.contribution).toBeCloseTo(sigmoid(7) - sigmoid(1), 5);
    expect(alert?.reasons[1]?.contribution).toBeCloseTo(sigmoid(7) - sigmoid(5), 5);
    await models.close();
  });

  it('swaps between batches: a batch that leased the old model finishes on it', async () => {
    const models = manager();
    await models.applyDeployments([stageChange(v1, 'PRODUCTION')]);
    const lease = models.lease();
    await models.applyDeployments([stageChange(v2, 'PRODUCTION')]);
    expect(models.champion?.version).toBe('v2');
    // The old session is still usable by the batch holding it.
    expect(lease?.champion.version).toBe('v1');
    const scores = await lease?.champion.score(Float32Array.from([1, 0, 0]), 1);
    expect(scores?.[0]).toBeCloseTo(sigmoid(1), 6);
    lease?.release();
    await models.close();
  });

  it('refuses a bad checksum or a wrong input width and keeps serving', async () => {
    const refusals: ModelRefusal[] = [];
    const registry = new MetricsRegistry();
    const models = manager(refusals, registry);
    await models.applyDeployments([stageChange(v1, 'PRODUCTION')]);
    await models.applyDeployments([stageChange(v2, 'PRODUCTION', 'ab'.repeat(32))]);
    await models.applyDeployments([stageChange(wide, 'PRODUCTION')]);
    expect(models.champion?.version).toBe('v1');
    expect(refusals.map((r) => [r.version, r.reason])).toEqual([
      ['v2', 'checksum'],
      ['wide', 'inputs'],
    ]);
    expect(await registry.metrics()).toContain('fraudstream_model_load_refusals_total{reason="checksum"} 1');
    await models.close();
  });

  it('refuses an unsigned or foreign-signed model as champion or challenger (signature) and keeps serving', async () => {
    const model = (version: string, signer: ReturnType<typeof ephemeralKeys>['signer']) =>
      writeModelFixture(root, {
        version,
        featureNames: NAMES,
        spec: { mean: [0, 0, 0], std: [1, 1, 1], layers: [{ weights: [[1], [0], [1]], bias: [0] }] },
        medians: [0, 0, 0],
        signer,
      });
    const unsigned = model('unsigned', null);
    const foreign = model('foreign', ephemeralKeys().signer);
    const refusals: ModelRefusal[] = [];
    const registry = new MetricsRegistry();
    const models = manager(refusals, registry);
    await models.applyDeployments([stageChange(v1, 'PRODUCTION')]);
    await models.applyDeployments([stageChange(unsigned, 'PRODUCTION')]);
    await models.applyDeployments([stageChange(foreign, 'PRODUCTION')]);
    await models.applyDeployments([stageChange(foreign, 'SHADOW')]);
    expect([models.champion?.version, models.challenger]).toEqual(['v1', null]);
    expect(refusals.map((r) => [r.version, r.role, r.reason])).toEqual([
      ['unsigned', 'CHAMPION', 'signature'],
      ['foreign', 'CHAMPION', 'signature'],
      ['foreign', 'CHALLENGER', 'signature'],
    ]);
    expect(refusals[0]?.error).toMatch(/not signed/);
    expect(refusals[1]?.error).toMatch(/not trusted/);
    expect(await registry.metrics()).toContain('fraudstream_model_load_refusals_total{reason="signature"} 3');
    // The old model still scores.
    const scores = await models.champion?.score(Float32Array.from([1, 0, 0]), 1);
    expect(scores?.[0]).toBeCloseTo(sigmoid(2 - 1), 6);
    await models.close();
  });

  it('scores a shadow challenger without alerting, promotes it, and unloads a retired one', async () => {
    const models = manager();
    await models.applyDeployments([stageChange(v1, 'PRODUCTION'), stageChange(v2, 'SHADOW')]);
    const scorer = new TransactionScorer(extractor, models, { maxReasons: 3 });
    // v2: sigmoid(-a + 0.5c). a=3, c=2 -> sigmoid(-2)
    const shadowed = await scorer.scoreBatch([tx('1', 3, 12)]);
    expect(shadowed.scores.map((s) => [s.role, s.model_version])).toEqual([
      ['CHAMPION', 'v1'],
      ['CHALLENGER', 'v2'],
    ]);
    expect(shadowed.scores[1]?.score).toBeCloseTo(sigmoid(-2), 6);
    expect(shadowed.scores[1]?.is_alert).toBe(false);
    expect(shadowed.alerts.map((a) => a.model_version)).toEqual(['v1']);

    await models.applyDeployments([stageChange(v2, 'PRODUCTION')]);
    expect([models.champion?.version, models.challenger]).toEqual(['v2', null]);

    await models.applyDeployments([stageChange(v3, 'SHADOW')]);
    expect(models.challenger?.version).toBe('v3');
    await models.applyDeployments([stageChange(v3, 'REJECTED')]);
    expect(models.challenger).toBeNull();
    // Rollback: PRODUCTION for the earlier version.
    await models.applyDeployments([stageChange(v1, 'PRODUCTION')]);
    expect(models.champion?.version).toBe('v1');
    await models.close();
  });

  it('loads only the end state of a replayed history', async () => {
    const refusals: ModelRefusal[] = [];
    const models = manager(refusals);
    await models.applyDeployments([
      stageChange(v1, 'PRODUCTION'),
      stageChange(v2, 'SHADOW'),
      stageChange(v2, 'PRODUCTION'),
      stageChange(v3, 'SHADOW'),
      stageChange(v3, 'RETIRED'),
    ]);
    expect([models.champion?.version, models.challenger?.version ?? null]).toEqual(['v2', null]);
    expect(refusals).toEqual([]);
    await models.close();
  });

  it('comes back after a restart with the newest production version that verifies, skipping rejected ones', async () => {
    const refusals: ModelRefusal[] = [];
    const models = manager(refusals);
    const served: string[] = [];
    models.onChampion((version) => served.push(version));
    // A replay in one batch: v3 was rejected after serving, v2's newest event names bytes it does not have.
    await models.applyDeployments([
      stageChange(v1, 'PRODUCTION'),
      stageChange(v3, 'PRODUCTION'),
      stageChange(v3, 'REJECTED'),
      stageChange(v2, 'PRODUCTION', 'cd'.repeat(32)),
    ]);
    expect(models.champion?.version).toBe('v1');
    expect(served).toEqual(['v1']);
    expect(refusals.map((r) => [r.version, r.reason])).toEqual([['v2', 'checksum']]);
    await models.close();
  });

  it('loads the bootstrap model only when no champion exists', async () => {
    const models = manager();
    expect(await models.loadBootstrap(v3.artifactUri)).toBe(true);
    expect(models.champion?.version).toBe('v3');
    expect(await models.loadBootstrap(v1.artifactUri)).toBe(false);
    await models.close();
  });
});
