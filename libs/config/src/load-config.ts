import type { z } from 'zod';
import { ConfigError } from './config.errors';

export type Env = Readonly<Record<string, string | undefined>>;

/**
 * Validates the environment against a zod schema once, at boot. Every failing field is reported
 * (not just the first), named by its variable, so an operator fixes them in one go.
 */
export function loadConfig<S extends z.ZodType>(schema: S, env: Env = process.env): z.infer<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => {
    const field = issue.path.length > 0 ? issue.path.join('.') : '(root)';
    const value = typeof issue.path[0] === 'string' ? env[issue.path[0]] : undefined;
    const shown = value === undefined ? 'unset' : JSON.stringify(value);
    return `${field}: ${issue.message} (got ${shown})`;
  });
  throw new ConfigError(issues, { cause: result.error });
}

/** The process environment, for code that must hand it to child processes (the demo's launcher). */
export function processEnv(): Env {
  return process.env;
}
