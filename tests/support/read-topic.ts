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
        if (!message.value) return;
        records.push({
          partition,
          offset: message.offset,
          key: message.key?.toString() ?? null,
          value: message.value,
          headers: headerStrings(message.headers),
        });
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
