import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ModelDeployment, RetriableError, type Transaction } from '@fraudstream/contracts';
import { MetricsRegistry } from '@fraudstream/observability';
import { UriArtifactReader, ephemeralKeys } from '@fraudstream/registry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExtractedFeatures, FeatureExtractor, TransactionPositions } from './feature-extractor.types';
import type { InferenceRuntime } from './inference-runtime.types';
import { writeModelFixture, type ModelFixture } from './model-fixtures';
import { ModelManager } from './model-manager.service';
import { modelMetrics } from './model.metrics';
import { ScoringError } from './model.errors';
import { TransactionScorer } from './transaction-scorer.service';

const NAMES = ['a', 'b'];

/** A runtime that scores a row as 0.25 * its first value; once `breaking` is set, runs of "broken" fail. */
class FakeRuntime implements InferenceRuntime {
  breaking = false;

  load(): Promise<void> {
    return Promise.resolve();
  }
  run(key: string, input: Float32Array, rows: number, width: number): Promise<Float32Array> {
    if (this.breaking && key.startsWith('broken')) return Promise.reject(new ScoringError('worker died'));
    return Promise.resolve(Float32Array.from({ length: rows }, (_, r) => 0.25 * (input[r * width] ?? 0)));
  }
  unload(): Promise<void> {
    return Promise.resolve();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

function event(fixture: ModelFixture, stage: ModelDeployment['stage']): ModelDeployment {
  return {
    deployment_id: 'd',
    kind: 'STAGE_CHANGE',
    model_version: fixture.manifest.version,
    stage,
    previous_version: null,
    parent_version: null,
    artifact_uri: fixture.artifactUri,
    sha256: fixture.sha256,
    request_id: null,
    reason: '',
    metrics: {},
    instance_id: null,
    event_time: 0,
  };
}

const tx = {
  transaction_id: 't1',
  card_id: 'c1',
  terminal_id: 'x',
  amount: 2,
  ingest_time: 0,
} as Transaction;

const keys = ephemeralKeys();

describe(TransactionScorer.name, () => {
  let root: string;
  let champion: ModelFixture;
  let broken: ModelFixture;

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'scorer-'));
    const spec = { mean: [0, 0], std: [1, 1], layers: [{ weights: [[1], [0]], bias: [0] }] };
    champion = writeModelFixture(root, {
      version: 'champion',
      featureNames: NAMES,
      spec,
      medians: [0, 0],
      signer: keys.signer,
    });
    broken = writeModelFixture(root, { version: 'broken', featureNames: NAMES, spec, signer: keys.signer });
  });

  afterAll(() => rmSync(root, { recursive: true, force: true }));

  /** `features` gives the vectors (no duplicates) or the whole extraction. */
  function setup(
    features: (
      batch: readonly Transaction[],
      positions?: TransactionPositions,
    ) => Promise<number[][] | ExtractedFeatures>,
  ) {
    const registry = new MetricsRegistry();
    const metrics = modelMetrics(registry);
    const runtime = new FakeRuntime();
    const models = new ModelManager(runtime, new UriArtifactReader(null), {
      featureNames: NAMES,
      verifier: keys.verifier,
      threads: { intraOpThreads: 1, interOpThreads: 1 },
      defaultProvider: 'cpu',
      batching: { maxBatchSize: 16, maxWaitMs: 0 },
      metrics,
    });
    const extractor: FeatureExtractor = {
      names: NAMES,
      version: 'fs',
      computeBatch: async (batch, positions) => {
        const extracted = await features(batch, positions);
        return Array.isArray(extracted) ? { vectors: extracted, duplicates: [] } : extracted;
      },
      applyLabels: () => Promise.resolve(),
    };
    return {
      runtime,
      registry,
      models,
      scorer: new TransactionScorer(extractor, models, { maxReasons: 2, metrics }),
    };
  }

  it('asks for a retry while no model is loaded', async () => {
    const { scorer } = setup(() => Promise.resolve([[1, 1]]));
    await expect(scorer.scoreBatch([tx])).rejects.toBeInstanceOf(RetriableError);
  });

  it('turns a feature-store failure into a retry, not a dead letter', async () => {
    const { scorer, models } = setup(() => Promise.reject(new Error('ECONNREFUSED redis')));
    await models.applyDeployments([event(champion, 'PRODUCTION')]);
    await expect(scorer.scoreBatch([tx])).rejects.toBeInstanceOf(RetriableError);
  });

  it('says when the feature state counts the batch, before the model runs, and never when the features fail', async () => {
    const order: string[] = [];
    const { scorer, models, runtime } = setup(() => {
      order.push('features');
      return Promise.resolve([[1, 1]]);
    });
    await models.applyDeployments([event(champion, 'PRODUCTION')]);
    const run = runtime.run.bind(runtime);
    runtime.run = (...args) => {
      order.push('model');
      return run(...args);
    };
    const result = await scorer.scoreBatch([tx], undefined, () => order.push('applied'));
    expect(order).toEqual(['features', 'applied', 'model']);
    expect(result.scores).toHaveLength(1);

    const failing = setup(() => Promise.reject(new Error('ECONNREFUSED redis')));
    await failing.models.applyDeployments([event(champion, 'PRODUCTION')]);
    let applied = 0;
    await expect(failing.scorer.scoreBatch([tx], undefined, () => applied++)).rejects.toBeInstanceOf(
      RetriableError,
    );
    expect(applied).toBe(0);
  });

  it('keeps scoring with the champion when the challenger fails', async () => {
    const { scorer, models, registry, runtime } = setup(() => Promise.resolve([[3, 1]]));
    await models.applyDeployments([event(champion, 'PRODUCTION'), event(broken, 'SHADOW')]);
    expect(models.challenger?.version).toBe('broken');
    runtime.breaking = true;
    const result = await scorer.scoreBatch([tx]);
    expect(result.scores.map((s) => [s.role, s.score])).toEqual([['CHAMPION', 0.75]]);
    expect(result.challengerVersion).toBeNull();
    // 0.75 >= the fixture threshold 0.5: an alert whose reason is feature a (0.75 - 0 at its median 0).
    expect(result.alerts[0]?.reasons).toEqual([{ feature: 'a', value: 3, contribution: 0.75 }]);
    expect(await registry.metrics()).toContain('fraudstream_shadow_scoring_failures_total 1');
  });

  it("copies the transaction's segments into its scores (null when it has none), outside the feature vector", async () => {
    let seen: readonly Transaction[] = [];
    const { scorer, models } = setup((batch) => {
      seen = batch;
      return Promise.resolve(batch.map(() => [1, 1]));
    });
    await models.applyDeployments([event(champion, 'PRODUCTION'), event(broken, 'SHADOW')]);
    const result = await scorer.scoreBatch([
      { ...tx, age_band: '65+', region: 'west' },
      { ...tx, transaction_id: 't2' },
    ]);
    expect(seen.map((t) => t.age_band ?? null)).toEqual(['65+', null]);
    expect(result.scores.map((s) => [s.transaction_id, s.role, s.age_band, s.region, s.features])).toEqual([
      ['t1', 'CHAMPION', '65+', 'west', [1, 1]],
      ['t2', 'CHAMPION', null, null, [1, 1]],
      ['t1', 'CHALLENGER', '65+', 'west', [1, 1]],
      ['t2', 'CHALLENGER', null, null, [1, 1]],
    ]);
  });

  it('dead-letters a transaction whose feature vector is not finite', async () => {
    const { scorer, models } = setup(() =>
      Promise.resolve([
        [Number.NaN, 1],
        [1, 1],
      ]),
    );
    await models.applyDeployments([event(champion, 'PRODUCTION')]);
    const result = await scorer.scoreBatch([tx, { ...tx, transaction_id: 't2' }]);
    expect(result.rejected).toEqual([{ index: 0, reason: 'non-finite feature value' }]);
    expect(result.scores.map((s) => s.transaction_id)).toEqual(['t2']);
  });

  it('dead-letters a transaction sent twice as a duplicate, naming where the scored copy was read, and scores the rest', async () => {
    const { scorer, models } = setup(() =>
      Promise.resolve({
        vectors: [[1, 1], null, [2, 1]],
        duplicates: [{ index: 1, first: { partition: 2, offset: 40 } }],
      }),
    );
    await models.applyDeployments([event(champion, 'PRODUCTION')]);
    const result = await scorer.scoreBatch([tx, { ...tx }, { ...tx, transaction_id: 't3' }], {
      topic: 'tx.transactions.v1',
      partition: 2,
      offsets: [40, 41, 42],
    });
    expect(result.rejected).toEqual([
      {
        index: 1,
        kind: 'duplicate',
        reason: 'duplicate: transaction_id t1 was already scored from tx.transactions.v1[2] at offset 40',
      },
    ]);
    expect(result.scores.map((s) => [s.transaction_id, s.features])).toEqual([
      ['t1', [1, 1]],
      ['t3', [2, 1]],
    ]);
  });
});
