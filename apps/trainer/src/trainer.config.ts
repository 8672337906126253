import { appConfigFragment, intVar, loadConfig, type Env } from '@fraudstream/config';
import { kafkaConfigFragment, requireSaslCredentials } from '@fraudstream/kafka';
import { z } from 'zod';

/** Environment of the trainer app: composed of the lib fragments it uses. */
export const trainerConfigSchema = z
  .object({
    ...appConfigFragment.shape,
    ...kafkaConfigFragment.shape,
    HTTP_PORT: intVar(3003, 0, 65535),
  })
  .superRefine(requireSaslCredentials);

export type TrainerConfig = z.infer<typeof trainerConfigSchema>;

export const APP_CONFIG = Symbol('TrainerConfig');

export function loadTrainerConfig(env?: Env): TrainerConfig {
  return loadConfig(trainerConfigSchema, env);
}
