import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HOUR_MS, DAY_MS, validateDeployment, type Label, type RetrainRequest } from '@fraudstream/contracts';
import { averagePrecision } from '@fraudstream/stats';
import { readMlpOnnx } from '@fraudstream/model';
import {
  FileSystemModelStore,
  ModelRegistry,
  ephemeralKeys,
  formatModelCard,
  modelCardView,
} from '@fraudstream/registry';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DeploymentAnnouncer } from './deployment-announcer.service';
import { seededDpRandom, type DpRandom } from './dp-sgd.gradients';
import { FineTuneJob } from './fine-tune.job';
import type { ScoredTransaction } from './mature-labels';
import { MlpNetwork } from './mlp.network';
import { composedPrivacySpent, privacySpent } from './rdp.accountant';
import { initTfjsWasm } from './tfjs-wasm.backend';
import {
  ArrayDataSource,
  RecordingPublisher,
  T0,
  TEST_AGE_BANDS,
  TEST_FEATURES,
  TEST_FEATURE_SET,
  TEST_REGIONS,
  syntheticStream,
  testSettings,
  trainTestBaseModel,
  type Regime,
} from './training.test-fixtures';
import { toTrainingMatrix } from './training-rows';
import type { TrainingSettings } from './training.settings';

function fail(): never {
  throw new Error('the manifest has a card');
}

const oldUntil10 = (d: number): Regime => (d < 10 ? 'old' : 'new');

/** A registry whose v1 (trained on the old regime, days 0-9) is in production. */
async function registryWithChampion(root: string, settings: TrainingSettings): Promise<ModelRegistry> {
  const registry = new ModelRegistry(new FileSystemModelStore(root), ephemeralKeys());
  const { base, asOf } = await trainTestBaseModel(settings);
  const ctx = { actor: 'test', reason: 'base', eventTime: asOf };
  await registry.register(base.onnx, base.manifest, ctx);
  await registry.transition('v1', 'PRODUCTION', ctx);
  return registry;
}

function request(overrides: Partial<RetrainRequest> = {}): RetrainRequest {
  return {
    request_id: 'req-1',
    model_version: 'v1',
    trigger: 'PERFORMANCE_DRIFT',
    reason: 'AP fell',
    severity: 'HIGH',
    drift_event_id: 'drift-1',
    window_start: T0 + 10 * DAY_MS,
    window_end: T0 + 16 * DAY_MS,
    event_time: T0 + 18 * DAY_MS,
    ...overrides,
  };
}

function apOn(network: MlpNetwork, scores: readonly ScoredTransaction[], labels: Set<string>): number {
  const rows = scores.map((s) => ({
    transactionId: s.transaction_id,
    cardId: s.card_id,
    eventTime: s.event_time,
    features: s.features,
    isFraud: labels.has(s.transaction_id),
  }));
  const m = toTrainingMatrix(rows, TEST_FEATURES.length);
  return averagePrecision(
    network.predict(m.x, m.rows),
    rows.map((r) => r.isFraud),
  );
}

