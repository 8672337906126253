/*
 * Vitest global setup. By default the tests use the broker and registry that `npm test`
 * (scripts/test.sh) started or found. With FRAUDSTREAM_TESTCONTAINERS=true and a Docker engine, they
 * start in containers instead, and topics and schemas are created as `npm run topics:create` would.
 */
import { boolVar, loadConfig } from '@fraudstream/config';
import { TOPIC_SPECS } from '@fraudstream/contracts';
import {
  AvroSerde,
  createKafkaClient,
  ensureTopics,
  kafkaConfigSchema,
  registerTopicSchemas,
} from '@fraudstream/kafka';
import { z } from 'zod';
import { startContainerInfra } from './testcontainers-infra';

const setupConfig = z.object({ FRAUDSTREAM_TESTCONTAINERS: boolVar(false) });

export default async function setup(): Promise<(() => Promise<void>) | undefined> {
  if (!loadConfig(setupConfig).FRAUDSTREAM_TESTCONTAINERS) return undefined;
  const infra = await startContainerInfra();
  // Test workers inherit the environment of this process.
  Object.assign(globalThis.process.env, {
    KAFKA_BROKERS: infra.brokers,
    SCHEMA_REGISTRY_URL: infra.registryUrl,
  });
  const config = loadConfig(kafkaConfigSchema, {
    KAFKA_BROKERS: infra.brokers,
    SCHEMA_REGISTRY_URL: infra.registryUrl,
  });
  await ensureTopics(createKafkaClient(config, 'setup'), TOPIC_SPECS);
  await registerTopicSchemas(AvroSerde.connect(config.SCHEMA_REGISTRY_URL), TOPIC_SPECS);
  return () => infra.stop();
}
