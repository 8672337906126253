import { RetriableError, type TopicMessages } from '@fraudstream/contracts';
import type { IHeaders, Kafka } from 'kafkajs';
import { Partitioners } from './kafkajs';
import type { AvroSerde } from './avro-serde.adapter';
import { recoveringProducer, type Producer } from './recovering-producer.adapter';
import type { RecordSink } from './stream-consumer.types';

export interface OutgoingRecord<V> {
  readonly key: string | null;
  readonly value: V;
  readonly headers?: IHeaders;
}

/**
 * An idempotent producer (acks from all in-sync replicas, no duplicates from its own retries) that
 * survives broker restarts: see RecoveringProducer.
 */
export function createIdempotentProducer(kafka: Kafka): Producer {
  // kafkajs's idempotence requires a single in-flight request per broker connection. The default
  // partitioner hashes keys like the Java client (murmur2), so other clients agree on a card's partition.
  return recoveringProducer(kafka, {
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
    // kafkajs retries an idempotent producer's sends without limit; at most 2 s apart (instead of
    // 30 s) so that a send resumes soon after an outage ends. Errors kafkajs gives up on (a dropped
    // connection, a lost sequence) reach the callers, which retry (RecoveringProducer re-creates it).
    retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 200, maxRetryTime: 2000 },
  });
}

/**
 * Encodes values with their topic's registered Avro schema and sends them, resolving only once the
 * broker acknowledged every record (so callers may commit their input offsets afterwards).
 */
export class AvroProducer {
  private readonly schemaIds = new Map<string, number>();

  constructor(
    readonly producer: Producer,
    private readonly serde: AvroSerde,
  ) {}

  async send<K extends keyof TopicMessages>(
    topic: K,
    records: readonly OutgoingRecord<TopicMessages[K]>[],
  ): Promise<void> {
    await this.sendMany([{ topic, records }]);
  }

  /** Several topics in one produce request per broker, through `sink` (default: this producer; or a transaction). */
  async sendMany(
    batches: readonly { topic: string; records: readonly OutgoingRecord<unknown>[] }[],
    sink: RecordSink = this.producer,
  ): Promise<void> {
    const topicMessages = [];
    for (const { topic, records } of batches) {
      if (records.length === 0) continue;
      const id = await this.schemaId(topic);
      const values = await this.serde.encodeAll(
        id,
        records.map((r) => r.value),
      );
      const messages = records.map((r, i) => ({
        key: r.key,
        value: values[i] as Buffer,
        ...(r.headers ? { headers: r.headers } : {}),
      }));
      topicMessages.push({ topic, messages });
    }
    if (topicMessages.length > 0) await sink.sendBatch({ acks: -1, topicMessages });
  }

  private async schemaId(topic: string): Promise<number> {
    let id = this.schemaIds.get(topic);
    if (id === undefined) {
      try {
        id = await this.serde.valueSchemaId(topic);
      } catch (error) {
        // The registry away (or the subject not registered yet): retried, never a verdict on the records.
        throw new RetriableError(`schema id of ${topic} not available from the registry`, { cause: error });
      }
      this.schemaIds.set(topic, id);
    }
    return id;
  }
}
