import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChecksumMismatchError, VersionExistsError } from './registry.errors';
import { manifestFor } from './registry.test-fixtures';
import { S3ModelStore } from './s3-model.store';

// A real S3-compatible server (moto) when the machine has one; S3 semantics are not faked.
const hasMoto = spawnSync('sh', ['-c', 'command -v moto_server'], { stdio: 'ignore' }).status === 0;

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

describe.skipIf(!hasMoto)(S3ModelStore.name, () => {
  let server: ChildProcess;
  let endpoint: string;
  const options = () => ({
    endpoint,
    bucket: 'models',
    prefix: 'registry',
    region: 'us-east-1',
    accessKeyId: 'test',
    secretAccessKey: 'test',
  });

  beforeAll(async () => {
    const port = await freePort();
    endpoint = `http://127.0.0.1:${port}`;
    server = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
    const deadline = Date.now() + 15_000;
    for (;;) {
      try {
        if ((await fetch(`${endpoint}/models`, { method: 'PUT' })).ok) break;
      } catch {
        if (Date.now() > deadline) throw new Error('moto_server did not start');
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }, 20_000);
  afterAll(() => {
    server.kill('SIGTERM');
  });

  it('stores, lists and verifies versions with signed requests', async () => {
    const store = new S3ModelStore(options());
    const bytes = new Uint8Array([1, 2, 3]);
    const uri = await store.putVersion(bytes, manifestFor('v1', bytes));
    await store.putVersion(bytes, manifestFor('v2', bytes, 'v1'));
    expect(uri).toBe('s3://models/registry/v1/model.onnx');
    expect(await store.listVersions()).toEqual(['v1', 'v2']);
    const artifact = await store.readVerified('v2');
    expect(artifact.onnx).toEqual(bytes);
    expect(artifact.manifest.parent_version).toBe('v1');
  });

  it('refuses to overwrite a version', async () => {
    const store = new S3ModelStore({ ...options(), prefix: 'immutable' });
    const bytes = new Uint8Array([4, 5]);
    await store.putVersion(bytes, manifestFor('v1', bytes));
    await expect(store.putVersion(bytes, manifestFor('v1', bytes))).rejects.toBeInstanceOf(
      VersionExistsError,
    );
  });

  it('detects bytes that do not match the manifest', async () => {
    const bytes = new Uint8Array([4, 5]);
    await new S3ModelStore({ ...options(), prefix: 'tampered' }).putVersion(bytes, manifestFor('v1', bytes));
    // The object comes back altered (corruption at rest or in transit): the read must refuse it.
    const corrupting: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
      if (!url.endsWith('/model.onnx')) return response;
      const body = new Uint8Array(await response.arrayBuffer());
      body[0] = (body[0] ?? 0) ^ 0xff;
      return new Response(body, { status: response.status, headers: response.headers });
    };
    const store = new S3ModelStore({ ...options(), prefix: 'tampered', fetch: corrupting });
    await expect(store.readVerified('v1')).rejects.toBeInstanceOf(ChecksumMismatchError);
    expect((await new S3ModelStore({ ...options(), prefix: 'tampered' }).readVerified('v1')).onnx).toEqual(
      bytes,
    );
  });

  it('keeps audit entries in append order', async () => {
    const store = new S3ModelStore({ ...options(), prefix: 'audit-order' });
    const base = {
      at: '2026-01-01T00:00:00.000Z',
      action: 'STAGE_CHANGE' as const,
      from_stage: null,
      to_stage: 'CANDIDATE' as const,
      actor: 'test',
      reason: 'r',
      request_id: null,
      deployment_id: null,
      metrics: {},
    };
    for (let i = 0; i < 5; i++) await store.appendAudit({ ...base, version: `v${i}`, event_time: i });
    expect((await store.readAudit()).map((e) => e.event_time)).toEqual([0, 1, 2, 3, 4]);
  });
});
