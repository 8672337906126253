import { mulberry32 } from './seeded-random';

/*
 * How much of a difference between two models' metrics on one set of rows is sampling noise. The
 * rows are resampled by card (a card's transactions are not independent: one stolen card is many
 * frauds), both models on each resample (paired: the rows' own difficulty cancels), and the
 * resampled differences' standard deviation is the standard error of the measured one (Efron and
 * Tibshirani, "An Introduction to the Bootstrap", 1993, ch. 6; by cluster, Field and Welsh,
 * "Bootstrapping clustered data", JRSS B 2007).
 *
 * Each resample draws the cards with replacement and gives every row the count of its card as a
 * weight, so both rankings are sorted once and each resample is one pass over them.
 *
 * The same resampling over any clusters (cards, terminals) gives one model's own AP and ROC-AUC
 * their standard errors (`clusterBootstrap`): how far a day's metrics move with which clusters the
 * day happened to hold, which the drift monitor's mature rule needs before it calls a drop.
 */

export interface PairedRow {
  readonly cardId: string;
  readonly isFraud: boolean;
  /** Model A's score (the challenger's, say). */
  readonly scoreA: number;
  /** Model B's score, on the same row. */
  readonly scoreB: number;
}

export interface PairedBootstrapResult {
  /** Resamples that held both classes (the others are skipped: AP and ROC-AUC are undefined there). */
  readonly resamples: number;
  /** Standard error of AP(A) − AP(B). */
  readonly averagePrecisionDifferenceSe: number;
  /** Standard error of ROC-AUC(A) − ROC-AUC(B). */
  readonly rocAucDifferenceSe: number;
}

/** Row indices by score (descending), and where each run of tied scores ends. */
function rankWithTies(scores: readonly number[]): { order: Int32Array; groupEnd: Int32Array } {
  const order = Int32Array.from(scores.keys()).sort((a, b) => (scores[b] ?? 0) - (scores[a] ?? 0));
  const groupEnd = new Int32Array(order.length);
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j < order.length && scores[order[j] ?? 0] === scores[order[i] ?? 0]) j++;
    for (let t = i; t < j; t++) groupEnd[t] = j;
    i = j;
  }
  return { order, groupEnd };
}

/**
 * Weighted AP and ROC-AUC in one pass down a descending ranking (a row of weight w counts as w
 * rows; tied scores enter together; ROC-AUC counts ties as one half, as `rocAuc` does).
 */
function weightedMetrics(
  ranking: { order: Int32Array; groupEnd: Int32Array },
  weights: Float64Array,
  positive: Uint8Array,
  totalPositive: number,
  totalNegative: number,
): { ap: number; auc: number } {
  const { order, groupEnd } = ranking;
  let tp = 0;
  let seen = 0;
  let previousRecall = 0;
  let ap = 0;
  let negativesAbove = 0;
  let pairsWon = 0;
  for (let i = 0; i < order.length;) {
    const end = groupEnd[i] ?? order.length;
    let groupPositive = 0;
    let groupNegative = 0;
    for (; i < end; i++) {
      const row = order[i] ?? 0;
      const w = weights[row] ?? 0;
      if (positive[row] === 1) groupPositive += w;
      else groupNegative += w;
    }
    if (groupPositive + groupNegative === 0) continue;
    tp += groupPositive;
    seen += groupPositive + groupNegative;
    const recall = tp / totalPositive;
    ap += (recall - previousRecall) * (tp / seen);
    previousRecall = recall;
    // A positive outscores every negative below its group, and ties half of its group's.
    pairsWon += groupPositive * (totalNegative - negativesAbove - groupNegative + groupNegative / 2);
    negativesAbove += groupNegative;
  }
  return { ap, auc: pairsWon / (totalPositive * totalNegative) };
}

/**
 * Weighted AP and ROC-AUC of one model (a row of weight w counts as w copies of it): with integer
 * weights, `averagePrecision` and `rocAuc` of the rows repeated. NaN without weight in both classes.
 */
export function weightedRankingMetrics(
  scores: readonly number[],
  labels: readonly boolean[],
  weights: readonly number[],
): { readonly averagePrecision: number; readonly rocAuc: number } {
  const positive = Uint8Array.from(labels, (l) => (l ? 1 : 0));
  let totalPositive = 0;
  let totalNegative = 0;
  labels.forEach((l, i) => {
    if (l) totalPositive += weights[i] ?? 0;
    else totalNegative += weights[i] ?? 0;
  });
  if (totalPositive === 0 || totalNegative === 0) return { averagePrecision: Number.NaN, rocAuc: Number.NaN };
  const m = weightedMetrics(
    rankWithTies(scores),
    Float64Array.from(weights),
    positive,
    totalPositive,
    totalNegative,
  );
  return { averagePrecision: m.ap, rocAuc: m.auc };
}

function standardDeviation(values: readonly number[]): number {
  if (values.length < 2) return Number.NaN;
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  const sumSquares = values.reduce((s, v) => s + (v - mean) * (v - mean), 0);
  return Math.sqrt(sumSquares / (values.length - 1));
}

