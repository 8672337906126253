/*
 * Per-segment error rates and the gate's fairness rule: a challenger may not widen the spread of
 * false-positive rate or recall across the customer segments of an attribute (age band, region)
 * beyond a tolerance, by more than sampling noise explains. docs/trainer.md states the rule.
 */
import { SEGMENT_ATTRIBUTES, type SegmentAttribute } from '@fraudstream/contracts';
import type { SegmentMetrics, SegmentTable } from '@fraudstream/registry';
import type { TrainingRow } from './training-rows';

/** The fairness settings of the gate (GATE_MAX_FAIRNESS_GAP_WIDENING, GATE_FAIRNESS_MIN_*). */
export interface FairnessConfig {
  /**
   * How much the challenger may widen a gap (largest minus smallest segment rate), as a share of
   * the champion's overall rate of that metric on the same rows (0.2: the four-fifths rule).
   */
  readonly maxGapWidening: number;
  /**
   * A segment enters a metric's gap only when it expects at least this many events of each kind at
   * the pooled rate (n·p and n·(1−p)): below it the normal approximation behind the bound fails.
   */
  readonly minExpectedCount: number;
  /**
   * ... and when its rows (its frauds, for recall) belong to at least this many cards: the
   * card-clustered variance is itself too noisy from fewer.
   */
  readonly minCards: number;
}

/**
 * One-sided z of the bound on a widening: 99.5 %. The gate looks at 2 attributes × 2 metrics; with
 * a tolerance of 0 and two equally fair models, the chance that noise alone refuses one is at most
 * 4 × 0.5 % = 2 %, and the tolerance makes it far smaller.
 */
export const FAIRNESS_Z = 2.576;

/** A metric whose spread across segments the gate bounds. */
export type FairnessMetric = 'false_positive_rate' | 'recall';

const METRICS: readonly FairnessMetric[] = ['false_positive_rate', 'recall'];

/** Counts of one segment at one threshold. */
interface SegmentCounts {
  readonly attribute: SegmentAttribute;
  readonly value: string;
  rows: number;
  frauds: number;
  truePositives: number;
  falsePositives: number;
}

function countSegments(
  rows: readonly TrainingRow[],
  scores: ArrayLike<number>,
  threshold: number,
): SegmentCounts[] {
  const counts = new Map<string, SegmentCounts>();
  rows.forEach((row, i) => {
    const alert = (scores[i] ?? 0) >= threshold;
    for (const attribute of SEGMENT_ATTRIBUTES) {
      const value = row.segments?.[attribute];
      if (value === undefined || value === null) continue;
      const key = `${attribute}\u0000${value}`;
      let c = counts.get(key);
      if (!c) {
        c = { attribute, value, rows: 0, frauds: 0, truePositives: 0, falsePositives: 0 };
        counts.set(key, c);
      }
      c.rows++;
      if (row.isFraud) {
        c.frauds++;
        if (alert) c.truePositives++;
      } else if (alert) c.falsePositives++;
    }
  });
  return [...counts.values()].sort(
    (a, b) =>
      SEGMENT_ATTRIBUTES.indexOf(a.attribute) - SEGMENT_ATTRIBUTES.indexOf(b.attribute) ||
      (a.value < b.value ? -1 : a.value > b.value ? 1 : 0),
  );
}

/**
 * False-positive rate and recall at `threshold` of each segment of each attribute (a row counts in
 * its age band and in its region); rows without segments count in none. Attributes in
 * SEGMENT_ATTRIBUTES order, values alphabetical.
 */
export function segmentMetrics(
  rows: readonly TrainingRow[],
  scores: ArrayLike<number>,
  threshold: number,
): SegmentMetrics[] {
  return countSegments(rows, scores, threshold).map((c) => {
    const legitimate = c.rows - c.frauds;
    return {
      attribute: c.attribute,
      value: c.value,
      rows: c.rows,
      frauds: c.frauds,
      false_positive_rate: legitimate === 0 ? null : c.falsePositives / legitimate,
      recall: c.frauds === 0 ? null : c.truePositives / c.frauds,
    };
  });
}

/** Rows that carry at least one segment. */
export function segmentedRows(rows: readonly TrainingRow[]): number {
  let n = 0;
  for (const row of rows)
    if (SEGMENT_ATTRIBUTES.some((a) => row.segments?.[a] !== undefined && row.segments[a] !== null)) n++;
  return n;
}

