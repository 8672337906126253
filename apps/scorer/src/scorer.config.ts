import { appConfigFragment, boolVar, intVar, loadConfig, type Env } from '@fraudstream/config';
import { Topics } from '@fraudstream/contracts';
import { featuresConfigFragment } from '@fraudstream/features';
import { checkKafkaSecurity, kafkaConfigFragment } from '@fraudstream/kafka';
import { registryConfigFragment, requireS3Settings } from '@fraudstream/registry';
import type { ExecutionProvider } from '@fraudstream/model';
import { z } from 'zod';

const provider = z.enum(['cpu', 'webgpu']);

/** `v7=webgpu,v8=cpu`: the execution provider of particular model versions. */
const providerOverrides = z
  .string()
  .default('')
  .transform((s, ctx) => {
    const map = new Map<string, ExecutionProvider>();
    for (const entry of s
      .split(',')
      .map((e) => e.trim())
      .filter((e) => e.length > 0)) {
      const [version, name] = entry.split('=').map((p) => p.trim());
      const parsed = provider.safeParse(name);
      if (!version || !parsed.success) {
        ctx.addIssue({ code: 'custom', message: `expected version=cpu|webgpu, got "${entry}"` });
        return z.NEVER;
      }
      map.set(version, parsed.data);
    }
    return map;
  });

