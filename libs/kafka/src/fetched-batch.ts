import { kafkajsModulePath, loadKafkajsModule, replaceKafkajsModule } from './kafkajs-module';

/** A fetched record as kafkajs's consumer batch filters it. */
interface FetchedRecord {
  readonly offset: string;
  readonly isControlRecord?: boolean;
}

interface PartitionData {
  readonly partition: number;
  readonly highWatermark: string;
  readonly messages: readonly FetchedRecord[];
  readonly abortedTransactions?: readonly unknown[];
}

/** kafkajs's consumer Batch, as far as its replacement touches it. */
interface KafkajsBatch {
  fetchedOffset: string;
  topic: string;
  partition: number;
  highWatermark: string;
  rawMessages: readonly FetchedRecord[];
  messagesWithinOffset: FetchedRecord[];
  messages: FetchedRecord[];
}

export type KafkajsBatchClass = new (
  topic: string,
  fetchedOffset: string,
  partitionData: PartitionData,
) => KafkajsBatch;

interface LongValue {
  gte(other: LongValue): boolean;
}

interface LongClass {
  fromValue(value: string | number): LongValue;
}

type AbortedFilter = (args: {
  messages: FetchedRecord[];
  abortedTransactions: readonly unknown[] | undefined;
}) => FetchedRecord[];

/** The number a decimal string (a 64-bit offset) holds, or NaN when it is not a safe integer. */
function safeInteger(decimal: string): number {
  const value = Number(decimal);
  return Number.isSafeInteger(value) && String(value) === decimal ? value : Number.NaN;
}

/**
 * kafkajs 2.2.4's consumer Batch (`consumer/batch`), built the same way with less work: kafkajs keeps
 * the fetched records at or after the fetched offset by parsing every record's offset into a
 * BigInt-backed `Long`; here offsets that are safe integers (every offset short of 2^53) are compared
 * as numbers, any other one as kafkajs does. The filters that follow (aborted transactions, through
 * the filter installed in kafkajs's place, and control records) and every method are kafkajs's.
 */
export function numberOffsetBatch(
  Original: KafkajsBatchClass,
  Long: LongClass,
  filterAbortedMessages: AbortedFilter,
): KafkajsBatchClass {
  // A constructor function rather than a subclass: a subclass must run kafkajs's constructor, whose
  // filter this replaces.
  function Batch(
    this: KafkajsBatch,
    topic: string,
    fetchedOffset: string,
    partitionData: PartitionData,
  ): void {
    this.fetchedOffset = fetchedOffset;
    const { abortedTransactions, messages } = partitionData;
    this.topic = topic;
    this.partition = partitionData.partition;
    this.highWatermark = partitionData.highWatermark;
    this.rawMessages = messages;
    const from = safeInteger(String(fetchedOffset));
    let longFrom: LongValue | null = null;
    this.messagesWithinOffset = messages.filter((message) => {
      const offset = safeInteger(message.offset);
      if (!Number.isNaN(from) && !Number.isNaN(offset)) return offset >= from;
      longFrom ??= Long.fromValue(fetchedOffset);
      return Long.fromValue(message.offset).gte(longFrom);
    });
    this.messages = filterAbortedMessages({
      messages: this.messagesWithinOffset,
      abortedTransactions,
    }).filter((message) => !message.isControlRecord);
  }
  Object.setPrototypeOf(Batch, Original);
  // kafkajs's methods, and `instanceof` kafkajs's Batch, unchanged.
  Batch.prototype = Original.prototype as object;
  return Batch as unknown as KafkajsBatchClass;
}

const BATCH_MODULE = 'kafkajs/src/consumer/batch';
const INSTALLED = Symbol.for('fraudstream.kafka.numberOffsetBatch');

/** kafkajs's modules the Batch is built from, loaded from the installed kafkajs. */
export function kafkajsBatchModules(): {
  Batch: KafkajsBatchClass;
  Long: LongClass;
  filterAbortedMessages: AbortedFilter;
  batchPath: string;
} {
  return {
    Batch: loadKafkajsModule<KafkajsBatchClass>(BATCH_MODULE),
    Long: loadKafkajsModule<LongClass>('kafkajs/src/utils/long'),
    filterAbortedMessages: loadKafkajsModule<AbortedFilter>('kafkajs/src/consumer/filterAbortedMessages'),
    batchPath: kafkajsModulePath(BATCH_MODULE),
  };
}

/**
 * Puts {@link numberOffsetBatch} in place of kafkajs's consumer Batch, after the read_committed
 * filter's replacement (it binds the filter it finds). It must run before kafkajs's consumer group
 * loads, which binds the Batch when it loads.
 */
export function installNumberOffsetBatch(): void {
  const { Batch, Long, filterAbortedMessages } = kafkajsBatchModules();
  if ((Batch as unknown as Record<symbol, unknown>)[INSTALLED]) return;
  replaceKafkajsModule(
    BATCH_MODULE,
    numberOffsetBatch(Batch, Long, filterAbortedMessages),
    INSTALLED,
    'kafkajs/src/consumer/consumerGroup',
  );
}
