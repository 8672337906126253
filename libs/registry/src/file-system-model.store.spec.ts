import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sha256Hex } from './artifact-checks';
import { FileSystemModelStore } from './file-system-model.store';
import {
  ArtifactNotFoundError,
  ChecksumMismatchError,
  ManifestError,
  VersionExistsError,
} from './registry.errors';
import { manifestFor } from './registry.test-fixtures';

describe(FileSystemModelStore.name, () => {
  let root: string;
  let store: FileSystemModelStore;
  const bytes = new Uint8Array([1, 2, 3, 4, 5]);

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'models-'));
    store = new FileSystemModelStore(root);
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('stores model.onnx and manifest.json per version and returns the file:// URI of model.onnx', async () => {
    const uri = await store.putVersion(bytes, manifestFor('v1', bytes));
    expect(uri).toBe(`file://${join(root, 'v1', 'model.onnx')}`);
    expect(new Uint8Array(readFileSync(fileURLToPath(uri)))).toEqual(bytes);
    const artifact = await store.readVerified('v1');
    expect(artifact.onnx).toEqual(bytes);
    expect(artifact.manifest.onnx.sha256).toBe(sha256Hex(bytes));
    expect(await store.listVersions()).toEqual(['v1']);
  });

  it('refuses to overwrite an existing version, leaving the first artifact intact', async () => {
    await store.putVersion(bytes, manifestFor('v1', bytes));
    const other = new Uint8Array([9, 9]);
    await expect(store.putVersion(other, manifestFor('v1', other))).rejects.toBeInstanceOf(
      VersionExistsError,
    );
    expect((await store.readVerified('v1')).onnx).toEqual(bytes);
  });

  it('detects an artifact whose bytes were changed after registration', async () => {
    await store.putVersion(bytes, manifestFor('v1', bytes));
    writeFileSync(join(root, 'v1', 'model.onnx'), new Uint8Array([1, 2, 3, 4, 6]));
    await expect(store.readVerified('v1')).rejects.toBeInstanceOf(ChecksumMismatchError);
  });

  it('refuses a manifest whose sha256 does not describe the bytes', async () => {
    await expect(store.putVersion(bytes, manifestFor('v1', new Uint8Array([0])))).rejects.toBeInstanceOf(
      ManifestError,
    );
    expect(await store.hasVersion('v1')).toBe(false);
  });

  it('reports a missing version as ArtifactNotFoundError and rejects path-like version names', async () => {
    await expect(store.readVerified('v404')).rejects.toBeInstanceOf(ArtifactNotFoundError);
    await expect(store.hasVersion('../etc')).rejects.toBeInstanceOf(ManifestError);
  });

  it('sorts versions naturally and appends audit entries without rewriting earlier ones', async () => {
    for (const v of ['v10', 'v2', 'v1']) await store.putVersion(bytes, manifestFor(v, bytes));
    expect(await store.listVersions()).toEqual(['v1', 'v2', 'v10']);
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
    await store.appendAudit({ ...base, version: 'v1', event_time: 1 });
    const before = readFileSync(join(root, 'audit.log'), 'utf8');
    await store.appendAudit({ ...base, version: 'v2', event_time: 2 });
    const after = readFileSync(join(root, 'audit.log'), 'utf8');
    expect(after.startsWith(before)).toBe(true);
    expect((await store.readAudit()).map((e) => e.version)).toEqual(['v1', 'v2']);
  });
});
