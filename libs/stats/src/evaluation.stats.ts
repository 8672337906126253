import { DAY_MS } from '@fraudstream/contracts';
import type { EvaluationMetrics } from '@fraudstream/registry';

/*
 * Ranking-quality metrics of a fraud model, as pure functions. Definitions follow scikit-learn so
 * numbers are comparable with notebooks: average precision is Σ (R_n − R_{n−1}) P_n over distinct
 * score thresholds (no interpolation), ROC-AUC is the Mann-Whitney U statistic with ties counted
 * as one half, and a score at or above the threshold is an alert (the scorer's rule).
 */

/** The UTC day index of an event time (epoch ms): the `day` of card precision@k. */
export function eventDay(eventTime: number): number {
  return Math.floor(eventTime / DAY_MS);
}

function checkLengths(scores: ArrayLike<number>, labels: ArrayLike<boolean | number>): void {
  if (scores.length !== labels.length) {
    throw new RangeError(`scores (${scores.length}) and labels (${labels.length}) differ in length`);
  }
}

function isPositive(label: boolean | number | undefined): boolean {
  return label === true || label === 1;
}

/**
 * Average precision, scikit-learn's `average_precision_score`: rows are ranked by score, all rows
 * sharing a score enter together (one threshold), and AP = Σ_n (R_n − R_{n−1}) · P_n. With no
 * positive label it is 0 (scikit-learn warns and returns 0 as well).
 */
export function averagePrecision(scores: ArrayLike<number>, labels: ArrayLike<boolean | number>): number {
  checkLengths(scores, labels);
  const n = scores.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => (scores[b] ?? 0) - (scores[a] ?? 0));
  let positives = 0;
  for (let i = 0; i < n; i++) if (isPositive(labels[i])) positives++;
  if (positives === 0) return 0;
  let tp = 0;
  let seen = 0;
  let previousRecall = 0;
  let ap = 0;
  for (let i = 0; i < n;) {
    const threshold = scores[order[i] ?? 0];
    // All rows tied at this score cross the threshold together.
    while (i < n && scores[order[i] ?? 0] === threshold) {
      if (isPositive(labels[order[i] ?? 0])) tp++;
      seen++;
      i++;
    }
    const recall = tp / positives;
    ap += (recall - previousRecall) * (tp / seen);
    previousRecall = recall;
  }
  return ap;
}

/**
 * ROC-AUC as the Mann-Whitney statistic: the probability that a random positive outscores a random
 * negative, ties counting one half (average ranks). NaN when either class is absent (undefined;
 * scikit-learn raises).
 */
export function rocAuc(scores: ArrayLike<number>, labels: ArrayLike<boolean | number>): number {
  checkLengths(scores, labels);
  const n = scores.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => (scores[a] ?? 0) - (scores[b] ?? 0));
  let positives = 0;
  let positiveRankSum = 0;
  for (let i = 0; i < n;) {
    let j = i;
    while (j < n && scores[order[j] ?? 0] === scores[order[i] ?? 0]) j++;
    const averageRank = (i + 1 + j) / 2; // ranks i+1 .. j share their mean
    for (let t = i; t < j; t++) {
      if (isPositive(labels[order[t] ?? 0])) {
        positives++;
        positiveRankSum += averageRank;
      }
    }
    i = j;
  }
  const negatives = n - positives;
  if (positives === 0 || negatives === 0) return Number.NaN;
  const u = positiveRankSum - (positives * (positives + 1)) / 2;
  return u / (positives * negatives);
}

function confusionAtThreshold(
  scores: ArrayLike<number>,
  labels: ArrayLike<boolean | number>,
  threshold: number,
): { tp: number; fp: number; positives: number } {
  checkLengths(scores, labels);
  let tp = 0;
  let fp = 0;
  let positives = 0;
  for (let i = 0; i < scores.length; i++) {
    const alert = (scores[i] ?? 0) >= threshold;
    if (isPositive(labels[i])) {
      positives++;
      if (alert) tp++;
    } else if (alert) fp++;
  }
  return { tp, fp, positives };
}

/** Share of the positives scored at or above `threshold`; 0 when there is no positive. */
export function recallAtThreshold(
  scores: ArrayLike<number>,
  labels: ArrayLike<boolean | number>,
  threshold: number,
): number {
  const { tp, positives } = confusionAtThreshold(scores, labels, threshold);
  return positives === 0 ? 0 : tp / positives;
}

/** Share of the alerts (score >= threshold) that are positives; 0 when nothing alerts (scikit-learn's zero_division=0). */
export function precisionAtThreshold(
  scores: ArrayLike<number>,
  labels: ArrayLike<boolean | number>,
  threshold: number,
): number {
  const { tp, fp } = confusionAtThreshold(scores, labels, threshold);
  return tp + fp === 0 ? 0 : tp / (tp + fp);
}

/** One scored, labelled transaction for the card-level and full evaluations. */
export interface EvaluationRow {
  readonly cardId: string;
  /** Any day key, e.g. `eventDay(event_time)`. */
  readonly day: number | string;
  readonly score: number;
  readonly isFraud: boolean;
}

/**
 * Card precision@k (Le Borgne et al., "Reproducible Machine Learning for Credit Card Fraud
 * Detection"): per day, each card counts once with its highest score; of the k highest-scored
 * cards, the share that had any fraud that day; the mean over days. The divisor is k even on a day
 * with fewer cards, as in the reference implementation, so it reads as "useful share of the
 * analysts' daily capacity". Ties are broken by card id for determinism.
 */
export function cardPrecisionAtK(rows: readonly EvaluationRow[], k: number): number {
  if (!Number.isInteger(k) || k <= 0) throw new RangeError(`k must be a positive integer (got ${k})`);
  const days = new Map<number | string, Map<string, { score: number; fraud: boolean }>>();
  for (const row of rows) {
    let cards = days.get(row.day);
    if (!cards) days.set(row.day, (cards = new Map<string, { score: number; fraud: boolean }>()));
    const card = cards.get(row.cardId);
    if (!card) cards.set(row.cardId, { score: row.score, fraud: row.isFraud });
    else {
      card.score = Math.max(card.score, row.score);
      card.fraud ||= row.isFraud;
    }
  }
  if (days.size === 0) return 0;
  let sum = 0;
  for (const cards of days.values()) {
    const ranked = [...cards.entries()].sort((a, b) => b[1].score - a[1].score || (a[0] < b[0] ? -1 : 1));
    let hits = 0;
    for (const [, card] of ranked.slice(0, k)) if (card.fraud) hits++;
    sum += hits / k;
  }
  return sum / days.size;
}

/** Every metric of the model manifest's `EvaluationMetrics` on one labelled data set. */
export function evaluateModel(
  rows: readonly EvaluationRow[],
  options: { readonly threshold: number; readonly k: number },
): EvaluationMetrics {
  const scores = Float64Array.from(rows, (r) => r.score);
  const labels = rows.map((r) => r.isFraud);
  let positives = 0;
  for (const label of labels) if (label) positives++;
  return {
    rows: rows.length,
    positives,
    average_precision: averagePrecision(scores, labels),
    roc_auc: rocAuc(scores, labels),
    recall_at_threshold: recallAtThreshold(scores, labels, options.threshold),
    precision_at_threshold: precisionAtThreshold(scores, labels, options.threshold),
    card_precision_at_k: cardPrecisionAtK(rows, options.k),
    k: options.k,
  };
}
