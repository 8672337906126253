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

/** Pauses and resumes the fetching of one partition of a read. */
export interface PartitionFlow {
  pause(partition: number): void;
  resume(partition: number): void;
}

export interface TopicRangeOptions {
  /**
   * Per partition, the offset to stop before (exclusive); partitions absent are not read. Default:
   * every partition up to the end offset it had when the read started (a consistent snapshot).
   */
  readonly ends?: ReadonlyMap<number, number>;
  /** The read fails when no record or batch arrived for this long (default 300 s). */
  readonly timeoutMs?: number;
  /**
   * Called before the first record with the partitions that have records to read, in order, and the
   * flow control of the read: a paused partition is not fetched until resumed (the records of the
   * batch in hand are still handed over).
   */
  readonly onPlan?: (partitions: readonly number[], flow: PartitionFlow) => void;
  /** Called once a partition's last record (below its end) was handed over, or it had none left. */
  readonly onPartitionEnd?: (partition: number) => void;
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
  if (ends.size === 0) {
    options.onPlan?.([], { pause: () => undefined, resume: () => undefined });
    return firsts;
  }
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
    // kafkajs pauses only once the group runs: a pause asked before waits for the group's join,
    // whose event comes before the first fetch.
    let joined = false;
    const early = new Set<number>();
    consumer.on(consumer.events.GROUP_JOIN, () => {
      joined = true;
      if (early.size > 0) consumer.pause([{ topic, partitions: [...early] }]);
      early.clear();
    });
    options.onPlan?.(
      [...ends.keys()].sort((a, b) => a - b),
      {
        pause: (partition) => {
          if (joined) consumer.pause([{ topic, partitions: [partition] }]);
          else early.add(partition);
        },
        resume: (partition) => {
          if (joined) consumer.resume([{ topic, partitions: [partition] }]);
          else early.delete(partition);
        },
      },
    );
    await new Promise<void>((resolve, reject) => {
      let settled = false;
      const settle = (error?: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (error) reject(error);
        else resolve();
      };
      // One timer, re-armed from the last progress when it fires (not a timer per record).
      let lastProgress = Date.now();
      const progressed = () => {
        lastProgress = Date.now();
      };
      const check = () => {
        if (settled) return;
        const idle = Date.now() - lastProgress;
        if (idle >= timeoutMs) settle(new Error(`reading ${topic}: nothing arrived for ${timeoutMs} ms`));
        else timer = setTimeout(check, timeoutMs - idle);
      };
      let timer = setTimeout(check, timeoutMs);
      const pending = new Set(ends.keys());
      const handed = new Map<number, number>();
      const reached = (partition: number, lastOffset: string) => {
        const end = ends.get(partition);
        if (end !== undefined && Number(lastOffset) + 1 >= end && pending.delete(partition))
          options.onPartitionEnd?.(partition);
        if (pending.size === 0) settle();
      };
      // A partition that ends with an aborted transaction (a SIGKILLed scorer's) or a transaction
      // marker ends in a fetch with no message for eachBatch: kafkajs reports it as an empty batch.
      consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
        if (payload.batchSize === 0) {
          progressed();
          reached(payload.partition, payload.lastOffset);
        }
      });
      // A refusal that no retry mends (a topic this principal may not read) fails the read at once,
      // rather than at the timeout; a coordinator still loading and the like are retried by kafkajs.
      consumer.on(consumer.events.CRASH, ({ payload }) => {
        const error = payload.error as Error & { retriable?: boolean };
        if (payload.restart && error.retriable !== false) return;
        settle(new Error(`reading ${topic} failed: ${error.message}`, { cause: error }));
      });
      consumer
        .run({
          autoCommit: false,
          eachBatch: async (payload) => {
            const { batch } = payload;
            const end = ends.get(batch.partition);
            if (settled || end === undefined || !pending.has(batch.partition)) return;
            progressed();
            for (const message of batch.messages) {
              const offset = Number(message.offset);
              if (settled || offset >= end) break;
              // A rebalance (a slow onRecord outliving the session) starts a group that never
              // committed from the beginning again: each offset is handed over once.
              if (offset <= (handed.get(batch.partition) ?? -1)) continue;
              handed.set(batch.partition, offset);
              // The group's session must outlive a slow onRecord (kafkajs sends it at most once per
              // heartbeat interval).
              await payload.heartbeat();
              // A handler's failure ends the read (not a retry of the batch, whose offsets it saw).
              try {
                await onRecord({
                  partition: batch.partition,
                  offset,
                  value: message.value,
                  headers: message.headers,
                });
              } catch (error) {
                settle(error instanceof Error ? error : new Error(String(error)));
                return;
              }
              progressed();
            }
            reached(batch.partition, batch.lastOffset());
          },
        })
        .catch((error: unknown) => settle(error instanceof Error ? error : new Error(String(error))));
    });
  } finally {
    await consumer.disconnect();
  }
  return firsts;
}
