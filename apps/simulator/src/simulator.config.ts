import { appConfigFragment, intVar, loadConfig, type Env } from '@fraudstream/config';
import { kafkaConfigFragment, requireSaslCredentials } from '@fraudstream/kafka';
import { z } from 'zod';

/** Environment of the simulator app: composed of the lib fragments it uses. */
export const simulatorConfigSchema = z
  .object({
    ...appConfigFragment.shape,
    ...kafkaConfigFragment.shape,
    HTTP_PORT: intVar(3004, 0, 65535),
  })
  .superRefine(requireSaslCredentials);

export type SimulatorConfig = z.infer<typeof simulatorConfigSchema>;

export const APP_CONFIG = Symbol('SimulatorConfig');

export function loadSimulatorConfig(env?: Env): SimulatorConfig {
  return loadConfig(simulatorConfigSchema, env);
}
