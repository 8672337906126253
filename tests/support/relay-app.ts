/*
 * A minimal app built like the real ones (bootstrapApp, KafkaModule, StreamConsumer): it relays
 * transactions from RELAY_SOURCE to RELAY_SINK, slowly, so a test can SIGTERM it mid-stream and
 * check that the transport's graceful shutdown loses and duplicates nothing.
 */
import 'reflect-metadata';
import {
  Inject,
  Injectable,
  Module,
  type BeforeApplicationShutdown,
  type DynamicModule,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { appConfigFragment, intVar, loadConfig } from '@fraudstream/config';
import type { Transaction } from '@fraudstream/contracts';
import {
  AvroProducer,
  AvroSerde,
  KAFKA_CLIENT,
  KafkaModule,
  StreamConsumer,
  kafkaConfigFragment,
  type Kafka,
} from '@fraudstream/kafka';
import { MetricsRegistry, ObservabilityModule, bootstrapApp } from '@fraudstream/observability';
import { z } from 'zod';

const relayConfigSchema = z.object({
  ...appConfigFragment.shape,
  ...kafkaConfigFragment.shape,
  HTTP_PORT: intVar(0, 0, 65535),
  RELAY_SOURCE: z.string().min(1),
  RELAY_SINK: z.string().min(1),
  RELAY_GROUP: z.string().min(1),
  RELAY_BATCH_DELAY_MS: intVar(0, 0, 10_000),
  RELAY_MAX_BYTES_PER_PARTITION: intVar(1_048_576, 1024),
});
type RelayConfig = z.infer<typeof relayConfigSchema>;
const RELAY_CONFIG = Symbol('RELAY_CONFIG');

@Injectable()
class RelayConsumer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly consumer: StreamConsumer<Transaction>;

  constructor(
    @Inject(KAFKA_CLIENT) kafka: Kafka,
    @Inject(RELAY_CONFIG) config: RelayConfig,
    serde: AvroSerde,
    producer: AvroProducer,
    metrics: MetricsRegistry,
  ) {
    this.consumer = new StreamConsumer<Transaction>({
      kafka,
      producer: producer.producer,
      serde,
      metrics,
      groupId: config.RELAY_GROUP,
      topics: [config.RELAY_SOURCE],
      fromBeginning: true,
      maxBytesPerPartition: config.RELAY_MAX_BYTES_PER_PARTITION,
      validate: (value) => value as Transaction,
      handle: async (messages) => {
        await new Promise((resolve) => setTimeout(resolve, config.RELAY_BATCH_DELAY_MS));
        await producer.sendMany([
          {
            topic: config.RELAY_SINK,
            records: messages.map((m) => ({ key: m.value.card_id, value: m.value })),
          },
        ]);
        return {};
      },
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.consumer.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.consumer.stop();
  }
}

@Module({})
class RelayModule {
  static forRoot(config: RelayConfig): DynamicModule {
    return {
      module: RelayModule,
      imports: [ObservabilityModule, KafkaModule.forRoot(config, 'relay')],
      providers: [{ provide: RELAY_CONFIG, useValue: config }, RelayConsumer],
    };
  }
}

async function main(): Promise<void> {
  const config = loadConfig(relayConfigSchema);
  await bootstrapApp('relay', RelayModule.forRoot(config), config);
}

main().catch((error: unknown) => {
  // eslint-disable-next-line no-console -- a test fixture's entry point reports its own crash
  console.error(error);
  process.exit(1);
});
