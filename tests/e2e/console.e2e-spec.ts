import { rmSync } from 'node:fs';
import type { INestApplicationContext } from '@nestjs/common';
import type { Alert, Label, Transaction } from '@fraudstream/contracts';
import type { AvroProducer, AvroSerde, Kafka } from '@fraudstream/kafka';
import type { ModelRegistry } from '@fraudstream/registry';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../support/browser';
import {
  consoleTestRegistry,
  createConsoleTopics,
  startConsole,
  type ConsoleTestUser,
  type RunningConsole,
} from '../support/console-harness';
import { testClients } from '../support/kafka-env';
import { freePort, startTestOidcProvider, type TestOidcProvider } from '../support/oidc-provider';
import { waitFor } from '../support/wait-for';
import {
  connectedProducer,
  createScorerTopics,
  featureModel,
  modelRoot,
  readTopic,
  stageChange,
  startScorer,
  transaction,
  type Captured,
  type ScorerTopics,
} from '../integration/scorer.harness';

/*
 * The console as a person uses it, in a real headless Chromium: an analyst signs in, watches an
 * alert from the real scorer arrive in the live queue, opens it, marks it fraud, and the label is on
 * the real broker; a viewer sees the models but cannot promote, neither from the page nor by
 * sending the request from it; a person of the identity provider signs in through the provider's
 * own login form (single sign-on) and works a case under the provider's name.
 */