/** A model's table, with the champion's on the same rows beside it (null for a base model). */
export function segmentTable(
  rows: readonly TrainingRow[],
  model: ScoredModel,
  champion: ScoredModel | null,
): SegmentTable {
  return {
    rows: segmentedRows(rows),
    model: segmentMetrics(rows, model.scores, model.threshold),
    champion: champion ? segmentMetrics(rows, champion.scores, champion.threshold) : null,
  };
}

/** One model's rate of one metric on one segment, with its variance (see {@link checkFairness}). */
export interface SegmentRate {
  readonly value: string;
  /** Rows the rate is over: the segment's frauds (recall) or legitimate rows (false-positive rate). */
  readonly trials: number;
  /** Cards those rows belong to. */
  readonly cards: number;
  readonly rate: number;
  readonly variance: number;
}

/** One attribute and metric checked: the two gaps, the widening and its lower confidence bound. */
export interface FairnessFinding {
  readonly attribute: SegmentAttribute;
  readonly metric: FairnessMetric;
  /** Segments with enough support (FairnessConfig.minExpectedCount and minCards). */
  readonly segments: number;
  readonly championGap: number;
  readonly challengerGap: number;
  /** challengerGap − championGap. */
  readonly widening: number;
  /** The widening less FAIRNESS_Z standard errors: what noise cannot explain. */
  readonly wideningLowerBound: number;
  /** The tolerance in the metric's units: maxGapWidening × the champion's overall rate. */
  readonly tolerance: number;
  /** wideningLowerBound / the champion's overall rate (compared with maxGapWidening). */
  readonly relativeWidening: number;
  readonly refused: boolean;
  /** The challenger's highest and lowest segments. */
  readonly high: SegmentRate;
  readonly low: SegmentRate;
}

export interface FairnessCheck {
  /** Rows that carried segments (0: nothing to check, the gate says nothing). */
  readonly segmentedRows: number;
  readonly findings: readonly FairnessFinding[];
  /** The findings that refuse the challenger. */
  readonly refusals: readonly FairnessFinding[];
  /**
   * The largest relativeWidening per metric, for the event's metrics (0 when nothing was checked
   * or no widening's bound is positive).
   */
  readonly worst: Readonly<Record<FairnessMetric, number>>;
}

/** A model's scores on the rows and its threshold. */
export interface ScoredModel {
  readonly scores: ArrayLike<number>;
  readonly threshold: number;
}

/**
 * Each segment's rate of `metric` for one model. Its variance is the larger of the binomial one
 * (the rate shrunk by one event each way, so 0 and 1 are not exact) and the card-clustered one
 * (the ratio estimator's C/(C−1) · Σ_c (y_c − r·n_c)² / n² over the C cards): a compromised card's
 * frauds are caught or missed together, so they are not independent trials, and the binomial
 * variance alone would take a few cards' luck for a gap.
 */
function segmentRates(
  rows: readonly TrainingRow[],
  model: ScoredModel,
  attribute: SegmentAttribute,
  metric: FairnessMetric,
): Map<string, SegmentRate> {
  const byCard = new Map<string, Map<string, { y: number; n: number }>>();
  rows.forEach((row, i) => {
    const value = row.segments?.[attribute];
    if (value === undefined || value === null) return;
    if (row.isFraud !== (metric === 'recall')) return;
    const alert = (model.scores[i] ?? 0) >= model.threshold;
    let cards = byCard.get(value);
    if (!cards) {
      cards = new Map<string, { y: number; n: number }>();
      byCard.set(value, cards);
    }
    const c = cards.get(row.cardId) ?? { y: 0, n: 0 };
    c.n++;
    if (alert) c.y++;
    cards.set(row.cardId, c);
  });
  const out = new Map<string, SegmentRate>();
  for (const [value, cards] of byCard) {
    let y = 0;
    let n = 0;
    for (const c of cards.values()) {
      y += c.y;
      n += c.n;
    }
    const rate = y / n;
    const shrunk = (y + 1) / (n + 2);
    const binomial = (shrunk * (1 - shrunk)) / n;
    let variance = binomial;
    if (cards.size > 1) {
      let sum = 0;
      for (const c of cards.values()) sum += (c.y - rate * c.n) ** 2;
      variance = Math.max(binomial, ((cards.size / (cards.size - 1)) * sum) / (n * n));
    }
    out.set(value, { value, trials: n, cards: cards.size, rate, variance });
  }
  return out;
}

