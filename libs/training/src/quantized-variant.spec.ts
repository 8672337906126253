import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DAY_MS } from '@fraudstream/contracts';
import { OnnxWorkerPool, type InferenceRuntime } from '@fraudstream/model';
import {
  FileSystemModelStore,
  ModelRegistry,
  ephemeralKeys,
  type EvaluationMetrics,
} from '@fraudstream/registry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BaseTrainingResult } from './base-training';
import { decideQuantizationGate, registerQuantizedVariant } from './quantized-variant';
import { buildReferenceProfile } from './reference-profile';
import { T0, TEST_FEATURES, testSettings, trainTestBaseModel } from './training.test-fixtures';
import { toTrainingMatrix } from './training-rows';

const metrics = (averagePrecision: number): EvaluationMetrics => ({
  rows: 400,
  positives: 20,
  average_precision: averagePrecision,
  roc_auc: 0.95,
  recall_at_threshold: 0.5,
  precision_at_threshold: 0.5,
  card_precision_at_k: 0.2,
  k: 100,
});

describe(decideQuantizationGate.name, () => {
  it('passes a loss up to the tolerance, the tolerance itself included', () => {
    expect(decideQuantizationGate(metrics(0.8), metrics(0.797), 0.005)).toMatchObject({ passed: true });
    // 0.8 - 0.795 is 0.005000000000000004 in floating point: still at the tolerance.
    const atTolerance = decideQuantizationGate(metrics(0.8), metrics(0.795), 0.005);
    expect(atTolerance.passed).toBe(true);
    expect(atTolerance.reason).toBe(
      'int8 AP 0.7950 vs float parent 0.8000 on the same 400 hold-out rows (20 frauds): loss 0.0050 <= 0.0050',
    );
  });

  it('passes a variant that ranks better than its parent (a negative loss)', () => {
    const better = decideQuantizationGate(metrics(0.8), metrics(0.81), 0.005);
    expect(better.passed).toBe(true);
    expect(better.apLoss).toBeCloseTo(-0.01, 12);
  });

  it('refuses a loss over the tolerance, naming the setting', () => {
    const refused = decideQuantizationGate(metrics(0.8), metrics(0.79), 0.005);
    expect(refused.passed).toBe(false);
    expect(refused.apLoss).toBeCloseTo(0.01, 12);
    expect(refused.reason).toBe(
      'quantisation gate failed: int8 AP 0.7900 vs float parent 0.8000 on the same 400 hold-out rows (20 frauds): loss 0.0100 > 0.0050 (GATE_MAX_QUANTIZATION_AP_LOSS)',
    );
  });
});

describe(registerQuantizedVariant.name, () => {
  const settings = testSettings();
  let root: string;
  let registry: ModelRegistry;
  let base: BaseTrainingResult;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'int8-variant-'));
    registry = new ModelRegistry(new FileSystemModelStore(root), ephemeralKeys());
    const trained = await trainTestBaseModel(settings);
    base = trained.base;
    const asOf = trained.asOf;
    await registry.register(base.onnx, base.manifest, { actor: 'test', reason: 'base', eventTime: asOf });
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  const variantOf = (runtime: () => InferenceRuntime, rejected: string[] = []) =>
    registerQuantizedVariant({
      registry,
      parent: { version: 'v1', onnx: base.onnx, sha256: base.manifest.onnx.sha256, manifest: base.manifest },
      rows: base.validationRows,
      width: TEST_FEATURES.length,
      threshold: base.manifest.threshold,
      k: settings.cardPrecisionK,
      settings: { ...settings.quantization, kind: 'int8' },
      runtime,
      reference: (network) => {
        const m = toTrainingMatrix(base.referenceRows, TEST_FEATURES.length);
        return buildReferenceProfile(base.referenceRows, network.predict(m.x, m.rows), TEST_FEATURES);
      },
      context: { actor: 'test', eventTime: T0 + 12 * DAY_MS, requestId: null },
      reject: (version) => {
        rejected.push(version);
        return Promise.resolve();
      },
      now: new Date(0),
    });

  it("registers a base model's variant, judged on the base model's validation rows", async () => {
    const outcome = await variantOf(() => new OnnxWorkerPool(1));
    expect(outcome.status, outcome.reason).toBe('CANDIDATE');
    const variant = await registry.readVerified(outcome.version ?? '');
    expect(variant.manifest.parent_version).toBe('v1');
    expect(variant.manifest.compression?.rows).toBe(base.validation.rows);
    // onnxruntime scores the float model as tfjs did for its validation metrics.
    expect(variant.manifest.compression?.parent_average_precision).toBeCloseTo(
      base.validation.average_precision,
      4,
    );
    expect(variant.manifest.model_card?.gate?.passed).toBe(true);
  });

  it('registers nothing and reports FAILED when the variant cannot be scored', async () => {
    const before = await registry.store.listVersions();
    let closed = false;
    const broken: InferenceRuntime = {
      load: () => Promise.reject(new Error('no session')),
      run: () => Promise.reject(new Error('no session')),
      unload: () => Promise.resolve(),
      close: () => {
        closed = true;
        return Promise.resolve();
      },
    };
    const outcome = await variantOf(() => broken);
    expect(outcome).toMatchObject({ status: 'FAILED', version: null });
    expect(outcome.reason).toBe('int8 variant of v1 not made: no session');
    expect(closed).toBe(true);
    expect(await registry.store.listVersions()).toEqual(before);
  });
});