describe('console in a browser', () => {
  let kafka: Kafka;
  let serde: AvroSerde;
  let producer: AvroProducer;
  let scorerTopics: ScorerTopics;
  let scorer: INestApplicationContext;
  let consoleApp: RunningConsole;
  let models: { root: string; registry: ModelRegistry };
  let scorerModels: string;
  let browser: Browser;
  let closeBrowser: () => Promise<void>;
  let labels: { records: Captured<Label>[]; stop: () => Promise<void> };
  let alerts: { records: Captured<Alert>[]; stop: () => Promise<void> };
  let provider: TestOidcProvider;

  /** Sends a transaction to the real scorer and waits for the alert it raises. */
  async function scoredAlert(tx: Transaction): Promise<Alert> {
    await producer.sendMany([
      { topic: scorerTopics.transactions, records: [{ key: tx.card_id, value: tx }] },
    ]);
    const record = await waitFor(
      () => alerts.records.find((r) => r.value.transaction_id === tx.transaction_id),
      60_000,
      'the scorer\u2019s alert',
    );
    return record.value;
  }

  async function signedIn(user: ConsoleTestUser): Promise<Page> {
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${consoleApp.url}/`);
    // Not signed in: the console sends the browser to its sign-in page.
    await page.waitForURL(/\/login\?next=/);
    await page.fill('input[name="username"]', user);
    await page.fill('input[name="password"]', `pw-${user}`);
    await page.click('button[type="submit"]');
    await page.waitForURL(`${consoleApp.url}/`);
    await expect.poll(() => page.textContent('[data-testid="user"]')).toBe(user);
    return page;
  }

  beforeAll(async () => {
    ({ kafka, serde } = testClients());
    producer = await connectedProducer(kafka, serde);
    scorerTopics = await createScorerTopics(kafka, serde, 1);
    const topics = await createConsoleTopics(kafka, serde, {
      alerts: scorerTopics.alerts,
      labels: scorerTopics.labels,
      scores: scorerTopics.scores,
      deployments: scorerTopics.deployments,
    });
    // The scorer serves a real ONNX model whose threshold every transaction passes: each one alerts.
    scorerModels = modelRoot();
    const model = featureModel(scorerModels, 'v1', 5, 0);
    await producer.sendMany([
      { topic: scorerTopics.deployments, records: [{ key: 'v1', value: stageChange(model, 'PRODUCTION') }] },
    ]);
    scorer = await startScorer(scorerTopics, {});
    models = await consoleTestRegistry();
    // Single sign-on beside the local users: the provider needs the console's callback before it starts.
    const port = await freePort();
    provider = await startTestOidcProvider(`http://127.0.0.1:${port}`);
    consoleApp = await startConsole(topics, models.root, provider.consoleEnv(), port);
    ({ browser, close: closeBrowser } = await launchChromium());
    labels = await readTopic<Label>(kafka, serde, scorerTopics.labels);
    alerts = await readTopic<Alert>(kafka, serde, scorerTopics.alerts);
  });

  afterAll(async () => {
    await closeBrowser?.();
    await consoleApp?.close();
    await provider?.close();
    await scorer?.close();
    await Promise.all([labels?.stop(), alerts?.stop()]);
    await producer?.producer.disconnect();
    for (const root of [models?.root, scorerModels]) if (root) rmSync(root, { recursive: true, force: true });
  });

  it('an analyst signs in, sees an alert from the scorer arrive, opens it, marks it fraud, and the label is on the broker', async () => {
    const page = await signedIn('alice');
    await expect.poll(() => page.textContent('#live'), { timeout: 10_000 }).toBe('live');

    // A transaction after the page opened: its alert can only reach the page through the live queue.
    const tx = transaction(1, 'browser');
    const alert = await scoredAlert(tx);
    const row = page.locator(`#scores tr[data-alert-id="${alert.alert_id}"]`);
    await row.waitFor({ timeout: 30_000 });
    expect(await row.textContent()).toContain(tx.card_id);

    await row.locator('a.button').click();
    await page.waitForURL(/\/cases\//);
    expect(await page.textContent('h1')).toContain(alert.alert_id);
    await page.fill('#comment', 'cardholder confirmed they did not make it');
    await page.click('button[data-verdict="FRAUD"]');
    await expect
      .poll(() => page.textContent('[data-testid="case-status"]'), { timeout: 15_000 })
      .toMatch(/FRAUD\s+by\s+alice/);

    const label = await waitFor(
      () => labels.records.find((r) => r.value.alert_id === alert.alert_id),
      30_000,
      'the label',
    );
    expect(label.value).toMatchObject({
      transaction_id: tx.transaction_id,
      card_id: tx.card_id,
      is_fraud: true,
      source: 'ANALYST',
      analyst: 'alice',
      alert_id: alert.alert_id,
    });
    expect(labels.records.filter((r) => r.value.alert_id === alert.alert_id)).toHaveLength(1);
  });

  it('a viewer sees the models but cannot promote: no button, and the request sent from the page is refused', async () => {
    const page = await signedIn('vic');
    await page.click('nav a[href="/models"]');
    await page.waitForURL(/\/models$/);
    expect(await page.textContent('[data-testid="production"]')).toBe('v1');
    expect(await page.locator('tr[data-version="v2"]').count()).toBe(1);
    expect(await page.locator('button[data-action="promote"]').count()).toBe(0);
    // The page's own session and CSRF token: only the role stands in the way.
    const csrf = (await page.getAttribute('meta[name="csrf-token"]', 'content')) ?? '';
    const answer = await page.evaluate(async (token: string) => {
      const response = await fetch('/api/models/v2/promote', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': token },
        body: '{}',
      });
      return { status: response.status, body: (await response.json()) as { message: string } };
    }, csrf);
    expect(answer.status).toBe(403);
    expect(answer.body.message).toMatch(/vic \(viewer\) may not promote or roll back models/);
    expect(await models.registry.productionVersion()).toBe('v1');
  });

  it("a person of the identity provider signs in through the provider's login form and decides a case under the provider's name", async () => {
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${consoleApp.url}/models`);
    await page.waitForURL(/\/login\?next=/);
    await page.click('#oidc-sign-in');
    // The provider's own pages: its login form, then its consent form.
    await page.waitForURL((url) => url.href.startsWith(provider.issuer));
    await page.fill('input[name="login"]', 'oana');
    await page.fill('input[name="password"]', 'any');
    await page.click('button[type="submit"]');
    await page.waitForURL(
      (url) => url.href.startsWith(provider.issuer) && url.pathname.startsWith('/interaction/'),
    );
    await page.click('button[type="submit"]');
    // Back at the console, signed in, on the page first asked for (SameSite=Strict cookie and all).
    await page.waitForURL(`${consoleApp.url}/models`, { timeout: 15_000 });
    await expect.poll(() => page.textContent('[data-testid="user"]')).toBe('oana');

    const alert = await scoredAlert(transaction(2, 'oidc'));
    // The queue lists the alert once the console has read it; the case is opened from there.
    await page.click('nav a[href="/"]');
    const row = page.locator(`#scores tr[data-alert-id="${alert.alert_id}"]`);
    await row.waitFor({ timeout: 30_000 });
    await row.locator('a.button').click();
    await page.waitForURL(/\/cases\//);
    await page.fill('#comment', 'confirmed by the issuer');
    await page.click('button[data-verdict="LEGITIMATE"]');
    await expect
      .poll(() => page.textContent('[data-testid="case-status"]'), { timeout: 15_000 })
      .toMatch(/LEGITIMATE\s+by\s+oana/);
    const label = await waitFor(
      () => labels.records.find((r) => r.value.alert_id === alert.alert_id),
      30_000,
      'the label',
    );
    expect(label.value).toMatchObject({ is_fraud: false, source: 'ANALYST', analyst: 'oana' });
  });
});
