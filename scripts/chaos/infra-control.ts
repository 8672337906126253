import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The local services scripts/infra.sh runs (and can stop and start one at a time). */
export type LocalService = 'kafka' | 'registry' | 'redis';

/** The repository root, found from this file whether it runs from sources or dist/. */
export function repositoryRoot(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, 'scripts', 'infra.sh'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`scripts/infra.sh not found above ${__dirname}`);
    dir = parent;
  }
  return dir;
}

const INFRA = join(repositoryRoot(), 'scripts', 'infra.sh');

/** Runs `scripts/infra.sh <args>` (with this process's environment: ports, var dir); its exit status and output. */
export function infra(args: readonly string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [INFRA, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, output }));
  });
}

/**
 * Whether the service answering is one scripts/infra.sh started (its pid file names a live process
 * and the configured address is the script's own): only then may a fault test stop it. Never another
 * stack's broker, nor a cluster the tests were pointed at.
 */
export async function ownsService(service: LocalService): Promise<boolean> {
  return (await infra(['owns', service])).code === 0;
}

/** Stops one service with SIGTERM (as an orchestrator does), waiting for it to exit. */
export async function stopService(service: LocalService): Promise<void> {
  const { code, output } = await infra(['stop', service]);
  if (code !== 0) throw new Error(`stopping ${service} failed: ${output}`);
}

/** Kills one service with SIGKILL (a crash: no clean shutdown, logs not flushed by it), waiting for it to exit. */
export async function killService(service: LocalService): Promise<void> {
  const { code, output } = await infra(['kill', service]);
  if (code !== 0) throw new Error(`killing ${service} failed: ${output}`);
}

/** Starts it again and waits until it answers. */
export async function startService(service: LocalService): Promise<void> {
  const { code, output } = await infra(['start', service]);
  if (code !== 0) throw new Error(`starting ${service} failed: ${output}`);
}
