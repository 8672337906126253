import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ModelDeployment, Transaction } from '@fraudstream/contracts';
import { MetricsRegistry } from '@fraudstream/observability';
import { ephemeralKeys } from '@fraudstream/registry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FeatureExtractor } from './feature-extractor.types';
import * as ort from 'onnxruntime-node';
import { randomSequenceSpec, writeModelFixture, type ModelFixture } from './model-fixtures';
import { buildSequenceOnnx } from './sequence-onnx.builder';
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
  computeBatch: (txs) =>
    Promise.resolve({ vectors: txs.map((tx) => [tx.amount, 7, tx.event_time % 10]), duplicates: [] }),
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

  describe('both families', () => {
    // A sequence-set scorer's vector: 3 flat features, then a [2, 2] block.
    const SEQ_NAMES = ['a', 'b', 'c', 's00_x', 's00_y', 's01_x', 's01_y'];
    const seqExtractor: FeatureExtractor = {
      names: SEQ_NAMES,
      version: 'fs-test-seq',
      computeBatch: (txs) =>
        Promise.resolve({
          vectors: txs.map((t) => [t.amount, 7, t.event_time % 10, 1, t.amount / 10, 1, -t.amount / 5]),
          duplicates: [],
        }),
      applyLabels: () => Promise.resolve(),
    };
    const shape = { flatWidth: 3, steps: 2, stepWidth: 2, gruUnits: 3, hidden: [4] };

    function seqManager() {
      return new ModelManager(
        pool,
        { read: (uri) => import('node:fs/promises').then((fs) => fs.readFile(new URL(uri))) },
        {
          featureNames: SEQ_NAMES,
          verifier: keys.verifier,
          threads: { intraOpThreads: 1, interOpThreads: 1 },
          defaultProvider: 'cpu',
          batching: { maxBatchSize: 64, maxWaitMs: 1 },
        },
      );
    }

    function near(actual: readonly number[], wanted: readonly number[]): void {
      expect(actual).toHaveLength(wanted.length);
      actual.forEach((a, i) => expect(a).toBeCloseTo(wanted[i] ?? Number.NaN, 6));
    }

    /** The sequence model's scores of these vectors from a two-input run of its bytes, outside the manager. */
    async function directScores(
      bytes: Uint8Array,
      vectors: readonly (readonly number[])[],
    ): Promise<number[]> {
      const session = await ort.InferenceSession.create(bytes);
      const out = await session.run({
        features: new ort.Tensor('float32', Float32Array.from(vectors.flatMap((v) => v.slice(0, 3))), [
          vectors.length,
          3,
        ]),
        sequence: new ort.Tensor('float32', Float32Array.from(vectors.flatMap((v) => v.slice(3))), [
          vectors.length,
          2,
          2,
        ]),
      });
      await session.release();
      return Array.from(out.score?.data as Float32Array);
    }

    it('shadows an MLP champion with a sequence challenger, then promotes it, each fed its own inputs', async () => {
      const mlp = writeModelFixture(root, {
        version: 'fam-mlp',
        featureNames: SEQ_NAMES,
        spec: {
          mean: new Array<number>(7).fill(0),
          std: new Array<number>(7).fill(1),
          layers: [{ weights: [[1], [0], [0], [0], [0], [0], [0]], bias: [-2] }],
        },
        threshold: 0.9,
        signer: keys.signer,
      });
      const spec = randomSequenceSpec(shape, 4);
      const seq = writeModelFixture(root, {
        version: 'fam-seq',
        featureNames: SEQ_NAMES,
        spec,
        threshold: 0.99,
        signer: keys.signer,
      });
      const models = seqManager();
      await models.applyDeployments([stageChange(mlp, 'PRODUCTION'), stageChange(seq, 'SHADOW')]);
      expect([models.champion?.version, models.challenger?.version]).toEqual(['fam-mlp', 'fam-seq']);
      const scorer = new TransactionScorer(seqExtractor, models, { maxReasons: 3 });
      const batch = [tx('1', 3, 12), tx('2', 40, 21), tx('3', 0.5, 33)];
      const vectors = (await seqExtractor.computeBatch(batch)).vectors.map((v) => v ?? []);
      const expected = await directScores(buildSequenceOnnx(spec), vectors);
      expect(new Set(expected.map((x) => x.toFixed(4))).size).toBe(3);
      const shadowed = await scorer.scoreBatch(batch);
      const byRole = (role: string) => shadowed.scores.filter((r) => r.role === role).map((r) => r.score);
      // The MLP reads the whole vector: sigmoid(a - 2).
      near(
        byRole('CHAMPION'),
        batch.map((t) => sigmoid(t.amount - 2)),
      );
      near(byRole('CHALLENGER'), expected);
      // Both logged the same vector: what the trainer replays for either family.
      expect(shadowed.scores.filter((r) => r.role === 'CHALLENGER').map((r) => r.features)).toEqual(
        shadowed.scores.filter((r) => r.role === 'CHAMPION').map((r) => r.features),
      );

      await models.applyDeployments([stageChange(seq, 'PRODUCTION')]);
      const promoted = await scorer.scoreBatch(batch);
      expect(promoted.championVersion).toBe('fam-seq');
      near(
        promoted.scores.map((r) => r.score),
        expected,
      );
      await models.close();
    });
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
