import { describe, expect, it } from 'vitest';
import { MetricsRegistry } from '@fraudstream/observability';
import { DAY_MS } from '@fraudstream/contracts';
import { defaultDriftSettings } from './drift.config';
import { DriftDetector } from './drift-detector';
import { referenceManifestOf, scoreOf, syntheticDay } from './drift-test.fixtures';
import { driftMetrics, recordDriftOutputs } from './drift.metrics';

describe(recordDriftOutputs.name, () => {
  it('exposes per-feature PSI, verdict counts and the label backlog', async () => {
    const settings = defaultDriftSettings({
      windowMs: DAY_MS,
      allowedLatenessMs: 0,
      minWindowCount: 100,
      maxLabelLagMs: 0,
    });
    const detector = new DriftDetector(settings);
    detector.setReference(referenceManifestOf('m1', syntheticDay(-3, 1000, 1), 10));
    for (const d of [0, 1])
      for (const tx of syntheticDay(d, 500, 10 + d, { shift: d })) detector.observeScore(scoreOf(tx, 'm1'));
    const out = detector.drain();
    const registry = new MetricsRegistry();
    recordDriftOutputs(driftMetrics(registry), out, detector.status());
    const text = await registry.metrics();
    const psi = out.driftEvents[0]?.features[0]?.psi ?? Number.NaN;
    expect(text).toContain(`fraudstream_drift_feature_psi{feature="f0"} ${psi}`);
    expect(text).toMatch(
      /fraudstream_drift_verdicts_total\{verdict="NO_DRIFT",severity="NONE",phase="close"\} 1/,
    );
    // Day 0's 500 sampled rows are neither labelled nor past the 7-day chargeback window.
    expect(text).toContain('fraudstream_drift_label_backlog_transactions 500');
    expect(text).toContain('fraudstream_drift_label_maturity_ratio 0');
  });
});
