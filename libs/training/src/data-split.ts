import { hashString, mulberry32, shuffleInPlace } from '@fraudstream/stats';
import type { TrainingRow } from './training-rows';

export interface WindowSplit {
  /** Window rows the model trains on (before the hold-out day, plus confirmed labels after it). */
  readonly train: TrainingRow[];
  /** Half of the hold-out day's cards: early stopping. */
  readonly validation: TrainingRow[];
  /** The other half: the gate, champion and challenger on the same rows. */
  readonly test: TrainingRow[];
  /**
   * The new regime's evidence for the gate: rows after the hold-out day whose label is already
   * settled (confirmed frauds, analysts' verdicts) of the test half's cards. The drifted days are
   * not mature yet when a request comes early; these let the gate see the new regime anyway.
   */
  readonly recentTest: TrainingRow[];
  /** Older rows (before the window), the pool the replay sample is drawn from. */
  readonly older: TrainingRow[];
  /**
   * Whether a card's rows after the hold-out day belong to the gate (`recentTest`), for rows that
   * are not in `rows` (the unsettled ones): a card of the gate stays in the gate, any other card
   * splits by hash parity as the settled ones do.
   */
  readonly isRecentGateCard: (cardId: string) => boolean;
  readonly holdoutStart: number;
  readonly holdoutEnd: number;
}

/**
 * Splits joined rows by event time. The hold-out is the newest fully mature day of the window,
 * [min(windowEnd, asOf − chargeback window) − 1 day, that end): every transaction in it has its
 * final label, so its fraud rate is not inflated by early-confirmed frauds. Its cards are split in
 * two by a hash of the card id (a card's transactions stay together, so card-level features cannot
 * leak between the halves): one half stops training early, the other judges it. After the hold-out
 * day, the settled rows of every other card with a confirmed fraud, and of the judging half's other
 * cards, go to the gate too (`recentTest`); the rest trains.
 */
export function splitWindow(
  rows: readonly TrainingRow[],
  window: { readonly start: number; readonly end: number },
  matureUntil: number,
  dayMs: number,
): WindowSplit {
  const holdoutEnd = Math.min(window.end, matureUntil);
  const holdoutStart = holdoutEnd - dayMs;
  const { gate: recentGate, fraudCards } = recentGateCards(rows, holdoutEnd, window.end);
  const split: WindowSplit = {
    train: [],
    validation: [],
    test: [],
    recentTest: [],
    older: [],
    holdoutStart,
    holdoutEnd,
    isRecentGateCard: (card) => recentGate.has(card) || (!fraudCards.has(card) && hashString(card) % 2 !== 0),
  };
  for (const row of rows) {
    if (row.eventTime < window.start) split.older.push(row);
    else if (row.eventTime >= window.end) continue;
    else if (row.eventTime >= holdoutStart && row.eventTime < holdoutEnd) {
      (hashString(row.cardId) % 2 !== 0 ? split.test : split.validation).push(row);
    } else if (row.eventTime >= holdoutEnd && recentGate.has(row.cardId)) split.recentTest.push(row);
    else split.train.push(row);
  }
  return split;
}

/**
 * The cards whose settled rows after the hold-out day go to the gate. The cards with a confirmed
 * fraud there alternate between gate and training in the order of their hash: a new pattern is a
 * few cards at first, and a split by hash parity can leave the gate none of them (or training none).
 * The other cards split by hash parity, as the hold-out day's.
 */
function recentGateCards(
  rows: readonly TrainingRow[],
  from: number,
  to: number,
): { gate: Set<string>; fraudCards: Set<string> } {
  const fraudCards = new Set<string>();
  const otherCards = new Set<string>();
  for (const row of rows) {
    if (row.eventTime < from || row.eventTime >= to) continue;
    (row.isFraud ? fraudCards : otherCards).add(row.cardId);
  }
  const gate = new Set<string>();
  [...fraudCards]
    .sort((a, b) => hashString(a) - hashString(b) || (a < b ? -1 : 1))
    .forEach((card, i) => {
      if (i % 2 === 1) gate.add(card);
    });
  for (const card of otherCards) if (!fraudCards.has(card) && hashString(card) % 2 !== 0) gate.add(card);
  return { gate, fraudCards };
}

/**
 * A replay sample of `count` older rows against catastrophic forgetting, drawn without replacement
 * and stratified by class so the old fraud rate is kept; deterministic for a seed.
 */
export function sampleReplay(older: readonly TrainingRow[], count: number, seed: number): TrainingRow[] {
  if (count <= 0 || older.length === 0) return [];
  if (count >= older.length) return [...older];
  const random = mulberry32(seed ^ 0x2545f491);
  const positives = older.filter((r) => r.isFraud);
  const negatives = older.filter((r) => !r.isFraud);
  const takePositives = Math.round((count * positives.length) / older.length);
  shuffleInPlace(positives, random);
  shuffleInPlace(negatives, random);
  return [...positives.slice(0, takePositives), ...negatives.slice(0, count - takePositives)];
}
