/*
 * Every registry transition reaches ml.model-deployments.v1: a trainer killed between its registry
 * write and the publish leaves the scorers on the old model until a trainer reconciles, then they
 * converge on the registry's state. And the registry refuses to deploy an artifact that does not verify.
 */
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { ModelDeployment } from '@fraudstream/contracts';
import type { AvroProducer, AvroSerde, Kafka } from '@fraudstream/kafka';
import { ModelManager } from '@fraudstream/model';
import { FileSystemModelStore, ModelRegistry, localKeyRingKeys } from '@fraudstream/registry';
import { DeploymentAnnouncer, KafkaDeploymentPublisher, readTopicSnapshot } from '@fraudstream/training';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTrainerConfig } from '../../apps/trainer/src/trainer.config';
import { TrainerModule } from '../../apps/trainer/src/trainer.module';
import { createTestTopic, testClients, uniqueName } from '../support/kafka-env';
import { waitFor } from '../support/wait-for';
import {
  connectedProducer,
  createScorerTopics,
  featureModel,
  modelRoot,
  startScorer,
  type ScorerTopics,
} from './scorer.harness';

const ROOT = join(__dirname, '..', '..');
const DIST = join(ROOT, 'dist');

function run(script: string, args: readonly string[], env: Record<string, string>) {
  const child = spawn(process.execPath, [join(DIST, script), ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (output += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (output += c));
  return once(child, 'exit').then(([code, signal]) => ({
    code: code as number | null,
    signal: signal as NodeJS.Signals | null,
    output,
  }));
}

describe(DeploymentAnnouncer.name, () => {
  let kafka: Kafka;
  let serde: AvroSerde;
  let producer: AvroProducer;
  let fixtures: string;
  const roots: string[] = [];
  const apps: INestApplicationContext[] = [];

  beforeAll(async () => {
    execFileSync('npm', ['run', '-s', 'build'], { cwd: ROOT, stdio: 'inherit' });
    ({ kafka, serde } = testClients());
    producer = await connectedProducer(kafka, serde);
    fixtures = modelRoot();
  });
  afterAll(async () => {
    for (const app of apps) await app.close().catch(() => undefined);
    await producer.producer.disconnect();
    for (const dir of [fixtures, ...roots]) rmSync(dir, { recursive: true, force: true });
  });

  /** A registry with v1 and v2 registered from real model fixtures. */
  async function registryWith(prefix: string): Promise<{ root: string; registry: ModelRegistry }> {
    const root = mkdtempSync(join(tmpdir(), `${prefix}-`));
    roots.push(root);
    const registry = new ModelRegistry(new FileSystemModelStore(root), localKeyRingKeys());
    for (const [i, version] of ['v1', 'v2'].entries()) {
      const fixture = featureModel(fixtures, `${prefix}-${version}`, 20 + i);
      const bytes = new Uint8Array(readFileSync(fileURLToPath(fixture.artifactUri)));
      await registry.register(
        bytes,
        { ...fixture.manifest, version },
        {
          actor: 'test',
          reason: 'registered',
          eventTime: 1_767_571_200_000,
        },
      );
    }
    return { root, registry };
  }

  const events = (topic: string) =>
    readTopicSnapshot(kafka, serde, topic, (v) => v as ModelDeployment, 30_000);

  it('the models CLI refuses to promote a version whose artifact was altered after registration', async () => {
    const { root, registry } = await registryWith('cli');
    const deployments = (await createTestTopic(kafka, serde, 'cli-deploy', 'ml.model-deployments.v1.avsc'))
      .name;
    const env = { DEPLOYMENTS_TOPIC: deployments, LOG_LEVEL: 'error' };
    const cli = 'apps/trainer/src/cli/models.js';
    expect((await run(cli, ['promote', 'v1', '--root', root], env)).code).toBe(0);
    writeFileSync(join(root, 'v2', 'model.onnx'), Buffer.from('altered after registration'));

    const refused = await run(cli, ['promote', 'v2', '--root', root], env);
    expect(refused.code).toBe(1);
    expect(refused.output).toMatch(/v2 cannot be deployed: its artifact does not verify/);
    expect(refused.output).toMatch(/sha256/);
    expect(await registry.productionVersion()).toBe('v1');
    expect(await registry.stageOf('v2')).toBe('CANDIDATE');
    expect((await events(deployments)).map((e) => `${e.model_version}:${e.stage}`)).toEqual([
      'v1:PRODUCTION',
    ]);
  });

  it('a trainer killed between the registry write and the publish: the scorers converge once a trainer reconciles', async () => {
    const { root, registry } = await registryWith('crash');
    const topics: ScorerTopics = await createScorerTopics(kafka, serde, 1);
    const requests = (await createTestTopic(kafka, serde, 'crash-requests', 'ml.retrain-requests.v1.avsc'))
      .name;
    await new DeploymentAnnouncer(
      registry,
      new KafkaDeploymentPublisher(producer, topics.deployments),
    ).transition('v1', 'PRODUCTION', { actor: 'test', reason: 'base', eventTime: 1_767_571_200_000 });
    const scorer = await startScorer(topics, { SCORER_GROUP_ID: uniqueName('scorer') });
    apps.push(scorer);
    expect(scorer.get(ModelManager).champion?.version).toBe('v1');

    const doomed = await run('tests/support/announce-then-die.js', [], {
      MODEL_STORE_ROOT: root,
      ANNOUNCE_VERSION: 'v2',
    });
    expect(doomed.signal).toBe('SIGKILL');
    expect(await registry.productionVersion()).toBe('v2');
    expect((await events(topics.deployments)).map((e) => e.model_version)).toEqual(['v1']);
    expect(scorer.get(ModelManager).champion?.version).toBe('v1');

    // A trainer starts (the orchestrator restarted it): it reconciles before anything else.
    const trainer = await NestFactory.createApplicationContext(
      TrainerModule.forRoot(
        loadTrainerConfig({
          ...process.env,
          MODEL_STORE_ROOT: root,
          SCORES_TOPIC: topics.scores,
          LABELS_TOPIC: topics.labels,
          RETRAIN_REQUESTS_TOPIC: requests,
          DEPLOYMENTS_TOPIC: topics.deployments,
          TRAINER_GROUP_ID: uniqueName('trainer'),
          TRAINER_LIFECYCLE_GROUP_ID: uniqueName('trainer-lifecycle'),
        }),
      ),
      { logger: ['error'] },
    );
    await trainer.init();
    apps.push(trainer);
    await waitFor(
      () => scorer.get(ModelManager).champion?.version === 'v2',
      30_000,
      'the running scorer on v2',
    );
    expect((await events(topics.deployments)).map((e) => `${e.model_version}:${e.stage}`)).toEqual([
      'v1:PRODUCTION',
      'v1:RETIRED',
      'v2:PRODUCTION',
    ]);
    // And a scorer started now replays the topic to the same state.
    const late = await startScorer(topics, { SCORER_GROUP_ID: uniqueName('scorer') });
    apps.push(late);
    expect(late.get(ModelManager).champion?.version).toBe('v2');
  });
});