function overall(rates: Iterable<SegmentRate>): number {
  let events = 0;
  let n = 0;
  for (const r of rates) {
    events += r.rate * r.trials;
    n += r.trials;
  }
  return n === 0 ? 0 : events / n;
}

function gapOf(
  rates: readonly SegmentRate[],
): { value: number; variance: number; high: SegmentRate; low: SegmentRate } | null {
  let high: SegmentRate | null = null;
  let low: SegmentRate | null = null;
  for (const r of rates) {
    if (!high || r.rate > high.rate) high = r;
    if (!low || r.rate < low.rate) low = r;
  }
  // Two segments at least; equal rates make a gap of 0 (high and low may then be one segment).
  if (!high || !low || rates.length < 2) return null;
  return { value: high.rate - low.rate, variance: high.variance + low.variance, high, low };
}

/**
 * The fairness rule of the gate. For each attribute and metric (false-positive rate, recall), the
 * gap of a model is its largest minus its smallest segment rate, over the segments with enough
 * support (n·p and n·(1−p) at the two models' pooled rate at least `minExpectedCount`, and rows of
 * at least `minCards` cards). The challenger is refused when its gap exceeds the champion's by more
 * than `maxGapWidening` × the champion's overall rate, even after FAIRNESS_Z standard errors are
 * taken off the widening. The four rates' variances (see segmentRates) are added as if independent:
 * both models score the same rows, so their rates move together and the true noise is smaller; the
 * bound errs toward passing.
 */
export function checkFairness(
  rows: readonly TrainingRow[],
  challenger: ScoredModel,
  champion: ScoredModel,
  config: FairnessConfig,
): FairnessCheck {
  const findings: FairnessFinding[] = [];
  const worst: Record<FairnessMetric, number> = { false_positive_rate: 0, recall: 0 };
  for (const attribute of SEGMENT_ATTRIBUTES) {
    for (const metric of METRICS) {
      const challengerRates = segmentRates(rows, challenger, attribute, metric);
      const championRates = segmentRates(rows, champion, attribute, metric);
      const championRate = overall(championRates.values());
      const pooled = (championRate + overall(challengerRates.values())) / 2;
      // The same rows for both models: trials and cards do not depend on the model.
      const supported = [...championRates.values()].filter(
        (r) =>
          r.trials * pooled >= config.minExpectedCount &&
          r.trials * (1 - pooled) >= config.minExpectedCount &&
          r.cards >= config.minCards,
      );
      const pick = (rates: Map<string, SegmentRate>) =>
        supported.map((r) => rates.get(r.value)).filter((r): r is SegmentRate => r !== undefined);
      const challengerGap = gapOf(pick(challengerRates));
      const championGap = gapOf(pick(championRates));
      if (!challengerGap || !championGap) continue;
      const widening = challengerGap.value - championGap.value;
      const wideningLowerBound =
        widening - FAIRNESS_Z * Math.sqrt(challengerGap.variance + championGap.variance);
      const tolerance = config.maxGapWidening * championRate;
      const relativeWidening = championRate > 0 ? wideningLowerBound / championRate : 0;
      const refused = wideningLowerBound > tolerance + 1e-12;
      worst[metric] = Math.max(worst[metric], relativeWidening);
      findings.push({
        attribute,
        metric,
        segments: supported.length,
        championGap: championGap.value,
        challengerGap: challengerGap.value,
        widening,
        wideningLowerBound,
        tolerance,
        relativeWidening,
        refused,
        high: challengerGap.high,
        low: challengerGap.low,
      });
    }
  }
  return {
    segmentedRows: segmentedRows(rows),
    findings,
    refusals: findings.filter((f) => f.refused),
    worst,
  };
}

const fmt = (v: number): string => v.toFixed(4);
const METRIC_NAMES: Readonly<Record<FairnessMetric, string>> = {
  false_positive_rate: 'false-positive rate',
  recall: 'recall',
};

/** A refusal in words, for the gate's reason. */
export function describeRefusal(f: FairnessFinding): string {
  const rate = (r: SegmentRate) => fmt(r.rate);
  return (
    `${METRIC_NAMES[f.metric]} gap across ${f.attribute} widened from ${fmt(f.championGap)} (champion) ` +
    `to ${fmt(f.challengerGap)} (challenger: ${f.high.value} ${rate(f.high)}, ${f.low.value} ${rate(f.low)}); ` +
    `beyond noise by at least ${fmt(f.wideningLowerBound)} > tolerance ${fmt(f.tolerance)}`
  );
}
