/*
 * A minimal app built like the real ones (bootstrapApp, KafkaModule, StreamConsumer): it relays
 * transactions from RELAY_SOURCE to RELAY_SINK, slowly, in chunks, so a test can SIGTERM it mid-stream and
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
  RELAY_CHUNK: intVar(20, 1),
  RELAY_CHUNK_DELAY_MS: intVar(0, 0, 10_000),
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
      validate: (value) => value as Transaction,
      // Slow, chunked work: a signal arrives while a batch is half relayed.
      handle: async (messages) => {
        for (let i = 0; i < messages.length; i += config.RELAY_CHUNK) {
          const chunk = messages.slice(i, i + config.RELAY_CHUNK);
          await producer.sendMany([
            {
              topic: config.RELAY_SINK,
              records: chunk.map((m) => ({ key: m.value.card_id, value: m.value })),
            },
          ]);
          await new Promise((resolve) => setTimeout(resolve, config.RELAY_CHUNK_DELAY_MS));
        }
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
