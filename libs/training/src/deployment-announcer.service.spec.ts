import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ModelDeployment } from '@fraudstream/contracts';
import {
  FileSystemModelStore,
  ModelRegistry,
  ephemeralKeys,
  sha256Hex,
  type ModelManifest,
} from '@fraudstream/registry';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DeploymentAnnouncer, type DeploymentHistory } from './deployment-announcer.service';
import type { DeploymentPublisher } from './training-io.types';

/** The deployments topic: what was published, in order; it can be made to refuse sends. */
class FakeTopic implements DeploymentPublisher, DeploymentHistory {
  readonly events: ModelDeployment[] = [];
  away = false;

  publish(events: readonly ModelDeployment[]): Promise<void> {
    if (this.away) return Promise.reject(new Error('broker away'));
    this.events.push(...events);
    return Promise.resolve();
  }

  announcedIds(): Promise<ReadonlySet<string>> {
    return Promise.resolve(new Set(this.events.map((e) => e.deployment_id)));
  }

  /** What a scorer replaying the topic serves: the version of the last PRODUCTION event. */
  serving(): string | undefined {
    return this.events.filter((e) => e.kind === 'STAGE_CHANGE' && e.stage === 'PRODUCTION').at(-1)
      ?.model_version;
  }
}

function manifest(version: string, bytes: Uint8Array): ModelManifest {
  return {
    version,
    parent_version: null,
    onnx: { file: 'model.onnx', sha256: sha256Hex(bytes), input_name: 'x', output_name: 'y', opset: 17 },
    feature_names: ['a'],
    preprocessing: { mean: [0], std: [1] },
    threshold: 0.5,
    training: { request_id: null },
  } as unknown as ModelManifest;
}

describe(DeploymentAnnouncer.name, () => {
  let root: string;
  let registry: ModelRegistry;
  let topic: FakeTopic;
  let announcer: DeploymentAnnouncer;
  const ctx = (reason: string, eventTime = 1000) => ({ actor: 'test', reason, eventTime });

  beforeEach(async () => {
    root = mkdtempSync(join(tmpdir(), 'announcer-'));
    registry = new ModelRegistry(new FileSystemModelStore(root), ephemeralKeys());
    topic = new FakeTopic();
    announcer = new DeploymentAnnouncer(registry, topic, topic);
    for (const [i, version] of ['v1', 'v2', 'v3'].entries()) {
      const bytes = new Uint8Array([i + 1]);
      await registry.register(bytes, manifest(version, bytes), ctx('registered'));
    }
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('announces a promotion with the ids the registry recorded, the retirement first as in the audit log', async () => {
    await announcer.transition('v1', 'PRODUCTION', ctx('base'));
    const { events, published } = await announcer.transition('v2', 'PRODUCTION', ctx('better', 2000));
    expect(published).toBe(true);
    expect(events.map((e) => `${e.model_version}:${e.stage}:${e.previous_version ?? '-'}`)).toEqual([
      'v1:RETIRED:-',
      'v2:PRODUCTION:v1',
    ]);
    const audit = await registry.store.readAudit();
    expect(audit.slice(-2).map((e) => e.deployment_id)).toEqual(events.map((e) => e.deployment_id));
    expect(await announcer.reconcile()).toBe(0);
  });

  it('after a publish lost between the registry write and the topic, reconciles the topic to the registry', async () => {
    await announcer.transition('v1', 'PRODUCTION', ctx('base'));
    topic.away = true;
    // The trainer "dies" after writing v2 to the registry: its events never reach the topic.
    expect((await announcer.transition('v2', 'PRODUCTION', ctx('better', 2000))).published).toBe(false);
    topic.away = false;
    await announcer.transition('v3', 'SHADOW', ctx('gate passed', 3000));
    expect(topic.serving()).toBe('v1');
    expect(await registry.productionVersion()).toBe('v2');

    // The missing events, then every later one again: the topic ends in the registry's order.
    expect(await announcer.reconcile()).toBe(3);
    expect(topic.serving()).toBe('v2');
    expect(topic.events.slice(-3).map((e) => `${e.model_version}:${e.stage}`)).toEqual([
      'v1:RETIRED',
      'v2:PRODUCTION',
      'v3:SHADOW',
    ]);
    expect(await announcer.reconcile()).toBe(0);
  });

  it('announces a failed job with the parent stage, and reconciles it like a stage change', async () => {
    await announcer.transition('v1', 'PRODUCTION', ctx('base'));
    topic.away = true;
    await announcer.jobFailed('v1', { ...ctx('ONE_CLASS: no fraud', 5000), requestId: 'req-9' });
    topic.away = false;
    await announcer.reconcile();
    expect(topic.events.at(-1)).toMatchObject({
      kind: 'JOB_FAILED',
      model_version: 'v1',
      stage: 'PRODUCTION',
      request_id: 'req-9',
      reason: 'ONE_CLASS: no fraud',
      event_time: 5000,
    });
  });

  it('ignores registry entries that announce nothing (registrations, registry-only transitions)', async () => {
    await registry.transition('v1', 'PRODUCTION', ctx('registry only'));
    expect(await announcer.reconcile()).toBe(0);
    expect(topic.events).toEqual([]);
  });
});
