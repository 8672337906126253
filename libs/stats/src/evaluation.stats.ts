import { DAY_MS } from '@fraudstream/contracts';
import type { EvaluationMetrics } from '@fraudstream/registry';

/*
 * Ranking-quality metrics of a fraud model, as pure functions. Definitions follow scikit-learn so
 * numbers are comparable with notebooks: average precision is Σ (R_n − R_{n−1}) P_n over distinct
 * score thresholds (no interpolation), ROC-AUC is the Mann-Whitney U statistic with ties counted
 * as one half, and a score at or above the threshold is an alert (the scorer's rule). Card
 * precision@k follows the Fraud Detection Handbook (Le Borgne et al.).
 *
 * Scores must be finite and labels boolean or 0/1: anything else throws a RangeError naming the
 * row, as scikit-learn raises ValueError ("Input contains NaN"). A NaN score has no rank, and
 * silently ranking it first or last would change every metric; it is a broken model, not data.
 */

/** The UTC day index of an event time (epoch ms): the `day` of card precision@k. */
export function eventDay(eventTime: number): number {
  return Math.floor(eventTime / DAY_MS);
}

function isPositive(label: boolean | number | undefined): boolean {
  return label === true || label === 1;
}

/** Throws unless scores and labels pair up, every score is finite and every label is boolean or 0/1. */
function checkScoresAndLabels(
  scores: ArrayLike<number>,
  labels: ArrayLike<boolean | number>,
  metric: string,
  allowEmpty: boolean,
): void {
  if (scores.length !== labels.length) {
    throw new RangeError(
      `${metric}: scores (${scores.length}) and labels (${labels.length}) differ in length`,
    );
  }
  if (scores.length === 0 && !allowEmpty) throw new RangeError(`${metric}: no rows to evaluate`);
  for (let i = 0; i < scores.length; i++) {
    const score = scores[i] ?? Number.NaN;
    if (!Number.isFinite(score))
      throw new RangeError(`${metric}: score of row ${i} is ${score}, not a finite number`);
    const label = labels[i];
    if (label !== true && label !== false && label !== 0 && label !== 1) {
      throw new RangeError(`${metric}: label of row ${i} is ${String(label)}, not a boolean or 0/1`);
    }
  }
}

/**
 * Average precision, scikit-learn's `average_precision_score`: rows are ranked by score, all rows
 * sharing a score enter together (one threshold), and AP = Σ_n (R_n − R_{n−1}) · P_n. With no
 * positive label it is 0 (scikit-learn warns and returns 0 as well); no rows throw.
 */
export function averagePrecision(scores: ArrayLike<number>, labels: ArrayLike<boolean | number>): number {
  checkScoresAndLabels(scores, labels, 'averagePrecision', false);
  return rankedAveragePrecision(scores, (i) => (isPositive(labels[i]) ? 1 : 0));
}

/**
 * Average precision with soft targets: a row of target t counts as t of a positive and 1 − t of a
 * negative (scikit-learn's `average_precision_score` with each row split in two weighted rows). For
 * rows whose label may still come, t is the probability that it is a fraud; with 0/1 targets it is
 * `averagePrecision`. 0 when the targets sum to 0; a target outside [0, 1] throws.
 */
export function softAveragePrecision(scores: ArrayLike<number>, targets: ArrayLike<number>): number {
  if (scores.length !== targets.length)
    throw new RangeError(`softAveragePrecision: ${scores.length} scores but ${targets.length} targets`);
  for (let i = 0; i < scores.length; i++) {
    const score = scores[i] ?? Number.NaN;
    const target = targets[i] ?? Number.NaN;
    if (!Number.isFinite(score))
      throw new RangeError(`softAveragePrecision: score of row ${i} is ${score}, not a finite number`);
    if (!(target >= 0 && target <= 1))
      throw new RangeError(`softAveragePrecision: target of row ${i} is ${target}, not in [0, 1]`);
  }
  return rankedAveragePrecision(scores, (i) => targets[i] ?? 0);
}

/**
 * AP = Σ_n (R_n − R_{n−1}) · P_n over the rows ranked by score, each row `target(i)` of a positive
 * (0/1 for hard labels); all rows sharing a score enter together (one threshold). 0 when the
 * targets sum to 0.
 */
