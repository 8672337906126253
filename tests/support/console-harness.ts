/*
 * The console app on test topics against the real broker and registry, its users, and an HTTP
 * client that signs in and sends requests the way the console's own script does.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { hashPassword } from '@fraudstream/console';
import type { AvroSerde, Kafka } from '@fraudstream/kafka';
import { FEATURE_NAMES, FEATURE_SET_VERSION } from '@fraudstream/features';
import { randomMlpSpec, writeModelFixture } from '@fraudstream/model';
import { FileSystemModelStore, ModelRegistry, localKeyRingKeys } from '@fraudstream/registry';
import { CONSOLE_JSON_BODY_LIMIT, loadConsoleConfig } from '../../apps/console/src/console.config';
import { ConsoleModule } from '../../apps/console/src/console.module';
import { createTestTopic, uniqueName } from './kafka-env';

export interface ConsoleTopics {
  readonly alerts: string;
  readonly cases: string;
  readonly labels: string;
  readonly scores: string;
  readonly driftEvents: string;
  readonly retrainRequests: string;
  readonly deployments: string;
}

export async function createConsoleTopics(
  kafka: Kafka,
  serde: AvroSerde,
  existing: Partial<ConsoleTopics> = {},
): Promise<ConsoleTopics> {
  const topic = async (given: string | undefined, prefix: string, schema: string) =>
    given ?? (await createTestTopic(kafka, serde, prefix, schema)).name;
  return {
    alerts: await topic(existing.alerts, 'console-alerts', 'fraud.alerts.v1.avsc'),
    cases: await topic(existing.cases, 'console-cases', 'fraud.cases.v1.avsc'),
    labels: await topic(existing.labels, 'console-labels', 'fraud.labels.v1.avsc'),
    scores: await topic(existing.scores, 'console-scores', 'tx.scores.v1.avsc'),
    driftEvents: await topic(existing.driftEvents, 'console-drift', 'ml.drift-events.v1.avsc'),
    retrainRequests: await topic(existing.retrainRequests, 'console-retrain', 'ml.retrain-requests.v1.avsc'),
    deployments: await topic(existing.deployments, 'console-deployments', 'ml.model-deployments.v1.avsc'),
  };
}

/** The console's test users: name → roles; each one's password is `pw-<name>`. */
export const CONSOLE_TEST_USERS = {
  alice: 'analyst',
  bob: 'analyst',
  vic: 'viewer',
  olga: 'model-owner',
} as const;

export type ConsoleTestUser = keyof typeof CONSOLE_TEST_USERS;

let usersEnv: Promise<string> | null = null;

/** CONSOLE_USERS for the test users (scrypt at a low cost: tests sign in often). */
export function consoleUsersEnv(): Promise<string> {
  usersEnv ??= (async () => {
    const entries = await Promise.all(
      Object.entries(CONSOLE_TEST_USERS).map(
        async ([name, roles]) => `${name}:${roles}:${await hashPassword(`pw-${name}`, 1024)}`,
      ),
    );
    return entries.join(',');
  })();
  return usersEnv;
}

/** A model registry with v1 in PRODUCTION and v2 a CANDIDATE (real ONNX artifacts over the feature list). */
export async function consoleTestRegistry(): Promise<{ root: string; registry: ModelRegistry }> {
  const root = mkdtempSync(join(tmpdir(), 'console-models-'));
  const scratch = mkdtempSync(join(tmpdir(), 'console-fixtures-'));
  const registry = new ModelRegistry(new FileSystemModelStore(root), localKeyRingKeys());
  const context = { actor: 'test', reason: 'fixture', eventTime: Date.UTC(2026, 0, 5) };
  for (const [version, seed] of [
    ['v1', 1],
    ['v2', 2],
  ] as const) {
    const fixture = writeModelFixture(scratch, {
      version,
      featureNames: FEATURE_NAMES,
      featureSetVersion: FEATURE_SET_VERSION,
      spec: randomMlpSpec(FEATURE_NAMES.length, [8], seed),
      threshold: 0.5,
    });
    const manifest = { ...fixture.manifest, parent_version: version === 'v2' ? 'v1' : null };
    await registry.register(readFileSync(join(fixture.directory, 'model.onnx')), manifest, context);
  }
  await registry.transition('v1', 'PRODUCTION', context);
  return { root, registry };
}

export interface RunningConsole {
  readonly app: NestExpressApplication;
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Starts the console app as main.ts does, on the given topics and registry, listening on `port`
 * (0: a free one).
 */
export async function startConsole(
  topics: ConsoleTopics,
  modelsRoot: string,
  env: Record<string, string> = {},
  port = 0,
): Promise<RunningConsole> {
  const config = loadConsoleConfig({
    ...process.env,
    CONSOLE_USERS: await consoleUsersEnv(),
    ALERTS_TOPIC: topics.alerts,
    CASES_TOPIC: topics.cases,
    LABELS_TOPIC: topics.labels,
    SCORES_TOPIC: topics.scores,
    DRIFT_EVENTS_TOPIC: topics.driftEvents,
    RETRAIN_REQUESTS_TOPIC: topics.retrainRequests,
    DEPLOYMENTS_TOPIC: topics.deployments,
    CONSOLE_GROUP_PREFIX: uniqueName('console'),
    INSTANCE_ID: uniqueName('console'),
    MODEL_STORE: 'file',
    MODEL_STORE_ROOT: modelsRoot,
    CONSOLE_SESSION_SECRET: 'a-test-secret-that-is-long-enough-for-the-console',
    ...env,
  });
  const app = await NestFactory.create<NestExpressApplication>(ConsoleModule.forRoot(config), {
    logger: ['error', 'warn'],
    bodyParser: false,
    // A start that fails (an unreachable identity provider) rejects instead of exiting the test run.
    abortOnError: false,
  });
  app.useBodyParser('json', { limit: CONSOLE_JSON_BODY_LIMIT });
  await app.listen(port, '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  return { app, url, close: () => app.close() };
}

export interface ConsoleSession {
  readonly user: string;
  readonly cookie: string;
  readonly csrf: string;
}

export interface ConsoleAnswer {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

/** Signs in through POST /api/session; the session cookie and CSRF token for later requests. */
export async function signIn(url: string, user: ConsoleTestUser): Promise<ConsoleSession> {
  const response = await fetch(`${url}/api/session`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username: user, password: `pw-${user}` }),
  });
  if (response.status !== 200) throw new Error(`sign-in of ${user} answered ${response.status}`);
  const cookie = (response.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  const body = (await response.json()) as { csrf_token: string };
  return { user, cookie, csrf: body.csrf_token };
}

/** A request as the console's script sends it (JSON, the session cookie, the CSRF token); `headers` override. */
export async function consoleRequest(
  url: string,
  method: string,
  path: string,
  session: ConsoleSession | null,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<ConsoleAnswer> {
  const response = await fetch(`${url}${path}`, {
    method,
    redirect: 'manual',
    headers: {
      ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
      ...(session ? { Cookie: session.cookie, 'X-CSRF-Token': session.csrf } : {}),
      ...headers,
    },
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  let parsed: Record<string, unknown> = {};
  try {
    parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    parsed = { text };
  }
  return { status: response.status, body: parsed };
}