/**
 * Runs `resamples` cluster-bootstrap draws from `seed`: each draws as many clusters as there are,
 * with replacement, and gives every row the count of its cluster (`clusters[i]`) as a weight; `visit`
 * gets the weights and the class totals of each draw that holds both classes.
 */
function forEachClusterResample(
  clusters: readonly string[],
  positive: Uint8Array,
  options: { readonly resamples: number; readonly seed: number },
  visit: (weights: Float64Array, totalPositive: number, totalNegative: number) => void,
): void {
  const index = new Map<string, number>();
  const clusterOf = Int32Array.from(clusters, (c) => {
    let k = index.get(c);
    if (k === undefined) {
      k = index.size;
      index.set(c, k);
    }
    return k;
  });
  const count = index.size;
  const random = mulberry32(options.seed);
  const draws = new Float64Array(count);
  const weights = new Float64Array(clusters.length);
  for (let b = 0; b < options.resamples; b++) {
    draws.fill(0);
    for (let c = 0; c < count; c++) {
      const drawn = Math.floor(random() * count);
      draws[drawn] = (draws[drawn] ?? 0) + 1;
    }
    let totalPositive = 0;
    let totalNegative = 0;
    for (let i = 0; i < clusters.length; i++) {
      const w = draws[clusterOf[i] ?? 0] ?? 0;
      weights[i] = w;
      if (positive[i] === 1) totalPositive += w;
      else totalNegative += w;
    }
    if (totalPositive > 0 && totalNegative > 0) visit(weights, totalPositive, totalNegative);
  }
}

/**
 * The standard errors of AP(A) − AP(B) and ROC-AUC(A) − ROC-AUC(B) by a paired bootstrap over
 * cards, `resamples` times from `seed` (deterministic). NaN when fewer than two resamples held both
 * classes (no rows, one class, one card).
 */
export function pairedCardBootstrap(
  rows: readonly PairedRow[],
  options: { readonly resamples: number; readonly seed: number },
): PairedBootstrapResult {
  rows.forEach((row, i) => {
    if (!Number.isFinite(row.scoreA) || !Number.isFinite(row.scoreB))
      throw new RangeError(`pairedCardBootstrap: row ${i} has a score that is not a finite number`);
  });
  const positive = Uint8Array.from(rows, (r) => (r.isFraud ? 1 : 0));
  const rankingA = rankWithTies(rows.map((r) => r.scoreA));
  const rankingB = rankWithTies(rows.map((r) => r.scoreB));
  const apDifferences: number[] = [];
  const aucDifferences: number[] = [];
  forEachClusterResample(
    rows.map((r) => r.cardId),
    positive,
    options,
    (weights, totalPositive, totalNegative) => {
      const a = weightedMetrics(rankingA, weights, positive, totalPositive, totalNegative);
      const b = weightedMetrics(rankingB, weights, positive, totalPositive, totalNegative);
      apDifferences.push(a.ap - b.ap);
      aucDifferences.push(a.auc - b.auc);
    },
  );
  return {
    resamples: apDifferences.length,
    averagePrecisionDifferenceSe: standardDeviation(apDifferences),
    rocAucDifferenceSe: standardDeviation(aucDifferences),
  };
}

export interface ClusterBootstrapResult {
  /** Resamples that held both classes. */
  readonly resamples: number;
  readonly averagePrecisionSe: number;
  readonly rocAucSe: number;
}

/**
 * The standard errors of one model's AP and ROC-AUC by a bootstrap over clusters (`clusters[i]`
 * names row i's; every cluster's rows are drawn together), `resamples` times from `seed`. Rows
 * that share a cluster are not independent observations (one compromised terminal's payments are
 * all fraud and all look alike): the resampled spread says how much a metric moves when a cluster
 * comes or goes, which the closed forms that count rows as independent do not. NaN when fewer than
 * two resamples held both classes.
 */
export function clusterBootstrap(
  scores: readonly number[],
  labels: readonly boolean[],
  clusters: readonly string[],
  options: { readonly resamples: number; readonly seed: number },
): ClusterBootstrapResult {
  if (scores.length !== labels.length || scores.length !== clusters.length)
    throw new RangeError('clusterBootstrap: scores, labels and clusters differ in length');
  scores.forEach((score, i) => {
    if (!Number.isFinite(score))
      throw new RangeError(`clusterBootstrap: row ${i} has a score that is not a finite number`);
  });
  const positive = Uint8Array.from(labels, (l) => (l ? 1 : 0));
  const ranking = rankWithTies(scores);
  const aps: number[] = [];
  const aucs: number[] = [];
  forEachClusterResample(clusters, positive, options, (weights, totalPositive, totalNegative) => {
    const m = weightedMetrics(ranking, weights, positive, totalPositive, totalNegative);
    aps.push(m.ap);
    aucs.push(m.auc);
  });
  return {
    resamples: aps.length,
    averagePrecisionSe: standardDeviation(aps),
    rocAucSe: standardDeviation(aucs),
  };
}
