import { describe, expect, it } from 'vitest';
import { defaultDriftSettings } from './drift.config';
import { NO_PERFORMANCE, judgePerformance, type Performance } from './window-verdicts';

const reference = { average_precision: 0.92, roc_auc: 0.99 };

function window(averagePrecision: number, rocAuc: number, positives: number): Performance {
  return { ...NO_PERFORMANCE, matureLabels: 10_000, positives, averagePrecision, rocAuc };
}

describe(judgePerformance.name, () => {
  it('counts a drop beyond the tolerance only when the window measures it with confidence', () => {
    const settings = defaultDriftSettings({
      apTolerance: 0.2,
      aucTolerance: 0.1,
      performanceConfidenceZ: 1.645,
    });
    // A stable stream's unlucky day: AP 0.717 on 63 frauds is 22 % under 0.92, within its noise.
    const unlucky = judgePerformance(window(0.717, 0.94, 63), reference, settings, 'the baseline');
    expect(unlucky?.degraded).toBe(false);
    expect(unlucky?.summary).toContain('vs the baseline 0.9200');
    // The point-estimate rule (z 0) calls the same day a drop.
    expect(
      judgePerformance(window(0.717, 0.94, 63), reference, { ...settings, performanceConfidenceZ: 0 })
        ?.degraded,
    ).toBe(true);
    // A new pattern's day: AP 0.5 on 70 frauds is a drop whatever the noise; so is 0.65 on 600 frauds.
    expect(judgePerformance(window(0.5, 0.95, 70), reference, settings)?.degraded).toBe(true);
    expect(judgePerformance(window(0.65, 0.95, 600), reference, settings)?.degraded).toBe(true);
    // ROC-AUC alone, well beyond its tolerance and its standard error.
    expect(judgePerformance(window(0.9, 0.8, 200), reference, settings)?.degraded).toBe(true);
    expect(judgePerformance({ ...NO_PERFORMANCE }, reference, settings)).toBeNull();
  });
});
