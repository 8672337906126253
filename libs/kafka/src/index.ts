export { checkKafkaSecurity, kafkaConfigFragment, kafkaConfigSchema } from './kafka.config';
export type { KafkaConfig } from './kafka.config';
export { brokersOf, createConsumer, createKafkaClient } from './kafka-client.adapter';
export { ConfigResourceTypes, Partitioners } from './kafkajs';
export { withoutAbortedRecords } from './aborted-records';
export type { AbortedTransaction, FetchedRecord } from './aborted-records';
export type { Admin, Consumer, IHeaders, Kafka, Message } from './kafka-client.adapter';
export { RecoveringProducer } from './recovering-producer.adapter';
export type { Producer } from './recovering-producer.adapter';
export { AvroSerde } from './avro-serde.adapter';
export { AvroProducer, createIdempotentProducer } from './avro-producer';
export type { OutgoingRecord } from './avro-producer';
export { DeadLetterHeaders, DeadLetterPublisher } from './dead-letter.publisher';
export type { DeadLetter, DeadLetterLimits } from './dead-letter.publisher';
export { ProduceError, RecordTooLargeError, StartupError } from './transport.errors';
export { isTransient } from './failure-kinds';
export { StreamConsumer } from './stream-consumer';
export type { EventTimeAlignmentOptions, PartitionPosition, SharedPositions } from './event-time-alignment';
export type {
  ExactlyOnceOptions,
  RecordSink,
  BatchContext,
  BatchHandler,
  BatchOutcome,
  ConsumedMessage,
  MessageSource,
  MessageValidator,
  Rejection,
  StreamConsumerOptions,
} from './stream-consumer';
export type { TopicPartition } from './topic-partition';
export { ensureTopics, registerTopicSchemas } from './topics-admin';
export { readTopicRange } from './topic-range.reader';
export type { PartitionFlow, TopicRangeOptions, TopicRecord } from './topic-range.reader';
export { createAcls } from './acls-admin';
export type { AclBinding, AclOperation, AclResourceType } from './acls-admin';
export { kafkaMetrics } from './kafka.metrics';
export type { KafkaMetrics } from './kafka.metrics';
export { KAFKA_CLIENT, KafkaModule, StreamConsumerFactory } from './kafka.module';
export type { ConsumerDeclaration } from './kafka.module';
