import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { requireTool } from './project-tools';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

export interface MotoServer {
  readonly endpoint: string;
  stop(): void;
}

/**
 * Starts moto's S3-compatible server (brought by scripts/tools.sh; S3 semantics are never faked) on a
 * free port and creates `bucket` in it; resolves once it answers.
 */
export async function startMoto(bucket: string): Promise<MotoServer> {
  const motoServer = requireTool('moto_server');
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(motoServer, ['-H', '127.0.0.1', '-p', String(port)], {
    stdio: 'ignore',
  });
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      if ((await fetch(`${endpoint}/${bucket}`, { method: 'PUT' })).ok) break;
    } catch {
      if (Date.now() > deadline) {
        child.kill('SIGTERM');
        throw new Error('moto_server did not start');
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  return { endpoint, stop: () => child.kill('SIGTERM') };
}
