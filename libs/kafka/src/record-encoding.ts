import { kafkajsModulePath, loadKafkajsModule, replaceKafkajsModule } from './kafkajs-module';

/** One record of a produce request, as kafkajs's produce request hands it to its record encoder. */
export interface RecordFields {
  readonly offsetDelta?: number;
  readonly timestampDelta?: unknown;
  readonly key?: Buffer | string | null;
  readonly value?: Buffer | string | null;
  readonly headers?: Record<string, unknown>;
}

/** kafkajs's protocol Encoder: the members the record encoder uses. */
interface KafkajsEncoder {
  buf: Buffer;
  writeVarInt(value: number): KafkajsEncoder;
  writeInt8(value: number): KafkajsEncoder;
  writeVarIntBytes(value: Buffer | string | null | undefined): KafkajsEncoder;
  writeVarIntArray(array: readonly unknown[]): KafkajsEncoder;
}

interface KafkajsEncoderClass {
  new (initialSize?: number): KafkajsEncoder;
  sizeOfVarInt(value: number): number;
  sizeOfVarIntBytes(value: Buffer | string | null | undefined): number;
}

type RecordEncoder = (fields: RecordFields) => KafkajsEncoder;

/** Deltas whose zigzag fits 32 bits: their varlong is the same bytes as their varint. */
const MAX_VARINT_DELTA = 2 ** 30 - 1;

/**
 * kafkajs 2.2.4's record encoder (`protocol/recordBatch/record/v0`), writing the same bytes with less
 * garbage: each record's encoder gets a buffer of exactly the record's size from Node's shared pool
 * instead of a zero-filled 512-byte buffer of its own (a new ArrayBuffer per record), and a timestamp
 * delta that fits 32 bits (every record a producer sends without its own timestamps has 0) is written
 * as the varint it equals, without kafkajs's Long arithmetic and byte array. Anything else goes to
 * kafkajs's own encoder. The scorer encodes every score record through it (docs/scorer.md, "Where
 * the time goes").
 */
export function pooledRecordEncoder(
  Encoder: KafkajsEncoderClass,
  Header: (header: { key: string; value: unknown }) => unknown,
  original: RecordEncoder,
): RecordEncoder {
  return (fields) => {
    const { offsetDelta = 0, timestampDelta = 0, key, value, headers = {} } = fields;
    if (
      typeof timestampDelta !== 'number' ||
      !Number.isInteger(timestampDelta) ||
      Math.abs(timestampDelta) > MAX_VARINT_DELTA
    )
      return original(fields);
    const headerList: { key: string; value: unknown }[] = [];
    for (const headerKey of Object.keys(headers)) {
      const headerValue = headers[headerKey];
      if (Array.isArray(headerValue))
        for (const v of headerValue as unknown[]) headerList.push({ key: headerKey, value: v });
      else headerList.push({ key: headerKey, value: headerValue });
    }
    const sizeOfBody =
      1 +
      Encoder.sizeOfVarInt(timestampDelta) +
      Encoder.sizeOfVarInt(offsetDelta) +
      Encoder.sizeOfVarIntBytes(key) +
      Encoder.sizeOfVarIntBytes(value) +
      sizeOfHeaders(Encoder, headerList);
    const encoder = new Encoder(1);
    // kafkajs's Encoder grows its buffer when a size is off, so a wrong estimate costs a copy, not bytes.
    encoder.buf = Buffer.allocUnsafe(Encoder.sizeOfVarInt(sizeOfBody) + sizeOfBody);
    return encoder
      .writeVarInt(sizeOfBody)
      .writeInt8(0)
      .writeVarInt(timestampDelta)
      .writeVarInt(offsetDelta)
      .writeVarIntBytes(key)
      .writeVarIntBytes(value)
      .writeVarIntArray(headerList.map(Header));
  };
}

/** kafkajs's own size of a record's headers (its `sizeOfHeaders`). */
function sizeOfHeaders(
  Encoder: KafkajsEncoderClass,
  headers: readonly { key: string; value: unknown }[],
): number {
  let size = Encoder.sizeOfVarInt(headers.length);
  for (const header of headers) {
    const keySize = Buffer.byteLength(header.key);
    size += Encoder.sizeOfVarInt(keySize) + keySize;
    if (header.value === null) size += Encoder.sizeOfVarInt(-1);
    else {
      const valueSize = Buffer.byteLength(header.value as string | Buffer);
      size += Encoder.sizeOfVarInt(valueSize) + valueSize;
    }
  }
  return size;
}

/** kafkajs's modules the record encoder is built from, loaded from the installed kafkajs. */
export function kafkajsRecordModules(): {
  Encoder: KafkajsEncoderClass;
  Header: (header: { key: string; value: unknown }) => unknown;
  original: RecordEncoder;
  recordPath: string;
} {
  return {
    Encoder: loadKafkajsModule<KafkajsEncoderClass>('kafkajs/src/protocol/encoder'),
    Header: loadKafkajsModule<(header: { key: string; value: unknown }) => unknown>(
      'kafkajs/src/protocol/recordBatch/header/v0',
    ),
    original: loadKafkajsModule<RecordEncoder>(RECORD_MODULE),
    recordPath: kafkajsModulePath(RECORD_MODULE),
  };
}

const RECORD_MODULE = 'kafkajs/src/protocol/recordBatch/record/v0';
const INSTALLED = Symbol.for('fraudstream.kafka.pooledRecordEncoder');

/**
 * Puts {@link pooledRecordEncoder} in place of kafkajs's record encoder. It must run before kafkajs's
 * produce request (v3) loads, which binds the encoder when it loads (on a producer's first send).
 */
export function installPooledRecordEncoder(): void {
  const { Encoder, Header, original } = kafkajsRecordModules();
  if ((original as unknown as Record<symbol, unknown>)[INSTALLED]) return;
  replaceKafkajsModule(
    RECORD_MODULE,
    pooledRecordEncoder(Encoder, Header, original),
    INSTALLED,
    'kafkajs/src/protocol/requests/produce/v3/request',
  );
}
