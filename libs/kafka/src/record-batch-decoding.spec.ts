import { readFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import './kafkajs';
import {
  inPlaceRecordBatchDecoder,
  kafkajsRecordBatchDecoderModules,
  type RecordBatchDecoder,
} from './record-batch-decoding';
import { kafkajsRecordBatchModules } from './record-batch-encoding';
import { kafkajsRecordModules } from './record-encoding';

const nodeRequire = createRequire(__filename);

/** kafkajs's own batch decoder, evaluated apart from the module cache (which holds the replacement). */
function kafkajsOwnDecoder(): RecordBatchDecoder {
  const { batchDecoderPath } = kafkajsRecordBatchDecoderModules();
  const own = new Module(batchDecoderPath) as Module & { _compile(code: string, filename: string): void };
  own.filename = batchDecoderPath;
  own.paths = nodeRequire.resolve.paths(batchDecoderPath) ?? [];
  own._compile(readFileSync(batchDecoderPath, 'utf8'), batchDecoderPath);
  return own.exports as RecordBatchDecoder;
}

/** A record batch as a fetch response carries it (first offset, length, batch), by kafkajs's encoder. */
async function encodeBatch(
  count: number,
  compression = 0,
  firstOffset = 0,
  headers = false,
): Promise<Buffer> {
  const { original: encodeRecord } = kafkajsRecordModules();
  const { original: recordBatch } = kafkajsRecordBatchModules();
  const records = Array.from({ length: count }, (_, i) =>
    encodeRecord({
      offsetDelta: i,
      timestampDelta: i * 3,
      key: i % 5 === 0 ? null : `card-${i}`,
      value: i % 7 === 0 ? null : Buffer.alloc(50 + (i % 300), i),
      ...(headers ? { headers: { reason: 'decode', repeated: ['a', 'b'] } } : {}),
    }),
  );
  const batch = await recordBatch({
    compression,
    records,
    firstOffset,
    firstTimestamp: 1_767_571_200_000,
    maxTimestamp: 1_767_571_200_000 + count * 3,
    producerId: 4001,
    producerEpoch: 2,
    firstSequence: 40,
    transactional: true,
    lastOffsetDelta: count - 1,
  });
  return batch.buf.subarray(0, batch.offset);
}

/** Decodes every batch of `bytes` and returns them (or the error the first failing one threw). */
async function decodeAll(decode: RecordBatchDecoder, bytes: Buffer): Promise<unknown> {
  const { Decoder } = kafkajsRecordBatchDecoderModules();
  const decoder = new Decoder(bytes);
  const batches = [];
  try {
    while (decoder.offset < bytes.length) batches.push(await decode(decoder));
  } catch (error) {
    return { batches, error: (error as Error).name, message: (error as Error).message };
  }
  return { batches, end: decoder.offset };
}

describe(inPlaceRecordBatchDecoder.name, () => {
  const original = kafkajsOwnDecoder();
  const replacement = inPlaceRecordBatchDecoder(kafkajsRecordBatchDecoderModules());

  const cases: [string, () => Promise<Buffer>][] = [
    ['a fetched batch of 500 transactions', () => encodeBatch(500, 0, 123_456_789)],
    ['records with headers', () => encodeBatch(20, 0, 7, true)],
    ['a GZIP batch', () => encodeBatch(50, 1, 9)],
    ['an empty batch', () => encodeBatch(0)],
    [
      'three batches back to back',
      async () =>
        Buffer.concat([await encodeBatch(3, 0, 0), await encodeBatch(40, 0, 3), await encodeBatch(2, 1, 43)]),
    ],
    [
      'a batch cut short (the tail of a fetch)',
      async () => {
        const whole = Buffer.concat([await encodeBatch(10, 0, 0), await encodeBatch(30, 0, 10)]);
        return whole.subarray(0, whole.length - 100);
      },
    ],
  ];
  it.each(cases)("decodes what kafkajs's decoder does for %s", async (_, bytes) => {
    const input = await bytes();
    expect(await decodeAll(replacement, input)).toEqual(await decodeAll(original, input));
  });

  it.each([-2, 2])(
    "decodes a record whose length prefix is off (zigzag %i) as kafkajs's does",
    async (change) => {
      const input = await encodeBatch(2);
      // The first record's length prefix follows the 61-byte batch header.
      const corrupt = Buffer.from(input);
      corrupt.writeInt8(corrupt.readInt8(61) + change, 61);
      expect(await decodeAll(replacement, corrupt)).toEqual(await decodeAll(original, corrupt));
    },
  );

  it("is the batch decoder kafkajs's fetch uses once the transport's kafkajs module loaded", () => {
    const loaded = nodeRequire('kafkajs/src/protocol/recordBatch/v0/decoder') as object;
    expect(Object.getOwnPropertySymbols(loaded)).toContain(
      Symbol.for('fraudstream.kafka.inPlaceRecordBatchDecoder'),
    );
  });
});
