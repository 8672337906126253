import type { Alert, Score } from '@fraudstream/contracts';
import { DeadLetterHeaders, createIdempotentProducer } from '@fraudstream/kafka';
import { HealthRegistry, MetricsRegistry } from '@fraudstream/observability';
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

const BANDS = ['18-29', '30-44', '45-64', '65+'];

describe('scorer app', () => {
  const suite = scorerSuite();

  /** Two-partition topics with v1 (alerting at 0.6) deployed to PRODUCTION, and the producer that did it. */
  async function deployedV1() {
    const { kafka, serde, root } = suite;
    const topics = await createScorerTopics(kafka, serde, 2);
    const producer = await connectedProducer(kafka, serde);
    await publishDeployment(producer, topics, stageChange(featureModel(root, 'v1', 11, 0.6), 'PRODUCTION'));
    return { topics, producer };
  }

  it('scores every transaction exactly once across a restart and dead-letters poison messages', async () => {
    const { kafka, serde } = suite;
    const { topics, producer } = await deployedV1();

    const total = 600;
    // Half carry customer segments, half none (a bank that sends none, records of before).
    const sent = Array.from({ length: total }, (_, i) =>
      i % 2 === 0 ? { ...transaction(i), age_band: BANDS[i % BANDS.length], region: 'west' } : transaction(i),
    );
    /** Poison: bytes that are not Confluent Avro, an unknown schema id, a negative amount and a missing card id. */
    const sendPoison = async (): Promise<void> => {
      const raw = createIdempotentProducer(kafka);
      await raw.connect();
      await raw.send({
        topic: topics.transactions,
        messages: [
          { key: 'x', value: Buffer.from('not avro at all') },
          // Confluent framing with a schema id the registry has never issued.
          { key: 'y', value: Buffer.from([0, 0x7f, 0xff, 0xff, 0x00, 2, 4, 6]) },
        ],
      });
      await raw.disconnect();
      await producer.sendMany([
        {
          topic: topics.transactions,
          records: [
            { key: 'card-bad', value: { ...transaction(10_001, 'bad'), amount: -5 } },
            { key: 'card-bad', value: { ...transaction(10_002, 'bad'), card_id: '' } },
          ],
        },
      ]);
    };

    const scores = await readTopic<Score>(kafka, serde, topics.scores);
    const alerts = await readTopic<Alert>(kafka, serde, topics.alerts);
    const dlq = await readTopic<Buffer>(kafka, serde, topics.transactionsDlq, true);
    const env = { SCORER_GROUP_ID: uniqueName('scorer') };
    const first = await suite.start(topics, env);
    // Transactions keep arriving, 10 every 20 ms, while the scorer is stopped and restarted.
    const producing = (async () => {
      for (let i = 0; i < total; i += 10) {
        const chunk = sent.slice(i, i + 10);
        await producer.sendMany([
          { topic: topics.transactions, records: chunk.map((t) => ({ key: t.card_id, value: t })) },
        ]);
        if (i === 300) await sendPoison();
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
    await waitFor(() => scores.records.length >= 100, 60_000, 'the scorer to be mid-stream');
    await first.close();
    const beforeRestart = scores.records.length;
    expect(beforeRestart).toBeLessThan(total);

    const second = await suite.start(topics, env);
    await producing;
    await producer.producer.disconnect();
    await waitFor(
      () => new Set(scores.records.map((r) => r.value.transaction_id)).size >= total,
      90_000,
      'all scores',
    );
    await waitFor(() => dlq.records.length >= 4, 30_000, 'four dead letters');

    // /health: broker connections and the loaded model; /metrics: scoring, model and event-loop metrics.
    const health = await second.get(HealthRegistry).report();
    expect(health.status).toBe('up');
    expect(health.components.model).toEqual({ up: true, details: { champion: 'v1', challenger: null } });
    expect(health.components['transactions-consumer']?.up).toBe(true);
    const metrics = await second.get(MetricsRegistry).metrics();
    expect(metrics).toContain('fraudstream_model_info{role="CHAMPION",version="v1",provider="cpu"} 1');
    expect(metrics).toMatch(/fraudstream_scoring_duration_seconds_bucket\{/);
    expect(metrics).toMatch(/fraudstream_produce_to_score_latency_seconds_count \d+/);
    expect(metrics).toContain('nodejs_eventloop_lag_seconds');
    await second.close();

    const ids = scores.records.map((r) => r.value.transaction_id);
    expect(ids.length).toBe(total);
    expect(new Set(ids)).toEqual(new Set(sent.map((t) => t.transaction_id)));
    for (const r of scores.records) {
      expect(r.value.model_version).toBe('v1');
      expect(r.value.role).toBe('CHAMPION');
      expect(r.value.features).toHaveLength(19);
      expect(r.value.is_alert).toBe(r.value.score >= 0.6);
    }
    // Each score carries its transaction's segments through Avro, null when it had none.
    const segmentsOf = new Map(sent.map((t) => [t.transaction_id, [t.age_band ?? null, t.region ?? null]]));
    for (const r of scores.records)
      expect([r.value.age_band, r.value.region]).toEqual(segmentsOf.get(r.value.transaction_id));
    expect(scores.records.filter((r) => r.value.region === 'west')).toHaveLength(total / 2);
    // Every alert matches an alerting score, and every alerting score has its alert.
    await waitFor(
      () => alerts.records.length === scores.records.filter((r) => r.value.is_alert).length,
      10_000,
      'one alert per alerting score',
    );
    const alerted = new Set(
      scores.records.filter((r) => r.value.is_alert).map((r) => r.value.transaction_id),
    );
    expect(new Set(alerts.records.map((a) => a.value.transaction_id))).toEqual(alerted);
    for (const a of alerts.records) {
      expect(a.value.alert_id).toBe(`${a.value.transaction_id}:v1`);
      expect(a.value.reasons.length).toBeGreaterThan(0);
      expect(a.value.reasons.length).toBeLessThanOrEqual(3);
    }

    const reasons = dlq.records.map((r) => r.headers[DeadLetterHeaders.reason]).sort();
    expect(reasons).toEqual(['decode', 'unknown-schema', 'validation', 'validation']);
    expect(dlq.records.map((r) => r.headers[DeadLetterHeaders.error]).join(' ')).toMatch(
      /amount is negative/,
    );
    expect(dlq.records.map((r) => r.headers[DeadLetterHeaders.error]).join(' ')).toMatch(/card_id is empty/);
    await Promise.all([scores.stop(), alerts.stop(), dlq.stop()]);
  });
  it('scores a transaction sent twice once, and dead-letters the copy as a duplicate naming where the first was read', async () => {
    const { kafka, serde } = suite;
    const { topics, producer } = await deployedV1();
    const scores = await readTopic<Score>(kafka, serde, topics.scores);
    const dlq = await readTopic<Buffer>(kafka, serde, topics.transactionsDlq, true);
    const app = await suite.start(topics, { SCORER_GROUP_ID: uniqueName('scorer') });
    const total = 120;
    const sent = Array.from({ length: total }, (_, i) => transaction(i, 'twice'));
    // Every 10th payment sent again after the next five (an upstream that retried it), some in the
    // same produce request as their original, some in a later one.
    const copies = sent.filter((_, i) => i % 10 === 0);
    for (let i = 0; i < total; i += 15) {
      const chunk = sent.slice(i, i + 15);
      const again = copies.filter((_, k) => k * 10 + 5 >= i && k * 10 + 5 < i + 15);
      await producer.sendMany([
        {
          topic: topics.transactions,
          records: [...chunk, ...again].map((t) => ({ key: t.card_id, value: { ...t } })),
        },
      ]);
    }
    await waitFor(() => dlq.records.length >= copies.length, 60_000, 'a dead letter per copy');
    await waitFor(() => scores.records.length >= total, 60_000, 'a score per transaction');
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await app.close();
    await producer.producer.disconnect();

    const ids = scores.records.map((r) => r.value.transaction_id);
    expect(ids).toHaveLength(total);
    expect(new Set(ids)).toEqual(new Set(sent.map((t) => t.transaction_id)));
    expect(dlq.records.map((r) => r.headers[DeadLetterHeaders.reason])).toEqual(
      copies.map(() => 'duplicate'),
    );
    for (const r of dlq.records)
      expect(r.headers[DeadLetterHeaders.error]).toMatch(
        new RegExp(
          `^duplicate: transaction_id twice-\\d+ was already scored from ${topics.transactions}\\[\\d\\] at offset \\d+$`,
        ),
      );
    await Promise.all([scores.stop(), dlq.stop()]);
  });
});
