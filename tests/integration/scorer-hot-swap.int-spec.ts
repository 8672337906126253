import type { Alert, ModelDeployment, Score } from '@fraudstream/contracts';
import { FEATURE_NAMES, FEATURE_SET_VERSION } from '@fraudstream/features';
import { ModelManager, randomMlpSpec, writeModelFixture } from '@fraudstream/model';
import { ephemeralKeys } from '@fraudstream/registry';
import { describe, expect, it } from 'vitest';
import { uniqueName } from '../support/kafka-env';
import { waitFor } from '../support/wait-for';
import {
  connectedProducer,
  createScorerTopics,
  featureModel,
  publishDeployment,
  readTopic,
  scorerSuite,
  stageChange,
  transaction,
} from './scorer.harness';

describe(`${ModelManager.name} in the scorer`, () => {
  const suite = scorerSuite();

  it('refuses corrupted and unsigned or foreign-signed models, hot-swaps at a batch boundary and shadows a challenger, scoring everything', async () => {
    const { kafka, serde, root } = suite;
    // One partition: scores follow the transactions' offsets, so the version sequence is observable.
    const topics = await createScorerTopics(kafka, serde, 1);
    const v1 = featureModel(root, 'v1', 21);
    const v2 = featureModel(root, 'v2', 22);
    const v3 = featureModel(root, 'v3', 23);
    const wide = writeModelFixture(root, {
      version: 'wide',
      featureNames: FEATURE_NAMES,
      featureSetVersion: FEATURE_SET_VERSION,
      // A graph taking one input more than the feature list: its manifest lies about its inputs.
      spec: {
        mean: new Array<number>(FEATURE_NAMES.length + 1).fill(0),
        std: new Array<number>(FEATURE_NAMES.length + 1).fill(1),
        layers: [{ weights: new Float32Array(FEATURE_NAMES.length + 1).fill(0.1), bias: [0] }],
      },
    });
    // Sound models the scorer must not trust: no signature, and one by a key it does not know
    // (it trusts the local key ring's, which featureModel signs with).
    const untrusted = (version: string, signer: ReturnType<typeof ephemeralKeys>['signer']) =>
      writeModelFixture(root, {
        version,
        featureNames: FEATURE_NAMES,
        featureSetVersion: FEATURE_SET_VERSION,
        spec: randomMlpSpec(FEATURE_NAMES.length, [8], 24),
        signer,
      });
    const unsigned = untrusted('unsigned', null);
    const foreign = untrusted('foreign', ephemeralKeys().signer);
    const producer = await connectedProducer(kafka, serde);
    const deploy = (event: ModelDeployment) => publishDeployment(producer, topics, event);
    await deploy(stageChange(v1, 'PRODUCTION'));

    const scores = await readTopic<Score>(kafka, serde, topics.scores);
    const alerts = await readTopic<Alert>(kafka, serde, topics.alerts);
    const deployments = await readTopic<ModelDeployment>(kafka, serde, topics.deployments);
    const app = await suite.start(topics, { SCORER_GROUP_ID: uniqueName('scorer') });

    let sent = 0;
    let producing = true;
    const stream = (async () => {
      while (producing) {
        const chunk = Array.from({ length: 10 }, (_, k) => transaction(sent + k));
        sent += chunk.length;
        await producer.sendMany([
          { topic: topics.transactions, records: chunk.map((t) => ({ key: t.card_id, value: t })) },
        ]);
        await new Promise((resolve) => setTimeout(resolve, 15));
      }
    })();
    const champions = () => scores.records.filter((r) => r.value.role === 'CHAMPION');
    await waitFor(() => champions().length >= 50, 30_000, 'v1 scores');

    // A checksum that does not match, a graph of the wrong width, an unsigned and a foreign-signed
    // model: all refused, v1 keeps serving.
    // One at a time: events fetched in one batch fold into their end state (only the last loads).
    const refused = () => deployments.records.filter((r) => r.value.kind === 'LOAD_REFUSED');
    for (const [i, event] of [
      stageChange(v2, 'PRODUCTION', 'ab'.repeat(32)),
      stageChange(wide, 'PRODUCTION'),
      stageChange(unsigned, 'PRODUCTION'),
      stageChange(foreign, 'SHADOW'),
    ].entries()) {
      await deploy(event);
      await waitFor(() => refused().length > i, 30_000, `LOAD_REFUSED for ${event.model_version}`);
    }
    expect(refused().map((r) => [r.value.model_version, r.value.reason.split(':')[0]])).toEqual([
      ['v2', 'checksum'],
      ['wide', 'inputs'],
      ['unsigned', 'signature'],
      ['foreign', 'signature'],
    ]);
    expect(refused()[2]?.value.reason).toMatch(/not signed/);
    expect(refused()[3]?.value.reason).toMatch(/not trusted/);
    expect(refused()[3]?.value.stage).toBe('SHADOW');
    const afterRefusal = champions().length;
    await waitFor(
      () => champions().length >= afterRefusal + 50,
      30_000,
      'scoring to go on after the refusals',
    );
    expect(champions().every((r) => r.value.model_version === 'v1')).toBe(true);

    // The real v2 mid-stream.
    await deploy(stageChange(v2, 'PRODUCTION'));
    await waitFor(() => champions().some((r) => r.value.model_version === 'v2'), 30_000, 'v2 scores');
    // A shadow challenger: its scores are published as CHALLENGER and never alert.
    await deploy(stageChange(v3, 'SHADOW'));
    await waitFor(
      () => scores.records.filter((r) => r.value.role === 'CHALLENGER').length >= 30,
      30_000,
      'v3 shadow scores',
    );
    await deploy(stageChange(v3, 'REJECTED'));
    const challengerCount = () => scores.records.filter((r) => r.value.role === 'CHALLENGER').length;
    await waitFor(
      async () => {
        const before = challengerCount();
        const championsBefore = champions().length;
        await waitFor(() => champions().length >= championsBefore + 30, 10_000, 'more scores');
        return challengerCount() === before;
      },
      30_000,
      'the rejected challenger to be unloaded',
    );

    producing = false;
    await stream;
    await producer.producer.disconnect();
    await waitFor(() => champions().length >= sent, 60_000, 'every transaction scored');
    await app.close();

    // Exactly one champion score per transaction, in offset order v1...v1 v2...v2: one switch.
    const ordered = champions().sort((a, b) => a.offset - b.offset);
    expect(new Set(ordered.map((r) => r.value.transaction_id)).size).toBe(sent);
    expect(ordered.length).toBe(sent);
    const versions = ordered.map((r) => r.value.model_version);
    const switchAt = versions.indexOf('v2');
    expect(switchAt).toBeGreaterThan(100);
    expect(versions.slice(0, switchAt).every((v) => v === 'v1')).toBe(true);
    expect(versions.slice(switchAt).every((v) => v === 'v2')).toBe(true);
    // The scores before and after the switch were computed in different batches.
    expect(ordered[switchAt - 1]?.value.scored_at).toBeLessThanOrEqual(
      ordered[switchAt]?.value.scored_at ?? 0,
    );

    const challengers = scores.records.filter((r) => r.value.role === 'CHALLENGER').map((r) => r.value);
    expect(challengers.every((s) => s.model_version === 'v3' && !s.is_alert)).toBe(true);
    expect(alerts.records.every((a) => a.value.model_version !== 'v3')).toBe(true);
    await Promise.all([scores.stop(), alerts.stop(), deployments.stop()]);
  });
});
