import { readFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import './kafkajs';
import { kafkajsRecordModules, pooledRecordEncoder, type RecordFields } from './record-encoding';

const nodeRequire = createRequire(__filename);

/** kafkajs's own record encoder, evaluated apart from the module cache (which holds the replacement). */
function kafkajsOwnEncoder(): (fields: RecordFields) => { buffer: Buffer } {
  const { recordPath } = kafkajsRecordModules();
  const own = new Module(recordPath) as Module & { _compile(code: string, filename: string): void };
  own.filename = recordPath;
  own.paths = nodeRequire.resolve.paths(recordPath) ?? [];
  own._compile(readFileSync(recordPath, 'utf8'), recordPath);
  return own.exports as (fields: RecordFields) => { buffer: Buffer };
}

describe(pooledRecordEncoder.name, () => {
  const { Encoder, Header } = kafkajsRecordModules();
  const original = kafkajsOwnEncoder();
  const pooled = pooledRecordEncoder(Encoder, Header, original as never) as unknown as (
    fields: RecordFields,
  ) => { buffer: Buffer };

  const cases: [string, RecordFields][] = [
    [
      'a score: string key, Avro value, no timestamp',
      { offsetDelta: 0, timestampDelta: 0, key: 'card-17', value: Buffer.alloc(300, 7) },
    ],
    [
      'a later record of the batch',
      { offsetDelta: 499, timestampDelta: 0, key: 'card-17', value: Buffer.alloc(280, 3) },
    ],
    ['a null key and value (a tombstone)', { offsetDelta: 3, timestampDelta: 12, key: null, value: null }],
    [
      'a buffer key, a multi-byte string value',
      { offsetDelta: 70_000, timestampDelta: -5, key: Buffer.from([1, 2]), value: 'é€😀'.repeat(50) },
    ],
    [
      'headers, one of them repeated',
      {
        offsetDelta: 1,
        timestampDelta: 300,
        key: 'k',
        value: Buffer.from('v'),
        headers: { reason: 'decode', multi: ['a', 'b'], raw: Buffer.from([0, 255]) },
      },
    ],
    [
      'a value larger than the shared pool',
      { offsetDelta: 2, timestampDelta: 0, key: 'k', value: Buffer.alloc(70_000, 1) },
    ],
    [
      'the largest delta the varint path takes',
      { offsetDelta: 0, timestampDelta: 2 ** 30 - 1, key: 'k', value: Buffer.from('v') },
    ],
    [
      'a delta past 32 bits (kafkajs encodes it)',
      { offsetDelta: 0, timestampDelta: 2 ** 40 + 3, key: 'k', value: Buffer.from('v') },
    ],
    [
      'a negative delta past 32 bits',
      { offsetDelta: 0, timestampDelta: -(2 ** 35), key: 'k', value: Buffer.from('v') },
    ],
  ];
  it.each(cases)("writes kafkajs's bytes for %s", (_, fields) => {
    expect(pooled(fields).buffer.equals(original(fields).buffer)).toBe(true);
  });

  it("is the record encoder kafkajs's produce request uses once the transport's kafkajs module loaded", () => {
    const loaded = nodeRequire('kafkajs/src/protocol/recordBatch/record/v0') as object;
    expect(Object.getOwnPropertySymbols(loaded)).toContain(
      Symbol.for('fraudstream.kafka.pooledRecordEncoder'),
    );
  });
});
