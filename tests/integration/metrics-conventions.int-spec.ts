/*
 * Prometheus' own linter on what fraudstream exposes and alerts on: `promtool check metrics` on the
 * /metrics of every app, booted as in production, and `promtool check rules` on the PrometheusRule's
 * groups. promtool comes from scripts/tools.sh (`npm test` runs it); without it these tests fail and
 * say how to bring it.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { DynamicModule, INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { loadDriftMonitorConfig } from '../../apps/drift-monitor/src/drift-monitor.config';
import { DriftMonitorModule } from '../../apps/drift-monitor/src/drift-monitor.module';
import { loadScorerConfig } from '../../apps/scorer/src/scorer.config';
import { ScorerModule } from '../../apps/scorer/src/scorer.module';
import { loadSimulatorConfig } from '../../apps/simulator/src/simulator.config';
import { SimulatorModule } from '../../apps/simulator/src/simulator.module';
import { loadTrainerConfig } from '../../apps/trainer/src/trainer.config';
import { TrainerModule } from '../../apps/trainer/src/trainer.module';
import { createTestTopic, testClients, uniqueName } from '../support/kafka-env';
import { requireTool } from '../support/project-tools';
import { createDriftTopics, TEST_DRIFT_ENV } from './drift.harness';
import { createScorerTopics } from './scorer.harness';

const ROOT = resolve(__dirname, '..', '..');
const APPS = ['scorer', 'drift-monitor', 'trainer', 'simulator'] as const;
type AppName = (typeof APPS)[number];

/** promtool's findings on exposition text or a rules file: its exit status and what it printed. */
function promtool(args: readonly string[], input?: string): { status: number | null; output: string } {
  const result = spawnSync(requireTool('promtool'), args, { input, encoding: 'utf8' });
  return { status: result.status, output: `${result.stdout}${result.stderr}`.trim() };
}

/**
 * The exposition's fraudstream_* families; prom-client's default process and nodejs_* metrics are
 * not ours (some of them break promtool's `_total` rule). A family with no sample yet (a labelled
 * metric nothing has counted) gets a zero sample: promtool's parser drops sample-less families
 * unlinted, and what it lints (name, unit, type, help) does not depend on the value.
 */
function ownFamilies(exposition: string): string {
  const families = new Map<string, { meta: string[]; samples: string[]; type: string }>();
  for (const line of exposition.split('\n')) {
    const meta = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
    const name = meta?.[2] ?? /^([a-zA-Z_:][a-zA-Z0-9_:]*)/.exec(line)?.[1];
    if (!name?.startsWith('fraudstream_')) continue;
    const familyName = meta ? name : name.replace(/_(bucket|sum|count)$/, '');
    const family = families.get(familyName) ?? { meta: [], samples: [], type: 'untyped' };
    families.set(familyName, family);
    if (meta?.[1] === 'TYPE') family.type = meta[3] ?? 'untyped';
    (meta ? family.meta : family.samples).push(line);
  }
  const lines: string[] = [];
  for (const [name, family] of families) {
    const samples =
      family.samples.length > 0
        ? family.samples
        : family.type === 'histogram'
          ? [`${name}_bucket{le="+Inf"} 0`, `${name}_sum 0`, `${name}_count 0`]
          : [`${name} 0`];
    lines.push(...family.meta, ...samples);
  }
  return `${lines.join('\n')}\n`;
}

