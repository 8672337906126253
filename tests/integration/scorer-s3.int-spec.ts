import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelDeployment, Score } from '@fraudstream/contracts';
import { S3ModelStore } from '@fraudstream/registry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniqueName } from '../support/kafka-env';
import { startMoto, type MotoServer } from '../support/moto-server';
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

/*
 * With the registry on S3-compatible storage the trainer's deployment events carry s3:// URIs: the
 * scorer must fetch the artifact and its manifest from the bucket (moto here, a real S3 server).
 */
describe('scorer with the registry on S3', () => {
  const suite = scorerSuite();
  let moto: MotoServer;

  beforeAll(async () => {
    moto = await startMoto('models');
  }, 20_000);

  afterAll(() => {
    moto?.stop();
  });

  it('loads a deployment whose artifact is an s3:// URI and scores with it', async () => {
    const { kafka, serde, root } = suite;
    const s3 = {
      MODEL_STORE: 's3',
      MODEL_STORE_S3_ENDPOINT: moto.endpoint,
      MODEL_STORE_S3_BUCKET: 'models',
      MODEL_STORE_S3_PREFIX: 'registry',
      MODEL_STORE_S3_ACCESS_KEY_ID: 'test',
      MODEL_STORE_S3_SECRET_ACCESS_KEY: 'test',
    };
    const store = new S3ModelStore({
      endpoint: moto.endpoint,
      bucket: 'models',
      prefix: 'registry',
      region: 'us-east-1',
      accessKeyId: 'test',
      secretAccessKey: 'test',
    });
    const v1 = featureModel(root, 'v1', 41);
    const uri = await store.putVersion(readFileSync(join(v1.directory, 'model.onnx')), v1.manifest);
    expect(uri).toBe('s3://models/registry/v1/model.onnx');

    const topics = await createScorerTopics(kafka, serde, 1);
    const producer = await connectedProducer(kafka, serde);
    const event: ModelDeployment = { ...stageChange(v1, 'PRODUCTION'), artifact_uri: uri };
    await publishDeployment(producer, topics, event);
    const scores = await readTopic<Score>(kafka, serde, topics.scores);
    await suite.start(topics, { SCORER_GROUP_ID: uniqueName('scorer'), ...s3 });

    const sent = Array.from({ length: 30 }, (_, i) => transaction(i, 's3'));
    await producer.sendMany([
      { topic: topics.transactions, records: sent.map((t) => ({ key: t.card_id, value: t })) },
    ]);
    await waitFor(() => scores.records.length >= sent.length, 30_000, 'scores');
    expect(new Set(scores.records.map((r) => r.value.transaction_id))).toEqual(
      new Set(sent.map((t) => t.transaction_id)),
    );
    expect(scores.records.every((r) => r.value.model_version === 'v1')).toBe(true);
    await scores.stop();
    await producer.producer.disconnect();
  });
});
