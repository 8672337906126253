import { randomUUID } from 'node:crypto';
import { createConsumer, type IHeaders, type Kafka } from './kafka-client.adapter';

/** One record of a topic as readTopicRange hands it over: where it was read, and its raw bytes. */
export interface TopicRecord {
  readonly partition: number;
  /** Kafka offset (below 2^53). */
  readonly offset: number;
  readonly value: Buffer | null;
  readonly headers: IHeaders | undefined;
}

export interface TopicRangeOptions {
  /**
   * Per partition, the offset to stop before (exclusive); partitions absent are not read. Default:
   * every partition up to the end offset it had when the read started (a consistent snapshot).
   */
  readonly ends?: ReadonlyMap<number, number>;
  readonly timeoutMs?: number;
  /** Prefix of the throwaway group's id (it names the reader in the broker's logs). */
  readonly groupPrefix?: string;
}

/**
 * Reads a topic's records from the earliest retained offset up to an end offset per partition,
 * read_committed (aborted transactions' records are skipped), handing each to `onRecord` in offset
 * order per partition. A throwaway consumer group that never commits, so the read leaves no trace
 * in the cluster's offsets. Resolves with the first offset each partition still retained (records
 * below it were deleted by retention).
 */
export async function readTopicRange(
  kafka: Kafka,
  topic: string,
  onRecord: (record: TopicRecord) => void | Promise<void>,
  options: TopicRangeOptions = {},
): Promise<Map<number, number>> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = new Map<number, number>();
  const firsts = new Map<number, number>();
  try {
    for (const o of await admin.fetchTopicOffsets(topic)) {
      const low = Number(o.low);
      const high = Number(o.high);
      firsts.set(o.partition, low);
      const wanted = options.ends ? options.ends.get(o.partition) : high;
      if (wanted === undefined) continue;
      const end = Math.min(wanted, high);
      if (end > low) ends.set(o.partition, end);
    }
  } finally {
    await admin.disconnect();
  }
  if (ends.size === 0) return firsts;
  const timeoutMs = options.timeoutMs ?? 300_000;
  const consumer = createConsumer(kafka, {
    groupId: `${options.groupPrefix ?? 'fraudstream-read'}-${randomUUID()}`,
    allowAutoTopicCreation: false,
    maxBytesPerPartition: 10 * 1_048_576,
    maxWaitTimeInMs: 100,
  });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`reading ${topic} timed out after ${timeoutMs} ms`)),
        timeoutMs,
      );
      const pending = new Set(ends.keys());
      const reached = (partition: number, lastOffset: string) => {
        const end = ends.get(partition);
        if (end !== undefined && Number(lastOffset) + 1 >= end) pending.delete(partition);
        if (pending.size === 0) {
          clearTimeout(timer);
          resolve();
        }
      };
      // A partition that ends with an aborted transaction (a SIGKILLed scorer's) or a transaction
      // marker ends in a fetch with no message for eachBatch: kafkajs reports it as an empty batch.
      consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
        if (payload.batchSize === 0) reached(payload.partition, payload.lastOffset);
      });
      // A refusal that no retry mends (a topic this principal may not read) fails the read at once,
      // rather than at the timeout; a coordinator still loading and the like are retried by kafkajs.
      consumer.on(consumer.events.CRASH, ({ payload }) => {
        const error = payload.error as Error & { retriable?: boolean };
        if (payload.restart && error.retriable !== false) return;
        clearTimeout(timer);
        reject(new Error(`reading ${topic} failed: ${error.message}`, { cause: error }));
      });
      consumer
        .run({
          autoCommit: false,
          eachBatch: async ({ batch }) => {
            const end = ends.get(batch.partition);
            if (end === undefined || !pending.has(batch.partition)) return;
            for (const message of batch.messages) {
              const offset = Number(message.offset);
              if (offset >= end) break;
              await onRecord({
                partition: batch.partition,
                offset,
                value: message.value,
                headers: message.headers,
              });
            }
            reached(batch.partition, batch.lastOffset());
          },
        })
        .catch((error: unknown) => {
          clearTimeout(timer);
          reject(error instanceof Error ? error : new Error(String(error)));
        });
    });
  } finally {
    await consumer.disconnect();
  }
  return firsts;
}
