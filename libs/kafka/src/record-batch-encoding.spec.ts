import { readFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import './kafkajs';
import {
  crc32c,
  kafkajsRecordBatchModules,
  singleBufferRecordBatch,
  type RecordBatchEncoder,
  type RecordBatchFields,
} from './record-batch-encoding';
import { kafkajsRecordModules, type RecordFields } from './record-encoding';

const nodeRequire = createRequire(__filename);

/** One of kafkajs's modules, evaluated apart from the module cache (which holds the replacements). */
function kafkajsOwn<T>(path: string): T {
  const own = new Module(path) as Module & { _compile(code: string, filename: string): void };
  own.filename = path;
  own.paths = nodeRequire.resolve.paths(path) ?? [];
  own._compile(readFileSync(path, 'utf8'), path);
  return own.exports as T;
}

/** Seeded bytes. */
function bytes(seed: number, length: number): Buffer {
  let state = seed >>> 0;
  return Buffer.from(
    Array.from({ length }, () => {
      state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
      return state >>> 24;
    }),
  );
}

describe(singleBufferRecordBatch.name, () => {
  const { Encoder, recordBatchPath } = kafkajsRecordBatchModules();
  const original = kafkajsOwn<{ RecordBatch: RecordBatchEncoder }>(recordBatchPath).RecordBatch;
  const replacement = singleBufferRecordBatch(Encoder, original);
  const { original: encodeRecord } = kafkajsRecordModules();
  const records = (count: number, valueSize: number): unknown[] =>
    Array.from({ length: count }, (_, i) =>
      encodeRecord({
        offsetDelta: i,
        timestampDelta: 0,
        key: `card-${i}`,
        value: bytes(i, valueSize),
      } satisfies RecordFields),
    );

  const cases: [string, RecordBatchFields][] = [
    [
      'a transactional batch of scores (as the produce request sends it)',
      {
        compression: 0,
        records: records(500, 260),
        firstTimestamp: 1_767_571_200_000,
        maxTimestamp: 1_767_571_200_000,
        producerId: '4001',
        producerEpoch: 3,
        firstSequence: 12_000,
        transactional: true,
        lastOffsetDelta: 499,
      },
    ],
    [
      'an idempotent batch of one record',
      {
        records: records(1, 40),
        firstTimestamp: 1,
        maxTimestamp: 2,
        producerId: 7,
        producerEpoch: 0,
        firstSequence: 0,
        transactional: false,
        lastOffsetDelta: 0,
      },
    ],
    ['no records, every default but the times', { firstTimestamp: 5, maxTimestamp: 6 }],
    [
      'a batch larger than one doubling',
      {
        records: records(40, 20_000),
        firstTimestamp: 9,
        maxTimestamp: 9,
        producerId: 2 ** 40,
        firstOffset: 3,
      },
    ],
  ];
  it.each(cases)("writes kafkajs's bytes for %s", async (_, fields) => {
    const expected = await original(fields);
    const actual = await replacement(fields);
    expect(actual.buf.subarray(0, actual.offset).equals(expected.buf.subarray(0, expected.offset))).toBe(
      true,
    );
  });

  it("hands a compressed batch to kafkajs's own", async () => {
    const fields = { compression: 1, records: records(10, 100), firstTimestamp: 1, maxTimestamp: 1 };
    const expected = await original(fields);
    const actual = await replacement(fields);
    expect(actual.buf.subarray(0, actual.offset).equals(expected.buf.subarray(0, expected.offset))).toBe(
      true,
    );
  });

  it("is the RecordBatch kafkajs's produce request uses once the transport's kafkajs module loaded", () => {
    const loaded = nodeRequire('kafkajs/src/protocol/recordBatch/v0') as object;
    expect(Object.getOwnPropertySymbols(loaded)).toContain(
      Symbol.for('fraudstream.kafka.singleBufferRecordBatch'),
    );
  });
});

describe(crc32c.name, () => {
  const kafkajsCrc32C = kafkajsRecordBatchModules().crc32C;

  it("is kafkajs's CRC-32C for every length up to 100 and for large buffers", () => {
    for (let length = 0; length <= 100; length++) {
      const data = bytes(length + 1, length);
      expect(crc32c(data), `length ${length}`).toBe(kafkajsCrc32C(data));
    }
    for (const length of [4096, 100_003, 1_048_576]) {
      const data = bytes(length, length);
      expect(crc32c(data), `length ${length}`).toBe(kafkajsCrc32C(data));
    }
  });

  it('is the standard CRC-32C check value and covers only its range', () => {
    // RFC 3720's check value: CRC-32C of "123456789".
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
    expect(crc32c(Buffer.from('xx123456789yy'), 2, 11)).toBe(0xe3069283);
  });
});
