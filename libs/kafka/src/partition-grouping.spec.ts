import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import './kafkajs';
import { groupMessagesPerPartition } from './partition-grouping';

interface Message {
  readonly key: string;
  readonly n: number;
}

const metadata = [{ partitionId: 0 }, { partitionId: 1 }, { partitionId: 2 }];
/** A partitioner that depends on the key only, as kafkajs's default one does. */
const byKey = ({ message }: { message: Message }): number => Number(message.key.slice(1)) % 3;

describe(groupMessagesPerPartition.name, () => {
  it("groups as kafkajs's own grouping does: every partition's messages in request order", () => {
    const nodeRequire = createRequire(__filename);
    const messages = Array.from({ length: 50 }, (_, n) => ({ key: `k${(n * 7) % 11}`, n }));
    const input = { topic: 't', partitionMetadata: metadata, messages, partitioner: byKey };
    const grouped = groupMessagesPerPartition(input);
    // kafkajs 2.2.4's file, evaluated on its own (the module cache holds the replacement).
    const original = nodeRequire('node:module') as {
      new (id: string): NodeJS.Module & { _compile(code: string, filename: string): void };
    };
    const path = nodeRequire.resolve('kafkajs/src/producer/groupMessagesPerPartition');
    const own = new original(path);
    own._compile(readFileSync(path, 'utf8'), path);
    expect(grouped).toEqual((own.exports as typeof groupMessagesPerPartition)(input));
    expect(grouped[0]?.map((m) => m.n)).toEqual(
      messages.filter((m) => byKey({ message: m }) === 0).map((m) => m.n),
    );
    expect(Object.keys(grouped).sort()).toEqual(['0', '1', '2']);
  });

  it('returns no partitions for a topic without metadata', () => {
    const input = { topic: 't', partitionMetadata: [], messages: [{ key: 'k1', n: 0 }], partitioner: byKey };
    expect(groupMessagesPerPartition(input)).toEqual({});
  });

  it("is the grouping kafkajs's producer uses once the transport's kafkajs module loaded", () => {
    const nodeRequire = createRequire(__filename);
    const loaded = nodeRequire('kafkajs/src/producer/groupMessagesPerPartition') as unknown;
    const input = {
      topic: 't',
      partitionMetadata: metadata,
      messages: [{ key: 'k4', n: 0 }],
      partitioner: byKey,
    };
    expect(Object.getOwnPropertySymbols(loaded)).toContain(
      Symbol.for('fraudstream.kafka.groupMessagesPerPartition'),
    );
    expect((loaded as typeof groupMessagesPerPartition)(input)).toEqual({ 1: [{ key: 'k4', n: 0 }] });
  });
});
