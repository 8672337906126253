import { configuredFeatureSet } from '@fraudstream/features';
import type { AvroProducer, AvroSerde, Kafka } from '@fraudstream/kafka';
import {
  ModelRegistry,
  createModelStore,
  registryOptionsOf,
  createRegistryKeys,
  resolveCodeRevision,
} from '@fraudstream/registry';
import {
  DeploymentAnnouncer,
  DeploymentLifecycle,
  FineTuneJob,
  KafkaDeploymentHistory,
  KafkaDeploymentPublisher,
  KafkaTrainingDataSource,
  trainingSettingsFrom,
} from '@fraudstream/training';
import type { TrainerConfig } from './trainer.config';

/** The trainer's services wired from its config (shared by the worker, the one-shot job and the CLIs). */
export interface TrainerServices {
  readonly registry: ModelRegistry;
  readonly job: FineTuneJob;
  readonly lifecycle: DeploymentLifecycle;
  /** Registry transition + deployment event, and the reconciler of the two. */
  readonly announcer: DeploymentAnnouncer;
}

export function createTrainerServices(
  config: TrainerConfig,
  kafka: Kafka,
  serde: AvroSerde,
  producer: AvroProducer,
  onProgress?: () => Promise<void>,
): TrainerServices {
  const registry = new ModelRegistry(
    createModelStore(config),
    createRegistryKeys(config),
    registryOptionsOf(config),
  );
  const settings = trainingSettingsFrom(config);
  const announcer = new DeploymentAnnouncer(
    registry,
    new KafkaDeploymentPublisher(producer, config.DEPLOYMENTS_TOPIC),
    new KafkaDeploymentHistory(kafka, serde, config.DEPLOYMENTS_TOPIC),
  );
  const actor = `trainer:${config.INSTANCE_ID}`;
  const featureSet = configuredFeatureSet(config);
  const job = new FineTuneJob({
    registry,
    source: new KafkaTrainingDataSource(kafka, serde, {
      scores: config.SCORES_TOPIC,
      labels: config.LABELS_TOPIC,
    }),
    announcer,
    settings,
    actor,
    codeRevision: resolveCodeRevision(config.GIT_SHA),
    featureSetVersion: featureSet.version,
    featureNames: featureSet.names,
    ...(onProgress ? { onProgress } : {}),
  });
  return {
    registry,
    job,
    lifecycle: new DeploymentLifecycle(registry, announcer, settings, actor),
    announcer,
  };
}
