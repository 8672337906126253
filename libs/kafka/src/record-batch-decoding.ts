import { kafkajsModulePath, loadKafkajsModule, replaceKafkajsModule } from './kafkajs-module';
import type { KafkajsDecoder, RecordDecoder } from './record-decoding';

/** kafkajs's protocol Decoder: the members the record batch decoder uses. */
interface BatchDecoder extends KafkajsDecoder {
  readInt16(): number;
  readInt32(): number;
  readInt64(): bigint;
  readAll(): Buffer;
  readArray<V>(reader: (decoder: BatchDecoder) => V): V[];
  slice(size: number): BatchDecoder;
  forward(size: number): void;
}

type DecoderClass = new (buffer: Buffer | null) => BatchDecoder;

interface Codec {
  decompress(bytes: Buffer): Promise<Buffer>;
}

/** What the record batch decoder needs of kafkajs. */
export interface RecordBatchDecoderParts {
  readonly Decoder: DecoderClass;
  readonly RecordDecoder: RecordDecoder;
  readonly lookupCodecByAttributes: (attributes: number) => Codec | null;
  readonly PartialMessageError: new (message: string) => Error;
}

export type RecordBatchDecoder = (fetchDecoder: BatchDecoder) => Promise<Record<string, unknown>>;

const TIMESTAMP_TYPE_FLAG_MASK = 0x8;
const TRANSACTIONAL_FLAG_MASK = 0x10;
const CONTROL_FLAG_MASK = 0x20;
/** kafkajs's TimestampTypes. */
const CREATE_TIME = 0;
const LOG_APPEND_TIME = 1;

/**
 * kafkajs 2.2.4's record batch decoder (`protocol/recordBatch/v0/decoder`), returning the same batch
 * with two objects fewer per record: kafkajs cuts each record's bytes out as a Buffer of their own
 * and gives them a Decoder of their own before decoding the record; here the record is decoded where
 * it lies in the batch. A record whose fields do not end exactly where its length prefix says (bytes
 * a batch that passed the broker's CRC check does not hold), or a null one, is decoded again
 * kafkajs's way, from its own bytes. Everything else is kafkajs's code, in its order.
 */
export function inPlaceRecordBatchDecoder(parts: RecordBatchDecoderParts): RecordBatchDecoder {
  const { Decoder, RecordDecoder, lookupCodecByAttributes, PartialMessageError } = parts;

  const decodeRecord = (decoder: BatchDecoder, recordContext: Record<string, unknown>): unknown => {
    const start = decoder.offset;
    const length = decoder.readVarInt();
    const end = decoder.offset + length;
    if (length >= 0 && end <= decoder.buffer.length) {
      const record = RecordDecoder(decoder, recordContext);
      // A record of a batch the broker accepted ends where its length says (the CRC covers both).
      if (decoder.offset === end) {
        decoder.offset = end;
        return record;
      }
    }
    decoder.offset = start;
    return RecordDecoder(new Decoder(decoder.readVarIntBytes()), recordContext);
  };

  const decodeRecords = async (
    codec: Codec | null,
    recordsDecoder: BatchDecoder,
    recordContext: Record<string, unknown>,
  ): Promise<unknown[]> => {
    if (!codec) return recordsDecoder.readArray((decoder) => decodeRecord(decoder, recordContext));
    const length = recordsDecoder.readInt32();
    if (length <= 0) return [];
    const compressedRecordsBuffer = recordsDecoder.readAll();
    const decompressedRecordBuffer = await codec.decompress(compressedRecordsBuffer);
    const decompressedRecordDecoder = new Decoder(decompressedRecordBuffer);
    const records = new Array<unknown>(length);
    for (let i = 0; i < length; i++) records[i] = decodeRecord(decompressedRecordDecoder, recordContext);
    return records;
  };

  return async (fetchDecoder) => {
    const firstOffset = fetchDecoder.readInt64().toString();
    const length = fetchDecoder.readInt32();
    const decoder = fetchDecoder.slice(length);
    fetchDecoder.forward(length);
    const remainingBytes = Buffer.byteLength(decoder.buffer);
    if (remainingBytes < length) {
      throw new PartialMessageError(
        `Tried to decode a partial record batch: remainingBytes(${remainingBytes}) < recordBatchLength(${length})`,
      );
    }
    const partitionLeaderEpoch = decoder.readInt32();
    const magicByte = decoder.readInt8();
    decoder.readInt32(); // the CRC: kafkajs does not check it either
    const attributes = decoder.readInt16();
    const lastOffsetDelta = decoder.readInt32();
    const firstTimestamp = decoder.readInt64().toString();
    const maxTimestamp = decoder.readInt64().toString();
    const producerId = decoder.readInt64().toString();
    const producerEpoch = decoder.readInt16();
    const firstSequence = decoder.readInt32();
    const inTransaction = (attributes & TRANSACTIONAL_FLAG_MASK) > 0;
    const isControlBatch = (attributes & CONTROL_FLAG_MASK) > 0;
    const timestampType = (attributes & TIMESTAMP_TYPE_FLAG_MASK) > 0 ? LOG_APPEND_TIME : CREATE_TIME;
    const codec = lookupCodecByAttributes(attributes);
    const recordContext = {
      firstOffset,
      firstTimestamp,
      partitionLeaderEpoch,
      inTransaction,
      isControlBatch,
      lastOffsetDelta,
      producerId,
      producerEpoch,
      firstSequence,
      maxTimestamp,
      timestampType,
    };
    const records = await decodeRecords(codec, decoder, { ...recordContext, magicByte });
    return { ...recordContext, records };
  };
}

const BATCH_DECODER_MODULE = 'kafkajs/src/protocol/recordBatch/v0/decoder';
const INSTALLED = Symbol.for('fraudstream.kafka.inPlaceRecordBatchDecoder');

/** kafkajs's modules the record batch decoder is built from, loaded from the installed kafkajs. */
export function kafkajsRecordBatchDecoderModules(): RecordBatchDecoderParts & { batchDecoderPath: string } {
  return {
    Decoder: loadKafkajsModule<DecoderClass>('kafkajs/src/protocol/decoder'),
    RecordDecoder: loadKafkajsModule<RecordDecoder>('kafkajs/src/protocol/recordBatch/record/v0/decoder'),
    lookupCodecByAttributes: loadKafkajsModule<RecordBatchDecoderParts>(
      'kafkajs/src/protocol/message/compression',
    ).lookupCodecByAttributes,
    PartialMessageError: loadKafkajsModule<{ KafkaJSPartialMessageError: new (message: string) => Error }>(
      'kafkajs/src/errors',
    ).KafkaJSPartialMessageError,
    batchDecoderPath: kafkajsModulePath(BATCH_DECODER_MODULE),
  };
}

/**
 * Puts {@link inPlaceRecordBatchDecoder} in place of kafkajs's record batch decoder, after the record
 * decoder's replacement (it binds the record decoder it finds). It must run before kafkajs's fetch
 * (v4) message decoder loads, which binds the batch decoder when it loads.
 */
export function installInPlaceRecordBatchDecoder(): void {
  const parts = kafkajsRecordBatchDecoderModules();
  const loaded = loadKafkajsModule<object>(BATCH_DECODER_MODULE);
  if ((loaded as Record<symbol, unknown>)[INSTALLED]) return;
  replaceKafkajsModule(
    BATCH_DECODER_MODULE,
    inPlaceRecordBatchDecoder(parts),
    INSTALLED,
    'kafkajs/src/protocol/requests/fetch/v4/decodeMessages',
  );
}
