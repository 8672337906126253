/*
 * Every registry transition reaches ml.model-deployments.v1: a trainer killed between its registry
 * write and the publish leaves the scorers on the old model until a trainer reconciles, then they
 * converge on the registry's state. The registry refuses to deploy an artifact that does not verify,
 * and under four-eyes promotion announces a PRODUCTION only once a second principal approved it.
 */
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { ModelDeployment, Score } from '@fraudstream/contracts';
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
  readTopic,
  startScorer,
  transaction,
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

  it("with REGISTRY_PROMOTION_APPROVALS=2 the PRODUCTION event is published only on a second principal's approval; the scorer serves the old model until then", async () => {
    const { root, registry } = await registryWith('four-eyes');
    const topics: ScorerTopics = await createScorerTopics(kafka, serde, 1);
    const env = {
      DEPLOYMENTS_TOPIC: topics.deployments,
      LOG_LEVEL: 'error',
      REGISTRY_PROMOTION_APPROVALS: '2',
    };
    const models = (...args: string[]) =>
      run('apps/trainer/src/cli/models.js', [...args, '--root', root], env);
    const announced = async () =>
      (await events(topics.deployments)).map((e) => `${e.model_version}:${e.stage}`);

    // The base model too: requested by alice, deployed on bob's approval.
    expect((await models('promote', 'v1', '--as', 'alice')).code).toBe(0);
    expect(await announced()).toEqual([]);
    expect((await models('approve', 'v1', '--as', 'bob')).code).toBe(0);
    expect(await announced()).toEqual(['v1:PRODUCTION']);
    const scorer = await startScorer(topics, { SCORER_GROUP_ID: uniqueName('scorer') });
    apps.push(scorer);
    const scores = await readTopic<Score>(kafka, serde, topics.scores);
    let sent = 0;
    /** Sends ten transactions and returns the versions that scored them. */
    const scoredBy = async (): Promise<string[]> => {
      const batch = Array.from({ length: 10 }, (_, k) => transaction(sent + k, 'four-eyes'));
      sent += batch.length;
      await producer.sendMany([
        { topic: topics.transactions, records: batch.map((t) => ({ key: t.card_id, value: t })) },
      ]);
      const ids = new Set(batch.map((t) => t.transaction_id));
      const mine = () => scores.records.filter((r) => ids.has(r.value.transaction_id));
      await waitFor(() => mine().length >= batch.length, 30_000, 'the batch scored');
      return [...new Set(mine().map((r) => r.value.model_version))];
    };
    expect(await scoredBy()).toEqual(['v1']);

    const requested = await models('promote', 'v2', '--as', 'alice', '--reason', 'better AP');
    expect(requested.code, requested.output).toBe(0);
    expect(requested.output).toMatch(
      /v2 stays CANDIDATE, promotion awaiting 1 approval\(s\) \(requested by alice; approved by -\); no event sent/,
    );
    // alice cannot approve her own request, nor push it through by promoting again.
    const own = await models('approve', 'v2', '--as', 'alice');
    expect(own.code).toBe(1);
    expect(own.output).toMatch(
      /alice requested the promotion of v2 and cannot approve it: a second principal must/,
    );
    const again = await models('promote', 'v2', '--as', 'alice');
    expect(again.code).toBe(1);
    expect(again.output).toMatch(/v2 awaits approval by 1 more principal\(s\) other than alice/);
    const anonymous = await models('approve', 'v2');
    expect(anonymous.code).toBe(64);
    expect(anonymous.output).toMatch(/approve needs the approving principal: --as <name>/);

    expect(await announced()).toEqual(['v1:PRODUCTION']);
    expect(await registry.productionVersion()).toBe('v1');
    expect(await registry.stageOf('v2')).toBe('CANDIDATE');
    expect(scorer.get(ModelManager).champion?.version).toBe('v1');
    expect(await scoredBy()).toEqual(['v1']);

    const approved = await models('approve', 'v2', '--as', 'bob', '--reason', 'gate reviewed');
    expect(approved.code, approved.output).toBe(0);
    expect(await announced()).toEqual(['v1:PRODUCTION', 'v1:RETIRED', 'v2:PRODUCTION']);
    await waitFor(() => scorer.get(ModelManager).champion?.version === 'v2', 30_000, 'the scorer on v2');
    expect(await scoredBy()).toEqual(['v2']);
    const promoted = (await events(topics.deployments)).at(-1);
    expect(promoted?.reason).toMatch(/requested by alice \(better AP\), approved by bob: gate reviewed/);

    const trail = (await registry.store.readAudit()).filter((e) => e.version === 'v2');
    expect(trail.map((e) => [e.action, e.actor, e.to_stage])).toEqual([
      ['REGISTERED', 'test', 'CANDIDATE'],
      ['PROMOTION_REQUESTED', 'cli:alice', null],
      ['PROMOTION_APPROVED', 'cli:bob', null],
      ['STAGE_CHANGE', 'cli:bob', 'PRODUCTION'],
    ]);
    expect(trail.every((e) => !Number.isNaN(Date.parse(e.at)))).toBe(true);
    await scores.stop();
  });
});
