import type { Message, TopicMessages } from 'kafkajs';

/** Records per produce request at most: kafkajs groups a request's records per partition in time quadratic in their number. */
export const MAX_RECORDS_PER_REQUEST = 500;

/** Bytes per produce request at most (estimated from keys, values and headers), far under the broker's 1 MiB default. */
export const MAX_BYTES_PER_REQUEST = 512 * 1024;

function sizeOf(message: Message): number {
  let n = 70; // record overhead: lengths, offsets, timestamps, attributes
  if (message.key) n += typeof message.key === 'string' ? Buffer.byteLength(message.key) : message.key.length;
  if (message.value) n += typeof message.value === 'string' ? Buffer.byteLength(message.value) : message.value.length;
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    n += name.length;
    if (typeof value === 'string') n += Buffer.byteLength(value);
    else if (Buffer.isBuffer(value)) n += value.length;
  }
  return n;
}

/**
 * Splits the records of several topics into produce requests of at most `maxRecords` records and
 * about `maxBytes` bytes, keeping each topic's (and so each partition's) order across requests. A
 * single record larger than the byte limit gets a request of its own (the broker judges it).
 */
export function sliceRequests(
  topicMessages: readonly TopicMessages[],
  maxRecords = MAX_RECORDS_PER_REQUEST,
  maxBytes = MAX_BYTES_PER_REQUEST,
): TopicMessages[][] {
  const requests: TopicMessages[][] = [];
  let current = new Map<string, Message[]>();
  let records = 0;
  let bytes = 0;
  const flush = () => {
    if (records === 0) return;
    requests.push([...current].map(([topic, messages]) => ({ topic, messages })));
    current = new Map();
    records = 0;
    bytes = 0;
  };
  for (const { topic, messages } of topicMessages) {
    for (const message of messages) {
      const size = sizeOf(message);
      if (records > 0 && (records + 1 > maxRecords || bytes + size > maxBytes)) flush();
      let list = current.get(topic);
      if (!list) {
        list = [];
        current.set(topic, list);
      }
      list.push(message);
      records++;
      bytes += size;
    }
  }
  flush();
  return requests;
}

/** Merges lists of topic messages by topic, in order. */
export function mergeByTopic(lists: readonly (readonly TopicMessages[])[]): TopicMessages[] {
  const byTopic = new Map<string, Message[]>();
  for (const list of lists)
    for (const { topic, messages } of list) {
      const into = byTopic.get(topic) ?? [];
      for (const m of messages) into.push(m);
      byTopic.set(topic, into);
    }
  return [...byTopic].map(([topic, messages]) => ({ topic, messages }));
}
