/*
 * `npm run topics:create`: creates the loop's topics (partitions, retention, cleanup policy from
 * libs/contracts) and registers their Avro schemas with BACKWARD compatibility. Idempotent.
 */
import { Logger } from '@nestjs/common';
import { loadConfig } from '@fraudstream/config';
import { TOPIC_SPECS } from '@fraudstream/contracts';
import {
  AvroSerde,
  createKafkaClient,
  ensureTopics,
  kafkaConfigSchema,
  registerTopicSchemas,
} from '@fraudstream/kafka';

async function main(): Promise<void> {
  Logger.overrideLogger(['error', 'warn']);
  const config = loadConfig(kafkaConfigSchema);
  const { created } = await ensureTopics(createKafkaClient(config, 'topics'), TOPIC_SPECS);
  const ids = await registerTopicSchemas(AvroSerde.connect(config.SCHEMA_REGISTRY_URL), TOPIC_SPECS);
  console.log(
    `topics: ${TOPIC_SPECS.length} ensured (${created.length} created); schemas: ${Object.keys(ids).length} registered`,
  );
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
