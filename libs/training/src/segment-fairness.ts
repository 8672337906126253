/*
 * Per-segment error rates and the gate's fairness rule: a challenger may not widen the spread of
 * false-positive rate or recall across the customer segments of an attribute (age band, region)
 * beyond a tolerance, by more than sampling noise explains. docs/trainer.md states the rule.
 */
import { SEGMENT_ATTRIBUTES, type SegmentAttribute } from '@fraudstream/contracts';
import type { SegmentMetrics, SegmentTable } from '@fraudstream/registry';
import type { TrainingRow } from './training-rows';

/** The fairness settings of the gate (GATE_MAX_FAIRNESS_GAP_WIDENING and its companion). */
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
  model: { readonly scores: ArrayLike<number>; readonly threshold: number },
  champion: { readonly scores: ArrayLike<number>; readonly threshold: number } | null,
): SegmentTable {
  return {
    rows: segmentedRows(rows),
    model: segmentMetrics(rows, model.scores, model.threshold),
    champion: champion ? segmentMetrics(rows, champion.scores, champion.threshold) : null,
  };
}

/** The spread of one metric across one attribute's segments, for one model. */
interface Gap {
  readonly value: number;
  readonly variance: number;
  readonly high: SegmentMetrics;
  readonly low: SegmentMetrics;
}

/** One attribute and metric checked: the two gaps, the widening and its lower confidence bound. */
export interface FairnessFinding {
  readonly attribute: SegmentAttribute;
  readonly metric: FairnessMetric;
  /** Segments with enough support (see FairnessConfig.minExpectedCount). */
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
  readonly high: SegmentMetrics;
  readonly low: SegmentMetrics;
}

export interface FairnessCheck {
  /** Rows of the table that carried segments (0: nothing to check, the gate says nothing). */
  readonly segmentedRows: number;
  readonly findings: readonly FairnessFinding[];
  /** The findings that refuse the challenger. */
  readonly refusals: readonly FairnessFinding[];
  /** The largest relativeWidening per metric (0 when nothing was checked), for the event's metrics. */
  readonly worst: Readonly<Record<FairnessMetric, number>>;
}

/** Events (numerator) and trials (denominator) of a metric in a segment. */
function trials(m: SegmentMetrics, metric: FairnessMetric): { n: number; rate: number | null } {
  return metric === 'recall'
    ? { n: m.frauds, rate: m.recall }
    : { n: m.rows - m.frauds, rate: m.false_positive_rate };
}

/** Variance of a segment's rate, with the rate shrunk by one event each way so 0 and 1 are not exact. */
function rateVariance(n: number, rate: number): number {
  const p = (rate * n + 1) / (n + 2);
  return (p * (1 - p)) / n;
}

function overallRate(table: readonly SegmentMetrics[], attribute: string, metric: FairnessMetric): number {
  let events = 0;
  let n = 0;
  for (const m of table) {
    if (m.attribute !== attribute) continue;
    const t = trials(m, metric);
    if (t.rate === null) continue;
    events += t.rate * t.n;
    n += t.n;
  }
  return n === 0 ? 0 : events / n;
}

function gapOf(segments: readonly SegmentMetrics[], metric: FairnessMetric): Gap | null {
  let high: SegmentMetrics | null = null;
  let low: SegmentMetrics | null = null;
  for (const m of segments) {
    const rate = trials(m, metric).rate ?? 0;
    if (!high || rate > (trials(high, metric).rate ?? 0)) high = m;
    if (!low || rate < (trials(low, metric).rate ?? 0)) low = m;
  }
  if (!high || !low || high === low) return null;
  const h = trials(high, metric);
  const l = trials(low, metric);
  return {
    value: (h.rate ?? 0) - (l.rate ?? 0),
    variance: rateVariance(h.n, h.rate ?? 0) + rateVariance(l.n, l.rate ?? 0),
    high,
    low,
  };
}

/**
 * The fairness rule of the gate. For each attribute and metric (false-positive rate, recall), the
 * gap of a model is its largest minus its smallest segment rate, over the segments whose support
 * suffices for both models (n·p and n·(1−p) at the pooled rate at least `minExpectedCount`). The
 * challenger is refused when its gap exceeds the champion's by more than `maxGapWidening` × the
 * champion's overall rate, even after FAIRNESS_Z standard errors are taken off the widening (the
 * two gaps' binomial variances added as if independent: both models score the same rows, so their
 * rates move together and the true noise is smaller; the bound errs toward passing).
 */
export function checkFairness(table: SegmentTable, config: FairnessConfig): FairnessCheck {
  const findings: FairnessFinding[] = [];
  const worst: Record<FairnessMetric, number> = { false_positive_rate: 0, recall: 0 };
  const champion = table.champion;
  if (!champion) return { segmentedRows: table.rows, findings, refusals: [], worst };
  for (const attribute of SEGMENT_ATTRIBUTES) {
    for (const metric of METRICS) {
      const championRate = overallRate(champion, attribute, metric);
      const pooled = (championRate + overallRate(table.model, attribute, metric)) / 2;
      const supported = (m: SegmentMetrics) => {
        const { n, rate } = trials(m, metric);
        return (
          m.attribute === attribute &&
          rate !== null &&
          n * pooled >= config.minExpectedCount &&
          n * (1 - pooled) >= config.minExpectedCount
        );
      };
      const challengerSegments = table.model.filter(supported);
      const values = new Set(challengerSegments.map((m) => m.value));
      const championSegments = champion.filter((m) => supported(m) && values.has(m.value));
      const kept = new Set(championSegments.map((m) => m.value));
      const challengerGap = gapOf(
        challengerSegments.filter((m) => kept.has(m.value)),
        metric,
      );
      const championGap = gapOf(championSegments, metric);
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
        segments: kept.size,
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
  return { segmentedRows: table.rows, findings, refusals: findings.filter((f) => f.refused), worst };
}

const fmt = (v: number): string => v.toFixed(4);
const METRIC_NAMES: Readonly<Record<FairnessMetric, string>> = {
  false_positive_rate: 'false-positive rate',
  recall: 'recall',
};

/** A refusal in words, for the gate's reason. */
export function describeRefusal(f: FairnessFinding): string {
  const rate = (m: SegmentMetrics) => fmt(trials(m, f.metric).rate ?? 0);
  return (
    `${METRIC_NAMES[f.metric]} gap across ${f.attribute} widened from ${fmt(f.championGap)} (champion) ` +
    `to ${fmt(f.challengerGap)} (challenger: ${f.high.value} ${rate(f.high)}, ${f.low.value} ${rate(f.low)}); ` +
    `beyond noise by at least ${fmt(f.wideningLowerBound)} > tolerance ${fmt(f.tolerance)}`
  );
}
