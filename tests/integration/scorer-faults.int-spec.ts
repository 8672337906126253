/*
 * The faults of the scorer's inputs and infrastructure, against the real broker: poison records that
 * used to stop a partition or blind a card, a tampered newest model at a restart, and a broker
 * restart mid-stream. Each test runs a scorer app in-process on its own topics.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Score, Transaction } from '@fraudstream/contracts';
import { FEATURE_NAMES } from '@fraudstream/features';
import { DeadLetterHeaders, isTransient, type AvroProducer, type Kafka } from '@fraudstream/kafka';
import { ModelManager } from '@fraudstream/model';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ownsService, startService, stopService } from '../../scripts/chaos/infra-control';
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
  type ScorerTopics,
} from './scorer.harness';

const CARD_COUNT_30D = FEATURE_NAMES.indexOf('card_tx_count_30d');

/** Records as they lie on the topic: one per partition and offset, whatever a reader was handed twice. */
function onTopic<T extends { readonly partition: number; readonly offset: number }>(
  records: readonly T[],
): T[] {
  const seen = new Map<string, T>();
  for (const r of records) seen.set(`${r.partition}/${r.offset}`, r);
  return [...seen.values()];
}

/** How many records each id has, ids sorted. */
function countById(ids: readonly string[]): [string, number][] {
  const counts = new Map<string, number>();
  for (const id of ids) counts.set(id, (counts.get(id) ?? 0) + 1);
  return [...counts].sort(([a], [b]) => a.localeCompare(b));
}

