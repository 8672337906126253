import { Logger } from '@nestjs/common';
import { readAvroSchema, valueSubject, type TopicSpec } from '@fraudstream/contracts';
import type { Admin, Kafka } from 'kafkajs';
import { ConfigResourceTypes } from './kafkajs';
import type { AvroSerde } from './avro-serde.adapter';

const logger = new Logger('TopicsAdmin');
const LEADERS_TIMEOUT_MS = 30_000;
const LEADERS_POLL_MS = 100;

function configEntries(spec: TopicSpec) {
  return [
    { name: 'retention.ms', value: String(spec.retentionMs) },
    { name: 'cleanup.policy', value: spec.cleanupPolicy },
  ];
}

/** The broker's metadata does not have the topic, or its leader, yet. */
function notYetKnown(error: unknown): boolean {
  const type = (error as { type?: unknown } | null)?.type;
  return type === 'UNKNOWN_TOPIC_OR_PARTITION' || type === 'LEADER_NOT_AVAILABLE';
}

/**
 * Waits until every partition of `topics` has a leader. kafkajs's own wait (createTopics'
 * waitForLeaders) retries only LEADER_NOT_AVAILABLE, but a KRaft broker answers CreateTopics before
 * its metadata cache has the new topics, and its metadata says UNKNOWN_TOPIC_OR_PARTITION meanwhile:
 * under load that failed topic creation outright.
 */
async function waitForLeaders(admin: Admin, topics: readonly string[]): Promise<void> {
  const deadline = Date.now() + LEADERS_TIMEOUT_MS;
  for (;;) {
    try {
      const metadata = await admin.fetchTopicMetadata({ topics: [...topics] });
      const led = (name: string) =>
        metadata.topics.some(
          (t) => t.name === name && t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0),
        );
      if (topics.every(led)) return;
    } catch (error) {
      if (!notYetKnown(error)) throw error;
    }
    if (Date.now() > deadline)
      throw new Error(`topics without a leader after ${LEADERS_TIMEOUT_MS} ms: ${topics.join(', ')}`);
    await new Promise((resolve) => setTimeout(resolve, LEADERS_POLL_MS));
  }
}

/**
 * Creates missing topics and brings existing ones to their spec (more partitions, retention, cleanup
 * policy). Idempotent: running it twice changes nothing the second time.
 */
export async function ensureTopics(
  kafka: Kafka,
  specs: readonly TopicSpec[],
): Promise<{ created: string[] }> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = specs.filter((s) => !existing.has(s.name));
    if (missing.length > 0) {
      await admin.createTopics({
        waitForLeaders: false,
        topics: missing.map((s) => ({
          topic: s.name,
          numPartitions: s.partitions,
          replicationFactor: -1,
          configEntries: configEntries(s),
        })),
      });
      await waitForLeaders(
        admin,
        missing.map((s) => s.name),
      );
    }
    const present = specs.filter((s) => existing.has(s.name));
    if (present.length > 0) {
      const metadata = await admin.fetchTopicMetadata({ topics: present.map((s) => s.name) });
      const grow = present.flatMap((s) => {
        const current = metadata.topics.find((t) => t.name === s.name)?.partitions.length ?? s.partitions;
        return current < s.partitions ? [{ topic: s.name, count: s.partitions }] : [];
      });
      if (grow.length > 0) await admin.createPartitions({ topicPartitions: grow });
      await admin.alterConfigs({
        validateOnly: false,
        resources: present.map((s) => ({
          type: ConfigResourceTypes.TOPIC,
          name: s.name,
          configEntries: configEntries(s),
        })),
      });
    }
    for (const s of missing) logger.log({ msg: 'created topic', topic: s.name, partitions: s.partitions });
    return { created: missing.map((s) => s.name) };
  } finally {
    await admin.disconnect();
  }
}

/** Registers each topic's value schema (subject `<topic>-value`, compatibility BACKWARD); returns the ids. */
export async function registerTopicSchemas(
  serde: AvroSerde,
  specs: readonly TopicSpec[],
): Promise<Record<string, number>> {
  const ids: Record<string, number> = {};
  for (const spec of specs) {
    if (!spec.schemaFile) continue;
    const subject = valueSubject(spec.name);
    ids[subject] = await registerCatchingUp(serde, subject, readAvroSchema(spec.schemaFile));
    logger.log({ msg: 'registered schema', subject, id: ids[subject] });
  }
  return ids;
}

/**
 * A registry that stores its state in a Kafka topic (Apicurio's kafkasql) answers HTTP before it has
 * replayed that topic after a restart; registering a schema it has not replayed yet is refused as
 * "already exists". The replay catches up within seconds: try again for up to ~20 s.
 */
async function registerCatchingUp(serde: AvroSerde, subject: string, schema: object): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await serde.register(subject, schema);
    } catch (error) {
      if (attempt >= 20 || !/already exists/i.test(String(error))) throw error;
      logger.warn({ msg: 'schema registry still replaying its state; retrying', subject, attempt });
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
}
