/*
 * Rebuilding a lost feature state from the topics (`npm run features:rebuild`): a scorer process
 * (from dist/) scores half a stream on 3 partitions with chargebacks, a poison record and a payment
 * sent twice; its state is then lost (Redis store: the scorer stopped and its keys deleted, a Redis
 * that came back empty; in-memory store: the scorer SIGKILLed, so no snapshot was written), the
 * rebuild run, the scorer started again and the second half streamed. Every
 * transaction of the second half must get the features of the offline recomputation of the whole
 * stream (the state rebuilt is the state lost), and the scorer must find no gap. The rebuild refuses
 * while a scorer consumes, and then deletes nothing.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { loadConfig } from '@fraudstream/config';
import { HOUR_MS, type Label, type Score, type Transaction } from '@fraudstream/contracts';
import {
  FS_V1,
  RedisFeatureStore,
  computeFeaturesOffline,
  featuresConfigFragment,
} from '@fraudstream/features';
import { describe, expect, it } from 'vitest';
import type { FeatureRebuildReport } from '../../apps/scorer/src/feature-state.rebuild';
import { ChaosStack } from '../../scripts/chaos/chaos-stack';
import { builtApps } from '../support/built-apps';
import { chargebacks, partitionLocalStream } from '../support/partition-local-stream';
import { waitFor } from '../support/wait-for';
import { readTopic } from './scorer.harness';

const ROOT = join(__dirname, '..', '..');
const CLI = join(ROOT, 'dist', 'apps', 'scorer', 'src', 'cli', 'rebuild-features.js');
const PARTITIONS = 3;
const TOTAL = 3000;
const HALF = TOTAL / 2;
const T0 = Date.UTC(2026, 1, 9, 8, 0, 0);
/** Chargebacks go out this far ahead of the transactions (event time), so the scorer has them in time. */
const LABEL_LEAD_MS = 5 * HOUR_MS;
const run = promisify(execFile);

/** Runs the rebuild with the scorers' environment: exit code, stdout, stderr. */
async function rebuild(env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, '--json'], { env, cwd: ROOT });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

