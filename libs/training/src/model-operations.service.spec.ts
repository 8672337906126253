import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ArtifactVerificationError,
  FileSystemModelStore,
  ModelRegistry,
  ephemeralKeys,
  StageTransitionError,
} from '@fraudstream/registry';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ModelOperations } from './model-operations.service';
import { RecordingPublisher, T0, testManifest, testSettings } from './training.test-fixtures';

describe(ModelOperations.name, () => {
  let root: string;
  let registry: ModelRegistry;
  let publisher: RecordingPublisher;
  let operations: ModelOperations;

  beforeEach(async () => {
    root = mkdtempSync(join(tmpdir(), 'operations-'));
    registry = new ModelRegistry(new FileSystemModelStore(root), ephemeralKeys());
    publisher = new RecordingPublisher();
    operations = new ModelOperations(registry, publisher, null, testSettings());
    const ctx = { actor: 'test', reason: 'setup', eventTime: T0 };
    for (const [version, parent] of [
      ['v1', null],
      ['v2', 'v1'],
    ] as const) {
      const bytes = new Uint8Array([version === 'v1' ? 1 : 2]);
      await registry.register(bytes, testManifest(version, bytes, parent), ctx);
    }
    await registry.transition('v1', 'PRODUCTION', ctx);
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('promotes with the actor in the audit log, at the newest event time of the log by default, and announces it', async () => {
    const decision = await operations.promote('v2', { actor: 'console:olga', reason: 'reviewed the gate' });
    expect(decision).toMatchObject({ version: 'v2', stage: 'PRODUCTION', published: true });
    const audit = await registry.store.readAudit();
    const promoted = audit.find((e) => e.version === 'v2' && e.to_stage === 'PRODUCTION');
    expect(promoted).toMatchObject({ actor: 'console:olga', reason: 'reviewed the gate', event_time: T0 });
    expect(publisher.events.map((e) => `${e.model_version}:${e.stage}`)).toEqual([
      'v1:RETIRED',
      'v2:PRODUCTION',
    ]);
  });

  it('rolls back to the previous production model, at the event time given', async () => {
    await operations.promote('v2', { actor: 'cli:ops' });
    const decision = await operations.rollback({ actor: 'console:olga', eventTime: T0 + 5 });
    expect(decision).toMatchObject({ version: 'v1', stage: 'PRODUCTION' });
    expect(await registry.productionVersion()).toBe('v1');
    const last = (await registry.store.readAudit()).at(-1);
    expect(last).toMatchObject({ actor: 'console:olga', reason: 'manual rollback', event_time: T0 + 5 });
  });

  it('records nothing when the registry refuses', async () => {
    const before = (await registry.store.readAudit()).length;
    await expect(operations.rollback({ actor: 'console:olga' })).rejects.toThrow(StageTransitionError);
    writeFileSync(join(root, 'v2', 'model.onnx'), new Uint8Array([9]));
    await expect(operations.promote('v2', { actor: 'console:olga' })).rejects.toThrow(
      ArtifactVerificationError,
    );
    expect(await registry.store.readAudit()).toHaveLength(before);
    expect(publisher.events).toEqual([]);
  });
});
