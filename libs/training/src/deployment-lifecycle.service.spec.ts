import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DAY_MS, HOUR_MS, type ModelDeployment, type Score } from '@fraudstream/contracts';
import { FileSystemModelStore, ModelRegistry, ephemeralKeys, type RegistryKeys } from '@fraudstream/registry';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DeploymentAnnouncer } from './deployment-announcer.service';
import { DeploymentLifecycle } from './deployment-lifecycle.service';
import { RecordingPublisher, T0, testManifest as manifest, testSettings } from './training.test-fixtures';

const settings = testSettings({
  shadow: {
    periodMs: 24 * HOUR_MS,
    minRows: 100,
    maxScorePsi: 0.25,
    maxAlertRate: 0.05,
    maxAlertRateRatio: 3,
  },
});

function scoreRow(
  role: 'CHAMPION' | 'CHALLENGER',
  version: string,
  i: number,
  score: number,
  threshold: number,
): Score {
  return {
    transaction_id: `tx-${i}`,
    card_id: `c-${i % 50}`,
    terminal_id: 't',
    amount: 10,
    event_time: T0 + i * 60_000,
    ingest_time: 0,
    scored_at: 0,
    score,
    threshold,
    is_alert: score >= threshold,
    model_version: version,
    role,
    feature_set_version: 'fs-test',
    features: [0],
  };
}

/** A day of shadow traffic (one row a minute), challenger scores from `challengerScore`. */
function shadowDay(challengerScore: (i: number) => number): Score[] {
  const rows: Score[] = [];
  for (let i = 0; i <= 24 * 60; i++) {
    const u = ((i * 7919) % 1000) / 1000 + 0.0005;
    rows.push(scoreRow('CHAMPION', 'v1', i, u, 0.98));
    rows.push(scoreRow('CHALLENGER', 'v2', i, challengerScore(u), 0.98));
  }
  return rows;
}

