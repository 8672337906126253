import { TOPIC_SPECS, Topics, valueSubject } from '@fraudstream/contracts';
import {
  ConfigResourceTypes,
  ensureTopics,
  registerTopicSchemas,
  type AvroSerde,
  type Kafka,
} from '@fraudstream/kafka';
import { beforeAll, describe, expect, it } from 'vitest';
import { testClients, testKafkaConfig } from '../support/kafka-env';

describe('topics:create', () => {
  let kafka: Kafka;
  let serde: AvroSerde;

  beforeAll(() => {
    ({ kafka, serde } = testClients());
  });

  it('is idempotent: a second run creates nothing and re-registering returns the same schema ids', async () => {
    await ensureTopics(kafka, TOPIC_SPECS);
    const again = await ensureTopics(kafka, TOPIC_SPECS);
    expect(again.created).toEqual([]);
    const first = await registerTopicSchemas(serde, TOPIC_SPECS);
    const second = await registerTopicSchemas(serde, TOPIC_SPECS);
    expect(second).toEqual(first);
    expect(Object.keys(first).sort()).toEqual(Object.values(Topics).map(valueSubject).sort());
  });

  it('gives every topic its partitions, retention and cleanup policy, and the registry lists every subject', async () => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const metadata = await admin.fetchTopicMetadata({ topics: TOPIC_SPECS.map((s) => s.name) });
      const configs = await admin.describeConfigs({
        includeSynonyms: false,
        resources: TOPIC_SPECS.map((s) => ({
          type: ConfigResourceTypes.TOPIC,
          name: s.name,
          configNames: ['retention.ms', 'cleanup.policy'],
        })),
      });
      for (const spec of TOPIC_SPECS) {
        const partitions = metadata.topics.find((t) => t.name === spec.name)?.partitions.length;
        expect(partitions, spec.name).toBeGreaterThanOrEqual(spec.partitions);
        const entries = configs.resources.find((r) => r.resourceName === spec.name)?.configEntries ?? [];
        const value = (name: string) => entries.find((e) => e.configName === name)?.configValue;
        expect(value('retention.ms'), spec.name).toBe(String(spec.retentionMs));
        expect(value('cleanup.policy'), spec.name).toBe(spec.cleanupPolicy);
      }
    } finally {
      await admin.disconnect();
    }
    const response = await fetch(`${testKafkaConfig().SCHEMA_REGISTRY_URL}/subjects`);
    const subjects = (await response.json()) as string[];
    for (const topic of Object.values(Topics)) expect(subjects).toContain(valueSubject(topic));
  });
});
