import { DAY_MS, HOUR_MS } from '@fraudstream/contracts';

/**
 * The one ordered, versioned feature list every model uses. The scorer logs vectors in this order
 * with FEATURE_SET_VERSION; the trainer trains on the logged vectors; a model manifest names both.
 * Changing a name, its order or its meaning is a new version.
 */
export const FEATURE_SET_VERSION = 'fs-v1';

export const FEATURE_NAMES = [
  'amount',
  'log_amount',
  'is_night',
  'is_weekend',
  'is_card_not_present',
  'card_tx_count_1d',
  'card_mean_amount_1d',
  'card_tx_count_7d',
  'card_mean_amount_7d',
  'card_tx_count_30d',
  'card_mean_amount_30d',
  'amount_to_card_mean_7d',
  'amount_to_card_mean_30d',
  'terminal_tx_count_1d',
  'terminal_fraud_rate_1d',
  'terminal_tx_count_7d',
  'terminal_fraud_rate_7d',
  'terminal_tx_count_30d',
  'terminal_fraud_rate_30d',
] as const;

export type FeatureName = (typeof FEATURE_NAMES)[number];

export const FEATURE_COUNT = FEATURE_NAMES.length;

/** Position of a feature in the vector. */
export function featureIndex(name: FeatureName): number {
  return FEATURE_NAMES.indexOf(name);
}

/** Hourly buckets kept per entity: the 1-day window is the current hour and the 23 before it. */
export const HOUR_BUCKETS = 24;
/** Daily buckets kept per entity: the 30-day window is the current day and the 29 before it. */
export const DAY_BUCKETS = 30;

/** Night: 00:00-05:59 UTC (event time). */
export function isNight(eventTime: number): boolean {
  const hourOfDay = Math.floor(eventTime / HOUR_MS) % 24;
  return hourOfDay < 6;
}

/** Saturday or Sunday, UTC (event time). 1970-01-01 was a Thursday. */
export function isWeekend(eventTime: number): boolean {
  const dayOfWeek = (Math.floor(eventTime / DAY_MS) + 4) % 7; // 0 = Sunday
  return dayOfWeek === 0 || dayOfWeek === 6;
}

/** Amounts are counted in integer cents so every state backend sums them exactly. */
export function amountCents(amount: number): number {
  return Math.round(amount * 100);
}
