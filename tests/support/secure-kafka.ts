/*
 * A secure broker of the tests' own (scripts/infra.sh start kafka-secure, in a temporary var folder,
 * on free ports): SASL/SCRAM-SHA-512 over TLS, with a CA made for it and one password per principal.
 */
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { loadConfig } from '@fraudstream/config';
import { kafkaConfigSchema, type KafkaConfig } from '@fraudstream/kafka';

const run = promisify(execFile);
const ROOT = resolve(__dirname, '..', '..');
const INFRA = join(ROOT, 'scripts', 'infra.sh');

/** The environment of a client of `broker` authenticated as `principal` (the env an app would get). */
export type SecureClientEnv = Record<string, string>;

export interface SecureBroker {
  readonly brokers: string;
  readonly caFile: string;
  /** The password of a principal (admin or an app's), as scripts/infra.sh made it. */
  password(principal: string): string;
  /** Env of a client authenticated as `principal`, with `password` to try another one. */
  env(principal: string, password?: string): SecureClientEnv;
  /** Validated Kafka config of that client; the registry is the tests' own (schemas are not secured). */
  config(principal: string, password?: string): KafkaConfig;
  stop(): Promise<void>;
}

/**
 * Why a secure broker cannot be started here, or null when it can: it needs the JDK (java, keytool)
 * and Kafka's jars (cached under .cache/, or Maven to fetch them), which `npm test` has except where
 * the broker runs in a container (FRAUDSTREAM_TESTCONTAINERS=true on a machine without a JDK).
 */
export function secureBrokerUnavailable(): string | null {
  for (const tool of ['java', 'keytool']) {
    if (spawnSync(tool, ['-help'], { stdio: 'ignore' }).error)
      return `${tool} is not on the PATH: the secure broker runs from Kafka's jars on the JDK`;
  }
  const jars = existsSync(join(ROOT, '.cache', 'kafka-4.1.1', 'libs', '.complete'));
  if (!jars && spawnSync('mvn', ['-v'], { stdio: 'ignore' }).error)
    return "Kafka's jars are not cached under .cache/ and mvn is not on the PATH to fetch them";
  return null;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((ok, fail) => server.once('error', fail).listen(0, '127.0.0.1', ok));
  const address = server.address();
  await new Promise<void>((ok) => server.close(() => ok()));
  if (address === null || typeof address === 'string') throw new Error('no TCP port was assigned');
  return address.port;
}

async function infra(env: NodeJS.ProcessEnv, ...args: string[]): Promise<void> {
  try {
    await run('bash', [INFRA, ...args], { env, cwd: ROOT, timeout: 150_000 });
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new Error(`scripts/infra.sh ${args.join(' ')} failed: ${stderr.trim().slice(-2000)}`, {
      cause: error,
    });
  }
}

/** Starts a secure broker of its own; it has no topics or ACLs yet (see setUpSecureKafka). */
export async function startSecureBroker(registryUrl: string): Promise<SecureBroker> {
  const varDir = mkdtempSync(join(tmpdir(), 'fraudstream-secure-'));
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    FRAUDSTREAM_VAR_DIR: varDir,
    FRAUDSTREAM_SECURE_KAFKA_PORT: String(port),
    FRAUDSTREAM_SECURE_CONTROLLER_PORT: String(await freePort()),
  };
  const stop = async (): Promise<void> => {
    try {
      await infra(env, 'stop', 'kafka-secure');
    } finally {
      rmSync(varDir, { recursive: true, force: true });
    }
  };
  try {
    await infra(env, 'start', 'kafka-secure');
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
  const dir = join(varDir, 'kafka-secure');
  const brokers = `127.0.0.1:${port}`;
  const caFile = join(dir, 'tls', 'ca.pem');
  const password = (principal: string): string =>
    readFileSync(join(dir, 'credentials', principal), 'utf8').trim();
  const clientEnv = (principal: string, pw = password(principal)): SecureClientEnv => ({
    KAFKA_BROKERS: brokers,
    KAFKA_SSL: 'true',
    KAFKA_SSL_CA_FILE: caFile,
    KAFKA_SASL_MECHANISM: 'scram-sha-512',
    KAFKA_SASL_USERNAME: principal,
    KAFKA_SASL_PASSWORD: pw,
    KAFKA_CLIENT_ID: `fraudstream-${principal}`,
    SCHEMA_REGISTRY_URL: registryUrl,
  });
  return {
    brokers,
    caFile,
    password,
    env: clientEnv,
    config: (principal, pw) => loadConfig(kafkaConfigSchema, clientEnv(principal, pw)),
    stop,
  };
}
