import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileSystemModelStore } from './file-system-model.store';
import { ephemeralKeys } from './local-key-ring';
import { ModelRegistry, type RegistryKeys } from './model-registry.service';
import { principalOf } from './promotion-approvals';
import {
  ArtifactVerificationError,
  PromotionApprovalError,
  SignatureError,
  StageTransitionError,
} from './registry.errors';
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
    registry = new ModelRegistry(new FileSystemModelStore(root), keys, {
      wallClock: () => new Date('2026-01-01T00:00:00Z'),
    });
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

  describe('four-eyes promotion (promotionApprovals: 2)', () => {
    let fourEyes: ModelRegistry;
    const as = (actor: string, reason: string, eventTime = 2000) => ({ actor, reason, eventTime });

    beforeEach(async () => {
      fourEyes = new ModelRegistry(registry.store, keys, {
        wallClock: () => new Date('2026-01-02T00:00:00Z'),
        promotionApprovals: 2,
      });
      await fourEyes.register(bytes, manifestFor('v1', bytes), ctx('base'));
      await fourEyes.requestPromotion('v1', as('cli:alice', 'base model'));
      await fourEyes.approvePromotion('v1', as('cli:bob', 'looked at it'));
      await fourEyes.transition('v1', 'PRODUCTION', as('cli:bob', 'approved'));
      await fourEyes.register(bytes, manifestFor('v2', bytes, 'v1'), ctx('fine-tuned'));
      await fourEyes.transition('v2', 'SHADOW', ctx('gate passed'));
    });

    it('refuses a move to PRODUCTION without a request or before its approval, and records nothing', async () => {
      const before = await fourEyes.store.readAudit();
      await expect(fourEyes.transition('v2', 'PRODUCTION', as('cli:alice', 'go'))).rejects.toThrow(
        /v2 has no promotion request: promotions to PRODUCTION need 2 distinct principals/,
      );
      expect(await fourEyes.store.readAudit()).toEqual(before);

      await fourEyes.requestPromotion('v2', as('trainer:t1/shadow', 'shadow check passed'));
      const requested = await fourEyes.store.readAudit();
      const error: unknown = await fourEyes
        .transition('v2', 'PRODUCTION', as('trainer:t1/shadow', 'go'))
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PromotionApprovalError);
      expect((error as Error).message).toMatch(
        /v2 awaits approval by 1 more principal\(s\) other than trainer:t1/,
      );
      expect(await fourEyes.store.readAudit()).toEqual(requested);
      expect(await fourEyes.productionVersion()).toBe('v1');
      expect(await fourEyes.stageOf('v2')).toBe('SHADOW');
    });

    it("refuses a principal's approval of their own request, through any front end, and records nothing", async () => {
      await fourEyes.requestPromotion('v2', as('cli:alice', 'better AP'));
      const before = await fourEyes.store.readAudit();
      for (const actor of ['cli:alice', 'console:alice'])
        await expect(fourEyes.approvePromotion('v2', as(actor, 'mine'))).rejects.toThrow(
          /alice requested the promotion of v2 and cannot approve it: a second principal must/,
        );
      expect(await fourEyes.store.readAudit()).toEqual(before);
      await expect(fourEyes.transition('v2', 'PRODUCTION', as('cli:alice', 'go'))).rejects.toBeInstanceOf(
        PromotionApprovalError,
      );
    });

    it("promotes after a second principal's approval, recording request and approval with who and when", async () => {
      const request = await fourEyes.requestPromotion('v2', as('console:alice', 'better AP', 3000));
      expect(request).toMatchObject({ stage: 'SHADOW', requestedBy: 'alice', required: 2, missing: 1 });
      const approved = await fourEyes.approvePromotion('v2', as('cli:bob', 'checked the gate', 4000));
      expect(approved.missing).toBe(0);
      expect(approved.approvals).toEqual([
        { principal: 'bob', actor: 'cli:bob', at: '2026-01-02T00:00:00.000Z', eventTime: 4000 },
      ]);
      await fourEyes.transition('v2', 'PRODUCTION', as('cli:bob', 'approved', 4000));
      expect(await fourEyes.productionVersion()).toBe('v2');
      expect(await fourEyes.openPromotionRequests()).toEqual(new Map());
      const trail = (await fourEyes.store.readAudit()).filter((e) => e.version === 'v2');
      expect(trail.map((e) => [e.action, e.actor, e.event_time, e.to_stage])).toEqual([
        ['REGISTERED', 'test', 1000, 'CANDIDATE'],
        ['STAGE_CHANGE', 'test', 1000, 'SHADOW'],
        ['PROMOTION_REQUESTED', 'console:alice', 3000, null],
        ['PROMOTION_APPROVED', 'cli:bob', 4000, null],
        ['STAGE_CHANGE', 'cli:bob', 4000, 'PRODUCTION'],
      ]);
      // A rollback restores a version that was approved to serve: no approval.
      await fourEyes.transition('v1', 'PRODUCTION', as('cli:carol', 'rollback', 5000));
      expect(await fourEyes.productionVersion()).toBe('v1');
    });

    it('a refusal closes the request: the version stays, and a new request starts from no approvals', async () => {
      await fourEyes.requestPromotion('v2', as('cli:alice', 'better AP'));
      await expect(fourEyes.requestPromotion('v2', as('cli:alice', 'again'))).rejects.toThrow(
        /v2 awaits approval by 1 more principal\(s\) other than alice.*requested by alice/,
      );
      await fourEyes.refusePromotion('v2', as('cli:bob', 'alert rate too high'));
      expect((await fourEyes.store.readAudit()).at(-1)).toMatchObject({
        action: 'PROMOTION_REFUSED',
        actor: 'cli:bob',
        reason: 'alert rate too high',
      });
      expect(await fourEyes.stageOf('v2')).toBe('SHADOW');
      await expect(fourEyes.approvePromotion('v2', as('cli:bob', 'changed my mind'))).rejects.toThrow(
        /v2 has no promotion request to approve/,
      );
      await fourEyes.requestPromotion('v2', as('cli:alice', 'retry'));
      expect((await fourEyes.openPromotionRequests()).get('v2')?.approvals).toEqual([]);
    });

    it('with three principals required, one approver is not enough and nobody approves twice', async () => {
      const threeEyes = new ModelRegistry(fourEyes.store, keys, { promotionApprovals: 3 });
      await threeEyes.requestPromotion('v2', as('cli:alice', 'better AP'));
      await threeEyes.approvePromotion('v2', as('cli:bob', 'ok'));
      await expect(threeEyes.approvePromotion('v2', as('console:bob', 'ok'))).rejects.toThrow(
        /bob already approved the promotion of v2/,
      );
      await expect(threeEyes.transition('v2', 'PRODUCTION', as('cli:bob', 'go'))).rejects.toThrow(
        /awaits approval by 1 more principal\(s\) other than alice, bob/,
      );
      await threeEyes.approvePromotion('v2', as('cli:carol', 'ok'));
      await threeEyes.transition('v2', 'PRODUCTION', as('cli:carol', 'go'));
      expect(await threeEyes.productionVersion()).toBe('v2');
    });

    it('refuses to request the promotion of a version whose artifact does not verify', async () => {
      writeFileSync(join(root, 'v2', 'model.onnx'), new Uint8Array([6, 6, 6]));
      const before = await fourEyes.store.readAudit();
      await expect(fourEyes.requestPromotion('v2', as('cli:alice', 'go'))).rejects.toBeInstanceOf(
        ArtifactVerificationError,
      );
      expect(await fourEyes.store.readAudit()).toEqual(before);
    });

    it('is off by default: one principal promotes alone', async () => {
      expect(registry.promotionApprovals).toBe(1);
      expect(await registry.promotionNeedsApproval('v2')).toBe(false);
      await registry.transition('v2', 'PRODUCTION', as('cli:alice', 'go'));
      expect(await registry.productionVersion()).toBe('v2');
    });
  });

  it.each([
    ['cli:alice', 'alice'],
    ['console:alice', 'alice'],
    ['trainer:t1/shadow', 'trainer:t1'],
    ['trainer:t1/rollback', 'trainer:t1'],
    ['test', 'test'],
  ])('names the principal behind actor %s: %s', (actor, principal) => {
    expect(principalOf(actor)).toBe(principal);
  });
});
