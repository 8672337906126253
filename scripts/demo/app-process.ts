import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, openSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Env } from '@fraudstream/config';

/** A free TCP port on 127.0.0.1, so the demo's apps never collide with anything already listening. */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  server.close();
  await once(server, 'close');
  return port;
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * One of the loop's apps as a separate Node process (the compiled `dist/apps/<app>/src/main.js`),
 * configured by its environment, its output appended to a log file. It runs in its own process group
 * so that Ctrl-C reaches the demo only, which then stops the apps in order.
 */
export class AppProcess {
  private child: ChildProcess | null = null;
  private exited: Promise<number | null> | null = null;
  exitCode: number | null = null;

  constructor(
    readonly name: string,
    private readonly script: string,
    readonly port: number,
    readonly logFile: string,
  ) {}

  get running(): boolean {
    return this.child !== null && this.exitCode === null && this.child.signalCode === null;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts the process (again, after it exited: a restart keeps the name, port and log file). */
  start(env: Env, args: readonly string[] = []): void {
    this.exitCode = null;
    const log = openSync(this.logFile, 'a');
    const child = spawn(process.execPath, [this.script, ...args], {
      env: { ...env, HTTP_PORT: String(this.port) },
      stdio: ['ignore', log, log],
      detached: true,
    });
    closeSync(log);
    this.child = child;
    this.exited = new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        this.exitCode = code ?? (signal ? 128 : null);
        resolve(this.exitCode);
      });
      child.on('error', () => resolve(null));
    });
  }

  /** GET /health; null while the app does not answer. */
  async health(): Promise<{ status: string; components: Record<string, unknown> } | null> {
    try {
      const response = await fetch(`http://127.0.0.1:${this.port}/health`, {
        signal: AbortSignal.timeout(2000),
      });
      return (await response.json()) as { status: string; components: Record<string, unknown> };
    } catch {
      return null;
    }
  }

  /** The sum of a metric's samples on GET /metrics (every label set); null while the app does not answer. */
  async metricTotal(name: string): Promise<number | null> {
    try {
      const response = await fetch(`http://127.0.0.1:${this.port}/metrics`, {
        signal: AbortSignal.timeout(2000),
      });
      let total = 0;
      for (const line of (await response.text()).split('\n')) {
        if (!line.startsWith(name) || !/^[ {]/.test(line.slice(name.length))) continue;
        total += Number(line.slice(line.lastIndexOf(' ') + 1));
      }
      return total;
    } catch {
      return null;
    }
  }

  /** Resolves once /health says up; throws if the process exits or `timeoutMs` passes first. */
  async waitHealthy(timeoutMs: number, isUp: (h: { status: string }) => boolean = (h) => h.status === 'up') {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.running)
        throw new Error(`${this.name} exited (status ${this.exitCode}); see ${this.logFile}`);
      const health = await this.health();
      if (health && isUp(health)) return;
      await delay(250);
    }
    throw new Error(`${this.name} did not report healthy within ${timeoutMs} ms; see ${this.logFile}`);
  }

  /** SIGTERM (the apps finish their batch, commit and exit), SIGKILL after `graceMs`; the exit status. */
  async stop(graceMs = 40_000): Promise<number | null> {
    if (!this.child || !this.exited) return null;
    if (this.running) this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child?.kill('SIGKILL'), graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Last resort when the demo itself exits abruptly: no orphaned app keeps running. */
  killNow(): void {
    if (this.running) this.child?.kill('SIGKILL');
  }
}

/** Runs a CLI to completion (output to a log file) and returns its exit status and stdout. */
export async function runCli(
  script: string,
  args: readonly string[],
  env: Env,
  logFile: string,
): Promise<{ code: number | null; stdout: string }> {
  const log = openSync(logFile, 'a');
  const child = spawn(process.execPath, [script, ...args], {
    env: { ...env },
    stdio: ['ignore', 'pipe', log],
  });
  closeSync(log);
  let stdout = '';
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => (stdout += chunk));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stdout };
}
