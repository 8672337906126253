import { describe, expect, it } from 'vitest';
import { rocAucStandardError } from '@fraudstream/stats';
import { defaultDriftSettings } from './drift.config';
import { referenceManifestOf, seededRandom, syntheticDay } from './drift-test.fixtures';
import { DriftWindow } from './drift-window';
import { prepareReference } from './reference-model';
import { RowReservoir } from './row-reservoir';
import {
  NO_PERFORMANCE,
  judgePerformance,
  labelDrift,
  maturePerformance,
  pooledApDrop,
  type Performance,
} from './window-verdicts';

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

  it('bounds the drop with the cluster bootstrap when it is wider than the closed form, and never narrower', () => {
    const settings = defaultDriftSettings({
      apTolerance: 0.2,
      aucTolerance: 0.1,
      performanceConfidenceZ: 1.645,
    });
    // ROC-AUC 0.80 on 85 frauds: the closed form (frauds independent) calls it a drop below 0.89.
    const day = window(0.75, 0.8, 85);
    expect(judgePerformance(day, reference, settings)?.degraded).toBe(true);
    // The same frauds at a few compromised terminals: the bootstrap's 0.06 puts 0.89 within reach.
    const clustered = judgePerformance(
      { ...day, rocAucSe: 0.06, averagePrecisionSe: 0.1 },
      reference,
      settings,
    );
    expect(clustered?.degraded).toBe(false);
    expect(clustered?.summary).toContain('upper bound 0.8987');
    // A bootstrap narrower than the closed form changes nothing.
    expect(
      judgePerformance({ ...day, rocAucSe: 0.001, averagePrecisionSe: 0.001 }, reference, settings)?.degraded,
    ).toBe(true);
  });
});

describe(pooledApDrop.name, () => {
  const settings = defaultDriftSettings({ apTolerance: 0.2, performanceConfidenceZ: 1.645 });
  // Spending shift 277 of the quality benchmark: two mature days of the base model, AP 0.528 and 0.517
  // on about 90 frauds each, against a baseline of 0.799 (the tolerated level 0.639).
  const baseline = { average_precision: 0.7991, roc_auc: 0.96 };
  const days = [
    { ...window(0.5283, 0.93, 90), averagePrecisionSe: 0.078 },
    { ...window(0.5169, 0.93, 90), averagePrecisionSe: 0.0754 },
  ].map((day) => judgePerformance(day, baseline, settings, 'the baseline'));

  it("shows over two days together a drop that neither day's bound shows alone", () => {
    expect(days.map((d) => d?.degraded)).toEqual([false, false]);
    const pooled = pooledApDrop(
      days.map((d) => d!.averagePrecision),
      settings.performanceConfidenceZ,
    );
    expect(pooled?.mean).toBeCloseTo(0.5226, 4);
    // The standard error of a mean of two independent days: sqrt(se1^2 + se2^2) / 2.
    expect(pooled?.upper).toBeCloseTo(0.5226 + 1.645 * (Math.hypot(0.078, 0.0754) / 2), 3);
    expect(pooled!.upper).toBeLessThan(pooled!.line);
    expect(pooled?.dropped).toBe(true);
    expect(pooled?.line).toBeCloseTo(0.8 * 0.7991, 6);
    expect(pooled?.summary).toContain('vs the tolerated 0.6393');
  });

  it("keeps a stable stream's ordinary days, and refuses windows judged against different levels", () => {
    // Days of 100 frauds at the given APs and bootstrap standard error, judged together.
    const together = (aps: readonly number[], se: number) =>
      pooledApDrop(
        aps.map(
          (ap) =>
            judgePerformance({ ...window(ap, 0.97, 100), averagePrecisionSe: se }, baseline, settings)!
              .averagePrecision,
        ),
        settings.performanceConfidenceZ,
      );
    const pooled = together([0.72, 0.7], 0.07);
    expect(pooled!.upper).toBeGreaterThan(pooled!.line);
    expect(pooled?.dropped).toBe(false);
    // One bad day beside a good one is not a sustained drop, however low their mean.
    const spike = together([0.85, 0.2], 0.05);
    expect(spike!.upper).toBeLessThan(spike!.line);
    expect(spike?.dropped).toBe(false);
    const other = judgePerformance(window(0.5, 0.93, 90), { ...baseline, average_precision: 0.9 }, settings);
    expect(pooledApDrop([days[0]!.averagePrecision, other!.averagePrecision], 1.645)).toBeNull();
    expect(pooledApDrop([], 1.645)).toBeNull();
  });
});

