import { DAY_MS, type FeatureDrift } from '@fraudstream/contracts';
import {
  benjaminiHochberg,
  binIndex,
  chiSquareGoodnessOfFit,
  jensenShannonDistance,
  kolmogorovSmirnov,
  populationStabilityIndex,
  wasserstein1,
} from '@fraudstream/stats';
import type { PreparedReference } from './reference-model';
import { RowReservoir, type ReservoirSnapshot } from './row-reservoir';
import { TopCardsTracker } from './top-cards';

/** Distribution statistics of a window, computed when it closes and kept until it matures. */
export interface WindowDistributionStats {
  readonly features: FeatureDrift[];
  readonly prediction: FeatureDrift;
  readonly driftedFeatures: number;
  readonly maxPsi: number;
}

export interface WindowSnapshot {
  readonly version: string;
  readonly start: number;
  readonly end: number;
  readonly rowCount: number;
  readonly bins: number[][];
  readonly reservoir: ReservoirSnapshot;
  readonly days: { day: number; top: [string, number][]; fraud: [string, number][] }[];
  readonly closed: WindowDistributionStats | null;
}

interface DayCards {
  readonly top: TopCardsTracker;
  /** Cards with a fraud that day -> event time the first fraud label of the card arrived. */
  readonly fraud: Map<string, number>;
}

/**
 * One tumbling event-time window of one model's champion scores. Memory is bounded by the
 * reference's bins, the reservoir's capacity, k cards per day and the fraudulent cards per day;
 * never by the window's traffic.
 */
export class DriftWindow {
  rowCount = 0;
  closed: WindowDistributionStats | null = null;
  private readonly bins: Float64Array[];
  private readonly days = new Map<number, DayCards>();

  constructor(
    readonly reference: PreparedReference,
    readonly start: number,
    readonly end: number,
    readonly reservoir: RowReservoir,
    private readonly k: number,
    private readonly maxFraudCardsPerDay: number,
  ) {
    this.bins = reference.edges.map((e) => new Float64Array(e.length + 1));
  }

  get version(): string {
    return this.reference.version;
  }

  /** The hot path: bins every feature and the score, offers the row to the sample and the day's top cards. */
  add(
    priority: number,
    id: string,
    card: string,
    time: number,
    score: number,
    features: readonly number[],
    terminal = '',
  ): boolean {
    this.rowCount++;
    const edges = this.reference.edges;
    const f = features.length;
    for (let i = 0; i < f; i++) {
      const counts = this.bins[i];
      if (counts) {
        const j = binIndex(edges[i] ?? [], features[i] ?? 0);
        counts[j] = (counts[j] ?? 0) + 1;
      }
    }
    const scoreBins = this.bins[f];
    if (scoreBins) {
      const j = binIndex(edges[f] ?? [], score);
      scoreBins[j] = (scoreBins[j] ?? 0) + 1;
    }
    this.day(Math.floor(time / DAY_MS)).top.offer(card, score);
    return this.reservoir.offer(priority, id, card, time, score, features, terminal);
  }

  /** Remembers a card with a fraudulent transaction on a day (known from event time `at`), for card precision@k. */
  addFraudCard(time: number, card: string, at: number): void {
    const day = this.day(Math.floor(time / DAY_MS));
    const known = day.fraud.get(card);
    if (known !== undefined) day.fraud.set(card, Math.min(known, at));
    else if (day.fraud.size < this.maxFraudCardsPerDay) day.fraud.set(card, at);
  }

  /** Card precision@k over the window's days, with the frauds known at event time `t`. */
  cardPrecisionAtK(t: number): number | null {
    if (this.days.size === 0) return null;
    let sum = 0;
    for (const day of this.days.values()) {
      let hits = 0;
      for (const card of day.top.cards()) {
        const at = day.fraud.get(card);
        if (at !== undefined && at <= t) hits++;
      }
      sum += hits / this.k;
    }
    return sum / this.days.size;
  }

