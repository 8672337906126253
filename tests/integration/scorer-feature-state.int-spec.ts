/*
 * The feature state across hard kills: a scorer process (from dist/, exactly-once with group commit,
 * the Redis feature store) scores a stream on 3 partitions, with chargebacks on the labels topic,
 * and is SIGKILLed mid-stream, each time while two or more batches of a partition are handled (their
 * feature updates in Redis) and uncommitted (their batches wait for, or ride in, a Kafka transaction
 * that has not committed), or failing that just after a batch's feature update, with labels its
 * labels consumer committed still waiting for their event time, then restarted at once. The batches
 * are handled again; a read_committed reader must then find,
 * for every transaction, the features of the offline recomputation: no transaction counted twice in
 * a card's or a terminal's windows, the re-scored ones with the vector from the state before their
 * own update, and every chargeback in the terminal fraud rates from its event time on. It runs on
 * the live loop's set and on fs-v1-seq16, whose vectors add each card's last 16 transactions from
 * its history ring in Redis: no step appended twice, none lost.
 */
import { loadConfig } from '@fraudstream/config';
import { HOUR_MS, type Label, type Score } from '@fraudstream/contracts';
import {
  FS_V1,
  FS_V1_SEQ16,
  RedisFeatureStore,
  SEQUENCE_STEP_WIDTH,
  computeFeaturesOffline,
  featuresConfigFragment,
} from '@fraudstream/features';
import { describe, expect, it } from 'vitest';
import { ChaosStack } from '../../scripts/chaos/chaos-stack';
import { builtApps } from '../support/built-apps';
import { chargebacks, partitionLocalStream } from '../support/partition-local-stream';
import { waitFor } from '../support/wait-for';
import { readTopic } from './scorer.harness';

const PARTITIONS = 3;
const TOTAL = 6000;
const T0 = Date.UTC(2026, 0, 5, 12, 0, 0);
/**
 * How far ahead of the transactions a chargeback is published, in event time (12 h: 2,160
 * transactions, about 11 s of the stream). A label that reaches the scorer after transactions of its
 * terminal later than its event time were scored counts only for later ones (docs/features.md); the
 * lead keeps the labels consumer, restarted with the transactions consumer after each kill, ahead of
 * them, even when a restart on a loaded machine leaves a backlog of several seconds that the
 * transactions consumer clears before the labels consumer has its partitions (5 h did not: with the
 * two cores busy, a terminal's first chargeback missed some of its next transactions).
 */
const LABEL_LEAD_MS = 12 * HOUR_MS;
/** Transactions per send (one record batch of about 10 a partition, one of the scorer's small batches). */
const SEND = 30;
/**
 * Sends in a burst, back to back, before a pause: about five record batches a partition arrive
 * together and are handled one after the other, so that while one batch's transaction commits the
 * next ones are handled and wait for theirs, however fast the machine commits (an even trickle of one
 * batch a partition at a time left a fast machine with at most one batch uncommitted, and no kill
 * to test). One larger send would not do: a fetch returns a whole record batch, however small its
 * byte limit.
 */
const SENDS_PER_BURST = 5;

