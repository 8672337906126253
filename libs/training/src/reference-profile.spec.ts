import { logRobust, mulberry32 } from '@fraudstream/stats';
import { describe, expect, it } from 'vitest';
import { NOVELTY_MIN_GROUP_ROWS, buildNoveltyReference, buildReferenceProfile } from './reference-profile';
import type { TrainingRow } from './training-rows';

const NAMES = ['log_amount', 'card_tx_count_1d', 'terminal_fraud_rate_7d', 'is_weekend'];

function row(id: string, features: number[], isFraud: boolean): TrainingRow {
  return { transactionId: id, cardId: `card-${id}`, eventTime: 0, features, isFraud };
}

/** Every array of numbers anywhere in a JSON value. */
function numericArrays(value: unknown, out: number[][] = []): number[][] {
  if (Array.isArray(value)) {
    if (value.length > 0 && value.every((v) => typeof v === 'number')) out.push(value);
    else for (const v of value) numericArrays(v, out);
  } else if (value !== null && typeof value === 'object') {
    for (const v of Object.values(value)) numericArrays(v, out);
  }
  return out;
}

describe(buildNoveltyReference.name, () => {
  it('publishes no fraud of the reference rows, raw or projected: only centroids of at least k of them', () => {
    const random = mulberry32(12);
    const rows: TrainingRow[] = [];
    for (let i = 0; i < 3000; i++) {
      const fraud = random() < 0.1;
      const features = [
        fraud ? 200 + random() * 300 : random() * 80,
        Math.floor(random() * (fraud ? 12 : 4)),
        random() * (fraud ? 0.5 : 0.05),
        random() < 2 / 7 ? 1 : 0,
      ];
      rows.push(row(`t${i}`, features, fraud));
    }
    const frauds = rows.filter((r) => r.isFraud);
    const profile = buildReferenceProfile(
      rows,
      rows.map((r) => (r.isFraud ? 0.9 : 0.1)),
      NAMES,
    );
    const novelty = profile.novelty;
    expect(novelty?.frauds).toBeUndefined();
    expect(novelty?.null_count).toBe(frauds.length);
    expect(novelty?.min_group_rows).toBe(NOVELTY_MIN_GROUP_ROWS);
    const centroids = novelty?.centroids ?? [];
    // Groups of k to 2k - 1: between n / (2k - 1) and n / k centroids.
    expect(centroids.length).toBeGreaterThanOrEqual(
      Math.ceil(frauds.length / (2 * NOVELTY_MIN_GROUP_ROWS - 1)),
    );
    expect(centroids.length).toBeLessThanOrEqual(Math.floor(frauds.length / NOVELTY_MIN_GROUP_ROWS));

    // No array of the whole reference profile is a fraud's vector (as logged, or rounded as the
    // manifest rounds), nor a fraud's point in the robust space the centroids live in.
    const published = numericArrays(profile);
    const round = (v: number) => Number(v.toPrecision(6));
    const f = novelty?.features ?? [];
    const sameAs = (a: readonly number[], b: readonly number[], tolerance: number) =>
      a.length === b.length && a.every((v, i) => Math.abs(v - (b[i] ?? Number.NaN)) <= tolerance);
    for (const fraud of frauds) {
      const projected = f.map(
        (c, j) => (logRobust(fraud.features[c] ?? 0) - (novelty?.centre[j] ?? 0)) / (novelty?.scale[j] ?? 1),
      );
      for (const array of published) {
        expect(sameAs(array, fraud.features, 0)).toBe(false);
        expect(sameAs(array, fraud.features.map(round), 0)).toBe(false);
        expect(sameAs(array, projected, 1e-4)).toBe(false);
      }
    }
  });

  it("gives as the null each fraud's distance to the nearest centroid taken without it", () => {
    // Two clusters of five frauds on the first compared feature, at log1p values 1 + e and 3 + e
    // (e in 0, ±0.05, ±0.1), the other features constant; legitimate rows spread over log1p 0..4.
    const offsets = [0, 0.1, -0.1, 0.05, -0.05];
    const at = (logValue: number) => Math.expm1(logValue);
    const rows: TrainingRow[] = [
      ...Array.from({ length: 400 }, (_, i) => row(`l${i}`, [at(i / 100), 0, 0, 0], false)),
      ...offsets.map((e, i) => row(`a${i}`, [at(1 + e), 0, 0, 0], true)),
      ...offsets.map((e, i) => row(`b${i}`, [at(3 + e), 0, 0, 0], true)),
    ];
    const novelty = buildNoveltyReference(rows, NAMES);
    expect(novelty.features).toEqual([0, 1, 2]);
    const c = novelty.centre[0] ?? 0;
    const s = novelty.scale[0] ?? 1;
    // Centroids: the clusters' means, 1 and 3, in the robust units of the first feature.
    const firsts = (novelty.centroids ?? []).map((p) => p[0] ?? 0).sort((x, y) => x - y);
    expect(firsts[0]).toBeCloseTo((1 - c) / s, 4);
    expect(firsts[1]).toBeCloseTo((3 - c) / s, 4);
    // Without a fraud at offset e, its cluster's mean moves to -e/4 from the centre: it is 5|e|/4
    // away (nearer than the other cluster, 2 away). Each distance twice, once per cluster.
    const expected = [0, 0, 0.0625, 0.0625, 0.0625, 0.0625, 0.125, 0.125, 0.125, 0.125].map((d) => d / s);
    expect(novelty.null_count).toBe(10);
    (novelty.null_distances ?? []).forEach((d, i) => expect(d).toBeCloseTo(expected[i] ?? 0, 4));
  });

  it('publishes no centroid when the frauds do not make two groups (the novelty test stays off)', () => {
    const rows = Array.from({ length: 100 }, (_, i) => row(`t${i}`, [i, 1, 0, 0], i < 9));
    const novelty = buildNoveltyReference(rows, NAMES);
    expect(novelty.centroids).toEqual([]);
    expect(novelty.null_distances).toEqual([]);
  });
});