function rankedAveragePrecision(scores: ArrayLike<number>, target: (row: number) => number): number {
  const n = scores.length;
  let total = 0;
  for (let i = 0; i < n; i++) total += target(i);
  if (total === 0) return 0;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => (scores[b] ?? 0) - (scores[a] ?? 0));
  let tp = 0;
  let seen = 0;
  let previousRecall = 0;
  let ap = 0;
  for (let i = 0; i < n;) {
    const threshold = scores[order[i] ?? 0];
    // All rows tied at this score cross the threshold together.
    while (i < n && scores[order[i] ?? 0] === threshold) {
      tp += target(order[i] ?? 0);
      seen++;
      i++;
    }
    const recall = tp / total;
    ap += (recall - previousRecall) * (tp / seen);
    previousRecall = recall;
  }
  return ap;
}

/**
 * ROC-AUC as the Mann-Whitney statistic (scikit-learn's `roc_auc_score`): the probability that a
 * random positive outscores a random negative, ties counting one half (average ranks). NaN when
 * either class is absent (undefined; scikit-learn warns and returns NaN as well); no rows throw.
 */
export function rocAuc(scores: ArrayLike<number>, labels: ArrayLike<boolean | number>): number {
  checkScoresAndLabels(scores, labels, 'rocAuc', false);
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

/**
 * Upper confidence bound of an average precision measured on `positives` positives: the logit
 * interval of Boyd, Eng and Page ("Area under the precision-recall curve: point estimates and
 * confidence intervals", ECML PKDD 2013), expit(logit(AP) + z / sqrt(n AP (1 - AP))). 1 when AP is
 * 0 or 1 or there is no positive (nothing bounds it).
 */
export function averagePrecisionUpperBound(ap: number, positives: number, z: number): number {
  if (!(ap > 0 && ap < 1) || !(positives > 0)) return 1;
  const logit = Math.log(ap / (1 - ap)) + z / Math.sqrt(positives * ap * (1 - ap));
  return 1 / (1 + Math.exp(-logit));
}

/**
 * Standard error of a ROC-AUC on `positives` and `negatives` rows (Hanley and McNeil, "The meaning
 * and use of the area under a ROC curve", Radiology 1982, their equation 2). NaN without both classes.
 */
export function rocAucStandardError(auc: number, positives: number, negatives: number): number {
  if (!(positives > 0 && negatives > 0)) return Number.NaN;
  const q1 = auc / (2 - auc);
  const q2 = (2 * auc * auc) / (1 + auc);
  const variance =
    (auc * (1 - auc) + (positives - 1) * (q1 - auc * auc) + (negatives - 1) * (q2 - auc * auc)) /
    (positives * negatives);
  return Math.sqrt(Math.max(0, variance));
}

function confusionAtThreshold(
  scores: ArrayLike<number>,
  labels: ArrayLike<boolean | number>,
  threshold: number,
  metric: string,
): { tp: number; fp: number; positives: number } {
  checkScoresAndLabels(scores, labels, metric, true);
  if (Number.isNaN(threshold)) throw new RangeError(`${metric}: the threshold is NaN`);
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
  const { tp, positives } = confusionAtThreshold(scores, labels, threshold, 'recallAtThreshold');
  return positives === 0 ? 0 : tp / positives;
}

/** Share of the alerts (score >= threshold) that are positives; 0 when nothing alerts (scikit-learn's zero_division=0). */
export function precisionAtThreshold(
  scores: ArrayLike<number>,
  labels: ArrayLike<boolean | number>,
  threshold: number,
): number {
  const { tp, fp } = confusionAtThreshold(scores, labels, threshold, 'precisionAtThreshold');
  return tp + fp === 0 ? 0 : tp / (tp + fp);
}

/** One scored, labelled transaction for the card-level and full evaluations. */
export interface EvaluationRow {
  readonly cardId: string;
  /** The row's day, e.g. `eventDay(event_time)`: days are taken in ascending order. */
  readonly day: number;
  readonly score: number;
  readonly isFraud: boolean;
}

/** Card precision@k day by day, as the Fraud Detection Handbook's `card_precision_top_k` returns it. */
export interface CardPrecisionTopK {
  /** The days of the rows, ascending. */
  readonly days: number[];
  /** Card precision@k of each day. */
  readonly precisionByDay: number[];
  /** Compromised cards of each day still in play (not removed as detected on an earlier day). */
  readonly compromisedCardsByDay: number[];
  /** Cards detected (with a fraud, among a day's top k) on these days or given as already detected. */
  readonly detectedCards: ReadonlySet<string>;
  /** The mean of `precisionByDay`; NaN without rows (the handbook's mean of an empty list). */
  readonly mean: number;
}

export interface CardPrecisionOptions {
  /**
   * Leave out, from each day on, the cards detected on an earlier day (the handbook's
   * `remove_detected_compromised_cards`, default true): a card the analysts already blocked cannot
   * be detected again, and counting it again would credit a model for finding the same fraud
   * every day. False gives the per-day variant (`dailyCardPrecisionAtK`).
   */
  readonly removeDetectedCards?: boolean;
  /** Cards detected before these rows (e.g. on the previous days of a replay), left out from the first day. */
  readonly alreadyDetected?: Iterable<string>;
}

/**
 * Card precision@k (Le Borgne et al., Fraud Detection Handbook, `card_precision_top_k`): day by day
 * in ascending order, each card counts once with its highest score and is compromised when any of
 * its transactions that day is a fraud; of the k highest-scored cards, the share that are
 * compromised. Cards detected on an earlier day (compromised and in that day's top k) are left
 * out of the later days. The divisor is k even on a day with fewer cards, as in the handbook, so
 * it reads as "useful share of the analysts' daily capacity". Ties are broken by card id, for
 * determinism (the handbook's sort leaves their order unspecified).
 */
export function cardPrecisionTopK(
  rows: readonly EvaluationRow[],
  k: number,
  options: CardPrecisionOptions = {},
): CardPrecisionTopK {
  if (!Number.isInteger(k) || k <= 0) throw new RangeError(`k must be a positive integer (got ${k})`);
  const removeDetected = options.removeDetectedCards ?? true;
  const days = new Map<number, Map<string, { score: number; fraud: boolean }>>();
  rows.forEach((row, i) => {
    if (!Number.isFinite(row.score)) {
      throw new RangeError(`cardPrecisionTopK: score of row ${i} is ${row.score}, not a finite number`);
    }
    if (!Number.isFinite(row.day)) throw new RangeError(`cardPrecisionTopK: day of row ${i} is ${row.day}`);
    let cards = days.get(row.day);
    if (!cards) days.set(row.day, (cards = new Map<string, { score: number; fraud: boolean }>()));
    const card = cards.get(row.cardId);
    if (!card) cards.set(row.cardId, { score: row.score, fraud: row.isFraud });
    else {
      card.score = Math.max(card.score, row.score);
      card.fraud ||= row.isFraud;
    }
  });
  const detected = new Set<string>(options.alreadyDetected ?? []);
  const orderedDays = [...days.keys()].sort((a, b) => a - b);
  const precisionByDay: number[] = [];
  const compromisedCardsByDay: number[] = [];
  for (const day of orderedDays) {
    const cards = [
      ...(days.get(day) ?? new Map<string, { score: number; fraud: boolean }>()).entries(),
    ].filter(([cardId]) => !detected.has(cardId));
    compromisedCardsByDay.push(cards.reduce((n, [, card]) => n + (card.fraud ? 1 : 0), 0));
    const top = cards.sort((a, b) => b[1].score - a[1].score || (a[0] < b[0] ? -1 : 1)).slice(0, k);
    const found = top.filter(([, card]) => card.fraud).map(([cardId]) => cardId);
    precisionByDay.push(found.length / k);
    if (removeDetected) for (const cardId of found) detected.add(cardId);
  }
  const mean =
    precisionByDay.length === 0
      ? Number.NaN
      : precisionByDay.reduce((a, b) => a + b, 0) / precisionByDay.length;
  return { days: orderedDays, precisionByDay, compromisedCardsByDay, detectedCards: detected, mean };
}

/** Card precision@k as the handbook defines it: `cardPrecisionTopK(rows, k).mean` (cards detected on earlier days removed). */
export function cardPrecisionAtK(rows: readonly EvaluationRow[], k: number): number {
  return cardPrecisionTopK(rows, k).mean;
}

/**
 * The per-day variant: every day's top k judged on its own, a card detected yesterday counting
 * again today. Reads higher than `cardPrecisionAtK` when compromised cards stay compromised over
 * several days; equal on a single day.
 */
export function dailyCardPrecisionAtK(rows: readonly EvaluationRow[], k: number): number {
  return cardPrecisionTopK(rows, k, { removeDetectedCards: false }).mean;
}

/**
 * Every metric of the model manifest's `EvaluationMetrics` on one labelled data set; card
 * precision@k is the handbook's (`cardPrecisionAtK`). Throws a RangeError for no rows or a
 * non-finite score.
 */
export function evaluateModel(
  rows: readonly EvaluationRow[],
  options: { readonly threshold: number; readonly k: number },
): EvaluationMetrics {
  if (rows.length === 0) throw new RangeError('evaluateModel: no rows to evaluate');
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
