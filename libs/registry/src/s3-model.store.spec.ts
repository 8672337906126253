import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMoto, type MotoServer } from '../../../tests/support/moto-server';
import { UriArtifactReader } from './artifact-reader';
import { ChecksumMismatchError, VersionExistsError } from './registry.errors';
import { manifestFor } from './registry.test-fixtures';
import { S3ModelStore } from './s3-model.store';

// A real S3-compatible server (moto, brought by scripts/tools.sh); S3 semantics are not faked.
describe(S3ModelStore.name, () => {
  let server: MotoServer | undefined;
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
    server = await startMoto('models');
    endpoint = server.endpoint;
  }, 20_000);
  afterAll(() => {
    server?.stop();
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

  it('reads an artifact and its manifest by s3:// URI, as the scorer and the drift monitor do', async () => {
    const store = new S3ModelStore({ ...options(), prefix: 'by-uri' });
    const bytes = new Uint8Array([7, 8, 9]);
    const uri = await store.putVersion(bytes, manifestFor('v3', bytes));
    const reader = new UriArtifactReader(store);
    expect(await reader.read(uri)).toEqual(bytes);
    const manifest = JSON.parse(
      Buffer.from(await reader.read(uri.replace(/model\.onnx$/, 'manifest.json'))).toString(),
    ) as { version: string };
    expect(manifest.version).toBe('v3');
    await expect(reader.read('s3://other-bucket/by-uri/v3/model.onnx')).rejects.toThrow(
      /outside the configured bucket/,
    );
    await expect(reader.read('s3://models/by-uri/v404/model.onnx')).rejects.toThrow(/404/);
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