/** Environment of the scorer app: composed of the lib fragments it uses. */
export const scorerConfigSchema = z
  .object({
    ...appConfigFragment.shape,
    ...kafkaConfigFragment.shape,
    /** Where deployed artifacts are read from: the file system, or S3 for s3:// URIs (MODEL_STORE=s3). */
    ...registryConfigFragment.shape,
    ...featuresConfigFragment.shape,
    HTTP_PORT: intVar(3001, 0, 65535),
    TRANSACTIONS_TOPIC: z.string().min(1).default(Topics.transactions),
    SCORES_TOPIC: z.string().min(1).default(Topics.scores),
    ALERTS_TOPIC: z.string().min(1).default(Topics.alerts),
    LABELS_TOPIC: z.string().min(1).default(Topics.labels),
    DEPLOYMENTS_TOPIC: z.string().min(1).default(Topics.modelDeployments),
    /** Consumer group of the transactions (shared by all replicas: partitions are split between them). */
    SCORER_GROUP_ID: z.string().min(1).default('scorer'),
    /**
     * Scores, alerts, dead letters and the transactions' offsets in one Kafka transaction per batch
     * (exactly once for read_committed readers). Each partition's transactional producer is
     * `<SCORER_GROUP_ID>.<topic>.<partition>`, the same in every replica, so a partition's new owner
     * fences the old one. false: at-least-once (outputs acknowledged, then the offsets committed).
     */
    SCORER_EXACTLY_ONCE: boolVar(true),
    /**
     * With SCORER_EXACTLY_ONCE, group commit: a handled batch returns once queued for its partition's
     * transaction, the next ones are fetched and scored while it commits, and those scored meanwhile
     * share the partition's next transaction (the transport's `handleWhileCommitting`). The feature
     * state keeps the vectors of every batch above the committed offset, so a kill with several
     * batches uncommitted replays them with the same features. false: one transaction per batch,
     * each awaited before the partition's next batch (docs/scorer.md compares the two).
     */
    SCORER_GROUP_COMMIT: boolVar(true),
    /**
     * Consumer group of the labels. With the Redis feature store all replicas share it; with the
     * in-memory store each replica needs every label, so give each its own group.
     */
    SCORER_LABELS_GROUP_ID: z.string().min(1).default('scorer-labels'),
    /** Prefix of the per-instance deployments group (every instance reads every deployment). */
    SCORER_DEPLOYMENTS_GROUP_PREFIX: z.string().min(1).default('scorer-deployments'),
    /** ONNX file (file:// URI or path) served when no deployment event names a champion; manifest.json beside it. */
    MODEL_PATH: z.string().min(1).optional(),
    /**
     * With the in-memory feature store: file the feature state is written to at shutdown (after the
     * last commit, so it matches the committed offsets) and restored from at start, so a restarted
     * scorer is not cold. Unset: state starts empty.
     */
    SCORER_FEATURE_SNAPSHOT_PATH: z.string().min(1).optional(),
    /** How long start-up waits to replay ml.model-deployments.v1 before serving what it has. */
    SCORER_DEPLOYMENTS_REPLAY_TIMEOUT_MS: intVar(15_000, 0, 600_000),
    SCORER_MAX_BATCH_SIZE: intVar(512, 1, 65_536),
    SCORER_MAX_WAIT_MS: intVar(2, 0, 1000),
    SCORER_WORKERS: intVar(1, 1, 64),
    ORT_INTRA_OP_THREADS: intVar(1, 1, 256),
    ORT_INTER_OP_THREADS: intVar(1, 1, 256),
    SCORER_EXECUTION_PROVIDER: provider.default('cpu'),
    SCORER_EXECUTION_PROVIDER_OVERRIDES: providerOverrides,
    SCORER_PARTITIONS_CONCURRENTLY: intVar(3, 1, 64),
    SCORER_MAX_BYTES_PER_PARTITION: intVar(1_048_576, 1024),
    SCORER_FETCH_MAX_WAIT_MS: intVar(20, 0, 10_000),
    SCORER_MAX_REASONS: intVar(3, 0, 64),
    /**
     * How far (ms of event time) one transactions partition's batch may run past the next transaction
     * of the slowest partition that has transactions left (the transport's event-time alignment). The
     * terminal windows are one state that every partition updates, so partitions out of step count a
     * terminal's payments out of order: in a backlog, days apart without it (docs/features.md).
     * -1 turns the alignment off.
     */
    SCORER_MAX_EVENT_TIME_SKEW_MS: intVar(300_000, -1, 86_400_000),
    /**
     * With the Redis feature store (replicas share the terminal windows): whether the replicas hold
     * their partitions in step with one another too, exchanging their positions through Redis
     * every 50 ms (a replica silent for a session timeout drops out). false: each replica holds its
     * own partitions in step only. No effect with the memory store or with the alignment off.
     */
    SCORER_ALIGN_REPLICAS: boolVar(true),
    /**
     * Session timeout of the transactions and labels groups: how long a crashed (SIGKILLed) replica's partitions
     * wait before the group hands them to the others or to its restarted self. 6 s (the broker's
     * minimum by default) against kafkajs's 30 s: a SIGKILLed scorer consumes again within ~10 s.
     * The price: a replica that cannot heartbeat for 6 s (a stuck batch, a long GC pause) is dropped
     * and its batch scored again by the new owner (duplicates, never losses).
     */
    SCORER_SESSION_TIMEOUT_MS: intVar(6000, 6000, 300_000),
    /** Heartbeat interval of those groups (a third of the session timeout or less). */
    SCORER_HEARTBEAT_INTERVAL_MS: intVar(1000, 100, 100_000),
    /**
     * How far a transaction's event time may lie ahead of its partition's event-time watermark (the
     * newest event time seen there, or the wall clock if later). Beyond it the transaction is
     * dead-lettered with reason validation: one crafted record must not move window buckets ahead.
     */
    SCORER_MAX_EVENT_TIME_AHEAD_MS: intVar(86_400_000, 0),
  })
  .superRefine((config, ctx) => {
    checkKafkaSecurity(config, ctx);
    requireS3Settings(config, ctx);
  });

export type ScorerConfig = z.infer<typeof scorerConfigSchema>;

export const APP_CONFIG = Symbol('ScorerConfig');

export function loadScorerConfig(env?: Env): ScorerConfig {
  return loadConfig(scorerConfigSchema, env);
}
