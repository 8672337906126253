import { hostname } from 'node:os';
import { z } from 'zod';

/** An integer env var with bounds; strings like "8080" are coerced. */
export function intVar(defaultValue: number, min = 0, max = Number.MAX_SAFE_INTEGER) {
  return z.coerce.number().int().min(min).max(max).default(defaultValue);
}

/** A float env var with bounds. */
export function numberVar(defaultValue: number, min = -Number.MAX_VALUE, max = Number.MAX_VALUE) {
  return z.coerce.number().min(min).max(max).default(defaultValue);
}

/** A boolean env var: true/false/1/0/yes/no. */
export function boolVar(defaultValue: boolean) {
  return z
    .enum(['true', 'false', '1', '0', 'yes', 'no'])
    .default(defaultValue ? 'true' : 'false')
    .transform((v) => v === 'true' || v === '1' || v === 'yes');
}

/** HTTP and logging settings every app has. */
export const appConfigFragment = z.object({
  HTTP_PORT: intVar(3000, 0, 65535),
  HTTP_HOST: z.string().min(1).default('127.0.0.1'),
  LOG_LEVEL: z.enum(['error', 'warn', 'log', 'debug', 'verbose']).default('log'),
  LOG_FORMAT: z.enum(['json', 'text']).default('json'),
  INSTANCE_ID: z.string().min(1).default(`${hostname()}-${process.pid}`),
});

export type AppConfig = z.infer<typeof appConfigFragment>;