describe(FineTuneJob.name, () => {
  let root: string;
  let registry: ModelRegistry;
  let publisher: RecordingPublisher;
  const settings = testSettings();
  const window = syntheticStream({ fromDay: 0, days: 16, rowsPerDay: 1000, regime: oldUntil10, seed: 2 });

  const job = (
    source = new ArrayDataSource(window.scores, window.labels),
    s = settings,
    dpRandom?: DpRandom,
  ) =>
    new FineTuneJob({
      registry,
      source,
      announcer: new DeploymentAnnouncer(registry, publisher),
      settings: s,
      actor: 'trainer:test',
      codeRevision: 'rev-test',
      featureSetVersion: TEST_FEATURE_SET,
      featureNames: TEST_FEATURES,
      ...(dpRandom ? { dpRandom } : {}),
    });

  beforeAll(() => initTfjsWasm());
  beforeEach(async () => {
    root = mkdtempSync(join(tmpdir(), 'fine-tune-'));
    registry = await registryWithChampion(root, settings);
    publisher = new RecordingPublisher();
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('with DP-SGD on, records epsilon, delta, clip norm, noise and the accountant in the card and the audit trail', async () => {
    const privacy = { targetEpsilon: 3, noiseMultiplier: null, delta: 1e-5, clipNorm: 1 };
    const outcome = await job(undefined, { ...settings, privacy }).run(request());
    expect(['SHADOW', 'REJECTED']).toContain(outcome.status);
    expect(outcome.version).toBe('v2');
    const manifest = await registry.readManifest('v2');
    const card = manifest.model_card;
    if (card?.privacy.mechanism !== 'dp-sgd') throw new Error('the card must record DP-SGD');
    const fit = card.privacy.fits[0];
    expect(card.privacy.fits).toHaveLength(1);
    expect(card.privacy).toMatchObject({
      target_epsilon: 3,
      clip_norm: 1,
      accountant: 'rdp-sampled-gaussian',
      conversion: 'improved',
    });
    // The noise was set for the target over every step the job could take, and spends no more.
    expect(card.privacy.epsilon).toBeLessThanOrEqual(3);
    expect(card.privacy.epsilon).toBeGreaterThan(2.99);
    expect(fit?.rows).toBe(manifest.training.rows);
    expect(fit?.steps).toBe(
      settings.fineTuneEpochs * Math.round(manifest.training.rows / settings.batchSize),
    );
    expect(card.privacy.delta).toBe(Math.min(1e-5, 1 / manifest.training.rows));
    expect(
      privacySpent({
        samplingRate: fit?.sampling_rate ?? 0,
        noiseMultiplier: card.privacy.noise_multiplier,
        steps: fit?.steps ?? 0,
        delta: card.privacy.delta,
      }).epsilon,
    ).toBe(card.privacy.epsilon);
    // The same numbers in the audit trail's registration entry and the deployment event.
    const registration = (await registry.entriesForRequest('req-1')).find((e) => e.action === 'REGISTERED');
    expect(registration?.metrics).toMatchObject({
      dp_epsilon: card.privacy.epsilon,
      dp_delta: card.privacy.delta,
      dp_clip_norm: 1,
      dp_noise_multiplier: card.privacy.noise_multiplier,
      dp_target_epsilon: 3,
      dp_steps: fit?.steps,
    });
    expect(registration?.reason).toContain(`DP-SGD epsilon ${card.privacy.epsilon.toFixed(4)} at delta`);
    expect(publisher.events[0]?.metrics).toMatchObject({ dp_epsilon: card.privacy.epsilon });
    expect(() => validateDeployment(publisher.events[0])).not.toThrow();
    // No training row reaches the manifest other than through the noisy weights: the drift reference
    // (profiles and fraud centroids) is the hold-out day's.
    expect(manifest.reference.row_count).toBe(
      manifest.training.validation_rows + manifest.metrics.validation.rows,
    );
    // `models show` prints it.
    const text = formatModelCard(modelCardView(manifest, []) ?? fail());
    expect(text).toContain(
      `Privacy\n  dp-sgd: epsilon ${card.privacy.epsilon.toFixed(4)} at delta 1.00e-5 (target 3); clip norm 1, noise multiplier ${card.privacy.noise_multiplier.toFixed(4)}\n`,
    );
    expect(text).toContain('accountant: Rényi DP of the sampled Gaussian mechanism, improved conversion');
  });

  it("composes a DP-SGD job with its parent's DP-SGD ancestry, and refuses a challenger beyond the privacy budget", async () => {
    const privacy = { targetEpsilon: 3, noiseMultiplier: null, delta: 1e-5, clipNorm: 1 };
    const dp = { ...settings, privacy };
    // Seeded noise: the gate's verdict on a private challenger is a draw, and this test needs v2 to pass.
    const first = await job(undefined, dp, seededDpRandom(7)).run(request());
    expect(first.status, first.reason).toBe('SHADOW');
    const v2 = (await registry.readManifest('v2')).model_card?.privacy;
    if (v2?.mechanism !== 'dp-sgd' || !v2.cumulative)
      throw new Error('v2 must record its cumulative privacy');
    // v1 was trained without DP: the chain starts after it, and v2 alone spends its own epsilon.
    expect(v2.cumulative).toMatchObject({ ancestors: [], non_private_ancestor: 'v1', budget: null });
    expect(v2.cumulative.epsilon).toBeCloseTo(v2.epsilon, 10);

    // v3 warm-starts from v2: a row in both windows has spent both jobs' RDP.
    await registry.transition('v2', 'PRODUCTION', {
      actor: 'test',
      reason: 'promote',
      eventTime: T0 + 19 * DAY_MS,
    });
    const second = await job(undefined, dp, seededDpRandom(8)).run(
      request({ request_id: 'req-2', model_version: 'v2' }),
    );
    expect(second.version, `${second.status}: ${second.reason}`).toBe('v3');
    const v3Manifest = await registry.readManifest('v3');
    const v3 = v3Manifest.model_card?.privacy;
    if (v3?.mechanism !== 'dp-sgd' || !v3.cumulative)
      throw new Error('v3 must record its cumulative privacy');
    expect(v3Manifest.parent_version).toBe('v2');
    expect(v3.cumulative.ancestors.map((a) => a.version)).toEqual(['v2']);
    expect(v3.cumulative.non_private_ancestor).toBe('v1');
    const fits = (f: readonly { sampling_rate: number; noise_multiplier: number; steps: number }[]) =>
      f.map((x) => ({ samplingRate: x.sampling_rate, noiseMultiplier: x.noise_multiplier, steps: x.steps }));
    expect(v3.cumulative.epsilon).toBe(
      composedPrivacySpent([fits(v3.fits), fits(v2.fits)], v3.delta).epsilon,
    );
    expect(v3.cumulative.epsilon).toBeGreaterThan(Math.max(v2.epsilon, v3.epsilon));
    expect(v3.statement).toContain(`has spent epsilon ${v3.cumulative.epsilon.toFixed(4)}`);
    const registration = (await registry.entriesForRequest('req-2')).find((e) => e.action === 'REGISTERED');
    expect(registration?.metrics?.dp_cumulative_epsilon).toBe(v3.cumulative.epsilon);
    const text = formatModelCard(modelCardView(v3Manifest, []) ?? fail());
    expect(text).toContain(
      `  cumulative: epsilon ${v3.cumulative.epsilon.toFixed(4)} at delta ${v3.delta.toExponential(2)} with 1 DP-SGD ancestor(s) (v2); budget none; chain starts after v1 (trained without DP)\n`,
    );

    // With a budget that one job fits in and two do not, the next job from v2 is refused (and recorded).
    const budget = (v2.epsilon + v3.cumulative.epsilon) / 2;
    const refused = await job(
      undefined,
      { ...settings, privacy: { ...privacy, maxCumulativeEpsilon: budget } },
      seededDpRandom(9),
    ).run(request({ request_id: 'req-3', model_version: 'v2' }));
    expect(refused.status).toBe('REJECTED');
    expect(refused.reason).toMatch(
      /^privacy budget: this job and its 1 DP-SGD ancestor\(s\) spend epsilon [0-9.]+ together, beyond the budget/,
    );
    const v4 = (await registry.readManifest(refused.version ?? '')).model_card?.privacy;
    expect(v4?.mechanism === 'dp-sgd' && v4.cumulative?.budget).toBe(budget);
    expect(publisher.events.at(-1)).toMatchObject({ stage: 'REJECTED', model_version: refused.version });
  });

  it('publishes no row of its window in the manifest: the novelty reference holds fraud centroids, not frauds', async () => {
    const outcome = await job().run(request());
    expect(outcome.status, outcome.reason).toBe('SHADOW');
    const manifest = await registry.readManifest('v2');
    const novelty = manifest.reference.novelty;
    expect(novelty?.frauds).toBeUndefined();
    expect(novelty?.centroids?.length).toBeGreaterThan(1);
    expect(novelty?.min_group_rows).toBeGreaterThanOrEqual(5);
    // Every array of numbers in the manifest, against every logged feature vector the job could read
    // (as logged, and rounded as the manifest rounds): none is one of them.
    const arrays: string[] = [];
    const walk = (v: unknown): void => {
      if (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'number')) arrays.push(v.join(','));
      else if (Array.isArray(v)) v.forEach(walk);
      else if (v !== null && typeof v === 'object') Object.values(v).forEach(walk);
    };
    walk(manifest);
    const published = new Set(arrays);
    const round = (x: number) => Number(x.toPrecision(6));
    const leaked = window.scores.filter(
      (s) => published.has(s.features.join(',')) || published.has(s.features.map(round).join(',')),
    );
    expect(leaked).toEqual([]);
    expect(arrays.length).toBeGreaterThan(10);
  });

  it('fine-tuned on a drifted window, beats the champion on the new regime and goes to shadow', async () => {
    const outcome = await job().run(request());
    expect(outcome.status, outcome.reason).toBe('SHADOW');
    expect(outcome.version).toBe('v2');
    expect(await registry.stageOf('v2')).toBe('SHADOW');
    expect(await registry.productionVersion()).toBe('v1');

    // On fresh data of the new regime (not seen by training or the gate) the challenger ranks better.
    const fresh = syntheticStream({ fromDay: 16, days: 2, rowsPerDay: 600, regime: () => 'new', seed: 99 });
    const frauds = new Set(fresh.labels.map((l) => l.transaction_id));
    const challenger = MlpNetwork.fromWeights(readMlpOnnx((await registry.readVerified('v2')).onnx));
    const champion = MlpNetwork.fromWeights(readMlpOnnx((await registry.readVerified('v1')).onnx));
    const challengerAp = apOn(challenger, fresh.scores, frauds);
    const championAp = apOn(champion, fresh.scores, frauds);
    expect(challengerAp).toBeGreaterThan(championAp + 0.15);
    challenger.dispose();
    champion.dispose();

    const manifest = await registry.readManifest('v2');
    expect(manifest.parent_version).toBe('v1');
    expect(manifest.code_revision).toBe('rev-test');
    expect(manifest.training).toMatchObject({
      request_id: 'req-1',
      drift_event_id: 'drift-1',
      window_start: T0 + 10 * DAY_MS,
      window_end: T0 + 16 * DAY_MS,
      warm_start: true,
    });
    expect(manifest.training.replay_rows).toBeGreaterThan(0);
    expect(manifest.metrics.champion?.average_precision).toBeLessThan(
      manifest.metrics.validation.average_precision,
    );
    expect(manifest.metrics.gate?.challenger_average_precision).toBe(
      manifest.metrics.validation.average_precision,
    );

    expect(publisher.events).toHaveLength(1);
    const event = publisher.events[0];
    // The card, complete and signed with the manifest: window, data, gate, lineage, privacy, signer.
    expect(manifest.model_card).toEqual({
      training_window: { start: T0 + 10 * DAY_MS, end: T0 + 16 * DAY_MS },
      data: {
        rows: manifest.training.rows,
        frauds: manifest.training.positives,
        // PERFORMANCE_DRIFT is not a soft-label trigger: every row trained on has a settled label.
        labelled_rows: manifest.training.rows,
        soft_labelled_rows: 0,
        replay_rows: manifest.training.replay_rows,
        validation_rows: manifest.training.validation_rows,
      },
      gate: {
        passed: true,
        reason: event?.reason,
        challenger: manifest.metrics.validation,
        champion: manifest.metrics.champion,
      },
      evaluation: manifest.metrics.validation,
      segments: {
        rows: manifest.metrics.validation.rows,
        model: expect.any(Array) as unknown,
        champion: expect.any(Array) as unknown,
      },
      lineage: {
        parent_version: 'v1',
        request_id: 'req-1',
        drift_event_id: 'drift-1',
        trigger: 'PERFORMANCE_DRIFT',
      },
      privacy: { mechanism: 'none', statement: expect.stringMatching(/no privacy guarantee/) as unknown },
      signer: { key_id: manifest.signature?.key_id },
    });
    // The per-segment table: each attribute's segments partition the gate's rows and frauds, for
    // both models; the gate checked the gaps and says so in its reason and metrics.
    const segments = manifest.model_card?.segments;
    for (const table of [segments?.model ?? [], segments?.champion ?? []]) {
      expect(table.map((m) => `${m.attribute} ${m.value}`)).toEqual([
        ...TEST_AGE_BANDS.map((b) => `age_band ${b}`),
        ...TEST_REGIONS.map((r) => `region ${r}`),
      ]);
      for (const attribute of ['age_band', 'region']) {
        const of = table.filter((m) => m.attribute === attribute);
        expect(of.reduce((n, m) => n + m.rows, 0)).toBe(manifest.metrics.validation.rows);
        expect(of.reduce((n, m) => n + m.frauds, 0)).toBe(manifest.metrics.validation.positives);
      }
    }
    // 300 judging rows hold too few frauds and false alerts per segment for a gap to mean anything.
    expect(event?.reason).toMatch(
      /; segment gaps not checked \(too few frauds, false alerts or cards per segment\)$/,
    );
    expect(event?.metrics).toMatchObject({ gate_max_fairness_gap_widening: 0.2, fairness_checks: 0 });
    expect(() => validateDeployment(event)).not.toThrow();
    expect(manifest.model_card?.data.rows).toBeGreaterThan(manifest.training.replay_rows);
    expect(manifest.model_card?.data.frauds).toBeGreaterThan(0);
    // The base model's card says it had no gate.
    const base = await registry.readManifest('v1');
    expect(base.model_card?.gate).toBeNull();
    // Its segment table is its own, on its validation rows, with no champion beside it.
    expect(base.model_card?.segments?.rows).toBe(base.metrics.validation.rows);
    expect(base.model_card?.segments?.model).toHaveLength(TEST_AGE_BANDS.length + TEST_REGIONS.length);
    expect(base.model_card?.segments?.champion).toBeNull();
    expect(base.model_card?.lineage).toEqual({
      parent_version: null,
      request_id: null,
      drift_event_id: null,
      trigger: 'base',
    });
    expect(event).toMatchObject({
      kind: 'STAGE_CHANGE',
      stage: 'SHADOW',
      model_version: 'v2',
      parent_version: 'v1',
      request_id: 'req-1',
      sha256: manifest.onnx.sha256,
      artifact_uri: registry.artifactUri('v2'),
    });
    expect(event?.metrics.challenger_average_precision).toBe(manifest.metrics.validation.average_precision);
    expect(event?.metrics.champion_average_precision).toBe(manifest.metrics.champion?.average_precision);
  });

  it('is deterministic for a seed', async () => {
    await job().run(request());
    const root2 = mkdtempSync(join(tmpdir(), 'fine-tune-'));
    try {
      registry = await registryWithChampion(root2, settings);
      await job().run(request());
      const a = await new FileSystemModelStore(root).readVerified('v2');
      const b = await registry.readVerified('v2');
      expect(b.manifest.onnx.sha256).toBe(a.manifest.onnx.sha256);
    } finally {
      rmSync(root2, { recursive: true, force: true });
    }
  });

  it('records in the manifest how many copies of the parent its challenger averages', async () => {
    await job(undefined, testSettings({ fineTuneSoup: 2 })).run(request());
    const soup = await registry.readVerified('v2');
    expect(soup.manifest.training.soup).toBe(2);
    await job().run(request({ request_id: 'req-single' }));
    // v2 is a shadow, so the second request fine-tunes v1 again: one copy, no field.
    const single = await registry.readVerified('v3');
    expect(single.manifest.training.soup).toBeUndefined();
    expect(single.manifest.onnx.sha256).not.toBe(soup.manifest.onnx.sha256);
  });

  it('with TRAINER_WARM_START_WEIGHTS=best-epoch, fine-tunes an averaged parent from its best epoch and judges it against the served one', async () => {
    const bestEpochParent = registry;
    const averagedRoot = mkdtempSync(join(tmpdir(), 'fine-tune-averaged-'));
    try {
      const averaging = testSettings({ baseAverageWeights: true });
      registry = await registryWithChampion(averagedRoot, averaging);
      const parent = await registry.readVerified('v1');
      expect(parent.manifest.training.best_epoch_weights).toEqual(expect.any(String));
      const fromBest = await job(undefined, { ...averaging, warmStartWeights: 'best-epoch' }).run(
        request({ request_id: 'req-best' }),
      );
      const fromServed = await job(undefined, averaging).run(request({ request_id: 'req-served' }));
      const best = await registry.readVerified(fromBest.version ?? 'none');
      const served = await registry.readVerified(fromServed.version ?? 'none');
      // A parent that served its best epoch: the network the best-epoch start fine-tunes.
      registry = bestEpochParent;
      expect((await registry.readVerified('v1')).manifest.training.best_epoch_weights).toBeUndefined();
      const plain = await registry.readVerified((await job().run(request())).version ?? 'none');

      expect(best.manifest.onnx.sha256).toBe(plain.manifest.onnx.sha256);
      expect(served.manifest.onnx.sha256).not.toBe(best.manifest.onnx.sha256);
      // The champion both challengers had to beat is the averaged model that serves.
      expect(best.manifest.metrics.champion).toEqual(served.manifest.metrics.champion);
    } finally {
      rmSync(averagedRoot, { recursive: true, force: true });
    }
  });

  it("fails PARENT_CORRUPT when a parent's best-epoch weights do not fit its network", async () => {
    const v1 = await registry.readVerified('v1');
    const manifest = {
      ...v1.manifest,
      version: 'v7',
      training: { ...v1.manifest.training, best_epoch_weights: 'AAAAAAAAAAA=' },
    };
    const ctx = { actor: 'test', reason: 'a model with two weights kept', eventTime: T0 + 16 * DAY_MS };
    await registry.register(v1.onnx, manifest, ctx);
    await registry.transition('v7', 'PRODUCTION', ctx);
    const outcome = await job(undefined, { ...settings, warmStartWeights: 'best-epoch' }).run(
      request({ model_version: 'v7' }),
    );
    expect(outcome).toMatchObject({ status: 'FAILED', failure: 'PARENT_CORRUPT' });
    expect(outcome.reason).toContain('2 values');
  });

  it("with TRAINER_NOVELTY_LEARNT_ONLY, the new regime's frauds its challenger misses stay new to the monitor", async () => {
    // A request at day 16 with two days' chargeback window holds out day 13; the frauds of days 14
    // and 15, confirmed a day later, are payments like any other (coin flips): no model ranks them high.
    const unlike = syntheticStream({
      fromDay: 0,
      days: 16,
      rowsPerDay: 1000,
      regime: oldUntil10,
      seed: 2,
      noiseLabels: (d) => d >= 14,
    });
    const source = () => new ArrayDataSource(unlike.scores, unlike.labels);
    const at = { event_time: T0 + 16 * DAY_MS };
    await job(source(), testSettings({ noveltyLearntOnly: false })).run(
      request({ ...at, request_id: 'req-all' }),
    );
    await job(source(), testSettings({ noveltyLearntOnly: true })).run(
      request({ ...at, request_id: 'req-learnt' }),
    );
    // Both fine-tune v1 from the same rows with the same seed: the same network, two references.
    const all = await registry.readVerified('v2');
    const learnt = await registry.readVerified('v3');
    expect(learnt.manifest.onnx.sha256).toBe(all.manifest.onnx.sha256);
    const summarised = (m: typeof all.manifest) => m.reference.novelty?.null_count ?? 0;
    expect(summarised(learnt.manifest)).toBeGreaterThan(0);
    expect(summarised(learnt.manifest)).toBeLessThan(summarised(all.manifest));
  });

  it("with TRAINER_THRESHOLD_RECUT_RATIO, cuts the challenger's count a day on the newest day's traffic and says so", async () => {
    const at = { event_time: T0 + 16 * DAY_MS };
    const plain = await job().run(request({ ...at, request_id: 'req-holdout' }));
    expect(plain.metrics.threshold_on_recent_traffic).toBe(0);
    expect(plain.metrics.threshold_champion_alerts_newest_day).toBeUndefined();
    const recut = await job(undefined, testSettings({ thresholdRecutRatio: 1 })).run(
      request({ ...at, request_id: 'req-recut' }),
    );
    expect(recut.metrics.threshold_on_recent_traffic).toBe(1);
    // Every scored transaction of day 15, settled or not.
    const newestDay = window.scores.filter(
      (r) => r.event_time >= at.event_time - DAY_MS && r.event_time < at.event_time,
    ).length;
    expect(recut.metrics.threshold_rows).toBe(newestDay);
    expect(recut.metrics.threshold_champion_alerts_newest_day).toBeGreaterThanOrEqual(0);
    expect(recut.metrics.threshold).not.toBe(plain.metrics.threshold);
    // The registered challenger carries the threshold it was cut to, the parent's policy unchanged.
    const manifest = await registry.readManifest(recut.version ?? '');
    expect(manifest.threshold).toBe(recut.metrics.threshold);
    expect(manifest.threshold_policy).toEqual((await registry.readManifest('v1')).threshold_policy);
  });

  it("with reviewed-share, answers an ALERT_PRECISION request with its unreviewed alerts aiming at the reviewed alerts' share of frauds, and says so", async () => {
    const at = T0 + 16 * DAY_MS;
    // The immature days: the test settings' chargeback window.
    const recentFrom = at - settings.chargebackWindowMs;
    const frauds = new Set(window.labels.filter((l) => l.is_fraud).map((l) => l.transaction_id));
    // The serving model alerted on every fraud and on every fourth payment of the immature days;
    // the analysts reviewed every other alert of those days, an hour after it.
    const scores = window.scores.map((s, i) => ({
      ...s,
      is_alert: frauds.has(s.transaction_id) || (s.event_time >= recentFrom && i % 4 === 0),
    }));
    const verdicts: Label[] = scores
      .filter(
        (s, i) => s.is_alert && s.event_time >= recentFrom && s.event_time < at - HOUR_MS && i % 2 === 0,
      )
      .map((s) => ({
        transaction_id: s.transaction_id,
        card_id: s.card_id,
        terminal_id: 't',
        is_fraud: frauds.has(s.transaction_id),
        source: 'ANALYST',
        transaction_time: s.event_time,
        event_time: s.event_time + HOUR_MS,
      }));
    const source = new ArrayDataSource(scores, [...window.labels, ...verdicts]);
    const alarm = request({ event_time: at, trigger: 'ALERT_PRECISION', request_id: 'req-soft' });
    const outcome = await job(source, testSettings({ softLabelAlerts: 'reviewed-share' })).run(alarm);
    expect(verdicts.length).toBeGreaterThanOrEqual(30);
    const share = verdicts.filter((v) => v.is_fraud).length / verdicts.length;
    expect(outcome.metrics.soft_label_alert_fraud_share).toBeCloseTo(share, 12);
    expect(outcome.metrics.soft_label_alert_rows).toBeGreaterThan(0);
    expect(outcome.metrics.soft_labelled_rows).toBeGreaterThan(outcome.metrics.soft_label_alert_rows ?? 0);
    // The default: the same rows, aiming at the window's fraud rate (no share to report).
    const before = await job(source).run({
      ...alarm,
      request_id: 'req-soft-window-rate',
    });
    expect(before.metrics.soft_label_alert_rows).toBe(outcome.metrics.soft_label_alert_rows);
    expect(before.metrics.soft_label_alert_fraud_share).toBeUndefined();
  });

  it("with GATE_EVIDENCE_NOISE, judges an evidence trigger's new-regime rows with their bootstrapped noise", async () => {
    const base = testSettings();
    const s = { ...base, gate: { ...base.gate, evidenceNoise: true } };
    // At day 16 the frauds of days 14 and 15 are confirmed early: the new regime's settled rows.
    const at = { event_time: T0 + 16 * DAY_MS, trigger: 'NEW_PATTERN' as const };
    const early = await job(undefined, s).run(request({ ...at, request_id: 'req-noise' }));
    expect(early.metrics.gate_recent_judged_rows).toBeGreaterThan(0);
    const se = early.metrics.gate_recent_average_precision_difference_se ?? Number.NaN;
    expect(se).toBeGreaterThan(0);
    expect(early.metrics.gate_new_regime_min_average_precision_gain).toBeCloseTo(-s.gate.noise.z * se, 12);
    // The same request without the setting, and another trigger with it: no allowance.
    const plain = await job().run(request({ ...at, request_id: 'req-plain' }));
    expect(plain.metrics.gate_recent_average_precision_difference_se).toBeUndefined();
    expect(plain.metrics.gate_new_regime_min_average_precision_gain).toBe(0);
    const other = await job(undefined, s).run(
      request({ ...at, request_id: 'req-other', trigger: 'PERFORMANCE_DRIFT' }),
    );
    expect(other.metrics.gate_recent_average_precision_difference_se).toBeUndefined();
    expect(other.metrics.gate_new_regime_min_average_precision_gain).toBe(s.gate.minAveragePrecisionGain);
  });

  it('trains every epoch for an early-evidence trigger, and stops early for the others', async () => {
    const s = testSettings({ fineTuneEpochs: 40, patience: 1, fullEpochTriggers: ['NEW_PATTERN'] });
    const early = await job(undefined, s).run(request({ request_id: 'req-early', trigger: 'NEW_PATTERN' }));
    expect(early.metrics.epochs_run).toBe(40);
    expect(early.metrics.best_epoch).toBe(40);
    const other = await job(undefined, s).run(
      request({ request_id: 'req-other', trigger: 'PERFORMANCE_DRIFT' }),
    );
    expect(other.metrics.epochs_run).toBeLessThan(40);
    // The gate judges the new regime's rows with the evidence margin for the first only.
    expect(early.metrics.gate_new_regime_min_average_precision_gain).toBe(0);
    expect(other.metrics.gate_new_regime_min_average_precision_gain).toBe(s.gate.minAveragePrecisionGain);
  });

  it('does not promote a challenger that is worse than the champion', async () => {
    // The window's training days carry no signal (labels are coin flips); the hold-out day is clean.
    const noisy = syntheticStream({
      fromDay: 0,
      days: 16,
      rowsPerDay: 600,
      regime: () => 'old',
      seed: 3,
      noiseLabels: (d) => d >= 10 && d < 15,
    });
    const outcome = await job(new ArrayDataSource(noisy.scores, noisy.labels), {
      ...settings,
      replayRatio: 0,
      fineTuneLearningRate: 0.02,
    }).run(request());
    expect(outcome.status, outcome.reason).toBe('REJECTED');
    expect(outcome.metrics.challenger_average_precision).toBeLessThan(
      outcome.metrics.champion_average_precision ?? 0,
    );
    expect(await registry.stageOf('v2')).toBe('REJECTED');
    expect(await registry.productionVersion()).toBe('v1');
    expect(publisher.events.map((e) => e.stage)).toEqual(['REJECTED']);
  });

  it('refuses a request for a model that no longer serves', async () => {
    await job().run(request());
    await registry.transition('v2', 'PRODUCTION', {
      actor: 'test',
      reason: 'promoted',
      eventTime: T0 + 19 * DAY_MS,
    });
    const stale = await job().run(request({ request_id: 'req-old' }));
    expect(stale).toMatchObject({ status: 'FAILED', failure: 'STALE_REQUEST' });
    expect(publisher.events.at(-1)).toMatchObject({ kind: 'JOB_FAILED', request_id: 'req-old' });
    expect(await registry.store.listVersions()).toEqual(['v1', 'v2']);
  });

  it('runs a request id once', async () => {
    await job().run(request());
    const again = await job().run(request());
    expect(again.status).toBe('DUPLICATE');
    expect(await registry.store.listVersions()).toEqual(['v1', 'v2']);
    expect(publisher.events).toHaveLength(1);
  });

  describe('with TRAINER_DISTILL_HIDDEN_UNITS', () => {
    const distil = (distillation: Partial<TrainingSettings['distillation']> = {}) =>
      testSettings({ distillation: { ...settings.distillation, hiddenUnits: [2], ...distillation } });

    it("registers a shadowed challenger's distilled student as a candidate, judged against it on the same rows", async () => {
      // A tolerance the small test model's student can meet: the gate's arithmetic is what is checked.
      const outcome = await job(undefined, distil({ maxApLoss: 1 })).run(request());
      expect(outcome.status, outcome.reason).toBe('SHADOW');
      expect(outcome.student?.status, outcome.student?.reason).toBe('CANDIDATE');
      expect(outcome.student?.version).toBe('v3');
      expect(await registry.stageOf('v2')).toBe('SHADOW');
      expect(await registry.stageOf('v3')).toBe('CANDIDATE');
      const parent = await registry.readVerified('v2');
      const student = await registry.readVerified('v3');
      const compression = student.manifest.compression;
      if (compression?.kind !== 'distilled-student')
        throw new Error('the student has no distillation record');
      expect(student.manifest.parent_version).toBe('v2');
      expect(student.manifest.architecture.hidden_units).toEqual([2]);
      expect(readMlpOnnx(student.onnx).layers.map((l) => l.bias.length)).toEqual([2, 1]);
      expect(student.manifest.preprocessing).toEqual(parent.manifest.preprocessing);
      expect(student.manifest.threshold).toBe(parent.manifest.threshold);
      expect(compression).toMatchObject({
        parent_version: 'v2',
        parent_sha256: parent.manifest.onnx.sha256,
        hidden_units: [2],
        parent_hidden_units: parent.manifest.architecture.hidden_units,
        teacher_weight: 0.5,
        rows: parent.manifest.metrics.validation.rows,
        parent_average_precision: parent.manifest.metrics.validation.average_precision,
        passed: true,
      });
      expect(compression.ap_loss).toBeCloseTo(
        compression.parent_average_precision - compression.average_precision,
        12,
      );
      expect(student.manifest.reference.novelty?.frauds).toBeUndefined();
    });

    it('rejects a student that loses more AP than GATE_MAX_DISTILLATION_AP_LOSS', async () => {
      // A tolerance no student can meet (it would have to beat its teacher by more than 1 AP).
      const outcome = await job(undefined, distil({ maxApLoss: -1 })).run(request());
      expect(outcome.status, outcome.reason).toBe('SHADOW');
      expect(outcome.student?.status, outcome.student?.reason).toBe('REJECTED');
      expect(outcome.student?.reason).toMatch(/^distillation gate failed: student AP/);
      expect(await registry.stageOf('v3')).toBe('REJECTED');
    });

    it('makes no student under DP-SGD', async () => {
      const privacy = { targetEpsilon: 8, noiseMultiplier: null, delta: 1e-5, clipNorm: 1 };
      // A gate that passes any challenger: the DP noise must not decide whether the student is tried.
      const gate = {
        ...settings.gate,
        minAveragePrecisionGain: -1,
        maxAveragePrecisionDrop: 1,
        maxRelativeApDropOnShift: 1,
        maxRocAucDrop: 1,
        maxCardPrecisionDrop: 1,
        fairness: { ...settings.gate.fairness, maxGapWidening: 1 },
      };
      const outcome = await job(undefined, { ...distil(), privacy, gate }).run(request());
      expect(outcome.status, outcome.reason).toBe('SHADOW');
      expect(outcome.student?.status).toBe('FAILED');
      expect(outcome.student?.reason).toMatch(/not offered with DP-SGD/);
      expect(await registry.store.listVersions()).toEqual(['v1', 'v2']);
    });
  });

  describe('with TRAINER_QUANTIZE=int8', () => {
    const int8 = (quantization: Partial<TrainingSettings['quantization']> = {}) =>
      testSettings({ quantization: { ...settings.quantization, kind: 'int8', ...quantization } });

    it('registers the int8 variant of a shadowed challenger as a candidate, its AP loss within the gate', async () => {
      const outcome = await job(undefined, int8()).run(request());
      expect(outcome.status, outcome.reason).toBe('SHADOW');
      expect(outcome.variant?.status, outcome.variant?.reason).toBe('CANDIDATE');
      expect(outcome.variant?.version).toBe('v3');
      expect(await registry.stageOf('v2')).toBe('SHADOW');
      expect(await registry.stageOf('v3')).toBe('CANDIDATE');

      const parent = await registry.readVerified('v2');
      const variant = await registry.readVerified('v3');
      const manifest = variant.manifest;
      const compression = manifest.compression;
      if (!compression) throw new Error('the variant has no compression');
      expect(manifest.parent_version).toBe('v2');
      expect(manifest.model_card?.lineage.parent_version).toBe('v2');
      expect(compression).toMatchObject({
        kind: 'int8-weights',
        parent_version: 'v2',
        parent_sha256: parent.manifest.onnx.sha256,
        granularity: 'per-channel',
        bits: 8,
        bytes: variant.onnx.length,
        parent_bytes: parent.onnx.length,
        max_ap_loss: 0.005,
        passed: true,
      });
      expect(compression.ap_loss).toBeLessThanOrEqual(0.005);
      // No smaller here: the test model's 80 weights save less than the scales and the names cost
      // (the scorer's 19-32-16-1 model shrinks to 0.53, int8-weights.quantizer.spec.ts).
      // Same rows, same threshold, same preprocessing as the float challenger.
      expect(manifest.threshold).toBe(parent.manifest.threshold);
      expect(manifest.preprocessing).toEqual(parent.manifest.preprocessing);
      expect(compression.rows).toBe(parent.manifest.metrics.validation.rows);
      // onnxruntime scored the float parent as tfjs did for the gate.
      expect(compression.parent_average_precision).toBeCloseTo(
        parent.manifest.metrics.validation.average_precision,
        3,
      );
      expect(manifest.model_card?.gate).toMatchObject({
        passed: true,
        challenger: { average_precision: compression.average_precision },
        champion: { average_precision: compression.parent_average_precision },
      });

      // The request's last audit entry is still the challenger's: a duplicate reports it.
      const again = await job(undefined, int8()).run(request());
      expect(again).toMatchObject({ status: 'DUPLICATE', duplicateOf: 'SHADOW', version: 'v2' });
    });

    it('rejects a variant that loses more AP than GATE_MAX_QUANTIZATION_AP_LOSS (a 2-bit grid)', async () => {
      const outcome = await job(undefined, int8({ bits: 2 })).run(request());
      expect(outcome.status, outcome.reason).toBe('SHADOW');
      expect(outcome.variant?.status, outcome.variant?.reason).toBe('REJECTED');
      expect(outcome.variant?.reason).toMatch(/^quantisation gate failed: .* loss 0\.\d{4} > 0\.0050/);
      expect(await registry.stageOf('v3')).toBe('REJECTED');
      const compression = (await registry.readManifest('v3')).compression;
      expect(compression?.passed).toBe(false);
      expect(compression?.ap_loss).toBeGreaterThan(0.005);
      expect(publisher.events.map((e) => [e.model_version, e.stage])).toEqual([
        ['v3', 'REJECTED'],
        ['v2', 'SHADOW'],
      ]);
    });

    it('makes no variant of a challenger the gate rejected', async () => {
      const noisy = syntheticStream({
        fromDay: 0,
        days: 16,
        rowsPerDay: 600,
        regime: () => 'old',
        seed: 3,
        noiseLabels: (d) => d >= 10 && d < 15,
      });
      const outcome = await job(new ArrayDataSource(noisy.scores, noisy.labels), {
        ...int8(),
        replayRatio: 0,
        fineTuneLearningRate: 0.02,
      }).run(request());
      expect(outcome.status, outcome.reason).toBe('REJECTED');
      expect(outcome.variant).toBeUndefined();
      expect(await registry.store.listVersions()).toEqual(['v1', 'v2']);
    });
  });

  describe('bad input fails the job with a reason, a JOB_FAILED event, and nothing deployed', () => {
    const expectFailed = async (
      outcomeReason: string,
      run: Promise<{ status: string; failure: string | null; reason: string }>,
    ) => {
      const outcome = await run;
      expect(outcome.status).toBe('FAILED');
      expect(outcome.failure, outcome.reason).toBe(outcomeReason);
      expect(await registry.store.listVersions()).toEqual(['v1']);
      expect(await registry.productionVersion()).toBe('v1');
      expect(publisher.events).toHaveLength(1);
      expect(publisher.events[0]).toMatchObject({
        kind: 'JOB_FAILED',
        model_version: 'v1',
        request_id: 'req-1',
      });
      expect(publisher.events[0]?.reason).toContain(outcomeReason);
      const audit = await registry.entriesForRequest('req-1');
      expect(audit.map((e) => e.action)).toEqual(['JOB_FAILED']);
    };

    it('a too-small window', async () => {
      await expectFailed(
        'WINDOW_TOO_SMALL',
        job().run(request({ window_start: T0 + 15 * DAY_MS + 12 * HOUR_MS, window_end: T0 + 16 * DAY_MS })),
      );
    });

    it('one-class data', async () => {
      await expectFailed('ONE_CLASS', job(new ArrayDataSource(window.scores, [])).run(request()));
    });

    it('NaN features', async () => {
      const scores = window.scores.map((s, i) =>
        i === window.scores.length - 100 ? { ...s, features: [Number.NaN, 0, 0, 0] } : s,
      );
      await expectFailed(
        'NON_FINITE_FEATURES',
        job(new ArrayDataSource(scores, window.labels)).run(request()),
      );
    });

    it('a missing parent artifact', async () => {
      const outcome = await job().run(request({ model_version: 'v7' }));
      expect(outcome).toMatchObject({ status: 'FAILED', failure: 'PARENT_MISSING' });
      expect(outcome.reason).toContain('v7');
      expect(publisher.events.map((e) => [e.kind, e.model_version])).toEqual([['JOB_FAILED', 'v7']]);
      expect(await registry.store.listVersions()).toEqual(['v1']);
    });
  });
});
