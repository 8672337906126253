import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import type { INestApplicationContext } from '@nestjs/common';
import type { Score, Transaction } from '@fraudstream/contracts';
import { computeFeaturesOffline, FEATURE_NAMES, featureIndex } from '@fraudstream/features';
import type { AvroSerde, Kafka } from '@fraudstream/kafka';
import { TokenKey, tokenKeyId } from '@fraudstream/pii';
import { generateDataset, TransactionSimulator } from '@fraudstream/simulation';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchSimulation } from '../../apps/simulator/src/simulation.launcher';
import { parseSimulateArgs } from '../../apps/simulator/src/cli/simulate.command';
import { loadSimulatorConfig } from '../../apps/simulator/src/simulator.config';
import { testClients, uniqueName } from '../support/kafka-env';
import { readTopicsToEnd } from '../support/read-topic';
import { waitFor } from '../support/wait-for';
import {
  connectedProducer,
  createScorerTopics,
  featureModel,
  modelRoot,
  readTopic,
  stageChange,
  startScorer,
} from './scorer.harness';

/*
 * A tokenisation key rotation on the real stack: the simulator (the ingress) publishes a stream with
 * a previous key, a new key and a cutover at day 3, through Kafka and the registry, to the scorer
 * app. Before the cutover the transactions carry the card's next-key token (the bridge); after it
 * they are keyed by that token. The scorer must then score every transaction with the card features
 * of the stream without any rotation (the offline recomputation of the simulator's own records): no
 * card's history is lost at the cutover.
 */
/** The card's window features: the ones a lost card history would change. */
const CARD_FEATURES = FEATURE_NAMES.filter(
  (name) => name.startsWith('card_') || name.startsWith('amount_to_card_'),
);

describe('tokenisation key rotation (simulator -> Kafka -> scorer)', () => {
  let kafka: Kafka;
  let serde: AvroSerde;
  let root: string;
  let scorer: INestApplicationContext | null = null;

  beforeAll(() => {
    ({ kafka, serde } = testClients());
    root = modelRoot();
  });

  afterAll(async () => {
    await scorer?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it("keeps every card's feature history across the cutover, and switches its token there", async () => {
    // One partition: the scorer then sees the stream in the simulator's order, so its card
    // features must equal the offline recomputation exactly.
    const topics = await createScorerTopics(kafka, serde, 1);
    const v1 = featureModel(root, 'v1', 5, 0.6);
    const producer = await connectedProducer(kafka, serde);
    await producer.sendMany([
      { topic: topics.deployments, records: [{ key: 'v1', value: stageChange(v1, 'PRODUCTION') }] },
    ]);
    await producer.producer.disconnect();

    const command = parseSimulateArgs([
      ...['--seed', '7', '--days', '5', '--customers', '40', '--terminals', '80', '--quiet'],
      ...['--transactions-topic', topics.transactions, '--labels-topic', topics.labels],
    ]);
    const cutover = new TransactionSimulator(command.simulation).dayStart(3);
    const [previous, current] = [randomBytes(32), randomBytes(32)].map((b) => b.toString('base64'));
    const config = loadSimulatorConfig({
      ...process.env,
      PII_TOKEN_PREVIOUS_KEY: previous ?? '',
      PII_TOKEN_KEY: current ?? '',
      PII_TOKEN_KEY_FROM: new Date(cutover).toISOString(),
    });
    const summary = await launchSimulation(command, { config });

    const scores = await readTopic<Score>(kafka, serde, topics.scores);
    scorer = await startScorer(topics, { SCORER_GROUP_ID: uniqueName('scorer') });
    await waitFor(() => scores.records.length >= summary.transactions, 90_000, 'every score');
    await scores.stop();

    const published = await readTopicsToEnd(kafka, [topics.transactions]);
    const transactions = await Promise.all(
      (published.get(topics.transactions) ?? []).map((r) => serde.decode<Transaction>(r.value)),
    );
    const [previousId, currentId] = [previous, current].map((k) => TokenKey.fromBase64(k ?? '', 'key').keyId);
    for (const tx of transactions) {
      const before = tx.event_time < cutover;
      expect(tokenKeyId(tx.card_id)).toBe(before ? previousId : currentId);
      if (before) expect(tokenKeyId(tx.card_token_next ?? '')).toBe(currentId);
      else expect(tx.card_token_next).toBeNull();
    }
    expect(transactions.filter((t) => t.event_time >= cutover).length).toBeGreaterThan(500);

    const expected = generateDataset(command.simulation);
    const offline = computeFeaturesOffline(expected.transactions, expected.labels);
    const offlineById = new Map(expected.transactions.map((t, i) => [t.transaction_id, offline[i] ?? []]));
    const cardFeatures = (vector: readonly number[]) => CARD_FEATURES.map((n) => vector[featureIndex(n)]);
    const scored = scores.records.map((r) => r.value);
    expect(new Set(scored.map((s) => s.transaction_id)).size).toBe(expected.transactions.length);
    const differing = scored.filter(
      (s) =>
        JSON.stringify(cardFeatures(s.features)) !==
        JSON.stringify(cardFeatures(offlineById.get(s.transaction_id) ?? [])),
    );
    expect(differing.map((s) => s.transaction_id)).toEqual([]);
    // The first payment of each card after the cutover already has its 30-day history.
    const firstAfter = new Map<string, Score>();
    for (const s of [...scored].sort((a, b) => a.event_time - b.event_time))
      if (s.event_time >= cutover && !firstAfter.has(s.card_id)) firstAfter.set(s.card_id, s);
    const withHistory = [...firstAfter.values()].filter(
      (s) => (s.features[featureIndex('card_tx_count_30d')] ?? 0) > 0,
    );
    expect(withHistory.length).toBeGreaterThan(0.8 * firstAfter.size);
  });
});
