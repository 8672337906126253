import { rmSync } from 'node:fs';
import { COMPATIBILITY } from '@kafkajs/confluent-schema-registry';
import {
  readAvroSchema,
  validateLabel,
  type Alert,
  type CaseRecord,
  type Label,
  type ModelDeployment,
} from '@fraudstream/contracts';
import { AvroProducer, createIdempotentProducer, type AvroSerde, type Kafka } from '@fraudstream/kafka';
import type { ModelRegistry } from '@fraudstream/registry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  consoleRequest,
  consoleTestRegistry,
  createConsoleTopics,
  signIn,
  startConsole,
  type ConsoleSession,
  type ConsoleTopics,
  type RunningConsole,
} from '../support/console-harness';
import { testClients, uniqueName } from '../support/kafka-env';
import { waitFor } from '../support/wait-for';
import { readTopic, type Captured } from './scorer.harness';

const T0 = Date.UTC(2026, 0, 5, 12);

function alert(id: string, card: string, overrides: Partial<Alert> = {}): Alert {
  return {
    alert_id: `${id}:v1`,
    kind: 'SCORE',
    raised_at: null,
    note: '',
    transaction_id: id,
    card_id: card,
    terminal_id: 'term-1',
    amount: 250,
    event_time: T0,
    score: 0.93,
    threshold: 0.6,
    model_version: 'v1',
    severity: 'HIGH',
    reasons: [{ feature: 'amount', value: 250, contribution: 0.31 }],
    ...overrides,
  };
}

