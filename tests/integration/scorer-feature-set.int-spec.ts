import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { loadConfig } from '@fraudstream/config';
import type { ModelDeployment, Score } from '@fraudstream/contracts';
import {
  FS_V1,
  FS_V1_SEQ16,
  FS_V2,
  RedisFeatureStore,
  SEQUENCE_STEP_WIDTH,
  computeFeaturesOffline,
  featuresConfigFragment,
} from '@fraudstream/features';
import { randomSequenceSpec, writeModelFixture } from '@fraudstream/model';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { uniqueName } from '../support/kafka-env';
import { waitFor } from '../support/wait-for';
import {
  connectedProducer,
  createScorerTopics,
  featureModel,
  publishDeployment,
  readTopic,
  scorerSuite,
  stageChange,
  transaction,
} from './scorer.harness';

/**
 * A GRU on fs-v1-seq16 with random weights, threshold 0.7; its flat features scaled down (amounts in
 * the hundreds would saturate the sigmoid), so the history block decides.
 */
function sequenceModel(root: string, version: string, seed: number) {
  const { flatWidth, sequenceSteps } = FS_V1_SEQ16;
  const shape = { flatWidth, steps: sequenceSteps, stepWidth: SEQUENCE_STEP_WIDTH, gruUnits: 8, hidden: [8] };
  return writeModelFixture(root, {
    version,
    featureNames: FS_V1_SEQ16.names,
    featureSetVersion: FS_V1_SEQ16.version,
    spec: { ...randomSequenceSpec(shape, seed), std: new Array<number>(flatWidth).fill(1000) },
    threshold: 0.7,
  });
}

