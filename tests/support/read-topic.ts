import { createConsumer, type IHeaders, type Kafka } from '@fraudstream/kafka';
import { uniqueName } from './kafka-env';
import { waitFor } from './wait-for';

/** A record as it lies on the topic: raw value bytes, key and headers as strings. */
export interface TopicRecord {
  readonly partition: number;
  readonly offset: string;
  readonly key: string | null;
  readonly value: Buffer;
  readonly headers: Record<string, string>;
}

export function headerStrings(headers: IHeaders | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(headers ?? {}).map(([k, v]) => [k, String(v)]));
}

/** A fetched message as a TopicRecord, with `value` for its value (a tombstone's is the caller's). */
function topicRecord(
  partition: number,
  message: { offset: string; key: Buffer | null; headers?: IHeaders },
  value: Buffer,
): TopicRecord {
  return {
    partition,
    offset: message.offset,
    key: message.key?.toString() ?? null,
    value,
    headers: headerStrings(message.headers),
  };
}

/** Reads a topic from the start, in a group of its own, until `count` records (tombstones skipped) arrived. */
export async function readTopic(
  kafka: Kafka,
  topic: string,
  count: number,
  timeoutMs = 60_000,
): Promise<TopicRecord[]> {
  const consumer = kafka.consumer({ groupId: uniqueName('reader'), allowAutoTopicCreation: false });
  const records: TopicRecord[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        if (message.value) records.push(topicRecord(partition, message, message.value));
      },
    });
    await waitFor(() => records.length >= count, timeoutMs, `${count} records on ${topic}`);
    return records;
  } finally {
    await consumer.disconnect();
  }
}

/**
 * The values a read_committed reader (the transport's `createConsumer`) sees on partition 0 of a
 * topic before its `end` record, from the start or from `fromOffset`.
 */
export async function readUntil(
  kafka: Kafka,
  topic: string,
  end: string,
  fromOffset?: number,
): Promise<string[]> {
  const consumer = createConsumer(kafka, { groupId: uniqueName('reader'), allowAutoTopicCreation: false });
  const values: string[] = [];
  let done = false;
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const value = message.value?.toString() ?? '';
        if (value === end) done = true;
        else if (!done) values.push(value);
      },
    });
    if (fromOffset !== undefined) consumer.seek({ topic, partition: 0, offset: String(fromOffset) });
    await waitFor(
      () => done,
      30_000,
      `the end record on ${topic}${fromOffset === undefined ? '' : ` read from ${fromOffset}`}`,
    );
    return values;
  } finally {
    await consumer.disconnect();
  }
}

/**
 * Every record of these topics as it lies on the log, up to their ends when called: read
 * uncommitted (aborted transactions' records too), tombstones included (their value empty).
 */
export async function readTopicsToEnd(
  kafka: Kafka,
  topics: readonly string[],
  timeoutMs = 120_000,
): Promise<Map<string, TopicRecord[]>> {
  const admin = kafka.admin();
  const ends = new Map<string, bigint>();
  await admin.connect();
  try {
    for (const topic of topics)
      for (const p of await admin.fetchTopicOffsets(topic))
        if (BigInt(p.high) > BigInt(p.low)) ends.set(`${topic}/${p.partition}`, BigInt(p.high));
  } finally {
    await admin.disconnect();
  }
  const records = new Map<string, TopicRecord[]>(topics.map((t) => [t, []]));
  const consumer = kafka.consumer({
    groupId: uniqueName('reader'),
    readUncommitted: true,
    allowAutoTopicCreation: false,
  });
  // A partition is read once a batch ends at its last offset (a transaction marker's, for the
  // scorer's topics: the batch of markers only is reported too).
  consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
    const key = `${payload.topic}/${payload.partition}`;
    const end = ends.get(key);
    if (end !== undefined && BigInt(payload.lastOffset) >= end - 1n) ends.delete(key);
  });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [...topics], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        records.get(topic)?.push(topicRecord(partition, message, message.value ?? Buffer.alloc(0)));
      },
    });
    await waitFor(() => ends.size === 0, timeoutMs, `the ends of ${[...ends.keys()].join(', ')}`);
    return records;
  } finally {
    await consumer.disconnect();
  }
}
