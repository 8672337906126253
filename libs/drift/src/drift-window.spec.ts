import { describe, expect, it } from 'vitest';
import { binCounts } from '@fraudstream/stats';
import { seededRandom, referenceManifestOf, syntheticDay } from './drift-test.fixtures';
import { DriftWindow } from './drift-window';
import { prepareReference, type ReferenceManifest } from './reference-model';
import { RowReservoir } from './row-reservoir';

/**
 * Feature 1 plays the weekend flag: the stand-in model scores weekend payments higher, so a window
 * that is all weekend shifts the score against a reference that mixes both kinds of day.
 */
function weekendDay(seed: number, weekend: 0 | 1, n = 4000) {
  const random = seededRandom(seed);
  return syntheticDay(0, n, seed).map((tx) => {
    const score = Math.min(1, tx.score * (weekend ? 3 : 1) + random() * 1e-6);
    return { ...tx, features: [tx.features[0] ?? 0, weekend], score };
  });
}

function stratified(manifest: ReferenceManifest, rows: ReturnType<typeof weekendDay>): ReferenceManifest {
  const edges = manifest.reference.score.quantile_edges;
  const strata = [0, 1].map((value) => {
    const scores = rows
      .filter((r) => r.features[1] === value)
      .map((r) => r.score)
      .sort((a, b) => a - b);
    return {
      value,
      bin_fractions: binCounts(edges, scores).map((c) => c / scores.length),
      sample: scores.filter((_, i) => i % 2 === 0),
    };
  });
  return { ...manifest, reference: { ...manifest.reference, score_by_season: { feature: 'f1', strata } } };
}

function closeWindowOf(manifest: ReferenceManifest, rows: ReturnType<typeof weekendDay>) {
  const w = new DriftWindow(prepareReference(manifest), 0, 1, new RowReservoir(10_000, 2), 10, 1000);
  rows.forEach((r, i) => w.add(i, r.id, r.card, r.time, r.score, r.features));
  return w.close(0.05, 0.1, true, new Set(['f1']));
}

describe(DriftWindow.name, () => {
  // Five weekdays and two weekend days, as a week of training history.
  const history = [
    ...[1, 2, 3, 4, 5].flatMap((d) => weekendDay(d, 0)),
    ...[6, 7].flatMap((d) => weekendDay(d, 1)),
  ];
  const whole = referenceManifestOf('m1', history, 10);
  const byDay = stratified(whole, history);

  it('compares a weekend day with the weekend part of the reference, not the whole week', () => {
    const saturday = weekendDay(99, 1);
    const againstWhole = closeWindowOf(whole, saturday).prediction;
    const againstStratum = closeWindowOf(byDay, saturday).prediction;
    expect(againstWhole.psi).toBeGreaterThan(0.1);
    expect(againstWhole.drifted).toBe(true);
    expect(againstStratum.psi).toBeLessThan(0.02);
    expect(againstStratum.drifted).toBe(false);
  });

  it('still flags a score shift within the matching stratum', () => {
    const shifted = weekendDay(98, 0).map((r) => ({ ...r, score: Math.min(1, r.score * 4) }));
    expect(closeWindowOf(byDay, shifted).prediction.drifted).toBe(true);
  });
});
