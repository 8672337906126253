import { Logger } from '@nestjs/common';
import { readAvroSchema, valueSubject, type TopicSpec } from '@fraudstream/contracts';
import { ConfigResourceTypes, type Admin, type Kafka } from 'kafkajs';
import type { AvroSerde } from './avro-serde.adapter';

const logger = new Logger('TopicsAdmin');

function configEntries(spec: TopicSpec) {
  return [
    { name: 'retention.ms', value: String(spec.retentionMs) },
    { name: 'cleanup.policy', value: spec.cleanupPolicy },
  ];
}

/**
 * Waits until every partition of new topics has a leader. kafkajs's own wait gives up when the
 * broker's metadata does not list a topic created a moment ago (UNKNOWN_TOPIC_OR_PARTITION, under
 * load), so the metadata is polled here until it does.
 */
async function waitForLeaders(admin: Admin, specs: readonly TopicSpec[], timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const { topics } = await admin.fetchTopicMetadata({ topics: specs.map((s) => s.name) });
      const ready = specs.every((s) => {
        const partitions = topics.find((t) => t.name === s.name)?.partitions ?? [];
        return partitions.length >= s.partitions && partitions.every((p) => p.leader >= 0);
      });
      if (ready) return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
    if (Date.now() > deadline)
      throw new Error(`topics ${specs.map((s) => s.name).join(', ')} have no leaders after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
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
      await waitForLeaders(admin, missing);
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
    ids[subject] = await serde.register(subject, readAvroSchema(spec.schemaFile));
    logger.log({ msg: 'registered schema', subject, id: ids[subject] });
  }
  return ids;
}
