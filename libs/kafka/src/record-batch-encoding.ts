import { kafkajsModulePath, loadKafkajsModule, replaceKafkajsModule } from './kafkajs-module';

/** kafkajs's protocol Encoder: the members the record batch encoder uses. */
interface KafkajsEncoder {
  buf: Buffer;
  offset: number;
  writeInt8(value: number): KafkajsEncoder;
  writeInt16(value: number): KafkajsEncoder;
  writeInt32(value: number): KafkajsEncoder;
  writeUInt32(value: number): KafkajsEncoder;
  writeInt64(value: unknown): KafkajsEncoder;
}

type KafkajsEncoderClass = new (initialSize?: number) => KafkajsEncoder;

/** The fields kafkajs's produce request (v3 and later) hands its RecordBatch. */
export interface RecordBatchFields {
  readonly compression?: number;
  readonly firstOffset?: unknown;
  readonly firstTimestamp?: number;
  readonly maxTimestamp?: number;
  readonly partitionLeaderEpoch?: number;
  readonly lastOffsetDelta?: number;
  readonly transactional?: boolean;
  readonly producerId?: unknown;
  readonly producerEpoch?: number;
  readonly firstSequence?: number;
  readonly records?: readonly unknown[];
}

export type RecordBatchEncoder = (fields: RecordBatchFields) => Promise<KafkajsEncoder>;

/** The record batch's magic byte (format v2), as kafkajs's module exports it. */
const MAGIC_BYTE = 2;
const TRANSACTIONAL_MASK = 16;
/** Bytes from the batch's start to its CRC'd part: FirstOffset, Length, PartitionLeaderEpoch, Magic, CRC. */
const CRC_AT = 8 + 4 + 4 + 1;
const BODY_AT = CRC_AT + 4;
/** Attributes .. FirstSequence, then the records' count. */
const BODY_HEADER = 2 + 4 + 8 + 8 + 8 + 2 + 4 + 4;

/** CRC-32C (Castagnoli, reflected polynomial 0x82F63B78) tables for slicing by 8 bytes. */
const CRC_TABLES = ((): Int32Array => {
  const tables = new Int32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    tables[n] = c;
  }
  for (let n = 0; n < 256; n++)
    for (let k = 1; k < 8; k++) {
      const previous = tables[(k - 1) * 256 + n] as number;
      tables[k * 256 + n] = (previous >>> 8) ^ (tables[previous & 0xff] as number);
    }
  return tables;
})();

/**
 * CRC-32C of `bytes[start, end)`, the checksum kafkajs's `crc32C` computes a byte at a time, here
 * eight bytes per step (the slicing-by-8 tables: the same remainder, an eighth of the loop's steps).
 */
export function crc32c(bytes: Uint8Array, start = 0, end = bytes.length): number {
  const t = CRC_TABLES;
  let crc = -1;
  let i = start;
  for (; i + 8 <= end; i += 8) {
    const low =
      crc ^
      ((bytes[i] as number) |
        ((bytes[i + 1] as number) << 8) |
        ((bytes[i + 2] as number) << 16) |
        ((bytes[i + 3] as number) << 24));
    crc =
      (t[1792 + (low & 0xff)] as number) ^
      (t[1536 + ((low >>> 8) & 0xff)] as number) ^
      (t[1280 + ((low >>> 16) & 0xff)] as number) ^
      (t[1024 + (low >>> 24)] as number) ^
      (t[768 + (bytes[i + 4] as number)] as number) ^
      (t[512 + (bytes[i + 5] as number)] as number) ^
      (t[256 + (bytes[i + 6] as number)] as number) ^
      (t[bytes[i + 7] as number] as number);
  }
  for (; i < end; i++) crc = (t[(crc ^ (bytes[i] as number)) & 0xff] as number) ^ (crc >>> 8);
  return (crc ^ -1) >>> 0;
}

function isEncoder(value: unknown): value is KafkajsEncoder {
  return typeof value === 'object' && value !== null && Buffer.isBuffer((value as KafkajsEncoder).buf);
}

