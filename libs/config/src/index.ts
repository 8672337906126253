export { ConfigError } from './config.errors';
export { loadConfig, processEnv } from './load-config';
export type { Env } from './load-config';
export { appConfigFragment, boolVar, intVar, numberVar } from './fragments';
export type { AppConfig } from './fragments';