describe('scorer feature state across SIGKILL', () => {
  const apps = builtApps('scorer-feature-state');

  it.each([FS_V1, FS_V1_SEQ16])(
    'gives every transaction the offline features of $version, chargebacks included, after SIGKILLs with several batches uncommitted (group commit, Redis)',
    async (featureSet) => {
      const { kafka, serde, logDir } = apps;
      const { REDIS_URL } = loadConfig(featuresConfigFragment);
      const stack = new ChaosStack('featstate', kafka, serde, process.env, logDir, PARTITIONS);
      const prefix = `test:featstate:${stack.id}`;
      const store = RedisFeatureStore.connect(REDIS_URL, { keyPrefix: prefix });
      const admin = kafka.admin();
      await admin.connect();
      let streaming: Promise<void> = Promise.resolve();
      try {
        await stack.prepare(featureSet);
        const { transactions: topic, scores: scoresTopic, labels: labelsTopic } = stack.topics;
        const groupId = `chaos.${stack.id}.scorer`;
        const labelsGroupId = `chaos.${stack.id}.scorer-labels`;
        const transactions = partitionLocalStream(topic, PARTITIONS, TOTAL, T0);
        const labels = chargebacks(transactions);
        const env = {
          FEATURE_SET: featureSet.version,
          FEATURE_STORE: 'redis',
          REDIS_URL,
          FEATURE_STORE_KEY_PREFIX: prefix,
          // Small batches (about 10 transactions): several per partition handled while one's
          // transaction commits, so kills land with more than one uncommitted.
          SCORER_MAX_BYTES_PER_PARTITION: '1024',
          SCORER_GROUP_COMMIT: 'true',
        };
        const scorer = await stack.startApp('scorer', 'scorer-1', env);

        streaming = (async () => {
          let sent = 0;
          for (let i = 0; i < TOTAL; i += SEND) {
            const batch = transactions.slice(i, i + SEND);
            const until = (batch.at(-1)?.event_time ?? 0) + LABEL_LEAD_MS;
            const due: Label[] = [];
            for (let label = labels[sent]; label && label.event_time <= until; label = labels[++sent]) {
              due.push(label);
            }
            // In one request, as the simulator publishes a batch of transactions with its labels.
            await stack.producer.sendMany([
              { topic, records: batch.map((t) => ({ key: t.card_id, value: t })) },
              { topic: labelsTopic, records: due.map((l) => ({ key: l.transaction_id, value: l })) },
            ]);
            // A burst of sends, then a pause: about 200 a second.
            if ((i / SEND) % SENDS_PER_BURST === SENDS_PER_BURST - 1)
              await new Promise((resolve) => setTimeout(resolve, SEND * SENDS_PER_BURST * 5));
          }
        })();
        const scores = await readTopic<Score>(kafka, serde, scoresTopic);
        const scored = () => new Set(scores.records.map((r) => r.value.transaction_id)).size;

        const committed = async (): Promise<number[]> => {
          const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
          return Array.from({ length: PARTITIONS }, (_, p) => {
            const found = offsets?.partitions.find((o) => o.partition === p);
            return found ? Number(found.offset) : -1;
          });
        };
        const appliedOffsets = () =>
          Promise.all(
            Array.from(
              { length: PARTITIONS },
              async (_, partition) => (await store.appliedBatch({ topic, partition }))?.lastOffset ?? -1,
            ),
          );

        // Per partition, the batches whose vectors the state holds at or above the group's committed
        // offset: handled, their features counted, not committed.
        const uncommitted = async (): Promise<number[]> => {
          const offsets = await committed();
          return Promise.all(
            Array.from({ length: PARTITIONS }, async (_, partition) => {
              const fields = await store.appliedFields({ topic, partition });
              const firsts = fields.map((f) => Number(/^b(\d+)-/.exec(f)?.[1] ?? -1));
              return firsts.filter((first) => first >= (offsets[partition] ?? -1)).length;
            }),
          );
        };

        // Labels the labels consumer committed that no batch has counted yet: queued at the kill. Every
        // label is a fraud of its own transaction, so the labels counted are the ids in the label sets.
        const queuedLabels = async (): Promise<number> => {
          const [offsets] = await admin.fetchOffsets({ groupId: labelsGroupId, topics: [labelsTopic] });
          const committedLabels = (offsets?.partitions ?? []).reduce(
            (sum, o) => sum + Math.max(0, Number(o.offset)),
            0,
          );
          let counted = 0;
          let cursor = '0';
          do {
            const [next, keys] = await store.redis.scan(cursor, 'MATCH', `${prefix}:l:*`, 'COUNT', 1000);
            for (const key of keys) counted += await store.redis.scard(key);
            cursor = next;
          } while (cursor !== '0');
          return committedLabels - counted;
        };

        // Each kill waits until a partition has two or more batches handled and uncommitted (for at
        // most 20 s; then for the next feature update to reach Redis) and kills at once: before their
        // Kafka transaction commits, if the kill is quick enough (checked once the process is dead).
        let kills = 0;
        let landed = 0;
        let multiLanded = 0;
        let withQueuedLabels = 0;
        const queuedInStore: [committedNotCounted: number, inQueue: number][] = [];
        for (
          let attempt = 0;
          attempt < 10 && (landed < 3 || multiLanded < 2) && scored() < TOTAL - 600;
          attempt++
        ) {
          await waitFor(() => scored() >= 300 * (attempt + 1), 90_000, `scores before kill ${attempt + 1}`);
          const before = (await appliedOffsets()).join(',');
          const several = await waitFor(
            async () => Math.max(...(await uncommitted())) >= 2,
            20_000,
            'two uncommitted batches',
            1,
          ).catch(() => false);
          if (!several)
            await waitFor(
              async () => (await appliedOffsets()).join(',') !== before,
              30_000,
              'a feature update',
              1,
            );
          scorer.killNow();
          await waitFor(() => !scorer.running, 10_000, 'the scorer dead');
          kills++;
          const [applied, offsets] = [await appliedOffsets(), await committed()];
          // The state counts an offset the group has not committed: the batch will be handled again.
          if (applied.some((last, p) => last >= (offsets[p] ?? -1) && last >= 0)) landed++;
          // ... and more than one batch of a partition: all of them are handled again.
          if (Math.max(...(await uncommitted())) >= 2) multiLanded++;
          // Committed and not counted: labels waiting in the feature store.
          const queued = await queuedLabels();
          if (queued > 0) withQueuedLabels++;
          queuedInStore.push([queued, await store.pendingLabelCount()]);
          await stack.restartApp(scorer, env);
        }
        await streaming;
        await waitFor(() => scored() >= TOTAL, 180_000, 'every transaction scored', 500);
        await scores.stop();

        expect(landed).toBeGreaterThan(0);
        expect(multiLanded).toBeGreaterThan(0);
        expect(withQueuedLabels).toBeGreaterThan(0);
        // Every label committed and not counted waits in the store's queue. The queue may hold a few more:
        // labels the consumer queued and had not committed at the kill, read and queued again after it
        // (the queue is keyed by transaction, so they count once: the features below say so).
        for (const [committedNotCounted, inQueue] of queuedInStore)
          expect(inQueue).toBeGreaterThanOrEqual(committedNotCounted);
        // One record per offset (a reader handed records again after a rejoin counts them once).
        const onTopic = new Map(scores.records.map((r) => [`${r.partition}/${r.offset}`, r.value]));
        const byId = new Map<string, Score>();
        for (const score of onTopic.values()) {
          expect(byId.has(score.transaction_id)).toBe(false); // exactly once
          byId.set(score.transaction_id, score);
        }
        const offline = computeFeaturesOffline(transactions, labels, featureSet);
        const mismatches = transactions.filter((t, i) => {
          const features = byId.get(t.transaction_id)?.features;
          return JSON.stringify(features) !== JSON.stringify(offline[i]);
        });
        expect({
          kills,
          landed,
          multiLanded,
          withQueuedLabels,
          mismatches: mismatches.map((t) => t.transaction_id).slice(0, 10),
        }).toEqual({ kills, landed, multiLanded, withQueuedLabels, mismatches: [] });
        expect(transactions.map((t) => byId.get(t.transaction_id)?.features)).toEqual(offline);
        // The windows held something worth comparing: terminals and cards with history.
        expect(offline.some((v) => (v[13] ?? 0) >= 5 && (v[5] ?? 0) >= 1)).toBe(true);
        // ... and chargebacks in the terminal fraud rates (1-day and 30-day).
        expect(offline.filter((v) => (v[14] ?? 0) > 0).length).toBeGreaterThan(TOTAL / 2);
        expect(offline.some((v) => (v[18] ?? 0) > 0.02)).toBe(true);
        // ... and, with a block, full rings: every card's ring wrapped many times across the kills.
        if (featureSet.sequenceSteps > 0)
          expect(offline.filter((v) => v[featureSet.flatWidth] === 1).length).toBeGreaterThan(TOTAL / 2);
        expect(offline[0]?.length).toBe(
          featureSet.flatWidth + featureSet.sequenceSteps * SEQUENCE_STEP_WIDTH,
        );
      } finally {
        await streaming.catch(() => undefined);
        await stack.stop();
        await store.clear();
        await store.close();
        await admin.disconnect();
      }
    },
    600_000,
  );
});
