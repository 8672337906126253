import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Env } from '@fraudstream/config';
import { readAvroSchema, valueSubject, type TopicSpec } from '@fraudstream/contracts';
import { DEFAULT_FEATURE_SET, type FeatureSet } from '@fraudstream/features';
import {
  AvroProducer,
  createIdempotentProducer,
  ensureTopics,
  type AvroSerde,
  type Kafka,
} from '@fraudstream/kafka';
import { randomMlpSpec, writeModelFixture } from '@fraudstream/model';
import { FileSystemModelStore, ModelRegistry, localKeyRingKeys } from '@fraudstream/registry';
import { DeploymentAnnouncer, KafkaDeploymentPublisher } from '@fraudstream/training';
import { AppProcess, freePort } from '../demo/app-process';
import { repositoryRoot } from './infra-control';

const ROOT = repositoryRoot();
export const APP = (name: string) => join(ROOT, 'dist', 'apps', name, 'src', 'main.js');
export const MODELS_CLI = join(ROOT, 'dist', 'apps', 'trainer', 'src', 'cli', 'models.js');

/** The topics of one scenario: its own, so scenarios never see each other's records. */
export interface ChaosTopics {
  readonly transactions: string;
  readonly scores: string;
  readonly alerts: string;
  readonly labels: string;
  readonly deployments: string;
  readonly driftEvents: string;
  readonly retrainRequests: string;
}

const SCHEMAS: Record<keyof ChaosTopics, string> = {
  transactions: 'tx.transactions.v1.avsc',
  scores: 'tx.scores.v1.avsc',
  alerts: 'fraud.alerts.v1.avsc',
  labels: 'fraud.labels.v1.avsc',
  deployments: 'ml.model-deployments.v1.avsc',
  driftEvents: 'ml.drift-events.v1.avsc',
  retrainRequests: 'ml.retrain-requests.v1.avsc',
};

/**
 * One scenario's slice of the loop on the local stack: its topics (and dead-letter topics), a model
 * registry with v1 in production and v2 registered, and app processes started from dist/ with the
 * scenario's environment. Everything it starts, it stops.
 */
export class ChaosStack {
  readonly id = randomUUID().slice(0, 8);
  readonly topics: ChaosTopics;
  readonly registryRoot: string;
  readonly registry: ModelRegistry;
  readonly apps: AppProcess[] = [];
  producer!: AvroProducer;
  announcer!: DeploymentAnnouncer;

  constructor(
    readonly name: string,
    private readonly kafka: Kafka,
    readonly serde: AvroSerde,
    private readonly env: Env,
    readonly logDir: string,
    readonly partitions: number,
  ) {
    const topic = (key: string) => `chaos.${name}.${this.id}.${key}`;
    this.topics = {
      transactions: topic('transactions'),
      scores: topic('scores'),
      alerts: topic('alerts'),
      labels: topic('labels'),
      deployments: topic('deployments'),
      driftEvents: topic('drift-events'),
      retrainRequests: topic('retrain-requests'),
    };
    this.registryRoot = mkdtempSync(join(tmpdir(), `chaos-${name}-`));
    this.registry = new ModelRegistry(new FileSystemModelStore(this.registryRoot), localKeyRingKeys());
    mkdirSync(logDir, { recursive: true });
  }

  /**
   * Creates the topics, registers the schemas and the models (MLPs over `featureSet`, the one the
   * scenario's scorers compute: default the live loop's), and deploys v1.
   */
  async prepare(featureSet: FeatureSet = DEFAULT_FEATURE_SET): Promise<void> {
    const specs: TopicSpec[] = [];
    for (const [key, name] of Object.entries(this.topics) as [keyof ChaosTopics, string][]) {
      // Transactions and scores share a partition count: a card's score lands on its transaction's partition.
      const partitions = key === 'transactions' || key === 'scores' ? this.partitions : 1;
      specs.push({
        name,
        partitions,
        retentionMs: 3_600_000,
        cleanupPolicy: 'delete',
        schemaFile: SCHEMAS[key],
      });
      specs.push({
        name: `${name}.dlq`,
        partitions: 1,
        retentionMs: 3_600_000,
        cleanupPolicy: 'delete',
        schemaFile: null,
      });
    }
    await ensureTopics(this.kafka, specs);
    for (const [key, name] of Object.entries(this.topics) as [keyof ChaosTopics, string][])
      await this.serde.register(valueSubject(name), readAvroSchema(SCHEMAS[key]));
    const raw = createIdempotentProducer(this.kafka);
    await raw.connect();
    this.producer = new AvroProducer(raw, this.serde);
    this.announcer = new DeploymentAnnouncer(
      this.registry,
      new KafkaDeploymentPublisher(this.producer, this.topics.deployments),
    );
    const fixtures = join(this.registryRoot, '.fixtures');
    for (const [i, version] of ['v1', 'v2'].entries()) {
      const fixture = writeModelFixture(fixtures, {
        version,
        featureNames: featureSet.names,
        featureSetVersion: featureSet.version,
        spec: randomMlpSpec(featureSet.names.length, [8], 100 + i),
        threshold: 0.7,
      });
      const bytes = new Uint8Array(readFileSync(fileURLToPath(fixture.artifactUri)));
      await this.registry.register(bytes, fixture.manifest, {
        actor: 'chaos',
        reason: 'fixture',
        eventTime: Date.now(),
      });
    }
    await this.announcer.transition('v1', 'PRODUCTION', {
      actor: 'chaos',
      reason: 'base',
      eventTime: Date.now(),
    });
  }

