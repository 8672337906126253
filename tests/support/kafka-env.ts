import { randomUUID } from 'node:crypto';
import { loadConfig } from '@fraudstream/config';
import { HOUR_MS, readAvroSchema, valueSubject, type TopicSpec } from '@fraudstream/contracts';
import {
  AvroSerde,
  createIdempotentProducer,
  createKafkaClient,
  ensureTopics,
  kafkaConfigSchema,
  type Kafka,
  type KafkaConfig,
  type Producer,
} from '@fraudstream/kafka';

/** The broker and registry the integration tests use: the local ones `npm test` started, or KAFKA_BROKERS/SCHEMA_REGISTRY_URL. */
export function testKafkaConfig(): KafkaConfig {
  return loadConfig(kafkaConfigSchema);
}

/** A unique name per test, so tests never share topics or consumer groups. */
export function uniqueName(prefix: string): string {
  return `test.${prefix}.${randomUUID().slice(0, 8)}`;
}

export interface TestTopic {
  readonly name: string;
  readonly dlq: string;
}

/**
 * Creates a fresh topic (and its .dlq) and registers `schemaFile` (from schemas/) as its value schema,
 * so a test exercises the real contract on its own topic.
 */
export async function createTestTopic(
  kafka: Kafka,
  serde: AvroSerde,
  prefix: string,
  schemaFile: string | null,
  partitions = 1,
): Promise<TestTopic> {
  const name = uniqueName(prefix);
  const base = { partitions, retentionMs: HOUR_MS, cleanupPolicy: 'delete' as const };
  const specs: TopicSpec[] = [
    { name, schemaFile, ...base },
    { name: `${name}.dlq`, schemaFile: null, ...base, partitions: 1 },
  ];
  await ensureTopics(kafka, specs);
  if (schemaFile) await serde.register(valueSubject(name), readAvroSchema(schemaFile));
  return { name, dlq: `${name}.dlq` };
}

export function testClients(): { config: KafkaConfig; kafka: Kafka; serde: AvroSerde } {
  const config = testKafkaConfig();
  return {
    config,
    kafka: createKafkaClient(config, 'test'),
    serde: AvroSerde.connect(config.SCHEMA_REGISTRY_URL),
  };
}

/** The test clients and a connected idempotent producer (disconnect it when the suite ends). */
export async function testClientsWithProducer(): Promise<{
  kafka: Kafka;
  serde: AvroSerde;
  producer: Producer;
}> {
  const { kafka, serde } = testClients();
  const producer = createIdempotentProducer(kafka);
  await producer.connect();
  return { kafka, serde, producer };
}

/** Creates one topic of one partition as it is named (no .dlq, no schema), with an optional `max.message.bytes`. */
export async function createPlainTopic(kafka: Kafka, name: string, maxMessageBytes?: number): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        {
          topic: name,
          numPartitions: 1,
          configEntries: maxMessageBytes
            ? [{ name: 'max.message.bytes', value: String(maxMessageBytes) }]
            : [],
        },
      ],
    });
  } finally {
    await admin.disconnect();
  }
}

/** The group's committed offset of partition 0 of a topic (undefined when the group has none). */
export async function committedOffset(
  kafka: Kafka,
  groupId: string,
  topic: string,
): Promise<string | undefined> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return offsets?.partitions[0]?.offset;
  } finally {
    await admin.disconnect();
  }
}