describe('console (real broker and registry)', () => {
  let kafka: Kafka;
  let serde: AvroSerde;
  let producer: AvroProducer;
  let topics: ConsoleTopics;
  let models: { root: string; registry: ModelRegistry };
  let consoleApp: RunningConsole;
  let url: string;
  let labels: { records: Captured<Label>[]; stop: () => Promise<void> };
  let cases: { records: Captured<CaseRecord>[]; stop: () => Promise<void> };
  let deployments: { records: Captured<ModelDeployment>[]; stop: () => Promise<void> };
  const sessions = {} as Record<'alice' | 'bob' | 'vic' | 'olga', ConsoleSession>;

  const send = (topic: string, records: { key: string; value: unknown }[]) =>
    producer.sendMany([{ topic, records }]);
  const post = (
    path: string,
    session: ConsoleSession | null,
    body: unknown,
    headers?: Record<string, string>,
  ) => consoleRequest(url, 'POST', path, session, body, headers);
  const labelsOf = (alertId: string) => labels.records.filter((r) => r.value.alert_id === alertId);
  /** Publishes alerts and waits until the console lists them. */
  const publishAlerts = async (...alerts: Alert[]) => {
    await send(
      topics.alerts,
      alerts.map((a) => ({ key: a.card_id, value: a })),
    );
    await waitFor(
      async () => {
        const listed = await consoleRequest(url, 'GET', '/api/alerts?status=all&limit=500', sessions.vic);
        const ids = (listed.body.items as { alert: Alert }[]).map((i) => i.alert.alert_id);
        return alerts.every((a) => ids.includes(a.alert_id));
      },
      30_000,
      'the console to list the alerts',
    );
  };

  beforeAll(async () => {
    ({ kafka, serde } = testClients());
    producer = new AvroProducer(createIdempotentProducer(kafka), serde);
    await producer.producer.connect();
    topics = await createConsoleTopics(kafka, serde);
    models = await consoleTestRegistry();
    consoleApp = await startConsole(topics, models.root);
    url = consoleApp.url;
    for (const user of ['alice', 'bob', 'vic', 'olga'] as const) sessions[user] = await signIn(url, user);
    labels = await readTopic<Label>(kafka, serde, topics.labels);
    cases = await readTopic<CaseRecord>(kafka, serde, topics.cases);
    deployments = await readTopic<ModelDeployment>(kafka, serde, topics.deployments);
  });

  afterAll(async () => {
    await consoleApp?.close();
    await Promise.all([labels?.stop(), cases?.stop(), deployments?.stop()]);
    await producer?.producer.disconnect();
    if (models) rmSync(models.root, { recursive: true, force: true });
  });

  it("turns an analyst's verdict into exactly one label naming the alert and the analyst, whatever the double clicks", async () => {
    const a = alert('tx-once', 'card-once');
    await publishAlerts(a);
    const answers = await Promise.all(
      Array.from({ length: 5 }, () =>
        post(`/api/cases/${a.alert_id}/verdict`, sessions.alice, {
          verdict: 'FRAUD',
          comment: 'card testing',
        }),
      ),
    );
    expect(answers.map((r) => r.status).sort()).toEqual([201, 409, 409, 409, 409]);
    expect(
      answers
        .filter((r) => r.status === 409)
        .every((r) => ['case_busy', 'case_closed'].includes(String(r.body.error))),
    ).toBe(true);
    // The closed case record comes after the label: once it is on the topic, so is every label written.
    await waitFor(
      () => cases.records.some((r) => r.value.alert_id === a.alert_id && r.value.status === 'CLOSED'),
      30_000,
      'the closed case record',
    );
    const again = await post(`/api/cases/${a.alert_id}/verdict`, sessions.bob, { verdict: 'LEGITIMATE' });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ error: 'case_closed', verdict: 'FRAUD', decided_by: 'alice' });
    expect(labelsOf(a.alert_id).map((r) => r.value)).toEqual([
      {
        transaction_id: 'tx-once',
        card_id: 'card-once',
        terminal_id: 'term-1',
        is_fraud: true,
        source: 'ANALYST',
        transaction_time: T0,
        event_time: T0,
        alert_id: a.alert_id,
        analyst: 'alice',
      },
    ]);
    const closed = cases.records.find((r) => r.value.alert_id === a.alert_id && r.value.status === 'CLOSED');
    expect(closed?.value.history.at(-1)).toMatchObject({
      action: 'VERDICT',
      analyst: 'alice',
      comment: 'card testing',
    });
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(/fraudstream_console_verdicts_total\{outcome="fraud"\} 1/);
  });

  it('refuses bad input and what a role does not allow with a clear error, writing nothing', async () => {
    const a = alert('tx-refused', 'card-refused');
    await publishAlerts(a);
    const path = `/api/cases/${a.alert_id}/verdict`;
    const refusals = [
      [await post(path, sessions.vic, { verdict: 'FRAUD' }), 403, /vic \(viewer\) may not work cases/],
      [await post(path, null, { verdict: 'FRAUD' }), 401, /sign in first/],
      [await post(path, sessions.alice, { verdict: 'FRAUD' }, { 'X-CSRF-Token': 'forged' }), 403, /CSRF/],
      [
        await post(path, sessions.alice, { verdict: 'FRAUD' }, { Origin: 'https://evil.example' }),
        403,
        /cross-site/,
      ],
      [
        await post(path, sessions.alice, 'verdict=FRAUD', {
          'Content-Type': 'application/x-www-form-urlencoded',
        }),
        415,
        /JSON/,
      ],
      [
        await post('/api/cases/no-such-alert:v1/verdict', sessions.alice, { verdict: 'FRAUD' }),
        404,
        /no alert "no-such-alert:v1"/,
      ],
      [
        await post(path, sessions.alice, { verdict: 'FRAUD', comment: 'x'.repeat(2001) }),
        400,
        /comment is longer than 2000 characters/,
      ],
      [await post(path, sessions.alice, '{"verdict": "FRAUD",', {}), 400, /could not be parsed/],
      [await post(path, sessions.alice, { verdict: 'PROBABLY' }), 400, /invalid verdict: verdict/],
      [
        await post(path, sessions.alice, { verdict: 'FRAUD', analyst: 'olga' }),
        400,
        /unknown fields: analyst/,
      ],
      [
        await post(path, sessions.alice, { verdict: 'FRAUD', comment: 'y'.repeat(40_000) }),
        413,
        /larger than/,
      ],
    ] as const;
    for (const [answer, status, message] of refusals) {
      expect(answer.status, JSON.stringify(answer.body)).toBe(status);
      expect(String(answer.body.message)).toMatch(message);
    }
    // One good verdict after them (single-partition topics): when its label is read, any label a refused
    // request had written would have been read before it.
    const ok = await post(path, sessions.alice, { verdict: 'LEGITIMATE' });
    expect(ok.status).toBe(201);
    await waitFor(
      () => labelsOf(a.alert_id).length > 0 && cases.records.some((r) => r.value.alert_id === a.alert_id),
      30_000,
      'the good verdict',
    );
    expect(labelsOf(a.alert_id).map((r) => [r.value.is_fraud, r.value.analyst])).toEqual([[false, 'alice']]);
    expect(cases.records.filter((r) => r.value.alert_id === a.alert_id).map((r) => r.value.status)).toEqual([
      'CLOSED',
    ]);
  });

  it('keeps two analysts off one card: a claim holds the card until released', async () => {
    const first = alert('tx-claim-1', 'card-claimed');
    const second = alert('tx-claim-2', 'card-claimed', { event_time: T0 + 60_000 });
    await publishAlerts(first, second);
    expect((await post(`/api/cases/${first.alert_id}/claim`, sessions.bob, {})).status).toBe(201);
    const blocked = await post(`/api/cases/${second.alert_id}/verdict`, sessions.alice, { verdict: 'FRAUD' });
    expect(blocked.status).toBe(409);
    expect(blocked.body).toMatchObject({ error: 'case_claimed', claimed_by: 'bob' });
    expect((await post(`/api/cases/${second.alert_id}/claim`, sessions.alice, {})).status).toBe(409);
    expect(
      (await post(`/api/cases/${first.alert_id}/release`, sessions.bob, { comment: 'not mine' })).status,
    ).toBe(201);
    expect(
      (await post(`/api/cases/${second.alert_id}/verdict`, sessions.alice, { verdict: 'FRAUD' })).status,
    ).toBe(201);
    const page = await fetch(`${url}/cases/${encodeURIComponent(first.alert_id)}`, {
      headers: { Cookie: sessions.vic.cookie },
    });
    expect(page.status).toBe(200);
    const text = await page.text();
    expect(text).toMatch(/<strong>bob<\/strong>\s*release: <q>not mine<\/q>/);
    expect(text).toContain('may read cases, not work them');
  });

  it('lets a model owner promote and roll back through the registry, with the actor in the audit log, and nobody else', async () => {
    expect((await post('/api/models/v2/promote', sessions.alice, {})).status).toBe(403);
    expect((await post('/api/models/v2/promote', sessions.vic, {})).status).toBe(403);
    expect((await post('/api/models/rollback', sessions.vic, {})).status).toBe(403);
    expect((await post('/api/models/v9/promote', sessions.olga, {})).status).toBe(404);
    const promoted = await post('/api/models/v2/promote', sessions.olga, { reason: 'gate reviewed' });
    expect(promoted.status, JSON.stringify(promoted.body)).toBe(201);
    expect(promoted.body).toMatchObject({ version: 'v2', stage: 'PRODUCTION', published: true });
    expect(await models.registry.productionVersion()).toBe('v2');
    const audit = await models.registry.store.readAudit();
    expect(audit.at(-1)).toMatchObject({
      version: 'v2',
      to_stage: 'PRODUCTION',
      actor: 'console:olga',
      reason: 'gate reviewed',
    });
    await waitFor(
      () => deployments.records.some((r) => r.value.model_version === 'v2' && r.value.stage === 'PRODUCTION'),
      30_000,
      'the deployment event',
    );
    // Refused by the registry (v2 already serves): a clear error, nothing recorded.
    const twice = await post('/api/models/v2/promote', sessions.olga, {});
    expect(twice.status).toBe(409);
    expect((await models.registry.store.readAudit()).length).toBe(audit.length);
    const rolledBack = await post('/api/models/rollback', sessions.olga, {});
    expect(rolledBack.body).toMatchObject({ version: 'v1', stage: 'PRODUCTION' });
    expect((await models.registry.store.readAudit()).at(-1)).toMatchObject({
      version: 'v1',
      actor: 'console:olga',
      reason: 'manual rollback',
    });
    const page = await fetch(`${url}/models`, { headers: { Cookie: sessions.vic.cookie } });
    const text = await page.text();
    expect(text).toContain('console:olga');
    expect(text).not.toContain('data-action="promote"');
  });

  it('answers each decision on a version (promote, approve, refuse) on its own route, with its own errors', async () => {
    const audit = (await models.registry.store.readAudit()).length;
    for (const [action, noun] of [
      ['promote', 'promotion'],
      ['approve', 'approval'],
      ['refuse', 'refusal'],
    ] as const) {
      expect((await post(`/api/models/v2/${action}`, sessions.vic, {})).status).toBe(403);
      expect((await post(`/api/models/v9/${action}`, sessions.olga, {})).status).toBe(404);
      const bad = await post(`/api/models/v2/${action}`, sessions.olga, { bogus: true });
      expect(bad.status).toBe(400);
      expect(bad.body.message).toContain(`${noun} has unknown fields: bogus`);
    }
    // No promotion of v2 was requested: each route reaches the registry's own refusal.
    for (const action of ['approve', 'refuse'] as const) {
      const refused = await post(`/api/models/v2/${action}`, sessions.olga, {});
      expect(refused.status, JSON.stringify(refused.body)).toBe(409);
      expect(refused.body.message).toContain(`model version v2 has no promotion request to ${action}`);
    }
    expect((await post('/api/models/v2/withdraw', sessions.olga, {})).status).toBe(404);
    expect((await models.registry.store.readAudit()).length).toBe(audit);
  });

  it('streams the queue live: a new alert reaches an open page', async () => {
    const controller = new AbortController();
    const response = await fetch(`${url}/api/alerts/stream?card=card-live`, {
      headers: { Cookie: sessions.vic.cookie },
      signal: controller.signal,
    });
    expect(response.headers.get('content-type')).toMatch(/text\/event-stream/);
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let received = '';
    const read = async () => {
      const chunk = await reader.read();
      if (chunk.value) received += decoder.decode(chunk.value, { stream: true });
      return received;
    };
    await waitFor(async () => (await read()).includes('event: queue'), 10_000, 'the first queue event');
    await send(topics.alerts, [{ key: 'card-live', value: alert('tx-live', 'card-live') }]);
    await waitFor(
      async () => (await read()).includes('data-alert-id=\\"tx-live:v1\\"'),
      30_000,
      'the live row',
    );
    controller.abort();
  });

  it('knows after a restart which cases are closed: the book is rebuilt from the topics', async () => {
    const restarted = await startConsole(topics, models.root);
    try {
      await waitFor(
        async () =>
          ((await (await fetch(`${restarted.url}/health`)).json()) as { status: string }).status === 'up',
        60_000,
        'the second console to be ready',
      );
      const alice = await signIn(restarted.url, 'alice');
      const again = await consoleRequest(restarted.url, 'POST', '/api/cases/tx-once:v1/verdict', alice, {
        verdict: 'FRAUD',
      });
      expect(again.status).toBe(409);
      expect(again.body).toMatchObject({ error: 'case_closed', decided_by: 'alice' });
      expect(labelsOf('tx-once:v1')).toHaveLength(1);
    } finally {
      await restarted.close();
    }
  });

  it('accepts the labels schema with alert_id and analyst as a BACKWARD compatible successor, and still reads older labels', async () => {
    const current = readAvroSchema('fraud.labels.v1.avsc') as { fields: { name: string }[] };
    const older = {
      ...current,
      fields: current.fields.filter((f) => f.name !== 'alert_id' && f.name !== 'analyst'),
    };
    const subject = `${uniqueName('labels-compat')}-value`;
    await serde.register(subject, older, COMPATIBILITY.BACKWARD);
    await expect(serde.register(subject, current, COMPATIBILITY.BACKWARD)).resolves.toEqual(
      expect.any(Number),
    );
    const { alert_id: _a, analyst: _b, ...old } = labels.records[0]?.value ?? ({} as Label);
    expect(validateLabel(old)).toEqual(old);
  });
});
