/*
 * Start-up failures of a real app process: they must exit non-zero with a log that names the step
 * and what it was about (the topic, the broker address), after the configuration line.
 */
import { spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { AvroSerde, Kafka } from '@fraudstream/kafka';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../scripts/demo/app-process';
import { testClients, uniqueName } from '../support/kafka-env';
import { createScorerTopics, featureModel, modelRoot, type ScorerTopics } from './scorer.harness';

const ROOT = join(__dirname, '..', '..');
const SCORER = join(ROOT, 'dist', 'apps', 'scorer', 'src', 'main.js');

/** Runs the scorer to its exit; its status and everything it logged. */
async function runScorer(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [SCORER], {
    cwd: ROOT,
    env: { ...process.env, HTTP_PORT: String(await freePort()), LOG_FORMAT: 'json', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
  const [code] = (await once(child, 'exit')) as [number | null];
  clearTimeout(timer);
  return { code, output };
}

describe('app start-up failures', () => {
  let kafka: Kafka;
  let serde: AvroSerde;
  let root: string;
  let topics: ScorerTopics;
  let modelPath: string;

  beforeAll(async () => {
    execFileSync('npm', ['run', '-s', 'build'], { cwd: ROOT, stdio: 'inherit' });
    ({ kafka, serde } = testClients());
    root = modelRoot();
    topics = await createScorerTopics(kafka, serde, 1);
    modelPath = new URL(featureModel(root, 'v1', 3).artifactUri).pathname;
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  const scorerEnv = () => ({
    DEPLOYMENTS_TOPIC: topics.deployments,
    LABELS_TOPIC: topics.labels,
    SCORES_TOPIC: topics.scores,
    ALERTS_TOPIC: topics.alerts,
    SCORER_LABELS_GROUP_ID: uniqueName('labels'),
    SCORER_GROUP_ID: uniqueName('scorer'),
    MODEL_PATH: modelPath,
  });

  it('exits non-zero naming the topic that does not exist', async () => {
    const missing = uniqueName('no-such-topic');
    const { code, output } = await runScorer({ ...scorerEnv(), TRANSACTIONS_TOPIC: missing });
    expect(code).not.toBe(0);
    expect(output).toContain('"configuration"');
    expect(output).toMatch(
      new RegExp(`topic check: .*topic ${missing.replaceAll('.', '\\.')} does not exist`),
    );
  });

  it('exits non-zero naming the broker address that does not answer', async () => {
    const address = `127.0.0.1:${await freePort()}`;
    const { code, output } = await runScorer({
      ...scorerEnv(),
      TRANSACTIONS_TOPIC: topics.transactions,
      KAFKA_BROKERS: address,
    });
    expect(code).not.toBe(0);
    expect(output).toContain('"configuration"');
    expect(output).toContain(`producer connect: cannot connect to Kafka at ${address}`);
  });
});
