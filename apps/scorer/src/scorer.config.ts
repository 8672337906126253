import { appConfigFragment, intVar, loadConfig, type Env } from '@fraudstream/config';
import { kafkaConfigFragment, requireSaslCredentials } from '@fraudstream/kafka';
import { z } from 'zod';

/** Environment of the scorer app: composed of the lib fragments it uses. */
export const scorerConfigSchema = z
  .object({
    ...appConfigFragment.shape,
    ...kafkaConfigFragment.shape,
    HTTP_PORT: intVar(3001, 0, 65535),
  })
  .superRefine(requireSaslCredentials);

export type ScorerConfig = z.infer<typeof scorerConfigSchema>;

export const APP_CONFIG = Symbol('ScorerConfig');

export function loadScorerConfig(env?: Env): ScorerConfig {
  return loadConfig(scorerConfigSchema, env);
}
