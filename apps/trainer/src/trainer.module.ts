import { Module, type DynamicModule } from '@nestjs/common';
import { AvroProducer, AvroSerde, KAFKA_CLIENT, KafkaModule, type Kafka } from '@fraudstream/kafka';
import { ObservabilityModule } from '@fraudstream/observability';
import type { ModelRegistry } from '@fraudstream/registry';
import type { FineTuneJob } from '@fraudstream/training';
import { JobProgress } from './job-progress';
import { APP_CONFIG, type TrainerConfig } from './trainer.config';
import { trainerConsumersProvider } from './trainer.consumers';
import { createTrainerServices, type TrainerServices } from './trainer.factory';
import { TrainerLifecycle } from './trainer.lifecycle';
import { DEPLOYMENT_ANNOUNCER, DEPLOYMENT_LIFECYCLE, FINE_TUNE_JOB, MODEL_REGISTRY } from './trainer.tokens';

const SERVICES = Symbol('TrainerServices');

/** Composition root of the trainer app (worker mode). */
@Module({})
export class TrainerModule {
  static forRoot(config: TrainerConfig): DynamicModule {
    return {
      module: TrainerModule,
      imports: [ObservabilityModule, KafkaModule.forRoot(config, 'trainer')],
      providers: [
        { provide: APP_CONFIG, useValue: config },
        {
          provide: SERVICES,
          inject: [KAFKA_CLIENT, AvroSerde, AvroProducer, JobProgress],
          useFactory: (kafka: Kafka, serde: AvroSerde, producer: AvroProducer, progress: JobProgress) =>
            createTrainerServices(config, kafka, serde, producer, () => progress.beat()),
        },
        {
          provide: MODEL_REGISTRY,
          inject: [SERVICES],
          useFactory: (s: TrainerServices): ModelRegistry => s.registry,
        },
        {
          provide: FINE_TUNE_JOB,
          inject: [SERVICES],
          useFactory: (s: TrainerServices): FineTuneJob => s.job,
        },
        {
          provide: DEPLOYMENT_LIFECYCLE,
          inject: [SERVICES],
          useFactory: (s: TrainerServices) => s.lifecycle,
        },
        {
          provide: DEPLOYMENT_ANNOUNCER,
          inject: [SERVICES],
          useFactory: (s: TrainerServices) => s.announcer,
        },
        JobProgress,
        trainerConsumersProvider,
        TrainerLifecycle,
      ],
    };
  }
}
