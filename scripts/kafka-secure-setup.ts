/*
 * `npm run kafka-secure:setup` (run by `npm run infra:up -- --secure`): on the secure broker, as its
 * super user (KAFKA_BROKERS, KAFKA_SSL*, KAFKA_SASL_* from scripts/infra.sh), creates the loop's topics
 * and the ACLs of scripts/infra/kafka-acls.json. Idempotent.
 */
import { Logger } from '@nestjs/common';
import { loadConfig } from '@fraudstream/config';
import { createKafkaClient, kafkaConfigSchema } from '@fraudstream/kafka';
import { aclBindings, loadKafkaAclTable, setUpSecureKafka } from './infra/kafka-acls';

async function main(): Promise<void> {
  Logger.overrideLogger(['error', 'warn']);
  const config = loadConfig(kafkaConfigSchema);
  const table = loadKafkaAclTable();
  await setUpSecureKafka(createKafkaClient(config, 'secure-setup'), table);
  console.log(
    `secure broker: topics ensured; ${aclBindings(table).length} ACLs for ${Object.keys(table).join(', ')}`,
  );
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