  /** Environment shared by the apps of this scenario. */
  appEnv(extra: Env = {}): Env {
    const t = this.topics;
    return {
      ...this.env,
      LOG_FORMAT: 'json',
      LOG_LEVEL: 'log',
      TRANSACTIONS_TOPIC: t.transactions,
      SCORES_TOPIC: t.scores,
      ALERTS_TOPIC: t.alerts,
      LABELS_TOPIC: t.labels,
      DEPLOYMENTS_TOPIC: t.deployments,
      DRIFT_EVENTS_TOPIC: t.driftEvents,
      RETRAIN_REQUESTS_TOPIC: t.retrainRequests,
      SCORER_GROUP_ID: `chaos.${this.id}.scorer`,
      SCORER_LABELS_GROUP_ID: `chaos.${this.id}.scorer-labels`,
      DRIFT_GROUP_ID: `chaos.${this.id}.drift`,
      DRIFT_CHECKPOINT_PATH: join(this.registryRoot, 'drift-checkpoint.json'),
      TRAINER_GROUP_ID: `chaos.${this.id}.trainer`,
      TRAINER_LIFECYCLE_GROUP_ID: `chaos.${this.id}.trainer-lifecycle`,
      MODEL_STORE: 'file',
      MODEL_STORE_ROOT: this.registryRoot,
      // A Redis feature store's keys are this scenario's alone.
      FEATURE_STORE_KEY_PREFIX: `fraudstream-chaos:${this.id}`,
      ...extra,
    };
  }

  /** Starts an app (scorer, drift-monitor, trainer) and waits for /health up. */
  async startApp(
    app: string,
    instance: string,
    extra: Env = {},
    healthyWithinMs = 60_000,
  ): Promise<AppProcess> {
    const child = new AppProcess(
      instance,
      APP(app),
      await freePort(),
      join(this.logDir, `${this.name}-${instance}.log`),
    );
    child.start(this.appEnv({ INSTANCE_ID: `${this.id}-${instance}`, ...extra }));
    this.apps.push(child);
    await child.waitHealthy(healthyWithinMs);
    return child;
  }

  /** Restarts an app process in place (same port, same log), waiting for /health up. */
  async restartApp(child: AppProcess, extra: Env = {}, healthyWithinMs = 60_000): Promise<void> {
    child.start(this.appEnv({ INSTANCE_ID: `${this.id}-${child.name}`, ...extra }));
    await child.waitHealthy(healthyWithinMs);
  }

  /** The champion each running scorer reports on /health. */
  async servingVersions(): Promise<string[]> {
    const versions: string[] = [];
    for (const app of this.apps) {
      if (!app.running) continue;
      const health = await app.health();
      const model = health?.components.model as { details?: { champion?: string | null } } | undefined;
      if (model?.details?.champion) versions.push(model.details.champion);
    }
    return [...new Set(versions)].sort();
  }

  async stop(): Promise<void> {
    await Promise.all(this.apps.map((a) => a.stop(30_000)));
    await this.producer?.producer.disconnect();
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      await admin.deleteTopics({
        topics: (Object.values(this.topics) as string[]).flatMap((t) => [t, `${t}.dlq`]),
      });
    } catch {
      // Left to their one-hour retention.
    } finally {
      await admin.disconnect();
    }
    rmSync(this.registryRoot, { recursive: true, force: true });
  }
}
