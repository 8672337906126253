import {
  Global,
  Inject,
  Injectable,
  Logger,
  Module,
  type DynamicModule,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { HealthRegistry } from '@fraudstream/observability';
import type { Kafka } from 'kafkajs';
import { AvroProducer, createIdempotentProducer } from './avro-producer';
import { AvroSerde } from './avro-serde.adapter';
import { createKafkaClient } from './kafka-client.adapter';
import type { KafkaConfig } from './kafka.config';

/** Injection token of the app's kafkajs client. */
export const KAFKA_CLIENT = Symbol('KAFKA_CLIENT');

/**
 * The app's idempotent Avro producer, connected at start-up and disconnected last at shutdown:
 * consumers stop (and commit) in `beforeApplicationShutdown`, which Nest runs before this hook.
 */
@Injectable()
export class KafkaProducerLifecycle implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(KafkaProducerLifecycle.name);
  private connected = false;
  readonly producer: AvroProducer;

  constructor(@Inject(KAFKA_CLIENT) kafka: Kafka, serde: AvroSerde, health: HealthRegistry) {
    const raw = createIdempotentProducer(kafka);
    raw.on(raw.events.CONNECT, () => (this.connected = true));
    raw.on(raw.events.DISCONNECT, () => (this.connected = false));
    this.producer = new AvroProducer(raw, serde);
    health.register('kafka-producer', () => ({ up: this.connected }));
  }

  async onModuleInit(): Promise<void> {
    await this.producer.producer.connect();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.producer.producer.disconnect();
    this.logger.log({ msg: 'producer disconnected' });
  }
}

/** Kafka client, schema-registry serde and the app's producer, for any app that talks to Kafka. */
@Global()
@Module({})
export class KafkaModule {
  static forRoot(config: KafkaConfig, clientIdSuffix?: string): DynamicModule {
    return {
      module: KafkaModule,
      providers: [
        { provide: KAFKA_CLIENT, useValue: createKafkaClient(config, clientIdSuffix) },
        { provide: AvroSerde, useValue: AvroSerde.connect(config.SCHEMA_REGISTRY_URL) },
        KafkaProducerLifecycle,
        {
          provide: AvroProducer,
          useFactory: (l: KafkaProducerLifecycle) => l.producer,
          inject: [KafkaProducerLifecycle],
        },
      ],
      exports: [KAFKA_CLIENT, AvroSerde, AvroProducer],
    };
  }
}
