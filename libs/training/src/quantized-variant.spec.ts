import type { EvaluationMetrics } from '@fraudstream/registry';
import { describe, expect, it } from 'vitest';
import { decideQuantizationGate } from './quantized-variant';

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