describe('scorer faults', () => {
  const suite = scorerSuite();
  let producer: AvroProducer;

  beforeAll(async () => {
    producer = await connectedProducer(suite.kafka, suite.serde);
  });

  afterAll(async () => {
    await producer.producer.disconnect();
  });

  async function scorerOn(topics: ScorerTopics, version: string, env: Record<string, string> = {}) {
    const model = featureModel(suite.root, version, 7);
    await publishDeployment(producer, topics, stageChange(model, 'PRODUCTION'));
    return suite.start(topics, { SCORER_GROUP_ID: `${topics.transactions}.scorer`, ...env });
  }

  async function withAdmin<R>(work: (admin: ReturnType<Kafka['admin']>) => Promise<R>): Promise<R> {
    const admin = suite.kafka.admin();
    await admin.connect();
    try {
      return await work(admin);
    } finally {
      await admin.disconnect();
    }
  }

  function endOffsets(topic: string): Promise<number[]> {
    return withAdmin(async (admin) => (await admin.fetchTopicOffsets(topic)).map((p) => Number(p.high)));
  }

  function committedToEnd(groupId: string, topic: string): Promise<boolean> {
    return withAdmin(async (admin) => {
      const ends = await admin.fetchTopicOffsets(topic);
      const [group] = await admin.fetchOffsets({ groupId, topics: [topic] });
      const committed = new Map((group?.partitions ?? []).map((p) => [p.partition, p.offset]));
      return ends.every((e) => committed.get(e.partition) === e.high);
    });
  }

  async function sendTransactions(topic: string, txs: readonly Transaction[]): Promise<void> {
    await producer.sendMany([{ topic, records: txs.map((t) => ({ key: t.card_id, value: t })) }]);
  }

  it('dead-letters a 1 MiB transaction with its size and a truncated value, and keeps scoring the partition', async () => {
    const topics = await createScorerTopics(suite.kafka, suite.serde, 1);
    await scorerOn(topics, 'v1');
    const huge: Transaction = { ...transaction(1, 'huge'), terminal_id: 't'.repeat(1_000_000) };
    await sendTransactions(topics.transactions, [transaction(0, 'ok'), huge, transaction(2, 'ok')]);
    const scores = await readTopic<Score>(suite.kafka, suite.serde, topics.scores);
    const dlq = await readTopic<Buffer>(suite.kafka, suite.serde, topics.transactionsDlq, true);
    await waitFor(
      () => scores.records.length >= 2 && dlq.records.length >= 1,
      60_000,
      'both good ones and the letter',
    );
    // The partition kept moving: the transaction after the poison one was scored too.
    await sendTransactions(topics.transactions, [transaction(3, 'ok')]);
    await waitFor(() => scores.records.length >= 3, 30_000, 'the transaction sent after the letter');
    await Promise.all([scores.stop(), dlq.stop()]);

    expect(scores.records.map((r) => r.value.transaction_id)).toEqual(['ok-0', 'ok-2', 'ok-3']);
    const [letter] = dlq.records;
    expect(letter?.headers[DeadLetterHeaders.reason]).toBe('validation');
    expect(letter?.headers[DeadLetterHeaders.error]).toMatch(/terminal_id is longer than 128 characters/);
    expect(Number(letter?.headers[DeadLetterHeaders.valueBytes])).toBeGreaterThan(1_000_000);
    expect(letter?.headers[DeadLetterHeaders.truncated]).toBe('true');
    expect(letter?.value.length).toBe(65_536);
  });

  it('dead-letters a transaction dated far ahead of the event-time watermark, and the card keeps its windows', async () => {
    const topics = await createScorerTopics(suite.kafka, suite.serde, 1);
    await scorerOn(topics, 'v1');
    const card = (i: number, eventTime?: number): Transaction => ({
      ...transaction(i, 'card'),
      card_id: 'card-x',
      ...(eventTime !== undefined ? { event_time: eventTime } : {}),
    });
    const first = card(0);
    const future = card(1, Date.UTC(2099, 0, 1));
    const next = card(2);
    await sendTransactions(topics.transactions, [first, future, next]);
    const scores = await readTopic<Score>(suite.kafka, suite.serde, topics.scores);
    const dlq = await readTopic<Buffer>(suite.kafka, suite.serde, topics.transactionsDlq, true);
    await waitFor(
      () => scores.records.length >= 2 && dlq.records.length >= 1,
      60_000,
      'two scores and one letter',
    );
    await Promise.all([scores.stop(), dlq.stop()]);

    expect(dlq.records[0]?.headers[DeadLetterHeaders.reason]).toBe('validation');
    expect(dlq.records[0]?.headers[DeadLetterHeaders.error]).toMatch(/ahead of the event-time watermark/);
    const [a, b] = scores.records.map((r) => r.value);
    expect([a?.transaction_id, b?.transaction_id]).toEqual(['card-0', 'card-2']);
    // The year-2099 record moved nothing: the next payment sees the first one in its 30-day window.
    expect(b?.features[CARD_COUNT_30D]).toBe((a?.features[CARD_COUNT_30D] ?? Number.NaN) + 1);
  });

  it('restarts serving the previous production version when the newest no longer verifies', async () => {
    const topics = await createScorerTopics(suite.kafka, suite.serde, 1);
    const first = await scorerOn(topics, 'fb-v1');
    const v2 = featureModel(suite.root, 'fb-v2', 8);
    await publishDeployment(producer, topics, stageChange(v2, 'PRODUCTION'));
    await waitFor(() => first.get(ModelManager).champion?.version === 'fb-v2', 30_000, 'v2 serving');
    await first.close();
    // The artifact is altered on disk after its deployment: the restart's replay names bytes that no longer exist.
    writeFileSync(fileURLToPath(v2.artifactUri), Buffer.from('not the deployed model'));

    const restarted = await suite.start(topics, { SCORER_GROUP_ID: `${topics.transactions}.scorer` });
    expect(restarted.get(ModelManager).champion?.version).toBe('fb-v1');
    await sendTransactions(topics.transactions, [transaction(0, 'after')]);
    const scores = await readTopic<Score>(suite.kafka, suite.serde, topics.scores);
    await waitFor(() => scores.records.length >= 1, 30_000, 'a score after the restart');
    await scores.stop();
    expect(scores.records[0]?.value.model_version).toBe('fb-v1');
  });

  for (const { mode, exactlyOnce } of [
    { mode: 'exactly-once', exactlyOnce: 'true' },
    { mode: 'at-least-once', exactlyOnce: 'false' },
  ])
    it(
      `loses nothing and dead-letters nothing when the broker is stopped and started mid-stream (${mode})`,
      { timeout: 240_000 },
      async (ctx) => {
        if (!(await ownsService('kafka'))) ctx.skip(); // only a broker scripts/infra.sh started here may be stopped
        const topics = await createScorerTopics(suite.kafka, suite.serde, 3);
        await scorerOn(topics, 'br-v1', { SCORER_EXACTLY_ONCE: exactlyOnce });
        const total = 3000;
        const sent = new Set<string>();
        let stopAt = Number.POSITIVE_INFINITY;
        // The load goes on through the outage, as a bank core's would: each batch retried until acknowledged.
        const streaming = (async () => {
          for (let i = 0; i < total; i += 50) {
            const batch = Array.from({ length: Math.min(50, total - i) }, (_, k) => transaction(i + k, 'br'));
            for (;;) {
              try {
                await sendTransactions(topics.transactions, batch);
                break;
              } catch (error) {
                if (!isTransient(error)) throw error;
                await new Promise((resolve) => setTimeout(resolve, 500));
              }
            }
            for (const t of batch) sent.add(t.transaction_id);
            if (i >= 900 && stopAt === Number.POSITIVE_INFINITY) stopAt = Date.now();
            await new Promise((resolve) => setTimeout(resolve, 20));
          }
        })();
        const scores = await readTopic<Score>(suite.kafka, suite.serde, topics.scores);
        await waitFor(
          () => Date.now() >= stopAt && scores.records.length > 500,
          60_000,
          'the stream under way',
        );
        await stopService('kafka');
        const downAt = Date.now();
        await waitFor(() => Date.now() - downAt >= 12_000, 20_000, 'the broker down for 12 s', 500);
        await startService('kafka');
        await streaming;
        await waitFor(
          () => new Set(scores.records.map((r) => r.value.transaction_id)).size >= total,
          120_000,
          'every transaction scored after the restart',
          500,
        );
        // Once the group committed every offset, any letter of any batch would be on the dead-letter topic.
        await waitFor(
          () => committedToEnd(`${topics.transactions}.scorer`, topics.transactions),
          60_000,
          'the commits',
        );
        await scores.stop();

        const scored = new Set(scores.records.map((r) => r.value.transaction_id));
        expect([...sent].filter((id) => !scored.has(id))).toEqual([]);
        expect(await endOffsets(topics.transactionsDlq)).toEqual([0]);
        if (exactlyOnce === 'true') {
          // What is on the topic for a read_committed reader: one score per transaction record
          // consumed, across the outage. (The load's own producer may write a batch twice when it is
          // re-created after the restart: each copy is an input of its own. This reader, too, may be
          // handed records again when it rejoins after the restart: counted once per offset.)
          const inputs = await readTopic<Transaction>(suite.kafka, suite.serde, topics.transactions);
          const inputCount = (await endOffsets(topics.transactions)).reduce((a, b) => a + b, 0);
          await waitFor(() => onTopic(inputs.records).length >= inputCount, 60_000, 'the input records');
          await inputs.stop();
          expect(countById(onTopic(scores.records).map((r) => r.value.transaction_id))).toEqual(
            countById(onTopic(inputs.records).map((r) => r.value.transaction_id)),
          );
        } else {
          // At-least-once: a batch sent again across the outage may be on the topic twice.
          expect(scores.records.length).toBeGreaterThanOrEqual(total);
        }
      },
    );
});