describe(DeploymentLifecycle.name, () => {
  let root: string;
  let registry: ModelRegistry;
  let keys: RegistryKeys;
  let publisher: RecordingPublisher;
  let lifecycle: DeploymentLifecycle;
  const ctx = (reason: string, eventTime = T0) => ({ actor: 'test', reason, eventTime });

  beforeEach(async () => {
    root = mkdtempSync(join(tmpdir(), 'lifecycle-'));
    keys = ephemeralKeys();
    registry = new ModelRegistry(new FileSystemModelStore(root), keys);
    publisher = new RecordingPublisher();
    lifecycle = new DeploymentLifecycle(
      registry,
      new DeploymentAnnouncer(registry, publisher),
      settings,
      'trainer:test',
    );
    const b1 = new Uint8Array([1]);
    const b2 = new Uint8Array([2]);
    await registry.register(b1, manifest('v1', b1, null), ctx('base'));
    await registry.transition('v1', 'PRODUCTION', ctx('base'));
    await registry.register(b2, manifest('v2', b2, 'v1'), ctx('fine-tuned'));
    await registry.transition('v2', 'SHADOW', ctx('gate passed'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('promotes a shadowed challenger whose scores and alert rate stay in bounds once the period passed', async () => {
    expect(await lifecycle.refreshShadows()).toEqual(['v2']);
    const rows = shadowDay((u) => u);
    // Nothing is decided before the shadow period has passed in event time.
    expect(await lifecycle.observeScores(rows.slice(0, 1000))).toEqual([]);
    const decisions = await lifecycle.observeScores(rows.slice(1000));
    expect(decisions).toHaveLength(1);
    expect(decisions[0]).toMatchObject({ version: 'v2', stage: 'PRODUCTION' });
    expect(await registry.productionVersion()).toBe('v2');
    expect(await registry.stageOf('v1')).toBe('RETIRED');
    // In the registry's order: the champion retired, then the challenger promoted.
    expect(publisher.events.map((e) => `${e.model_version}:${e.stage}`)).toEqual([
      'v1:RETIRED',
      'v2:PRODUCTION',
    ]);
    const promoted = publisher.events.find((e) => e.stage === 'PRODUCTION');
    expect(promoted?.previous_version).toBe('v1');
    expect(promoted?.event_time).toBe(T0 + DAY_MS);
    expect(promoted?.metrics.shadow_score_psi).toBeLessThan(0.05);
    expect(promoted?.artifact_uri).toBe(registry.artifactUri('v2'));
  });

  it('under four-eyes promotion stops at awaiting approval after a passed shadow check, and promotes on a second principal', async () => {
    // The same store and keys as the fixtures' registry: only the rule differs.
    const guarded = new ModelRegistry(registry.store, keys, { promotionApprovals: 2 });
    const automated = new DeploymentLifecycle(
      guarded,
      new DeploymentAnnouncer(guarded, publisher),
      settings,
      'trainer:test',
    );
    expect(await automated.refreshShadows()).toEqual(['v2']);
    const decisions = await automated.observeScores(shadowDay((u) => u));
    expect(decisions).toHaveLength(1);
    expect(decisions[0]).toMatchObject({ version: 'v2', stage: 'SHADOW', events: [] });
    expect(decisions[0]?.approval).toMatchObject({ requestedBy: 'trainer:test', missing: 1 });
    expect(decisions[0]?.approval?.metrics.shadow_rows).toBe(24 * 60 + 1);
    expect(await guarded.productionVersion()).toBe('v1');
    expect(publisher.events).toEqual([]);
    // A restarted trainer does not judge it again while it awaits approval.
    expect(await automated.refreshShadows()).toEqual([]);

    const approved = await automated.approve('v2', {
      actor: 'cli:bob',
      reason: 'reviewed',
      eventTime: T0 + DAY_MS,
    });
    expect(approved).toMatchObject({ version: 'v2', stage: 'PRODUCTION' });
    expect(approved.reason).toMatch(/requested by trainer:test \(.*\), approved by bob: reviewed/);
    expect(publisher.events.map((e) => `${e.model_version}:${e.stage}`)).toEqual([
      'v1:RETIRED',
      'v2:PRODUCTION',
    ]);
    // The shadow check's numbers travel with the promotion.
    expect(publisher.events[1]?.metrics.shadow_rows).toBe(24 * 60 + 1);
  });

  it('times the shadow period from the first challenger score, not from the stage change', async () => {
    await lifecycle.refreshShadows();
    // The scorers start shadowing 20 h after the SHADOW event (the job's time, in a fast replay).
    const late = 20 * 60;
    const rows: Score[] = [];
    for (let i = 0; i <= late + 24 * 60; i++) {
      const u = ((i * 7919) % 1000) / 1000 + 0.0005;
      if (i >= late) rows.push(scoreRow('CHALLENGER', 'v2', i, u, 0.98));
      rows.push(scoreRow('CHAMPION', 'v1', i, u, 0.98));
    }
    const dayAfterStageChange = rows.findIndex((r) => r.event_time >= T0 + 24 * HOUR_MS);
    expect(await lifecycle.observeScores(rows.slice(0, dayAfterStageChange + 1))).toEqual([]);
    const decisions = await lifecycle.observeScores(rows.slice(dayAfterStageChange + 1));
    expect(decisions[0]).toMatchObject({ version: 'v2', stage: 'PRODUCTION' });
    const promoted = publisher.events.find((e) => e.stage === 'PRODUCTION');
    expect(promoted?.event_time).toBe(T0 + (late + 24 * 60) * 60_000);
    // Both alert rates over the same stretch: a day of shadow rows, a day of champion rows.
    expect(promoted?.metrics.shadow_rows).toBe(24 * 60 + 1);
    expect(promoted?.metrics.shadow_champion_rows).toBe(24 * 60 + 1);
  });

  it('judges a challenger shadowed far behind the stream only after a period of shadow scores', async () => {
    // The job took 118 h of event time: the stream is that far past the SHADOW event (at T0) when
    // the lifecycle starts watching, and the scorers load the challenger a few hours after that.
    const behind = 118 * 60;
    const champion = (from: number, to: number) =>
      Array.from({ length: to - from }, (_, k) => scoreRow('CHAMPION', 'v1', from + k, 0.5, 0.98));
    expect(await lifecycle.observeScores(champion(0, behind))).toEqual([]);
    await lifecycle.refreshShadows();
    const loaded = behind + 5 * 60;
    // Hours of champion rows only: the period has not even started, let alone three of them.
    expect(await lifecycle.observeScores(champion(behind, loaded))).toEqual([]);
    expect(publisher.events.filter((e) => e.model_version === 'v2' && e.stage !== 'SHADOW')).toEqual([]);
    const rows: Score[] = [];
    for (let i = loaded; i <= loaded + 24 * 60; i++) {
      const u = ((i * 7919) % 1000) / 1000 + 0.0005;
      rows.push(scoreRow('CHALLENGER', 'v2', i, u, 0.98), scoreRow('CHAMPION', 'v1', i, u, 0.98));
    }
    const decisions = await lifecycle.observeScores(rows);
    expect(decisions[0]).toMatchObject({ version: 'v2', stage: 'PRODUCTION' });
    const promotion = publisher.events.find((e) => e.model_version === 'v2' && e.stage === 'PRODUCTION');
    expect(promotion?.metrics.shadow_rows).toBe(24 * 60 + 1);
    expect(promotion?.event_time).toBe(T0 + (loaded + 24 * 60) * 60_000);
  });

  it('gives up on a challenger no scorer shadows three periods after the watch began', async () => {
    const champion = (from: number, to: number) =>
      Array.from({ length: to - from }, (_, k) => scoreRow('CHAMPION', 'v1', from + k, 0.5, 0.98));
    const behind = 118 * 60;
    await lifecycle.observeScores(champion(0, behind));
    await lifecycle.refreshShadows();
    expect(await lifecycle.observeScores(champion(behind, behind + 72 * 60 - 1))).toEqual([]);
    const decisions = await lifecycle.observeScores(champion(behind + 72 * 60 - 1, behind + 72 * 60 + 1));
    expect(decisions[0]).toMatchObject({ version: 'v2', stage: 'REJECTED' });
    expect(decisions[0]?.reason).toBe('only 0 shadow rows after 72.0 h of event time watched (need 100)');
  });

  it('rejects a challenger that would flood the analysts with alerts', async () => {
    await lifecycle.refreshShadows();
    // Squashed towards 1: ~60 % of the challenger's scores pass its 0.98 threshold.
    const decisions = await lifecycle.observeScores(shadowDay((u) => 0.97 + 0.03 * u));
    expect(decisions[0]).toMatchObject({ version: 'v2', stage: 'REJECTED' });
    expect(decisions[0]?.reason).toMatch(/alert rate/);
    expect(await registry.productionVersion()).toBe('v1');
    expect(publisher.events.map((e) => `${e.model_version}:${e.stage}`)).toEqual(['v2:REJECTED']);
    expect(publisher.events[0]?.metrics.shadow_alert_rate).toBeGreaterThan(0.5);
  });

  it('promotes a challenger that alerts far less than a flooded champion when that is the count a day it was cut for', async () => {
    await lifecycle.refreshShadows();
    // The champion alerts on a fifth of the traffic (a shift in the legitimate payments); the
    // challenger on 2 %, a tenth of the champion's rate but near its 10 alerts a day.
    const rows: Score[] = [];
    for (let i = 0; i <= 24 * 60; i++) {
      const u = ((i * 7919) % 1000) / 1000 + 0.0005;
      rows.push(scoreRow('CHAMPION', 'v1', i, u, 0.8), scoreRow('CHALLENGER', 'v2', i, u, 0.98));
    }
    const decisions = await lifecycle.observeScores(rows);
    expect(decisions[0]).toMatchObject({ version: 'v2', stage: 'PRODUCTION' });
    const promoted = publisher.events.find((e) => e.stage === 'PRODUCTION');
    expect(promoted?.metrics.shadow_alert_rate_ratio).toBeLessThan(1 / 3);
    // 10 alerts over a day of 1,441 champion rows.
    expect(promoted?.metrics.shadow_expected_alert_rate).toBeCloseTo(10 / (24 * 60), 4);
  });

  it('still rejects a challenger that alerts on nothing beside a flooded champion', async () => {
    await lifecycle.refreshShadows();
    const rows: Score[] = [];
    for (let i = 0; i <= 24 * 60; i++) {
      const u = ((i * 7919) % 1000) / 1000 + 0.0005;
      // Every score under the challenger's 0.98.
      rows.push(scoreRow('CHAMPION', 'v1', i, u, 0.8), scoreRow('CHALLENGER', 'v2', i, 0.9 * u, 0.98));
    }
    const decisions = await lifecycle.observeScores(rows);
    expect(decisions[0]).toMatchObject({ version: 'v2', stage: 'REJECTED' });
    expect(decisions[0]?.reason).toMatch(/alert rate 0\.0\dx the champion's \(bound 3x\)/);
  });

  it('rolls production back when a scorer refuses to load it', async () => {
    await lifecycle.promote('v2', ctx('manual'));
    publisher.events.length = 0;
    const refused: ModelDeployment = {
      deployment_id: 'r-1',
      kind: 'LOAD_REFUSED',
      model_version: 'v2',
      stage: 'PRODUCTION',
      previous_version: null,
      parent_version: null,
      artifact_uri: registry.artifactUri('v2'),
      sha256: 'x',
      request_id: null,
      reason: 'checksum mismatch',
      metrics: {},
      instance_id: 'scorer-1',
      event_time: T0 + 5 * HOUR_MS,
    };
    const decisions = await lifecycle.onDeploymentEvents([
      refused,
      { ...refused, deployment_id: 'r-2', instance_id: 'scorer-2' },
    ]);
    expect(decisions).toHaveLength(1);
    expect(await registry.productionVersion()).toBe('v1');
    expect(await registry.stageOf('v2')).toBe('REJECTED');
    // In the registry's order: the refused version rejected, then the previous one restored.
    expect(publisher.events.map((e) => `${e.model_version}:${e.stage}:${e.previous_version ?? '-'}`)).toEqual(
      ['v2:REJECTED:-', 'v1:PRODUCTION:v2'],
    );
    expect(publisher.events[1]?.event_time).toBe(T0 + 5 * HOUR_MS);
    const audit = await registry.store.readAudit();
    expect(audit[audit.length - 1]?.reason).toContain('scorer-1 refused v2');
  });

  it('starts watching a challenger another process shadowed when its SHADOW event arrives', async () => {
    expect(lifecycle.shadowed).toEqual([]);
    await lifecycle.onDeploymentEvents([
      {
        deployment_id: 'd-1',
        kind: 'STAGE_CHANGE',
        model_version: 'v2',
        stage: 'SHADOW',
        previous_version: null,
        parent_version: 'v1',
        artifact_uri: registry.artifactUri('v2'),
        sha256: 'x',
        request_id: 'req-2',
        reason: 'gate passed',
        metrics: {},
        instance_id: null,
        event_time: T0,
      },
    ]);
    expect(lifecycle.shadowed).toEqual(['v2']);
  });

  it("rolls back on an operator's request, keeping the rolled-back model re-promotable", async () => {
    await lifecycle.promote('v2', ctx('manual'));
    await lifecycle.rollback(ctx('operator: AP dropped'));
    expect(await registry.productionVersion()).toBe('v1');
    expect(await registry.stageOf('v2')).toBe('RETIRED');
    await lifecycle.promote('v2', ctx('operator: try again'));
    expect(await registry.productionVersion()).toBe('v2');
  });
});
