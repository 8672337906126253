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
  readonly holdoutStart: number;
  readonly holdoutEnd: number;
}

/**
 * Splits joined rows by event time. The hold-out is the newest fully mature day of the window,
 * [min(windowEnd, asOf − chargeback window) − 1 day, that end): every transaction in it has its
 * final label, so its fraud rate is not inflated by early-confirmed frauds. Its cards are split in
 * two by a hash of the card id (a card's transactions stay together, so card-level features cannot
 * leak between the halves): one half stops training early, the other judges it. After the hold-out
 * day, the settled rows of the judging half's cards go to the gate too (`recentTest`), the others
 * to training.
 */
export function splitWindow(
  rows: readonly TrainingRow[],
  window: { readonly start: number; readonly end: number },
  matureUntil: number,
  dayMs: number,
): WindowSplit {
  const holdoutEnd = Math.min(window.end, matureUntil);
  const holdoutStart = holdoutEnd - dayMs;
  const split: WindowSplit = {
    train: [],
    validation: [],
    test: [],
    recentTest: [],
    older: [],
    holdoutStart,
    holdoutEnd,
  };
  for (const row of rows) {
    const testCard = hashString(row.cardId) % 2 !== 0;
    if (row.eventTime < window.start) split.older.push(row);
    else if (row.eventTime >= window.end) continue;
    else if (row.eventTime >= holdoutStart && row.eventTime < holdoutEnd) {
      (testCard ? split.test : split.validation).push(row);
    } else if (row.eventTime >= holdoutEnd && testCard) split.recentTest.push(row);
    else split.train.push(row);
  }
  return split;
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
