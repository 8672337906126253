import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:net';
import type { Env } from '@fraudstream/config';
import { hashPassword } from '@fraudstream/console';
import type { RunTopics } from './demo-topics';

/** The console's port when it is free (the one docs/console.md names), else any free one. */
export const DEMO_CONSOLE_PORT = 3005;

/** The demo's console user: analyst and model owner, so one person can try every page. */
export const DEMO_CONSOLE_USER = 'demo';

async function portIsFree(port: number): Promise<boolean> {
  const server = createServer();
  server.listen(port, '127.0.0.1');
  try {
    await Promise.race([
      once(server, 'listening'),
      once(server, 'error').then(([error]) => Promise.reject(error as Error)),
    ]);
    server.close();
    await once(server, 'close');
    return true;
  } catch {
    return false;
  }
}

export interface DemoConsole {
  readonly port: number;
  readonly url: string;
  readonly password: string;
  readonly env: Env;
}

/**
 * The console of a demo run: on the run's topics and model registry, with one user whose password
 * is DEMO_CONSOLE_PASSWORD or a fresh random one (printed with the URL).
 */
export async function demoConsole(options: {
  readonly common: Env;
  readonly topics: RunTopics;
  readonly groupPrefix: string;
  readonly modelsRoot: string;
  readonly freePort: () => Promise<number>;
}): Promise<DemoConsole> {
  const port = (await portIsFree(DEMO_CONSOLE_PORT)) ? DEMO_CONSOLE_PORT : await options.freePort();
  const password = options.common.DEMO_CONSOLE_PASSWORD ?? randomBytes(9).toString('base64url');
  const t = options.topics;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    password,
    env: {
      ...options.common,
      KAFKA_CLIENT_ID: 'demo-console',
      CONSOLE_USERS: `${DEMO_CONSOLE_USER}:analyst|model-owner:${await hashPassword(password)}`,
      ALERTS_TOPIC: t.alerts,
      CASES_TOPIC: t.cases,
      LABELS_TOPIC: t.labels,
      SCORES_TOPIC: t.scores,
      DRIFT_EVENTS_TOPIC: t.driftEvents,
      RETRAIN_REQUESTS_TOPIC: t.retrainRequests,
      DEPLOYMENTS_TOPIC: t.modelDeployments,
      CONSOLE_GROUP_PREFIX: options.groupPrefix,
      MODEL_STORE: 'file',
      MODEL_STORE_ROOT: options.modelsRoot,
    },
  };
}
