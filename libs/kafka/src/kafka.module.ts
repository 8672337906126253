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
import { HealthRegistry, MetricsRegistry, terminateOnFatal } from '@fraudstream/observability';
import type { Kafka } from 'kafkajs';
import { AvroProducer, createIdempotentProducer } from './avro-producer';
import { AvroSerde } from './avro-serde.adapter';
import { brokersOf, createKafkaClient } from './kafka-client.adapter';
import type { KafkaConfig } from './kafka.config';
import { StreamConsumer, type StreamConsumerOptions } from './stream-consumer';
import { StartupError } from './transport.errors';

/** Injection token of the app's kafkajs client. */
export const KAFKA_CLIENT = Symbol('KAFKA_CLIENT');

/**
 * The app's idempotent Avro producer, connected at start-up and disconnected last at shutdown:
 * consumers stop (and commit) in `beforeApplicationShutdown`, which Nest runs before this hook.
 */
@Injectable()
export class KafkaProducerLifecycle implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(KafkaProducerLifecycle.name);
  readonly producer: AvroProducer;

  constructor(
    @Inject(KAFKA_CLIENT) private readonly kafka: Kafka,
    serde: AvroSerde,
    health: HealthRegistry,
  ) {
    this.producer = new AvroProducer(createIdempotentProducer(kafka), serde);
    health.register('kafka-producer', () => ({ up: this.producer.producer.connected }));
  }

  async onModuleInit(): Promise<void> {
    try {
      await this.producer.producer.connect();
    } catch (error) {
      throw new StartupError(
        'producer connect',
        `cannot connect to Kafka at ${brokersOf(this.kafka).join(',') || 'the configured brokers'}`,
        { cause: error },
      );
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.producer.producer.disconnect();
    this.logger.log({ msg: 'producer disconnected' });
  }
}

/** What an app declares of a consumer: its group, topics, validator and handler (and tuning). */
export type ConsumerDeclaration<T> = Omit<
  StreamConsumerOptions<T>,
  'kafka' | 'producer' | 'serde' | 'metrics' | 'onFatal'
> & {
  /** Hand the raw bytes to the validator instead of decoding Avro. */
  readonly raw?: boolean;
};

/**
 * Builds the app's consumers from declarations: the client, the schema-registry serde, the app's
 * producer for dead letters and the metrics are the app's; a run loop that cannot be restarted
 * takes the process down (the orchestrator restarts it) rather than leave it alive and idle.
 */
@Injectable()
export class StreamConsumerFactory {
  private readonly logger = new Logger(StreamConsumerFactory.name);

  constructor(
    @Inject(KAFKA_CLIENT) private readonly kafka: Kafka,
    private readonly serde: AvroSerde,
    private readonly producer: AvroProducer,
    private readonly metrics: MetricsRegistry,
  ) {}

  create<T>(declaration: ConsumerDeclaration<T>): StreamConsumer<T> {
    const { raw, ...options } = declaration;
    return new StreamConsumer<T>({
      ...options,
      kafka: this.kafka,
      serde: raw ? null : this.serde,
      producer: this.producer.producer,
      metrics: this.metrics,
      onFatal: (error) =>
        terminateOnFatal(this.logger, `consumer group ${declaration.groupId} cannot run`, error),
    });
  }
}

/** Kafka client, schema-registry serde, the app's producer and its consumer factory, for any app that talks to Kafka. */
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
        StreamConsumerFactory,
      ],
      exports: [KAFKA_CLIENT, AvroSerde, AvroProducer, StreamConsumerFactory],
    };
  }
}
