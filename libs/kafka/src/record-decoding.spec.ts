import { readFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import './kafkajs';
import {
  kafkajsRecordDecoderModules,
  numberRecordDecoder,
  type KafkajsDecoder,
  type RecordBatchContext,
  type RecordDecoder,
} from './record-decoding';
import { kafkajsRecordModules, type RecordFields } from './record-encoding';

const nodeRequire = createRequire(__filename);

/** kafkajs's own record decoder, evaluated apart from the module cache (which holds the replacement). */
function kafkajsOwnDecoder(): RecordDecoder {
  const { recordPath } = kafkajsRecordDecoderModules();
  const own = new Module(recordPath) as Module & { _compile(code: string, filename: string): void };
  own.filename = recordPath;
  own.paths = nodeRequire.resolve.paths(recordPath) ?? [];
  own._compile(readFileSync(recordPath, 'utf8'), recordPath);
  return own.exports as RecordDecoder;
}

const Decoder = nodeRequire('kafkajs/src/protocol/decoder') as new (buffer: Buffer) => KafkajsDecoder;

/** Records as kafkajs's record batch holds them: each one's bytes prefixed by their length (varint). */
function encodeRecords(records: readonly RecordFields[]): Buffer {
  const { original: encode } = kafkajsRecordModules();
  return Buffer.concat(records.map((fields) => (encode(fields) as unknown as { buffer: Buffer }).buffer));
}

/** Decodes every record of `bytes` as kafkajs's batch decoder does (a decoder per record's bytes). */
function decodeAll(decode: RecordDecoder, bytes: Buffer, context: RecordBatchContext): unknown[] {
  const outer = new Decoder(bytes);
  const out: unknown[] = [];
  while (outer.offset < bytes.length) {
    const recordBytes = outer.readVarIntBytes() as Buffer;
    const decoder = new Decoder(recordBytes);
    out.push({ record: decode(decoder, context), end: decoder.offset });
  }
  return out;
}

describe(numberRecordDecoder.name, () => {
  const original = kafkajsOwnDecoder();
  const { Header } = kafkajsRecordDecoderModules();

  const records: RecordFields[] = [
    { offsetDelta: 0, timestampDelta: 0, key: 'card-17', value: Buffer.alloc(300, 7) },
    { offsetDelta: 1, timestampDelta: 0, key: null, value: null },
    { offsetDelta: 499, timestampDelta: 12, key: Buffer.from([1, 2]), value: Buffer.from('v') },
    { offsetDelta: 70_000, timestampDelta: -5, key: 'k', value: Buffer.alloc(20_000, 1) },
    {
      offsetDelta: 2,
      timestampDelta: 300,
      key: 'k',
      value: Buffer.from('v'),
      headers: { reason: 'decode', multi: ['a', 'b', 'c'], raw: Buffer.from([0, 255]) },
    },
    { offsetDelta: 3, timestampDelta: 2 ** 40 + 3, key: 'k', value: Buffer.from('v') },
    { offsetDelta: 4, timestampDelta: -(2 ** 35), key: 'k', value: Buffer.from('v') },
    // Varlongs of 7 bytes (the longest taken as a number) and of 8 (kafkajs decodes them).
    { offsetDelta: 5, timestampDelta: 2 ** 47, key: 'k', value: Buffer.from('v') },
    { offsetDelta: 6, timestampDelta: 2 ** 48 + 1, key: 'k', value: Buffer.from('v') },
    { offsetDelta: 7, timestampDelta: -(2 ** 52), key: 'k', value: Buffer.from('v') },
  ];
  const base = {
    magicByte: 2,
    isControlBatch: false,
    timestampType: 0,
    partitionLeaderEpoch: 0,
    inTransaction: true,
    lastOffsetDelta: 70_000,
    producerId: '1001',
    producerEpoch: 0,
    firstSequence: 0,
  };
  const contexts: [string, RecordBatchContext][] = [
    [
      'a batch at offset 0',
      { ...base, firstOffset: '0', firstTimestamp: '1767571200000', maxTimestamp: '1767571260000' },
    ],
    [
      'a later batch',
      {
        ...base,
        firstOffset: '123456789012',
        firstTimestamp: '1767571200000',
        maxTimestamp: '1767571200001',
      },
    ],
    ['no create time (-1)', { ...base, firstOffset: '17', firstTimestamp: '-1', maxTimestamp: '-1' }],
    [
      'offsets past 2^53 (kafkajs decodes them)',
      {
        ...base,
        firstOffset: '9007199254740990',
        firstTimestamp: '1767571200000',
        maxTimestamp: '1767571200000',
      },
    ],
    [
      'the largest 64-bit offset',
      { ...base, firstOffset: '9223372036854775000', firstTimestamp: '0', maxTimestamp: '0' },
    ],
    [
      'log append time',
      {
        ...base,
        timestampType: 1,
        firstOffset: '5',
        firstTimestamp: '1767571200000',
        maxTimestamp: '1767571299999',
      },
    ],
    [
      'a control batch',
      { ...base, isControlBatch: true, firstOffset: '8', firstTimestamp: '1', maxTimestamp: '2' },
    ],
  ];
  const replacement = numberRecordDecoder(original, Header);

  it.each(contexts)("decodes kafkajs's record for %s", (_, context) => {
    const bytes = encodeRecords(records);
    const expected = decodeAll(original, bytes, context);
    expect(decodeAll(replacement, bytes, context)).toEqual(expected);
  });

  it('decodes the records of batches that alternate', () => {
    const bytes = encodeRecords(records.slice(0, 3));
    for (const [, context] of [...contexts, ...contexts.reverse()])
      expect(decodeAll(replacement, bytes, context)).toEqual(decodeAll(original, bytes, context));
  });

  it("is the record decoder kafkajs's fetch uses once the transport's kafkajs module loaded", () => {
    const loaded = nodeRequire('kafkajs/src/protocol/recordBatch/record/v0/decoder') as object;
    expect(Object.getOwnPropertySymbols(loaded)).toContain(
      Symbol.for('fraudstream.kafka.numberRecordDecoder'),
    );
  });
});