describe('scorer feature set', () => {
  const suite = scorerSuite();

  it('computes the configured feature set, refuses a model trained on another and serves one of its own', async () => {
    const { kafka, serde, root } = suite;
    const topics = await createScorerTopics(kafka, serde, 1);
    const v1Model = featureModel(root, 'on-fs-v1', 31, 0.7, FS_V1);
    const v2Model = featureModel(root, 'on-fs-v2', 32, 0.7, FS_V2);
    const producer = await connectedProducer(kafka, serde);
    const deploy = (event: ModelDeployment) => publishDeployment(producer, topics, event);
    const scores = await readTopic<Score>(kafka, serde, topics.scores);
    const deployments = await readTopic<ModelDeployment>(kafka, serde, topics.deployments);
    const app = await suite.start(topics, { FEATURE_SET: 'fs-v2' });

    // A model of the live loop's default set: refused with the reason, nothing serves.
    await deploy(stageChange(v1Model, 'PRODUCTION'));
    const refused = () => deployments.records.filter((r) => r.value.kind === 'LOAD_REFUSED');
    await waitFor(() => refused().length > 0, 30_000, 'LOAD_REFUSED for the fs-v1 model');
    expect(refused()[0]?.value.model_version).toBe('on-fs-v1');
    expect(refused()[0]?.value.reason).toMatch(
      /^inputs: .*model was trained on feature set fs-v1, this scorer computes fs-v2$/,
    );

    // Its own set's model serves; every score logs fs-v2's 25 features.
    await deploy(stageChange(v2Model, 'PRODUCTION'));
    const sent = Array.from({ length: 40 }, (_, i) => transaction(i, 'fs2'));
    await producer.sendMany([
      { topic: topics.transactions, records: sent.map((t) => ({ key: t.card_id, value: t })) },
    ]);
    await waitFor(() => scores.records.length >= sent.length, 60_000, 'every transaction scored');
    await app.close();
    await producer.producer.disconnect();
    const values = scores.records.map((r) => r.value);
    expect(values.every((s) => s.model_version === 'on-fs-v2')).toBe(true);
    expect(values.every((s) => s.feature_set_version === 'fs-v2')).toBe(true);
    expect(values.every((s) => s.features.length === FS_V2.names.length)).toBe(true);
    await Promise.all([scores.stop(), deployments.stop()]);
  });

  it('serves the sequence family on fs-v1-seq16: an MLP champion shadowed by a GRU challenger, each on its inputs', async () => {
    const { kafka, serde, root } = suite;
    const topics = await createScorerTopics(kafka, serde, 1);
    const F = FS_V1_SEQ16.flatWidth;
    const K = FS_V1_SEQ16.sequenceSteps;
    const S = SEQUENCE_STEP_WIDTH;
    const mlp = featureModel(root, 'seq-set-mlp', 33, 0.7, FS_V1_SEQ16);
    const sequence = sequenceModel(root, 'seq-set-gru', 34);
    const producer = await connectedProducer(kafka, serde);
    const deploy = (event: ModelDeployment) => publishDeployment(producer, topics, event);
    const scores = await readTopic<Score>(kafka, serde, topics.scores);
    const app = await suite.start(topics, { FEATURE_SET: 'fs-v1-seq16' });
    await deploy(stageChange(mlp, 'PRODUCTION'));
    await deploy(stageChange(sequence, 'SHADOW'));
    // 23 cards, about five payments each a few minutes apart: their blocks fill step by step.
    const sent = Array.from({ length: 115 }, (_, i) => transaction(i, 'seq'));
    await producer.sendMany([
      { topic: topics.transactions, records: sent.map((t) => ({ key: t.card_id, value: t })) },
    ]);
    const byRole = (role: string) => scores.records.map((r) => r.value).filter((v) => v.role === role);
    await waitFor(
      () => byRole('CHAMPION').length >= sent.length && byRole('CHALLENGER').length >= sent.length,
      90_000,
      'every transaction scored by both',
    );
    await app.close();
    await producer.producer.disconnect();
    const champion = byRole('CHAMPION');
    const challenger = byRole('CHALLENGER');
    expect(champion.every((s) => s.model_version === 'seq-set-mlp')).toBe(true);
    expect(challenger.every((s) => s.model_version === 'seq-set-gru')).toBe(true);
    expect(champion.every((s) => s.features.length === F + K * S)).toBe(true);
    // A card's fifth payment sees four earlier ones in its block (steps K-4 .. K-1 present).
    const last = champion.find((s) => s.transaction_id === 'seq-92');
    const present = Array.from({ length: K }, (_, k) => last?.features[F + k * S]);
    expect(present).toEqual([...new Array<number>(K - 4).fill(0), 1, 1, 1, 1]);
    // The challenger's scores are its graph's on the logged vectors, fed as its two inputs.
    const session = await ort.InferenceSession.create(readFileSync(new URL(sequence.artifactUri)));
    const n = challenger.length;
    const out = await session.run({
      features: new ort.Tensor(
        'float32',
        Float32Array.from(challenger.flatMap((s) => s.features.slice(0, F))),
        [n, F],
      ),
      sequence: new ort.Tensor('float32', Float32Array.from(challenger.flatMap((s) => s.features.slice(F))), [
        n,
        K,
        S,
      ]),
    });
    await session.release();
    const direct = out.score?.data as Float32Array;
    challenger.forEach((s, i) => expect(s.score).toBeCloseTo(direct[i] ?? Number.NaN, 5));
    expect(new Set(challenger.map((s) => s.score.toFixed(4))).size).toBeGreaterThan(20);
    await scores.stop();
  });

  it("serves a sequence model on fs-v1-seq16 with the Redis store: each block the offline one, each card's ring in Redis", async () => {
    const { kafka, serde, root } = suite;
    const topics = await createScorerTopics(kafka, serde, 1);
    const gru = sequenceModel(root, 'seq-redis-gru', 35);
    const { REDIS_URL } = loadConfig(featuresConfigFragment);
    const prefix = `test:seq-redis:${randomUUID().slice(0, 8)}`;
    const store = RedisFeatureStore.connect(REDIS_URL, { keyPrefix: prefix });
    try {
      const producer = await connectedProducer(kafka, serde);
      const scores = await readTopic<Score>(kafka, serde, topics.scores);
      // The pair the config refused at boot before the store kept the rings.
      const app = await suite.start(topics, {
        FEATURE_SET: 'fs-v1-seq16',
        FEATURE_STORE: 'redis',
        REDIS_URL,
        FEATURE_STORE_KEY_PREFIX: prefix,
      });
      await publishDeployment(producer, topics, stageChange(gru, 'PRODUCTION'));
      // 23 cards, five payments each a few minutes apart.
      const sent = Array.from({ length: 115 }, (_, i) => transaction(i, 'seq-redis'));
      await producer.sendMany([
        { topic: topics.transactions, records: sent.map((t) => ({ key: t.card_id, value: t })) },
      ]);
      await waitFor(() => scores.records.length >= sent.length, 90_000, 'every transaction scored');
      await app.close();
      await producer.producer.disconnect();
      await scores.stop();
      const byId = new Map(scores.records.map((r) => [r.value.transaction_id, r.value]));
      expect([...byId.values()].every((s) => s.model_version === 'seq-redis-gru')).toBe(true);
      expect(sent.map((t) => byId.get(t.transaction_id)?.features)).toEqual(
        computeFeaturesOffline(sent, [], FS_V1_SEQ16),
      );
      expect(new Set([...byId.values()].map((s) => s.score.toFixed(4))).size).toBeGreaterThan(20);
      // The rings are in Redis, where a second replica would read them.
      for (let c = 0; c < 23; c++) {
        const ring = (await store.redis.get(store.historyKey(`card-${c}`))) ?? '';
        expect(ring.split('\n').length).toBe(5);
      }
    } finally {
      await store.clear();
      await store.close();
    }
  });

  it('moves a running loop from fs-v1 to fs-v2: the fs-v1 scorer refuses the fs-v2 model and keeps serving, a scorer restarted with FEATURE_SET=fs-v2 serves it, and every transaction is scored once', async () => {
    const { kafka, serde, root } = suite;
    const topics = await createScorerTopics(kafka, serde, 1);
    const v1Model = featureModel(root, 'loop-fs-v1', 41, 0.7, FS_V1);
    const v2Model = featureModel(root, 'loop-fs-v2', 42, 0.7, FS_V2);
    const producer = await connectedProducer(kafka, serde);
    const deploy = (event: ModelDeployment) => publishDeployment(producer, topics, event);
    const send = (from: number, to: number) =>
      producer.sendMany([
        {
          topic: topics.transactions,
          records: Array.from({ length: to - from }, (_, i) => transaction(from + i, 'mv')).map((t) => ({
            key: t.card_id,
            value: t,
          })),
        },
      ]);
    const scores = await readTopic<Score>(kafka, serde, topics.scores);
    const deployments = await readTopic<ModelDeployment>(kafka, serde, topics.deployments);
    // One consumer group for both scorers: the fs-v2 one resumes from the fs-v1 one's committed offsets.
    const env = { SCORER_GROUP_ID: uniqueName('scorer-switch') };

    const v1Scorer = await suite.start(topics, { ...env, FEATURE_SET: 'fs-v1' });
    await deploy(stageChange(v1Model, 'PRODUCTION'));
    await send(0, 30);
    await waitFor(() => scores.records.length >= 30, 60_000, 'the fs-v1 scorer scored the first 30');
    // The fs-v2 model is registered while fs-v1 scorers serve: they refuse it and keep their model.
    await deploy(stageChange(v2Model, 'PRODUCTION'));
    const refused = () =>
      deployments.records.filter(
        (r) => r.value.kind === 'LOAD_REFUSED' && r.value.model_version === 'loop-fs-v2',
      );
    await waitFor(() => refused().length > 0, 30_000, 'LOAD_REFUSED of the fs-v2 model by the fs-v1 scorer');
    await send(30, 45);
    await waitFor(
      () => scores.records.length >= 45,
      60_000,
      'the fs-v1 scorer still serving after the refusal',
    );
    await v1Scorer.close();

    // Traffic while no scorer runs, then the restart with the new set.
    await send(45, 70);
    const v2Scorer = await suite.start(topics, { ...env, FEATURE_SET: 'fs-v2' });
    await send(70, 90);
    await waitFor(() => scores.records.length >= 90, 90_000, 'every transaction scored');
    await v2Scorer.close();
    await producer.producer.disconnect();

    const byId = new Map<string, Score[]>();
    for (const { value } of scores.records)
      byId.set(value.transaction_id, [...(byId.get(value.transaction_id) ?? []), value]);
    // None lost, none scored twice (read_committed: the fs-v1 scorer's last transactions committed with its offsets).
    expect([...byId.keys()].sort()).toEqual(Array.from({ length: 90 }, (_, i) => `mv-${i}`).sort());
    expect([...byId.values()].every((s) => s.length === 1)).toBe(true);
    const scored = (i: number) => byId.get(`mv-${i}`)?.[0];
    for (let i = 0; i < 90; i++) {
      const score = scored(i);
      const [version, set, width] =
        i < 45 ? ['loop-fs-v1', 'fs-v1', FS_V1.names.length] : ['loop-fs-v2', 'fs-v2', FS_V2.names.length];
      expect({
        i,
        model: score?.model_version,
        set: score?.feature_set_version,
        width: score?.features.length,
      }).toEqual({
        i,
        model: version,
        set,
        width,
      });
    }
    // The fs-v2 scorer's state starts cold (docs/features.md): card-22 paid at mv-22 (fs-v1), mv-45
    // and mv-68 (fs-v2), minutes apart; its first fs-v2 payment sees no earlier one in its 1-day
    // window, its second sees the first.
    const cardCount1d = FS_V2.names.indexOf('card_tx_count_1d');
    expect([22, 45, 68].map((i) => scored(i)?.features[cardCount1d])).toEqual([0, 0, 1]);
    await Promise.all([scores.stop(), deployments.stop()]);
  });
});
