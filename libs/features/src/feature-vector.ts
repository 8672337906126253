import { DAY_MS, HOUR_MS, type Transaction } from '@fraudstream/contracts';
import { DEFAULT_FEATURE_SET, type FeatureSet } from './feature-set';

/** Window aggregates of one card before a transaction: counts and amount sums in cents. */
export interface CardAggregates {
  count1d: number;
  cents1d: number;
  count7d: number;
  cents7d: number;
  count30d: number;
  cents30d: number;
}

/** Window aggregates of one terminal before a transaction: counts and known frauds. */
export interface TerminalAggregates {
  count1d: number;
  frauds1d: number;
  count7d: number;
  frauds7d: number;
  count30d: number;
  frauds30d: number;
  /**
   * The same over the delayed windows (1, 7 and 30 days ending `terminalDelayDays` before the
   * transaction's day); read only by a set that has them.
   */
  delayedCount1d: number;
  delayedFrauds1d: number;
  delayedCount7d: number;
  delayedFrauds7d: number;
  delayedCount30d: number;
  delayedFrauds30d: number;
}

/** Card aggregates with every window empty: the start of each transaction's sums. */
export function emptyCardAggregates(): CardAggregates {
  return { count1d: 0, cents1d: 0, count7d: 0, cents7d: 0, count30d: 0, cents30d: 0 };
}

/** Terminal aggregates with every window empty, the delayed ones included. */
export function emptyTerminalAggregates(): TerminalAggregates {
  return {
    count1d: 0,
    frauds1d: 0,
    count7d: 0,
    frauds7d: 0,
    count30d: 0,
    frauds30d: 0,
    delayedCount1d: 0,
    delayedFrauds1d: 0,
    delayedCount7d: 0,
    delayedFrauds7d: 0,
    delayedCount30d: 0,
    delayedFrauds30d: 0,
  };
}

// Inlined rather than imported (a CommonJS import is a getter call per access, per transaction):
// the same definitions as isNight/isWeekend in feature-set.ts, which the spec checks against these.
const HOUR = HOUR_MS;
const DAY = DAY_MS;

function mean(cents: number, count: number): number {
  return count > 0 ? cents / count / 100 : 0;
}

function ratio(amount: number, meanAmount: number): number {
  return meanAmount > 0 ? amount / meanAmount : 1;
}

function rate(frauds: number, count: number): number {
  return count > 0 ? frauds / count : 0;
}

/**
 * The vector of `set`'s names, in order, from a transaction and its card's and terminal's window
 * aggregates. Empty windows give a mean of 0, an amount ratio of 1 and a fraud rate of 0.
 */
export function assembleFeatureVector(
  tx: Transaction,
  card: CardAggregates,
  terminal: TerminalAggregates,
  set: FeatureSet = DEFAULT_FEATURE_SET,
): number[] {
  const mean1d = mean(card.cents1d, card.count1d);
  const mean7d = mean(card.cents7d, card.count7d);
  const mean30d = mean(card.cents30d, card.count30d);
  const t = tx.event_time;
  const hourOfDay = Math.floor(t / HOUR) % 24;
  const dayOfWeek = (Math.floor(t / DAY) + 4) % 7; // 1970-01-01 was a Thursday; 0 = Sunday
  const vector = new Array<number>(set.names.length);
  vector[0] = tx.amount;
  vector[1] = Math.log1p(Math.max(0, tx.amount));
  vector[2] = hourOfDay < 6 ? 1 : 0;
  vector[3] = dayOfWeek === 0 || dayOfWeek === 6 ? 1 : 0;
  vector[4] = tx.channel === 'CARD_NOT_PRESENT' ? 1 : 0;
  vector[5] = card.count1d;
  vector[6] = mean1d;
  vector[7] = card.count7d;
  vector[8] = mean7d;
  vector[9] = card.count30d;
  vector[10] = mean30d;
  vector[11] = ratio(tx.amount, mean7d);
  vector[12] = ratio(tx.amount, mean30d);
  vector[13] = terminal.count1d;
  vector[14] = rate(terminal.frauds1d, terminal.count1d);
  vector[15] = terminal.count7d;
  vector[16] = rate(terminal.frauds7d, terminal.count7d);
  vector[17] = terminal.count30d;
  vector[18] = rate(terminal.frauds30d, terminal.count30d);
  if (set.terminalDelayDays > 0) {
    vector[19] = terminal.delayedCount1d;
    vector[20] = rate(terminal.delayedFrauds1d, terminal.delayedCount1d);
    vector[21] = terminal.delayedCount7d;
    vector[22] = rate(terminal.delayedFrauds7d, terminal.delayedCount7d);
    vector[23] = terminal.delayedCount30d;
    vector[24] = rate(terminal.delayedFrauds30d, terminal.delayedCount30d);
  }
  return vector;
}
