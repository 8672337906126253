import { appConfigFragment, intVar, loadConfig, type Env } from '@fraudstream/config';
import { kafkaConfigFragment, requireSaslCredentials } from '@fraudstream/kafka';
import { z } from 'zod';

/** Environment of the drift-monitor app: composed of the lib fragments it uses. */
export const driftMonitorConfigSchema = z
  .object({
    ...appConfigFragment.shape,
    ...kafkaConfigFragment.shape,
    HTTP_PORT: intVar(3002, 0, 65535),
  })
  .superRefine(requireSaslCredentials);

export type DriftMonitorConfig = z.infer<typeof driftMonitorConfigSchema>;

export const APP_CONFIG = Symbol('DriftMonitorConfig');

export function loadDriftMonitorConfig(env?: Env): DriftMonitorConfig {
  return loadConfig(driftMonitorConfigSchema, env);
}
