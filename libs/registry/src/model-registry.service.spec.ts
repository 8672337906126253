import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileSystemModelStore } from './file-system-model.store';
import { ephemeralKeys } from './local-key-ring';
import { ModelRegistry, type RegistryKeys } from './model-registry.service';
import { ArtifactVerificationError, SignatureError, StageTransitionError } from './registry.errors';
import { manifestFor } from './registry.test-fixtures';

describe(ModelRegistry.name, () => {
  let root: string;
  let registry: ModelRegistry;
  let keys: RegistryKeys;
  const bytes = new Uint8Array([7, 7, 7]);
  const ctx = (reason: string, eventTime = 1000) => ({ actor: 'test', reason, eventTime });

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'registry-'));
    keys = ephemeralKeys();
    registry = new ModelRegistry(
      new FileSystemModelStore(root),
      keys,
      () => new Date('2026-01-01T00:00:00Z'),
    );
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('registers as CANDIDATE and numbers versions v1, v2, ...', async () => {
    expect(await registry.nextVersion()).toBe('v1');
    await registry.register(bytes, manifestFor('v1', bytes), ctx('base'));
    expect(await registry.stageOf('v1')).toBe('CANDIDATE');
    expect(await registry.nextVersion()).toBe('v2');
  });

  it('keeps exactly one production model: promoting retires the previous one, rollback restores it', async () => {
    await registry.register(bytes, manifestFor('v1', bytes), ctx('base'));
    await registry.transition('v1', 'PRODUCTION', ctx('base model'));
    await registry.register(bytes, manifestFor('v2', bytes, 'v1'), ctx('fine-tuned'));
    await registry.transition('v2', 'SHADOW', ctx('gate passed'));
    const changes = await registry.transition('v2', 'PRODUCTION', {
      ...ctx('shadow ok', 2000),
      deploymentId: 'd-v2',
      retiredDeploymentId: () => 'd-v1-retired',
    });
    expect(changes).toEqual([
      { version: 'v1', from: 'PRODUCTION', to: 'RETIRED', deploymentId: 'd-v1-retired' },
      { version: 'v2', from: 'SHADOW', to: 'PRODUCTION', deploymentId: 'd-v2' },
    ]);
    expect(await registry.productionVersion()).toBe('v2');
    expect(await registry.previousProductionVersion()).toBe('v1');

    await registry.transition('v1', 'PRODUCTION', ctx('rollback', 3000));
    expect(await registry.productionVersion()).toBe('v1');
    expect(await registry.stageOf('v2')).toBe('RETIRED');
    const audit = await registry.store.readAudit();
    expect(audit.map((e) => `${e.version}:${e.from_stage ?? '-'}>${e.to_stage ?? '-'}`)).toEqual([
      'v1:->CANDIDATE',
      'v1:CANDIDATE>PRODUCTION',
      'v2:->CANDIDATE',
      'v2:CANDIDATE>SHADOW',
      'v1:PRODUCTION>RETIRED',
      'v2:SHADOW>PRODUCTION',
      'v2:PRODUCTION>RETIRED',
      'v1:RETIRED>PRODUCTION',
    ]);
    expect(audit.every((e) => e.actor === 'test' && e.at === '2026-01-01T00:00:00.000Z')).toBe(true);
  });

  it('refuses transitions the lifecycle does not allow', async () => {
    await registry.register(bytes, manifestFor('v1', bytes), ctx('base'));
    await registry.transition('v1', 'REJECTED', ctx('gate failed'));
    await expect(registry.transition('v1', 'PRODUCTION', ctx('no'))).rejects.toBeInstanceOf(
      StageTransitionError,
    );
    await expect(registry.transition('v9', 'SHADOW', ctx('no'))).rejects.toBeInstanceOf(StageTransitionError);
  });

  it('refuses to deploy a version whose artifact was altered after registration, and records nothing', async () => {
    await registry.register(bytes, manifestFor('v1', bytes), ctx('base'));
    await registry.transition('v1', 'PRODUCTION', ctx('base model'));
    await registry.register(bytes, manifestFor('v2', bytes, 'v1'), ctx('fine-tuned'));
    writeFileSync(join(root, 'v2', 'model.onnx'), new Uint8Array([6, 6, 6]));
    const before = await registry.store.readAudit();
    for (const stage of ['PRODUCTION', 'SHADOW'] as const)
      await expect(registry.transition('v2', stage, ctx('promote'))).rejects.toBeInstanceOf(
        ArtifactVerificationError,
      );
    expect(await registry.store.readAudit()).toEqual(before);
    expect(await registry.productionVersion()).toBe('v1');
    // Rejecting it needs no artifact.
    await registry.transition('v2', 'REJECTED', ctx('tampered'));
  });

  it('signs what it registers with its signer', async () => {
    await registry.register(bytes, manifestFor('v1', bytes), ctx('base'));
    const { manifest } = await registry.readVerified('v1');
    expect(manifest.signature?.key_id).toBe(keys.signer?.keyId);
    await expect(keys.verifier.verify(manifest)).resolves.toBeUndefined();
  });

  it.each([
    ['unsigned', { signer: null }, 'unsigned'],
    ['signed by a key it does not trust', { signer: ephemeralKeys().signer }, 'unknown-key'],
  ] as const)('refuses to deploy a version %s, and records nothing', async (_, signedBy, failure) => {
    const foreign = new ModelRegistry(registry.store, { ...signedBy, verifier: keys.verifier });
    await foreign.register(bytes, manifestFor('v1', bytes), ctx('base'));
    const before = await registry.store.readAudit();
    const error: unknown = await registry
      .transition('v1', 'PRODUCTION', ctx('promote'))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ArtifactVerificationError);
    expect((error as Error).cause).toBeInstanceOf(SignatureError);
    expect(((error as Error).cause as SignatureError).failure).toBe(failure);
    expect(await registry.store.readAudit()).toEqual(before);
    expect(await registry.productionVersion()).toBeNull();
  });

  it('refuses to deploy a version whose manifest was edited after signing (a lower threshold)', async () => {
    await registry.register(bytes, manifestFor('v1', bytes), ctx('base'));
    const path = join(root, 'v1', 'manifest.json');
    const manifest = JSON.parse(readFileSync(path, 'utf8')) as { threshold: number };
    writeFileSync(path, JSON.stringify({ ...manifest, threshold: 0.01 }));
    const error: unknown = await registry.transition('v1', 'SHADOW', ctx('promote')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ArtifactVerificationError);
    expect(((error as Error).cause as SignatureError).failure).toBe('invalid');
    expect(await registry.stageOf('v1')).toBe('CANDIDATE');
  });

  it('finds the audit entries of a retrain request, including failed jobs', async () => {
    await registry.recordJobFailure('v1', { ...ctx('window too small'), requestId: 'req-1' });
    const entries = await registry.entriesForRequest('req-1');
    expect(entries).toHaveLength(1);
    expect(entries[0]?.action).toBe('JOB_FAILED');
    expect(await registry.stages()).toEqual(new Map());
  });
});