  /**
   * Computes the distribution statistics against the reference and frees the sampled feature
   * values. The p-values of the features and the score form one family for Benjamini-Hochberg;
   * `seasonal` features (calendar features that a window shorter than their period always
   * "shifts") are reported but left out of the family and never count as drifted.
   */
  close(
    fdr: number,
    psiThreshold: number,
    enoughRows: boolean,
    seasonal: ReadonlySet<string>,
  ): WindowDistributionStats {
    const ref = this.reference;
    const names = [...ref.featureNames, 'score'];
    const raw = names.map((feature, i) => {
      const counts = this.bins[i] ?? new Float64Array(0);
      const isScore = i === ref.featureNames.length;
      const seasonal = isScore ? this.seasonalScoreReference() : null;
      const fractions = seasonal?.fractions ?? ref.fractions[i] ?? [];
      const live = isScore ? this.reservoir.sortedScores() : this.reservoir.sortedFeature(i);
      const refSample = seasonal?.sample ?? ref.samples[i] ?? new Float64Array(0);
      const ks = kolmogorovSmirnov(refSample, live);
      const pValue = ref.categorical[i] ? chiSquareGoodnessOfFit(fractions, counts).pValue : ks.pValue;
      return {
        feature,
        psi: populationStabilityIndex(fractions, counts),
        ks_statistic: ks.statistic,
        ks_p_value: ks.pValue,
        js_distance: jensenShannonDistance(fractions, counts),
        wasserstein: wasserstein1(refSample, live),
        pValue,
      };
    });
    const family = raw.flatMap((r, i) => (seasonal.has(r.feature) ? [] : [i]));
    const adjustedInFamily = benjaminiHochberg(family.map((i) => raw[i]?.pValue ?? 1));
    const adjusted = raw.map((r) => r.pValue);
    family.forEach((i, j) => (adjusted[i] = adjustedInFamily[j] ?? 1));
    const all: FeatureDrift[] = raw.map(({ pValue: _p, ...r }, i) => {
      const p = adjusted[i] ?? 1;
      const drifted = enoughRows && !seasonal.has(r.feature) && p <= fdr && r.psi >= psiThreshold;
      return { ...r, p_value_adjusted: p, drifted };
    });
    const features = all.slice(0, -1);
    const prediction = all[all.length - 1] ?? emptyDrift('score');
    let drifted = 0;
    let maxPsi = 0;
    for (const d of features) {
      if (d.drifted) drifted++;
      if (!seasonal.has(d.feature)) maxPsi = Math.max(maxPsi, d.psi);
    }
    this.closed = {
      features,
      prediction,
      driftedFeatures: drifted,
      maxPsi: Math.max(maxPsi, prediction.psi),
    };
    this.reservoir.dropFeatures();
    return this.closed;
  }

  /**
   * The score's reference for this window's mix of calendar days: each stratum's bin fractions and
   * sample weighed by the share of the window's sampled rows in it. Null without strata, or when the
   * window holds a value the reference has no stratum for.
   */
  private seasonalScoreReference(): { fractions: number[]; sample: Float64Array } | null {
    const strata = this.reference.scoreStrata;
    if (!strata) return null;
    const values = this.reservoir.sortedFeature(strata.featureIndex);
    if (values.length === 0) return null;
    const weights = strata.strata.map((st) => {
      let n = 0;
      for (const v of values) if (v === st.value) n++;
      return n / values.length;
    });
    if (Math.abs(weights.reduce((a, b) => a + b, 0) - 1) > 1e-9) return null;
    const bins = strata.strata[0]?.fractions.length ?? 0;
    const fractions = Array.from({ length: bins }, (_, b) =>
      strata.strata.reduce((sum, st, j) => sum + (weights[j] ?? 0) * (st.fractions[b] ?? 0), 0),
    );
    // The mixture's sample: from each stratum, evenly spaced order statistics in proportion to its weight.
    const size = Math.max(...strata.strata.map((st) => st.sample.length));
    const sample: number[] = [];
    strata.strata.forEach((st, j) => {
      const take = Math.round((weights[j] ?? 0) * size);
      for (let q = 0; q < take; q++)
        sample.push(st.sample[Math.round(((q + 0.5) / take) * (st.sample.length - 1))] ?? 0);
    });
    return { fractions, sample: Float64Array.from(sample).sort() };
  }

  snapshot(): WindowSnapshot {
    return {
      version: this.version,
      start: this.start,
      end: this.end,
      rowCount: this.rowCount,
      bins: this.bins.map((b) => Array.from(b)),
      reservoir: this.reservoir.snapshot(),
      days: [...this.days.entries()].map(([day, d]) => ({
        day,
        top: d.top.snapshot(),
        fraud: [...d.fraud.entries()],
      })),
      closed: this.closed,
    };
  }

  static restore(
    s: WindowSnapshot,
    reference: PreparedReference,
    k: number,
    maxFraudCardsPerDay: number,
  ): DriftWindow {
    const w = new DriftWindow(
      reference,
      s.start,
      s.end,
      RowReservoir.restore(s.reservoir),
      k,
      maxFraudCardsPerDay,
    );
    w.rowCount = s.rowCount;
    s.bins.forEach((b, i) => w.bins[i]?.set(b));
    for (const d of s.days)
      w.days.set(d.day, { top: TopCardsTracker.restore(k, d.top), fraud: new Map(d.fraud) });
    w.closed = s.closed;
    return w;
  }

  private day(day: number): DayCards {
    let d = this.days.get(day);
    if (!d) this.days.set(day, (d = { top: new TopCardsTracker(this.k), fraud: new Map<string, number>() }));
    return d;
  }
}

export function emptyDrift(feature: string): FeatureDrift {
  return {
    feature,
    psi: 0,
    ks_statistic: 0,
    ks_p_value: 1,
    js_distance: 0,
    wasserstein: 0,
    p_value_adjusted: 1,
    drifted: false,
  };
}
