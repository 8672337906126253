import { appConfigFragment, intVar, loadConfig, type Env } from '@fraudstream/config';
import { Topics } from '@fraudstream/contracts';
import { driftConfigFragment } from '@fraudstream/drift';
import { checkKafkaSecurity, kafkaConfigFragment } from '@fraudstream/kafka';
import { registryConfigFragment, requireS3Settings } from '@fraudstream/registry';
import { z } from 'zod';

/** Environment of the drift-monitor app: composed of the lib fragments it uses. */
export const driftMonitorConfigSchema = z
  .object({
    ...appConfigFragment.shape,
    ...kafkaConfigFragment.shape,
    /** Where deployed artifacts are read from: the file system, or S3 for s3:// URIs (MODEL_STORE=s3). */
    ...registryConfigFragment.shape,
    ...driftConfigFragment.shape,
    HTTP_PORT: intVar(3002, 0, 65535),
    SCORES_TOPIC: z.string().min(1).default(Topics.scores),
    LABELS_TOPIC: z.string().min(1).default(Topics.labels),
    DEPLOYMENTS_TOPIC: z.string().min(1).default(Topics.modelDeployments),
    DRIFT_EVENTS_TOPIC: z.string().min(1).default(Topics.driftEvents),
    RETRAIN_REQUESTS_TOPIC: z.string().min(1).default(Topics.retrainRequests),
    /** Where investigations go, as INVESTIGATE alerts for the analysts (the scorer's alerts topic). */
    ALERTS_TOPIC: z.string().min(1).default(Topics.alerts),
    /** Consumer group of scores and labels. One instance: the state is one process's (see docs/drift.md). */
    DRIFT_GROUP_ID: z.string().min(1).default('drift-monitor'),
    /** Prefix of the per-start deployments group (the whole deployment history is replayed at start). */
    DRIFT_DEPLOYMENTS_GROUP_PREFIX: z.string().min(1).default('drift-monitor-deployments'),
    DRIFT_DEPLOYMENTS_REPLAY_TIMEOUT_MS: intVar(15_000, 0, 600_000),
    /** JSON checkpoint of the windows, samples, policy state and input offsets. */
    DRIFT_CHECKPOINT_PATH: z.string().min(1).default('var/drift-monitor/checkpoint.json'),
    /** Wall-clock time between checkpoints while no window closes (every emission checkpoints too). */
    DRIFT_CHECKPOINT_INTERVAL_MS: intVar(10_000, 0),
    /**
     * A score or label whose event_time lies more than this ahead of its partition's event-time
     * watermark (or of the wall clock, when later) is dead-lettered with reason validation: one
     * record dated in the far future would otherwise move the monitor's clock there for good.
     */
    DRIFT_MAX_EVENT_TIME_AHEAD_MS: intVar(86_400_000, 0),
  })
  .superRefine((config, ctx) => {
    checkKafkaSecurity(config, ctx);
    requireS3Settings(config, ctx);
  });

export type DriftMonitorConfig = z.infer<typeof driftMonitorConfigSchema>;

export const APP_CONFIG = Symbol('DriftMonitorConfig');

export function loadDriftMonitorConfig(env?: Env): DriftMonitorConfig {
  return loadConfig(driftMonitorConfigSchema, env);
}
