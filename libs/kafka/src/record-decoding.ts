import { kafkajsModulePath, loadKafkajsModule, replaceKafkajsModule } from './kafkajs-module';

/** kafkajs's protocol Decoder: the members the record decoder uses. */
export interface KafkajsDecoder {
  readonly buffer: Buffer;
  offset: number;
  readInt8(): number;
  readVarInt(): number;
  readVarIntBytes(): Buffer | null;
  readVarIntArray<V>(reader: (decoder: KafkajsDecoder) => V): V[];
}

/** What kafkajs's record batch decoder hands each record (strings: 64-bit values in decimal). */
export interface RecordBatchContext {
  readonly firstOffset?: string;
  readonly firstTimestamp?: string;
  readonly maxTimestamp?: string;
  readonly magicByte?: number;
  readonly isControlBatch?: boolean;
  readonly timestampType?: number;
}

export type RecordDecoder = (decoder: KafkajsDecoder, batchContext?: RecordBatchContext) => unknown;

type HeaderDecoder = (decoder: KafkajsDecoder) => { key: string; value: Buffer | null };

/** kafkajs's TimestampTypes.LOG_APPEND_TIME. */
const LOG_APPEND_TIME = 1;
/** Varlong bytes whose 7-bit groups (49 bits) are exact in a double: longer ones go to kafkajs. */
const MAX_NUMBER_VARLONG_BYTES = 7;

/**
 * kafkajs 2.2.4's record decoder (`protocol/recordBatch/record/v0/decoder`), returning the same record
 * with less work: kafkajs computes every fetched record's offset and timestamp as the batch's first
 * offset and timestamp (decimal strings) parsed into BigInt-backed `Long`s plus the record's delta,
 * and reads the timestamp delta as a varlong through five more `Long`s. Where the batch's values and
 * the sums are safe integers (every offset and millisecond timestamp short of 2^53), the same decimal
 * strings come from plain numbers; the batch's two values are parsed once per batch, not per record.
 * A record without headers gets `{}` without kafkajs's array and reduce. Anything else (a value
 * past 2^53, a varlong longer than 7 bytes) is decoded again by kafkajs's own decoder from the
 * record's start. The scorer decodes every fetched transaction through it (docs/scorer.md).
 */
export function numberRecordDecoder(original: RecordDecoder, Header: HeaderDecoder): RecordDecoder {
  let context: RecordBatchContext | undefined;
  let baseOffset = Number.NaN;
  let baseTimestamp = Number.NaN;
  return (decoder, batchContext = {}) => {
    if (batchContext !== context) {
      context = batchContext;
      baseOffset = safeInteger(batchContext.firstOffset);
      baseTimestamp = safeInteger(batchContext.firstTimestamp);
    }
    const start = decoder.offset;
    const { magicByte, isControlBatch = false, timestampType, maxTimestamp } = batchContext;
    const attributes = decoder.readInt8();
    const timestampDelta = readNumberVarLong(decoder);
    const offsetDelta = Number.isNaN(timestampDelta) ? 0 : decoder.readVarInt();
    const offset = baseOffset + offsetDelta;
    const logAppend = timestampType === LOG_APPEND_TIME && Boolean(maxTimestamp);
    const timestamp = baseTimestamp + timestampDelta;
    if (
      !Number.isSafeInteger(offset) ||
      (!logAppend && !Number.isSafeInteger(timestamp)) ||
      Number.isNaN(timestampDelta)
    ) {
      decoder.offset = start;
      return original(decoder, batchContext);
    }
    const key = decoder.readVarIntBytes();
    const value = decoder.readVarIntBytes();
    const headersAt = decoder.offset;
    const headerCount = decoder.readVarInt();
    let headers: Record<string, unknown> = {};
    if (headerCount > 0) {
      decoder.offset = headersAt;
      headers = decoder.readVarIntArray(Header).reduce(mergeHeader, {});
    }
    return {
      magicByte,
      attributes,
      timestamp: logAppend ? maxTimestamp : String(timestamp),
      offset: String(offset),
      key,
      value,
      headers,
      isControlRecord: isControlBatch,
      batchContext,
    };
  };
}

/** kafkajs's own merge of a record's headers: a repeated key collects its values in an array. */
function mergeHeader(
  obj: Record<string, unknown>,
  { key, value }: { key: string; value: Buffer | null },
): Record<string, unknown> {
  const current = obj[key];
  return {
    ...obj,
    [key]:
      current === undefined ? value : Array.isArray(current) ? current.concat([value]) : [current, value],
  };
}

/** The number a decimal string (kafkajs's 64-bit values) holds, or NaN when it is not a safe integer. */
function safeInteger(decimal: string | undefined): number {
  if (decimal === undefined) return Number.NaN;
  const value = Number(decimal);
  return Number.isSafeInteger(value) && String(value) === decimal ? value : Number.NaN;
}

/**
 * A zigzag varlong of at most 7 bytes as a number (exact: 49 bits), NaN for a longer one (the
 * decoder's offset is then left anywhere; the caller starts the record again).
 */
function readNumberVarLong(decoder: KafkajsDecoder): number {
  const buffer = decoder.buffer;
  let offset = decoder.offset;
  let raw = 0;
  let scale = 1;
  for (let i = 0; ; i++) {
    if (i === MAX_NUMBER_VARLONG_BYTES) return Number.NaN;
    const byte = buffer[offset++] ?? 0;
    raw += (byte & 0x7f) * scale;
    scale *= 128;
    if (byte < 0x80) break;
  }
  decoder.offset = offset;
  return raw % 2 === 0 ? raw / 2 : -(raw + 1) / 2;
}

const RECORD_DECODER_MODULE = 'kafkajs/src/protocol/recordBatch/record/v0/decoder';
const HEADER_DECODER_MODULE = 'kafkajs/src/protocol/recordBatch/header/v0/decoder';
const INSTALLED = Symbol.for('fraudstream.kafka.numberRecordDecoder');

/** kafkajs's modules the record decoder is built from, loaded from the installed kafkajs. */
export function kafkajsRecordDecoderModules(): {
  original: RecordDecoder;
  Header: HeaderDecoder;
  recordPath: string;
} {
  return {
    original: loadKafkajsModule<RecordDecoder>(RECORD_DECODER_MODULE),
    Header: loadKafkajsModule<HeaderDecoder>(HEADER_DECODER_MODULE),
    recordPath: kafkajsModulePath(RECORD_DECODER_MODULE),
  };
}

/**
 * Puts {@link numberRecordDecoder} in place of kafkajs's record decoder. It must run before kafkajs's
 * record batch decoder loads (it binds the record decoder when it loads, with the fetch request).
 */
export function installNumberRecordDecoder(): void {
  const { original, Header } = kafkajsRecordDecoderModules();
  if ((original as unknown as Record<symbol, unknown>)[INSTALLED]) return;
  replaceKafkajsModule(
    RECORD_DECODER_MODULE,
    numberRecordDecoder(original, Header),
    INSTALLED,
    'kafkajs/src/protocol/recordBatch/v0/decoder',
  );
}
