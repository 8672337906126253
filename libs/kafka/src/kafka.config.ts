import { readFileSync } from 'node:fs';
import { z } from 'zod';

const brokerList = z
  .string()
  .min(1)
  .transform((s) =>
    s
      .split(',')
      .map((b) => b.trim())
      .filter((b) => b.length > 0),
  )
  .refine((list) => list.length > 0 && list.every((b) => /^[A-Za-z0-9.\-_[\]:]+:\d{1,5}$/.test(b)), {
    message: 'expected a comma-separated list of host:port',
  });

/**
 * A file of PEM certificates, read once here at boot, so that a missing or unreadable file fails
 * start-up with the field's name instead of the first TLS handshake.
 */
const pemCertificatesFile = z
  .string()
  .min(1)
  .transform((path, ctx) => {
    let pem: string;
    try {
      pem = readFileSync(path, 'utf8');
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: `cannot read ${path}: ${(error as Error).message}` });
      return z.NEVER;
    }
    if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
      ctx.addIssue({ code: 'custom', message: `${path} holds no PEM certificate` });
      return z.NEVER;
    }
    return { path, pem };
  });

/** Env fragment for every app that talks to Kafka and the schema registry. */
export const kafkaConfigFragment = z.object({
  KAFKA_BROKERS: brokerList.default(['127.0.0.1:9092']),
  KAFKA_CLIENT_ID: z.string().min(1).default('fraudstream'),
  KAFKA_SSL: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true'),
  /**
   * CA certificates (PEM) the brokers' TLS certificates are checked against, instead of the
   * system's: a private CA, such as the one `npm run infra:up -- --secure` generates.
   */
  KAFKA_SSL_CA_FILE: pemCertificatesFile.optional(),
  KAFKA_SASL_MECHANISM: z.enum(['none', 'plain', 'scram-sha-256', 'scram-sha-512']).default('none'),
  KAFKA_SASL_USERNAME: z.string().optional(),
  KAFKA_SASL_PASSWORD: z.string().optional(),
  KAFKA_CONNECTION_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(3000),
  SCHEMA_REGISTRY_URL: z.url().default('http://127.0.0.1:8081/apis/ccompat/v7'),
});

export type KafkaConfig = z.infer<typeof kafkaConfigFragment>;

/**
 * Cross-field rules for a schema that contains the Kafka fragment: SASL credentials are required
 * once a mechanism is set, and a CA file only with TLS on (it would otherwise be silently unused).
 * Apply with `.superRefine(checkKafkaSecurity)` after composing.
 */
export function checkKafkaSecurity(config: KafkaConfig, ctx: z.RefinementCtx): void {
  if (config.KAFKA_SSL_CA_FILE && !config.KAFKA_SSL) {
    ctx.addIssue({ code: 'custom', path: ['KAFKA_SSL_CA_FILE'], message: 'set only with KAFKA_SSL=true' });
  }
  if (config.KAFKA_SASL_MECHANISM === 'none') return;
  for (const field of ['KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD'] as const) {
    if (!config[field]) {
      ctx.addIssue({
        code: 'custom',
        path: [field],
        message: `required when KAFKA_SASL_MECHANISM=${config.KAFKA_SASL_MECHANISM}`,
      });
    }
  }
}

/** The Kafka fragment alone, with its cross-field rule (scripts and tests). */
export const kafkaConfigSchema = kafkaConfigFragment.superRefine(checkKafkaSecurity);