describe(maturePerformance.name, () => {
  const settings = defaultDriftSettings();
  const manifest = referenceManifestOf('m1', syntheticDay(0, 4000, 1), 10);
  const random = seededRandom(5);
  // 3,000 legitimate payments and 60 frauds at six compromised terminals, each terminal's frauds
  // scored alike (two terminals the model nearly misses).
  const offsets = [0.9, 0.85, 0.8, 0.3, 0.2, 0.1];
  const rows = Array.from({ length: 3060 }, (_, i) => {
    const fraud = i >= 3000;
    const terminal = fraud ? `compromised-${i % 6}` : `t-${i % 700}`;
    const score = fraud ? (offsets[i % 6] ?? 0) + 0.05 * random() : 0.5 * random() ** 2;
    return { id: `tx-${String(i).padStart(5, '0')}`, card: `c-${i}`, terminal, score, fraud };
  });
  const windowOf = (order: typeof rows, terminals: boolean, reference = manifest) => {
    const w = new DriftWindow(prepareReference(reference), 0, 1, new RowReservoir(10_000, 0), 10, 1000);
    order.forEach((r, i) => w.add(i, r.id, r.card, 1, r.score, [], terminals ? r.terminal : ''));
    for (const r of order) if (r.fraud) w.reservoir.label(r.id, true, 2);
    return w;
  };

  it('measures AP and ROC-AUC with cluster-bootstrap standard errors, wider by terminal, alike in any arrival order', () => {
    const perf = maturePerformance(windowOf(rows, true), 10, settings);
    const reversed = maturePerformance(windowOf([...rows].reverse(), true), 10, settings);
    const unknown = maturePerformance(windowOf(rows, false), 10, settings);
    expect(perf.positives).toBe(60);
    const closed = rocAucStandardError(perf.rocAuc ?? 0, 60, 3000);
    expect(perf.rocAucSe).toBeGreaterThan(2 * closed);
    expect(reversed.rocAucSe).toBe(perf.rocAucSe);
    expect(reversed.averagePrecisionSe).toBe(perf.averagePrecisionSe);
    // Without terminals (an older snapshot) every fraud is its own cluster: about the closed form.
    expect(unknown.rocAucSe).toBeLessThan(perf.rocAucSe ?? 0);
    expect((unknown.rocAucSe ?? 0) / closed).toBeLessThan(1.5);
  });

  it("tests the fraud rate with the window's clustering: frauds at a few terminals are not label drift at a rate that independent frauds would be", () => {
    // The reference: 1.2 % fraud over 20,000 rows; the window: 60 frauds in 3,060 rows (1.96 %).
    const reference = {
      ...manifest,
      reference: { ...manifest.reference, fraud_rate: 0.012, row_count: 20_000 },
    };
    const clustered = maturePerformance(windowOf(rows, true, reference), 10, settings);
    // Ten frauds at each of six terminals: the two-way design effect is about the cluster size.
    expect(clustered.fraudRateDesignEffect).toBeGreaterThan(9);
    expect(clustered.fraudRateDesignEffect).toBeLessThan(11);
    expect(clustered.fraudRatePValue).toBeGreaterThan(0.2);
    expect(labelDrift(clustered, 0.012, settings)).toBeNull();
    // Counted as independent rows (the plain test), the same window is label drift (z 3.45).
    const plainSettings = { ...settings, labelClusterRobust: false };
    const plain = maturePerformance(windowOf(rows, true, reference), 10, plainSettings);
    expect(plain.fraudRateDesignEffect).toBeNull();
    expect(plain.fraudRatePValue).toBeCloseTo(5.6e-4, 4);
    expect(labelDrift(plain, 0.012, plainSettings)).toContain('fraud rate 0.01961 vs reference 0.012');
    // The same rate from frauds at terminals of their own: a design effect of about 1, and drift.
    const scattered = rows.map((r, i) => (r.fraud ? { ...r, terminal: `solo-${i}` } : r));
    const independent = maturePerformance(windowOf(scattered, true, reference), 10, settings);
    expect(independent.fraudRateDesignEffect).toBeLessThan(1.1);
    expect(independent.fraudRatePValue).toBeLessThan(settings.labelAlpha);
    expect(labelDrift(independent, 0.012, settings)).toMatch(/\(p [0-9.e-]+, design effect 1\.\d+\)$/);
  });

  it('finds no label drift, and reports no p-value, when neither the window nor the reference has a fraud', () => {
    const reference = { ...manifest, reference: { ...manifest.reference, fraud_rate: 0, row_count: 20_000 } };
    const legitimate = rows.filter((r) => !r.fraud);
    for (const labelClusterRobust of [true, false]) {
      const perf = maturePerformance(windowOf(legitimate, true, reference), 10, {
        ...settings,
        labelClusterRobust,
      });
      expect(perf.fraudRate).toBe(0);
      expect(perf.fraudRatePValue).toBeNull();
      expect(labelDrift(perf, 0, settings)).toBeNull();
    }
  });
});