/**
 * kafkajs 2.2.4's RecordBatch (`protocol/recordBatch/v0`), writing the same bytes with fewer copies:
 * kafkajs writes the records into a body encoder, copies the body into the CRC'd batch encoder and
 * that into a third behind the first offset, each buffer doubling as it grows, and computes the
 * CRC-32C a byte at a time. Here an uncompressed batch is sized first and written once, into one
 * buffer, its CRC computed in place eight bytes a step. A compressed batch, or records that are not
 * kafkajs encoders, go to kafkajs's own. Every produce request of the transport encodes its batches
 * through it (docs/scorer.md).
 */
export function singleBufferRecordBatch(
  Encoder: KafkajsEncoderClass,
  original: RecordBatchEncoder,
): RecordBatchEncoder {
  return (fields) => {
    const {
      compression = 0,
      firstOffset = 0,
      firstTimestamp = Date.now(),
      maxTimestamp = Date.now(),
      partitionLeaderEpoch = 0,
      lastOffsetDelta = 0,
      transactional = false,
      producerId = -1,
      producerEpoch = 0,
      firstSequence = 0,
      records = [],
    } = fields;
    if (compression !== 0) return original(fields);
    let recordBytes = 0;
    for (const record of records) {
      if (!isEncoder(record)) return original(fields);
      recordBytes += record.offset;
    }
    const size = BODY_AT + BODY_HEADER + recordBytes;
    const out = new Encoder(size)
      .writeInt64(firstOffset)
      .writeInt32(size - 12) // the batch after FirstOffset and Length
      .writeInt32(partitionLeaderEpoch)
      .writeInt8(MAGIC_BYTE)
      .writeUInt32(0) // the CRC, written below once the body is
      .writeInt16(transactional ? TRANSACTIONAL_MASK : 0)
      .writeInt32(lastOffsetDelta)
      .writeInt64(firstTimestamp)
      .writeInt64(maxTimestamp)
      .writeInt64(producerId)
      .writeInt16(producerEpoch)
      .writeInt32(firstSequence)
      .writeInt32(records.length);
    const buf = out.buf;
    let offset = out.offset;
    for (const record of records as readonly KafkajsEncoder[]) {
      record.buf.copy(buf, offset, 0, record.offset);
      offset += record.offset;
    }
    out.offset = offset;
    buf.writeUInt32BE(crc32c(buf, BODY_AT, offset), CRC_AT);
    return Promise.resolve(out);
  };
}

const RECORD_BATCH_MODULE = 'kafkajs/src/protocol/recordBatch/v0';
const CRC32C_MODULE = 'kafkajs/src/protocol/recordBatch/crc32C';
const INSTALLED = Symbol.for('fraudstream.kafka.singleBufferRecordBatch');

/** kafkajs's modules the record batch encoder is built from, loaded from the installed kafkajs. */
export function kafkajsRecordBatchModules(): {
  Encoder: KafkajsEncoderClass;
  original: RecordBatchEncoder;
  crc32C: (bytes: Buffer) => number;
  recordBatchPath: string;
} {
  return {
    Encoder: loadKafkajsModule<KafkajsEncoderClass>('kafkajs/src/protocol/encoder'),
    original: loadKafkajsModule<{ RecordBatch: RecordBatchEncoder }>(RECORD_BATCH_MODULE).RecordBatch,
    crc32C: loadKafkajsModule<(bytes: Buffer) => number>(CRC32C_MODULE),
    recordBatchPath: kafkajsModulePath(RECORD_BATCH_MODULE),
  };
}

/**
 * Puts {@link singleBufferRecordBatch} in place of kafkajs's RecordBatch. It must run before kafkajs's
 * produce request (v3) loads, which binds it when it loads (on a producer's first send).
 */
export function installSingleBufferRecordBatch(): void {
  const { Encoder, original } = kafkajsRecordBatchModules();
  const loaded = loadKafkajsModule<{ RecordBatch: RecordBatchEncoder; MAGIC_BYTE: number }>(
    RECORD_BATCH_MODULE,
  );
  if ((loaded as unknown as Record<symbol, unknown>)[INSTALLED]) return;
  replaceKafkajsModule(
    RECORD_BATCH_MODULE,
    { RecordBatch: singleBufferRecordBatch(Encoder, original), MAGIC_BYTE: loaded.MAGIC_BYTE },
    INSTALLED,
    'kafkajs/src/protocol/requests/produce/v3/request',
  );
}
