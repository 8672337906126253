import type { ModelDeployment, Score } from '@fraudstream/contracts';
import { FS_V1, FS_V2 } from '@fraudstream/features';
import { describe, expect, it } from 'vitest';
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
});
