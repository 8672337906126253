export { kafkaConfigFragment, kafkaConfigSchema, requireSaslCredentials } from './kafka.config';
export type { KafkaConfig } from './kafka.config';
export { createKafkaClient } from './kafka-client.adapter';
export type { Admin, Consumer, IHeaders, Kafka, Message, Producer } from './kafka-client.adapter';
export { AvroSerde } from './avro-serde.adapter';
export { AvroProducer, createIdempotentProducer } from './avro-producer';
export type { OutgoingRecord } from './avro-producer';
export { DeadLetterHeaders, DeadLetterPublisher } from './dead-letter.publisher';
export type { DeadLetter } from './dead-letter.publisher';
export { StreamConsumer } from './stream-consumer';
export type {
  BatchContext,
  BatchHandler,
  BatchOutcome,
  ConsumedMessage,
  Rejection,
  StreamConsumerOptions,
} from './stream-consumer';
export { ensureTopics, registerTopicSchemas } from './topics-admin';
export { kafkaMetrics } from './kafka.metrics';
export type { KafkaMetrics } from './kafka.metrics';
export { KAFKA_CLIENT, KafkaModule } from './kafka.module';
