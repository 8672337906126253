import { rmSync } from 'node:fs';
import type { Alert, Label, ModelDeployment } from '@fraudstream/contracts';
import { AvroProducer, createIdempotentProducer, type AvroSerde, type Kafka } from '@fraudstream/kafka';
import type { ModelRegistry } from '@fraudstream/registry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  consoleRequest,
  consoleTestRegistry,
  createConsoleTopics,
  startConsole,
  type ConsoleSession,
  type ConsoleTopics,
  type RunningConsole,
} from '../support/console-harness';
import { testClients } from '../support/kafka-env';
import {
  CookieJar,
  authorizeAtProvider,
  completeAtConsole,
  freePort,
  startTestOidcProvider,
  type TestOidcProvider,
} from '../support/oidc-provider';
import { waitFor } from '../support/wait-for';
import { readTopic, type Captured } from './scorer.harness';

const T0 = Date.UTC(2026, 0, 5, 12);

/*
 * Single sign-on against a real OpenID provider (oidc-provider, in this process) and the real broker:
 * the console sends the browser to the provider, the provider's own login and consent forms are
 * submitted, and the console redeems the code (PKCE, state, nonce, the ID token's signature) and
 * maps the groups claim to roles.
 */
describe('console single sign-on (real OpenID provider, broker and registry)', () => {
  let kafka: Kafka;
  let serde: AvroSerde;
  let producer: AvroProducer;
  let topics: ConsoleTopics;
  let models: { root: string; registry: ModelRegistry };
  let provider: TestOidcProvider;
  let consoleApp: RunningConsole;
  let url: string;
  let labels: { records: Captured<Label>[]; stop: () => Promise<void> };
  let deployments: { records: Captured<ModelDeployment>[]; stop: () => Promise<void> };

  /** Signs in through the provider as `login`; the console's session for later requests. */
  async function signInThroughProvider(login: string): Promise<ConsoleSession> {
    const { callback, jar } = await authorizeAtProvider(url, login);
    const answer = await completeAtConsole(callback, jar);
    expect(answer.status, answer.page.slice(0, 500)).toBe(200);
    expect(answer.session).toBeDefined();
    const cookie = `fraudstream_session=${answer.session ?? ''}`;
    const who = await consoleRequest(url, 'GET', '/api/session', { user: login, cookie, csrf: '' });
    expect(who.status).toBe(200);
    return { user: login, cookie, csrf: String(who.body.csrf_token) };
  }

  /** A refused callback: 401, the reason on the sign-in page, and no session cookie. */
  async function expectRefused(callback: URL, jar: CookieJar, reason: RegExp) {
    const answer = await completeAtConsole(callback, jar);
    expect(answer.status).toBe(401);
    expect(answer.page).toMatch(reason);
    expect(answer.session).toBeUndefined();
  }

  beforeAll(async () => {
    ({ kafka, serde } = testClients());
    producer = new AvroProducer(createIdempotentProducer(kafka), serde);
    await producer.producer.connect();
    topics = await createConsoleTopics(kafka, serde);
    models = await consoleTestRegistry();
    // The redirect URI is registered at the provider before the console starts: its port is chosen first.
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    provider = await startTestOidcProvider(url);
    consoleApp = await startConsole(topics, models.root, provider.consoleEnv(), port);
    labels = await readTopic<Label>(kafka, serde, topics.labels);
    deployments = await readTopic<ModelDeployment>(kafka, serde, topics.deployments);
  });

  afterAll(async () => {
    await consoleApp?.close();
    await provider?.close();
    await Promise.all([labels?.stop(), deployments?.stop()]);
    await producer?.producer.disconnect();
    if (models) rmSync(models.root, { recursive: true, force: true });
  });

  it('offers single sign-on on the sign-in page beside the local accounts', async () => {
    const page = await (await fetch(`${url}/login?next=/models`)).text();
    expect(page).toContain('href="/login/oidc?next=%2Fmodels"');
    expect(page).toContain('Sign in with Test IdP');
    expect(page).toContain('name="password"');
  });

  it("signs an analyst in through the provider, and their verdict's label names the provider's user", async () => {
    const oana = await signInThroughProvider('oana');
    const who = await consoleRequest(url, 'GET', '/api/session', oana);
    expect(who.body).toMatchObject({ user: 'oana', roles: ['analyst'] });
    const alert: Alert = {
      alert_id: 'tx-oidc:v1',
      kind: 'SCORE',
      raised_at: null,
      note: '',
      transaction_id: 'tx-oidc',
      card_id: 'card-oidc',
      terminal_id: 'term-1',
      amount: 420,
      event_time: T0,
      score: 0.91,
      threshold: 0.6,
      model_version: 'v1',
      severity: 'HIGH',
      reasons: [{ feature: 'amount', value: 420, contribution: 0.4 }],
    };
    await producer.sendMany([{ topic: topics.alerts, records: [{ key: alert.card_id, value: alert }] }]);
    const verdict = await waitFor(
      async () => {
        const answer = await consoleRequest(url, 'POST', `/api/cases/${alert.alert_id}/verdict`, oana, {
          verdict: 'FRAUD',
          comment: 'confirmed with the cardholder',
        });
        // 404 until the console has read the alert, 503 until its start-up replay is done.
        return [404, 503].includes(answer.status) ? null : answer;
      },
      30_000,
      'the console to take the verdict',
    );
    expect(verdict.status, JSON.stringify(verdict.body)).toBe(201);
    await waitFor(() => labels.records.some((r) => r.value.alert_id === alert.alert_id), 30_000, 'the label');
    expect(labels.records.filter((r) => r.value.alert_id === alert.alert_id).map((r) => r.value)).toEqual([
      expect.objectContaining({
        transaction_id: 'tx-oidc',
        is_fraud: true,
        source: 'ANALYST',
        analyst: 'oana',
      }),
    ]);
    // The session's CSRF and role checks are the local sessions' own.
    const noCsrf = await consoleRequest(
      url,
      'POST',
      '/api/models/v2/promote',
      { ...oana, csrf: 'forged' },
      {},
    );
    expect(noCsrf.status).toBe(403);
    expect((await consoleRequest(url, 'POST', '/api/models/v2/promote', oana, {})).status).toBe(403);
  });

  it('maps another group to viewer, which may read but is refused a promotion', async () => {
    const vera = await signInThroughProvider('vera');
    expect((await consoleRequest(url, 'GET', '/api/session', vera)).body).toMatchObject({
      user: 'vera',
      roles: ['viewer'],
    });
    expect((await consoleRequest(url, 'GET', '/api/models', vera)).status).toBe(200);
    const promote = await consoleRequest(url, 'POST', '/api/models/v2/promote', vera, { reason: 'try' });
    expect(promote.status).toBe(403);
    expect(promote.body).toMatchObject({
      error: 'forbidden',
      message: 'vera (viewer) may not promote or roll back models',
    });
    expect(await models.registry.productionVersion()).toBe('v1');
    expect(deployments.records).toEqual([]);
  });

  it('refuses a callback whose state is not the one the console sent, and makes no session', async () => {
    const { callback, jar } = await authorizeAtProvider(url, 'oana');
    callback.searchParams.set('state', 'a-state-the-console-never-sent');
    await expectRefused(
      callback,
      jar,
      /Single sign-on failed: the identity provider&#39;s answer was refused: .*state/,
    );
  });

  it('refuses a tampered code and a code used twice', async () => {
    const tampered = await authorizeAtProvider(url, 'oana');
    const code = tampered.callback.searchParams.get('code') ?? '';
    tampered.callback.searchParams.set('code', `${code.slice(0, -4)}AAAA`);
    await expectRefused(tampered.callback, tampered.jar, /invalid_grant/);

    const replayed = await authorizeAtProvider(url, 'oana');
    const flow = replayed.jar.header();
    expect((await completeAtConsole(replayed.callback, replayed.jar)).status).toBe(200);
    // The same answer again, even with the attempt's cookie kept by an attacker: the code is spent.
    const again = await fetch(replayed.callback, { redirect: 'manual', headers: { Cookie: flow } });
    expect(again.status).toBe(401);
    expect(await again.text()).toMatch(/invalid_grant/);
    expect(again.headers.getSetCookie().some((c) => c.startsWith('fraudstream_session='))).toBe(false);
  });

  it('refuses a callback without the attempt the console started (no flow cookie)', async () => {
    const { callback } = await authorizeAtProvider(url, 'oana');
    await expectRefused(callback, new CookieJar(), /was not started here/);
  });

  it('refuses a user with no mapped group, and a provider user named like a local one', async () => {
    const nils = await authorizeAtProvider(url, 'nils');
    await expectRefused(nils.callback, nils.jar, /nils has no group that grants a console role/);
    const alice = await authorizeAtProvider(url, 'alice');
    await expectRefused(alice.callback, alice.jar, /alice is also a local user of the console/);
  });

  it('does not start when the issuer cannot be reached, naming the address', async () => {
    const closed = await freePort();
    const start = startConsole(topics, models.root, {
      ...provider.consoleEnv(),
      CONSOLE_OIDC_ISSUER: `http://127.0.0.1:${closed}`,
      CONSOLE_OIDC_TIMEOUT_MS: '2000',
    });
    await expect(start).rejects.toThrow(
      new RegExp(
        `CONSOLE_OIDC_ISSUER: the discovery document of http://127\\.0\\.0\\.1:${closed}/ could not be read`,
      ),
    );
  });
});