describe('Prometheus conventions (promtool)', () => {
  const apps = new Map<AppName, INestApplication>();
  let dir: string;

  async function boot(name: AppName, module: DynamicModule): Promise<void> {
    const app = await NestFactory.create(module, { logger: ['error'] });
    await app.listen(0, '127.0.0.1');
    apps.set(name, app);
  }

  beforeAll(async () => {
    requireTool('promtool');
    dir = mkdtempSync(join(tmpdir(), 'metrics-conventions-'));
    const { kafka, serde } = testClients();
    const scorerTopics = await createScorerTopics(kafka, serde, 1);
    const driftTopics = await createDriftTopics(kafka, serde);
    const env = { ...process.env, HTTP_PORT: '0', LOG_LEVEL: 'error' };
    await boot(
      'scorer',
      ScorerModule.forRoot(
        loadScorerConfig({
          ...env,
          TRANSACTIONS_TOPIC: scorerTopics.transactions,
          SCORES_TOPIC: scorerTopics.scores,
          ALERTS_TOPIC: scorerTopics.alerts,
          LABELS_TOPIC: scorerTopics.labels,
          DEPLOYMENTS_TOPIC: scorerTopics.deployments,
          SCORER_GROUP_ID: uniqueName('scorer'),
          SCORER_LABELS_GROUP_ID: uniqueName('scorer-labels'),
          SCORER_DEPLOYMENTS_GROUP_PREFIX: uniqueName('scorer-deployments'),
          INSTANCE_ID: uniqueName('scorer'),
        }),
      ),
    );
    await boot(
      'drift-monitor',
      DriftMonitorModule.forRoot(
        loadDriftMonitorConfig({
          ...env,
          ...TEST_DRIFT_ENV,
          SCORES_TOPIC: driftTopics.scores,
          LABELS_TOPIC: driftTopics.labels,
          DEPLOYMENTS_TOPIC: driftTopics.deployments,
          DRIFT_EVENTS_TOPIC: driftTopics.driftEvents,
          RETRAIN_REQUESTS_TOPIC: driftTopics.retrainRequests,
          DRIFT_GROUP_ID: uniqueName('drift'),
          DRIFT_DEPLOYMENTS_GROUP_PREFIX: uniqueName('drift-deployments'),
          DRIFT_CHECKPOINT_PATH: join(dir, 'checkpoint.json'),
        }),
      ),
    );
    const requests = await createTestTopic(kafka, serde, 'metrics-requests', 'ml.retrain-requests.v1.avsc');
    await boot(
      'trainer',
      TrainerModule.forRoot(
        loadTrainerConfig({
          ...env,
          MODEL_STORE_ROOT: join(dir, 'models'),
          SCORES_TOPIC: scorerTopics.scores,
          LABELS_TOPIC: scorerTopics.labels,
          RETRAIN_REQUESTS_TOPIC: requests.name,
          DEPLOYMENTS_TOPIC: scorerTopics.deployments,
          TRAINER_GROUP_ID: uniqueName('trainer'),
          TRAINER_LIFECYCLE_GROUP_ID: uniqueName('trainer-lifecycle'),
        }),
      ),
    );
    // Not started (SIMULATOR_AUTOSTART is off): its metrics exist from boot.
    await boot('simulator', SimulatorModule.forRoot(loadSimulatorConfig(env)));
  });

  afterAll(async () => {
    for (const app of apps.values()) await app.close().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  it.each(APPS)('%s: every fraudstream_* metric on /metrics passes promtool check metrics', async (name) => {
    const app = apps.get(name);
    if (!app) throw new Error(`${name} did not boot`);
    const exposition = await (await fetch(`${await app.getUrl()}/metrics`)).text();
    const own = ownFamilies(exposition);
    expect(own).toMatch(/^# TYPE fraudstream_/m);
    expect(promtool(['check', 'metrics'], own)).toEqual({ status: 0, output: '' });
  });

  it('the PrometheusRule alert groups pass promtool check rules', () => {
    const rule = parse(readFileSync(join(ROOT, 'k8s', 'monitoring', 'prometheusrule.yaml'), 'utf8')) as {
      spec?: { groups?: unknown[] };
    };
    expect(rule.spec?.groups?.length).toBeGreaterThan(0);
    // A PrometheusRule's spec is a Prometheus rules file (`groups:`), which promtool reads.
    const file = join(dir, 'rules.yaml');
    writeFileSync(file, stringify(rule.spec));
    const result = promtool(['check', 'rules', file]);
    expect(result.status, result.output).toBe(0);
    expect(result.output).toMatch(/SUCCESS: \d+ rules found/);
  });
});
