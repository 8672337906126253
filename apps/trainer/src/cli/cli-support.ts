import { Logger } from '@nestjs/common';
import { createAppLogger } from '@fraudstream/observability';
import {
  AvroProducer,
  AvroSerde,
  createIdempotentProducer,
  createKafkaClient,
  type Kafka,
} from '@fraudstream/kafka';
import { TrainingJobError } from '@fraudstream/training';
import type { TrainerConfig } from '../trainer.config';

/** Structured logs, JSON (or text) like the apps', all on stderr: stdout is the command's result. */
export function useCliLogger(name: string, config: TrainerConfig): void {
  Logger.overrideLogger(createAppLogger(name, config, { stream: 'stderr' }));
}

export interface KafkaHandles {
  readonly kafka: Kafka;
  readonly serde: AvroSerde;
  readonly producer: AvroProducer;
  close(): Promise<void>;
}

/** A Kafka client, serde and connected idempotent producer for a CLI run. */
export async function connectKafka(config: TrainerConfig, suffix: string): Promise<KafkaHandles> {
  const kafka = createKafkaClient(config, suffix);
  const serde = AvroSerde.connect(config.SCHEMA_REGISTRY_URL);
  const raw = createIdempotentProducer(kafka);
  await raw.connect();
  return { kafka, serde, producer: new AvroProducer(raw, serde), close: () => raw.disconnect() };
}

/**
 * Runs a training CLI's main and exits with its code; a failure prints its stack and exits 2 for a
 * refused training job (bad data, one class), 1 for anything else.
 */
export function runTrainingCli(main: () => Promise<number>): void {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error instanceof Error ? (error.stack ?? error.message) : error);
      process.exit(error instanceof TrainingJobError ? 2 : 1);
    },
  );
}
