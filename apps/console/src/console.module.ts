import { Module, type DynamicModule, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import {
  CaseBook,
  CaseDesk,
  ConsoleAuth,
  DriftTimeline,
  ModelDesk,
  OpenIdClientAdapter,
  caseBookLimitsFrom,
  caseDeskSettingsFrom,
  consoleMetrics,
  oidcSettingsFrom,
  type ConsoleMetrics,
} from '@fraudstream/console';
import { AvroProducer, AvroSerde, KAFKA_CLIENT, KafkaModule, type Kafka } from '@fraudstream/kafka';
import { MetricsRegistry, ObservabilityModule } from '@fraudstream/observability';
import {
  ModelRegistry,
  createManifestVerifier,
  createModelStore,
  registryOptionsOf,
} from '@fraudstream/registry';
import {
  KafkaDeploymentHistory,
  KafkaDeploymentPublisher,
  ModelOperations,
  defaultTrainingSettings,
} from '@fraudstream/training';
import { AlertsController } from './alerts.controller';
import { CaseEventsPublisher } from './case-events.publisher';
import { CasesTopicCatchUp } from './cases-catch-up';
import { CasesController } from './cases.controller';
import { ConsoleErrorsFilter } from './console-errors.filter';
import { APP_CONFIG, type ConsoleAppConfig } from './console.config';
import { consoleConsumersProvider } from './console.consumers';
import { ConsoleLifecycle } from './console.lifecycle';
import { CONSOLE_METRICS } from './console.tokens';
import { DriftController } from './drift.controller';
import { LiveQueue } from './live-queue.service';
import { ModelsController } from './models.controller';
import { PagesController } from './pages.controller';
import { securityHeaders } from './security-headers.middleware';
import { SessionController } from './session.controller';
import { SessionGuard } from './session.guard';

/** Composition root of the console app. */
@Module({})
export class ConsoleModule implements NestModule {
  static forRoot(config: ConsoleAppConfig): DynamicModule {
    return {
      module: ConsoleModule,
      imports: [ObservabilityModule, KafkaModule.forRoot(config, 'console')],
      controllers: [
        SessionController,
        PagesController,
        AlertsController,
        CasesController,
        ModelsController,
        DriftController,
      ],
      providers: [
        { provide: APP_CONFIG, useValue: config },
        {
          provide: CONSOLE_METRICS,
          inject: [MetricsRegistry],
          useFactory: (metrics: MetricsRegistry): ConsoleMetrics => consoleMetrics(metrics),
        },
        { provide: CaseBook, useValue: new CaseBook(caseBookLimitsFrom(config)) },
        { provide: DriftTimeline, useValue: new DriftTimeline() },
        {
          provide: ConsoleAuth,
          // With single sign-on configured, the provider's discovery document is read now: an
          // unreachable issuer stops the start with an error naming the address.
          useFactory: async (): Promise<ConsoleAuth> => {
            const oidc = oidcSettingsFrom(config);
            return new ConsoleAuth(
              config.CONSOLE_USERS,
              config.CONSOLE_SESSION_SECRET ?? ConsoleAuth.randomSecret(),
              config.CONSOLE_SESSION_TTL_MS,
              Date.now,
              oidc && { ...oidc, client: await OpenIdClientAdapter.discover(oidc) },
            );
          },
        },
        CaseEventsPublisher,
        LiveQueue,
        {
          provide: CaseDesk,
          inject: [CaseBook, CaseEventsPublisher, CasesTopicCatchUp, CONSOLE_METRICS],
          useFactory: (
            book: CaseBook,
            outbox: CaseEventsPublisher,
            catchUp: CasesTopicCatchUp,
            metrics: ConsoleMetrics,
          ) => new CaseDesk(book, outbox, catchUp, caseDeskSettingsFrom(config), metrics),
        },
        {
          provide: ModelDesk,
          inject: [AvroProducer, KAFKA_CLIENT, AvroSerde, CaseBook],
          useFactory: (producer: AvroProducer, kafka: Kafka, serde: AvroSerde, book: CaseBook) => {
            const registry = new ModelRegistry(
              createModelStore(config),
              { signer: null, verifier: createManifestVerifier(config) },
              registryOptionsOf(config),
            );
            const operations = new ModelOperations(
              registry,
              new KafkaDeploymentPublisher(producer, config.DEPLOYMENTS_TOPIC),
              new KafkaDeploymentHistory(kafka, serde, config.DEPLOYMENTS_TOPIC),
              defaultTrainingSettings(),
            );
            return new ModelDesk(registry, operations, () => book.streamClock);
          },
        },
        consoleConsumersProvider,
        CasesTopicCatchUp,
        ConsoleLifecycle,
        { provide: APP_GUARD, useClass: SessionGuard },
        { provide: APP_FILTER, useClass: ConsoleErrorsFilter },
      ],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(securityHeaders).forRoutes('*path');
  }
}