describe('feature state rebuild', () => {
  const apps = builtApps('feature-rebuild');

  it.each([
    { store: 'redis', loss: 'stopped, then Redis came back empty' },
    { store: 'memory', loss: 'SIGKILLed, its snapshot gone' },
  ] as const)(
    'replays what the scorers committed ($store store; the scorer $loss): later features equal the offline ones, no gap, refused while a scorer runs',
    async ({ store: kind }) => {
      const { kafka, serde, logDir } = apps;
      const { REDIS_URL } = loadConfig(featuresConfigFragment);
      const stack = new ChaosStack('rebuild', kafka, serde, process.env, logDir, PARTITIONS);
      const prefix = `test:rebuild:${stack.id}`;
      const store = RedisFeatureStore.connect(REDIS_URL, { keyPrefix: prefix });
      const snapshot = join(logDir, `${stack.id}-features.snapshot`);
      const env =
        kind === 'redis'
          ? { FEATURE_STORE: 'redis', REDIS_URL, FEATURE_STORE_KEY_PREFIX: prefix }
          : { FEATURE_STORE: 'memory', SCORER_FEATURE_SNAPSHOT_PATH: snapshot };
      const admin = kafka.admin();
      await admin.connect();
      try {
        await stack.prepare(FS_V1);
        const { transactions: topic, scores: scoresTopic, labels: labelsTopic } = stack.topics;
        const transactions = partitionLocalStream(topic, PARTITIONS, TOTAL, T0, 'rb');
        const labels = chargebacks(transactions);
        let labelsSent = 0;
        const send = async (batch: readonly Transaction[]) => {
          const until = (batch.at(-1)?.event_time ?? 0) + LABEL_LEAD_MS;
          const due: Label[] = [];
          for (let l = labels[labelsSent]; l && l.event_time <= until; l = labels[++labelsSent]) due.push(l);
          await stack.producer.sendMany([
            { topic, records: batch.map((t) => ({ key: t.card_id, value: t })) },
            { topic: labelsTopic, records: due.map((l) => ({ key: l.transaction_id, value: l })) },
          ]);
        };
        const scores = await readTopic<Score>(kafka, serde, scoresTopic);
        const scored = () => new Set(scores.records.map((r) => r.value.transaction_id)).size;
        let scorer = await stack.startApp('scorer', 'scorer-1', env);

        for (let i = 0; i < HALF; i += 100) await send(transactions.slice(i, i + 100));
        // A poison record (a negative amount) and a payment the stream already carried, sent again:
        // both dead-lettered by the scorer, so the rebuild must skip them.
        const poison = { ...transactions[10], transaction_id: 'rb-poison', amount: -5 } as Transaction;
        const copy = transactions[HALF - 1] as Transaction;
        await stack.producer.sendMany([
          { topic, records: [poison, copy].map((t) => ({ key: t.card_id, value: t })) },
        ]);
        await waitFor(() => scored() >= HALF, 120_000, 'the first half scored', 200);

        // Refused while the scorer consumes; nothing deleted.
        const keysBefore = (await store.redis.keys(`${prefix}:*`)).length;
        const refused = await rebuild(stack.appEnv(env));
        expect(refused.code).toBe(2);
        expect(refused.stderr).toMatch(/active member/);
        expect((await store.redis.keys(`${prefix}:*`)).length).toBe(keysBefore);
        expect(existsSync(snapshot)).toBe(false);

        if (kind === 'redis') {
          await scorer.stop(30_000);
          // Redis came back empty.
          await store.clear();
          expect(await store.redis.keys(`${prefix}:*`)).toEqual([]);
        } else {
          // A crash: no snapshot written. The dead member leaves the group at its session timeout.
          scorer.killNow();
          await waitFor(() => !scorer.running, 10_000, 'the scorer dead');
          await waitFor(
            async () => {
              const { groups } = await admin.describeGroups([`chaos.${stack.id}.scorer`]);
              return groups.every((g) => g.members.length === 0);
            },
            60_000,
            'the dead scorer out of its group',
            500,
          );
          expect(existsSync(snapshot)).toBe(false);
        }
        const done = await rebuild(stack.appEnv(env));
        expect(done.code, done.stderr).toBe(0);
        const report = JSON.parse(done.stdout) as FeatureRebuildReport;
        expect(report.transactions).toBe(HALF);
        expect(report.partitions.reduce((sum, p) => sum + p.deadLettered, 0)).toBe(2);
        expect(report.partitions.reduce((sum, p) => sum + p.counted, 0)).toBe(HALF);
        expect(report.labels).toBe(labelsSent);
        expect(report.windowsComplete).toBe(true);
        if (kind === 'memory') expect(existsSync(snapshot)).toBe(true);

        scorer = await stack.startApp('scorer', 'scorer-2', env);
        for (let i = HALF; i < TOTAL; i += 100) await send(transactions.slice(i, i + 100));
        await waitFor(() => scored() >= TOTAL, 120_000, 'the second half scored', 200);
        await scores.stop();
        expect(await scorer.metricTotal('fraudstream_scorer_feature_state_gaps_total')).toBe(0);

        const byId = new Map(scores.records.map((r) => [r.value.transaction_id, r.value.features]));
        const offline = computeFeaturesOffline(transactions, labels, FS_V1);
        const second = transactions.slice(HALF).map((t) => byId.get(t.transaction_id));
        expect(second).toEqual(offline.slice(HALF));
        // The test can fail: a cold state (nothing rebuilt) gives the second half other features.
        const cold = computeFeaturesOffline(
          transactions.slice(HALF),
          labels.filter((l) => l.transaction_time >= (transactions[HALF]?.event_time ?? 0)),
          FS_V1,
        );
        expect(cold).not.toEqual(offline.slice(HALF));
      } finally {
        await stack.stop();
        await store.clear();
        await store.close();
        await admin.disconnect();
      }
    },
    600_000,
  );
});
