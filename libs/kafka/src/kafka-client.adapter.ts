import type { Consumer, ConsumerConfig, KafkaConfig as KafkaJsConfig, SASLOptions } from 'kafkajs';
import { Kafka, logLevel } from './kafkajs';
import { logCreator } from './kafkajs-log';
import type { KafkaConfig } from './kafka.config';

export type { Admin, Consumer, Kafka, IHeaders, Message } from 'kafkajs';

function sasl(config: KafkaConfig): SASLOptions | undefined {
  const username = config.KAFKA_SASL_USERNAME ?? '';
  const password = config.KAFKA_SASL_PASSWORD ?? '';
  switch (config.KAFKA_SASL_MECHANISM) {
    case 'none':
      return undefined;
    case 'plain':
      return { mechanism: 'plain', username, password };
    case 'scram-sha-256':
      return { mechanism: 'scram-sha-256', username, password };
    case 'scram-sha-512':
      return { mechanism: 'scram-sha-512', username, password };
  }
}

/** TLS options: off, the system's CAs, or the configured CA file's certificates only. */
function tls(config: KafkaConfig): KafkaJsConfig['ssl'] {
  if (!config.KAFKA_SSL) return false;
  const ca = config.KAFKA_SSL_CA_FILE;
  return ca ? { ca: [ca.pem] } : true;
}

/**
 * The one place that builds a Kafka client. kafkajs is unmaintained; its API is the one
 * @confluentinc/kafka-javascript keeps under `KafkaJS`, so swapping the client changes this file.
 */
export function createKafkaClient(config: KafkaConfig, clientIdSuffix?: string): Kafka {
  const options: KafkaJsConfig = {
    clientId: clientIdSuffix ? `${config.KAFKA_CLIENT_ID}-${clientIdSuffix}` : config.KAFKA_CLIENT_ID,
    brokers: config.KAFKA_BROKERS,
    ssl: tls(config),
    connectionTimeout: config.KAFKA_CONNECTION_TIMEOUT_MS,
    logLevel: logLevel.WARN,
    logCreator,
  };
  const mechanism = sasl(config);
  if (mechanism) options.sasl = mechanism;
  const kafka = new Kafka(options);
  brokerLists.set(kafka, [...config.KAFKA_BROKERS]);
  return kafka;
}

const brokerLists = new WeakMap<Kafka, readonly string[]>();

/** The bootstrap brokers a client was built with (for error messages that name the address). */
export function brokersOf(kafka: Kafka): readonly string[] {
  return brokerLists.get(kafka) ?? [];
}

const consumerGroups = new WeakMap<Consumer, string>();

/**
 * Every consumer of the project is built here, reading committed data only (`read_committed`, the
 * isolation level kafkajs also defaults to, set explicitly so that no reader ever sees the scorer's
 * aborted or still-open transactions, whichever client is behind this file).
 */
export function createConsumer(kafka: Kafka, config: Omit<ConsumerConfig, 'readUncommitted'>): Consumer {
  const consumer = kafka.consumer({ ...config, readUncommitted: false });
  consumerGroups.set(consumer, config.groupId);
  return consumer;
}

/** The group a consumer built by createConsumer belongs to (for a transaction's sendOffsets). */
export function consumerGroupOf(consumer: Consumer): string {
  const group = consumerGroups.get(consumer);
  if (group === undefined) throw new Error('consumer not built by createConsumer: its group is unknown');
  return group;
}
