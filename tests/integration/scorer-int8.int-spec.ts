import type { ModelDeployment, Score } from '@fraudstream/contracts';
import { FEATURE_NAMES, FEATURE_SET_VERSION } from '@fraudstream/features';
import {
  ModelManager,
  buildMlpOnnx,
  quantizeOnnxWeights,
  randomMlpSpec,
  readMlpOnnx,
  writeModelFixture,
} from '@fraudstream/model';
import { describe, expect, it } from 'vitest';
import { uniqueName } from '../support/kafka-env';
import { waitFor } from '../support/wait-for';
import {
  connectedProducer,
  createScorerTopics,
  publishDeployment,
  readTopic,
  scorerSuite,
  stageChange,
  transaction,
} from './scorer.harness';

describe(`${ModelManager.name} serving an int8-weights model`, () => {
  const suite = scorerSuite();

  it('scores with the int8 graph exactly what its dequantised float twin scores', async () => {
    const { kafka, serde, root } = suite;
    const topics = await createScorerTopics(kafka, serde, 1);
    const spec = randomMlpSpec(FEATURE_NAMES.length, [32, 16], 31);
    const int8 = quantizeOnnxWeights(buildMlpOnnx(spec), { scoreLayer: 'int8' }).bytes;
    const fixture = (version: string, overrideBytes?: Uint8Array) =>
      writeModelFixture(root, {
        version,
        featureNames: FEATURE_NAMES,
        featureSetVersion: FEATURE_SET_VERSION,
        spec: readMlpOnnx(int8),
        threshold: 0.7,
        ...(overrideBytes ? { overrideBytes } : {}),
      });
    // The champion: the int8 model's weights as float32 (what DequantizeLinear computes).
    const twin = fixture('twin');
    const variant = fixture('int8', int8);
    const producer = await connectedProducer(kafka, serde);
    await publishDeployment(producer, topics, stageChange(twin, 'PRODUCTION'));
    await publishDeployment(producer, topics, stageChange(variant, 'SHADOW'));
    const scores = await readTopic<Score>(kafka, serde, topics.scores);
    const deployments = await readTopic<ModelDeployment>(kafka, serde, topics.deployments);
    const app = await suite.start(topics, { SCORER_GROUP_ID: uniqueName('scorer') });

    const byRole = (role: Score['role']) => scores.records.filter((r) => r.value.role === role);
    let sent = 0;
    while (byRole('CHALLENGER').length < 200) {
      const chunk = Array.from({ length: 50 }, (_, k) => transaction(sent + k));
      sent += chunk.length;
      await producer.sendMany([
        { topic: topics.transactions, records: chunk.map((t) => ({ key: t.card_id, value: t })) },
      ]);
      await waitFor(() => byRole('CHAMPION').length >= sent, 30_000, `${sent} champion scores`);
    }
    expect(deployments.records.filter((r) => r.value.kind === 'LOAD_REFUSED')).toEqual([]);
    const champion = new Map(byRole('CHAMPION').map((r) => [r.value.transaction_id, r.value]));
    for (const { value } of byRole('CHALLENGER')) {
      expect(value.model_version).toBe('int8');
      const twinScore = champion.get(value.transaction_id);
      expect(twinScore?.model_version).toBe('twin');
      expect(Math.abs(value.score - (twinScore?.score ?? Number.NaN))).toBeLessThan(1e-6);
    }
    await producer.producer.disconnect();
    await app.close();
    await Promise.all([scores.stop(), deployments.stop()]);
  });
});
