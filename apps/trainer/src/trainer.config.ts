import { appConfigFragment, intVar, loadConfig, type Env } from '@fraudstream/config';
import { Topics } from '@fraudstream/contracts';
import { featureSetConfigFragment, featureSetOf } from '@fraudstream/features';
import { checkKafkaSecurity, kafkaConfigFragment } from '@fraudstream/kafka';
import { registryConfigFragment, requireS3Settings } from '@fraudstream/registry';
import { checkDpSettings, trainingConfigFragment } from '@fraudstream/training';
import { z } from 'zod';

/** Environment of the trainer app: composed of the lib fragments it uses. */
export const trainerConfigSchema = z
  .object({
    ...appConfigFragment.shape,
    ...kafkaConfigFragment.shape,
    ...registryConfigFragment.shape,
    ...trainingConfigFragment.shape,
    ...featureSetConfigFragment.shape,
    HTTP_PORT: intVar(3003, 0, 65535),
    SCORES_TOPIC: z.string().min(1).default(Topics.scores),
    LABELS_TOPIC: z.string().min(1).default(Topics.labels),
    RETRAIN_REQUESTS_TOPIC: z.string().min(1).default(Topics.retrainRequests),
    DEPLOYMENTS_TOPIC: z.string().min(1).default(Topics.modelDeployments),
    /** Group of the retrain-request worker: requests are shared among trainer replicas. */
    TRAINER_GROUP_ID: z.string().min(1).default('trainer'),
    /** Group that watches shadow scores and scorers' load refusals (one active trainer decides). */
    TRAINER_LIFECYCLE_GROUP_ID: z.string().min(1).default('trainer-lifecycle'),
    /**
     * Session timeout of the request consumer: a job runs inside the batch handler (heartbeating
     * between epochs), and reading a long window may take minutes between heartbeats.
     */
    TRAINER_SESSION_TIMEOUT_MS: intVar(300_000, 6_000, 1_800_000),
    /**
     * How often the worker republishes registry transitions the deployments topic lacks (a trainer
     * killed between the registry write and the publish, a broker away at that moment). It also
     * reconciles at start. 0 reconciles at start only.
     */
    TRAINER_RECONCILE_INTERVAL_MS: intVar(60_000, 0, 86_400_000),
  })
  .superRefine((config, ctx) => {
    checkKafkaSecurity(config, ctx);
    requireS3Settings(config, ctx);
    checkDpSettings(config, ctx);
    // The sequence family reads a history block: refused at boot on a set without one.
    if (config.TRAINER_MODEL_FAMILY === 'sequence' && featureSetOf(config.FEATURE_SET).sequenceSteps === 0)
      ctx.addIssue({
        code: 'custom',
        path: ['TRAINER_MODEL_FAMILY'],
        message: `the sequence family needs a feature set with a history block (fs-v1-seq16), not ${config.FEATURE_SET}`,
      });
  });

export type TrainerConfig = z.infer<typeof trainerConfigSchema>;

export const APP_CONFIG = Symbol('TrainerConfig');

export function loadTrainerConfig(env?: Env): TrainerConfig {
  return loadConfig(trainerConfigSchema, env);
}
