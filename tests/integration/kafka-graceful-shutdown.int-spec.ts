import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { Transaction } from '@fraudstream/contracts';
import { AvroProducer, createIdempotentProducer, type AvroSerde, type Kafka } from '@fraudstream/kafka';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTestTopic, testClients, uniqueName } from '../support/kafka-env';
import { SAMPLE_RECORDS } from '../support/sample-records';
import { waitFor } from '../support/wait-for';

const ROOT = join(__dirname, '..', '..');
const RELAY = join(ROOT, 'dist', 'tests', 'support', 'relay-app.js');

describe('graceful shutdown on SIGTERM', () => {
  let kafka: Kafka;
  let serde: AvroSerde;

  beforeAll(() => {
    ({ kafka, serde } = testClients());
    // The relay runs as a real process from the compiled tree.
    execFileSync('npm', ['run', '-s', 'build'], { cwd: ROOT, stdio: 'inherit' });
  });

  function startRelay(env: Record<string, string>): ChildProcess {
    const child = spawn(process.execPath, [RELAY], {
      cwd: ROOT,
      env: { ...process.env, LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    return child;
  }

  it('stops fetching, finishes the in-flight batch and commits: a restart loses and repeats nothing', async () => {
    const source = await createTestTopic(kafka, serde, 'sigterm-src', 'tx.transactions.v1.avsc', 2);
    const sink = await createTestTopic(kafka, serde, 'sigterm-sink', 'tx.transactions.v1.avsc');
    const total = 600;
    const producer = new AvroProducer(createIdempotentProducer(kafka), serde);
    await producer.producer.connect();
    const sent: Transaction[] = Array.from({ length: total }, (_, i) => ({
      ...SAMPLE_RECORDS['tx.transactions.v1'],
      transaction_id: `tx-${i}`,
      card_id: `card-${i % 17}`,
    }));
    await producer.sendMany([
      { topic: source.name, records: sent.map((t) => ({ key: t.card_id, value: t })) },
    ]);
    await producer.producer.disconnect();

    const relayed: string[] = [];
    const reader = kafka.consumer({ groupId: uniqueName('sigterm-reader') });
    await reader.connect();
    await reader.subscribe({ topic: sink.name, fromBeginning: true });
    await reader.run({
      eachMessage: async ({ message }) => {
        if (message.value) relayed.push((await serde.decode<Transaction>(message.value)).transaction_id);
      },
    });

    const env = {
      RELAY_SOURCE: source.name,
      RELAY_SINK: sink.name,
      RELAY_GROUP: uniqueName('sigterm-relay'),
      RELAY_CHUNK: '20',
      RELAY_CHUNK_DELAY_MS: '50',
    };
    const first = startRelay(env);
    await waitFor(() => relayed.length >= 60, 60_000, 'the relay to be mid-stream');
    const exited = once(first, 'exit');
    first.kill('SIGTERM');
    const [code] = (await exited) as [number | null];
    expect(code).toBe(0);
    // The signal came while one partition's batch was half relayed: that batch was finished and
    // committed, the other partition's was not started.
    const relayedBeforeRestart = await waitFor(() => relayed.length, 10_000, 'the last relayed chunk');
    expect(relayedBeforeRestart).toBeGreaterThan(60);
    expect(relayedBeforeRestart).toBeLessThan(total);

    const second = startRelay(env);
    await waitFor(
      () => new Set(relayed).size === total,
      90_000,
      'every transaction relayed after the restart',
    );
    const secondExit = once(second, 'exit');
    second.kill('SIGTERM');
    await secondExit;
    await reader.disconnect();

    expect(new Set(relayed)).toEqual(new Set(sent.map((t) => t.transaction_id)));
    expect(relayed.length).toBe(total);
  });
});
