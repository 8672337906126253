/*
 * Soft labels for the unlabelled recent transactions of a training window.
 *
 * A transaction younger than the chargeback window with no label yet is not known to be legitimate:
 * its fraud label may still come. Left out (the default), the model never sees the window's newest
 * legitimate traffic until it matures; that is what an alert-precision alarm says has changed. Taken
 * in, each such row aims at the probability that it is a fraud whose label is still coming:
 *
 *   q(age) = π (1 − F(age)) / (1 − π F(age))
 *
 * π the window's fraud rate on its mature rows, F the share of chargebacks in by a transaction's age
 * (learnt from the chargebacks of transactions old enough that all of theirs are in). By Bayes:
 * P(fraud | no chargeback by age a) = π (1 − F(a)) / (π (1 − F(a)) + (1 − π)).
 *
 * π is the fraud rate of the whole window, so it holds for a row the serving model did not alert on,
 * not for one it did: an alert no analyst has reviewed yet is a fraud far more often (a fifth to
 * two thirds of the reviewed alerts are). `SoftLabelAlerts` says what such a row does:
 * - `window-rate`: π as for any row;
 * - `leave-out`: it does not train (nor judge), as an unlabelled row of any other trigger;
 * - `reviewed-share`: π is replaced by the share of frauds among the analysts' verdicts on the
 *   serving model's alerts of the window's immature part (the desk works its queue first come, first
 *   served, so the reviewed alerts are a sample of the same alerts); left out with fewer than
 *   `MIN_DELAYS` such verdicts.
 */
import type { Label } from '@fraudstream/contracts';
import { lowerBound } from '@fraudstream/stats';
import type { TrainingRow } from './training-rows';

/**
 * Fewer complete chargebacks than this: F is taken as 0 (every fraud label still to come). Also the
 * fewest verdicts on alerts a `reviewed-share` target is measured on.
 */
const MIN_DELAYS = 30;

/** What an unsettled row the serving model alerted on aims at (see above). */
export const SOFT_LABEL_ALERTS = ['window-rate', 'leave-out', 'reviewed-share'] as const;
export type SoftLabelAlerts = (typeof SOFT_LABEL_ALERTS)[number];

/**
 * The share of chargebacks in by a transaction's age, from the chargebacks known at `asOf` of the
 * transactions older than the chargeback window (their chargebacks are all in, so the sample is not
 * cut short towards quick ones).
 */
export function chargebackDelayCdf(
  labels: readonly Label[],
  asOf: number,
  chargebackWindowMs: number,
): (ageMs: number) => number {
  const delays: number[] = [];
  for (const l of labels) {
    if (!l.is_fraud || l.source !== 'CHARGEBACK' || l.event_time > asOf) continue;
    if (l.transaction_time + chargebackWindowMs > asOf) continue;
    delays.push(Math.max(0, l.event_time - l.transaction_time));
  }
  if (delays.length < MIN_DELAYS) return () => 0;
  delays.sort((a, b) => a - b);
  return (age) => upperBound(delays, age) / delays.length;
}

/** P(fraud | no label yet) for a fraud rate and the share of fraud labels already in. */
export function pendingFraudProbability(fraudRate: number, labelledShare: number): number {
  const missing = fraudRate * (1 - labelledShare);
  return missing / (missing + (1 - fraudRate));
}

/**
 * The unsettled rows of [window.start, window.end) with their soft targets (the serving model's
 * unreviewed alerts as `alerts` says), or none when the window has no mature row to measure its
 * fraud rate on; and, under `reviewed-share`, the share of frauds the alerts' targets came from
 * (null otherwise, or with too few verdicts).
 */
export function softLabelledRows(input: {
  readonly unsettled: readonly TrainingRow[];
  readonly settled: readonly TrainingRow[];
  readonly labels: readonly Label[];
  readonly window: { readonly start: number; readonly end: number };
  readonly matureUntil: number;
  readonly asOf: number;
  readonly chargebackWindowMs: number;
  /** What an unsettled row the serving model alerted on aims at. */
  readonly alerts: SoftLabelAlerts;
}): { rows: TrainingRow[]; alertFraudShare: number | null } {
  const { window } = input;
  let mature = 0;
  let frauds = 0;
  for (const r of input.settled) {
    if (r.eventTime < window.start || r.eventTime >= Math.min(window.end, input.matureUntil)) continue;
    mature++;
    if (r.isFraud) frauds++;
  }
  if (mature === 0) return { rows: [], alertFraudShare: null };
  const fraudRate = frauds / mature;
  const cdf = chargebackDelayCdf(input.labels, input.asOf, input.chargebackWindowMs);
  const alertFraudShare = input.alerts === 'reviewed-share' ? reviewedAlertFraudShare(input) : null;
  const alertFraudRate = input.alerts === 'window-rate' ? fraudRate : alertFraudShare;
  const rows: TrainingRow[] = [];
  for (const r of input.unsettled) {
    if (r.eventTime < window.start || r.eventTime >= window.end) continue;
    const rate = r.alerted === true ? alertFraudRate : fraudRate;
    if (rate === null) continue;
    rows.push({ ...r, target: pendingFraudProbability(rate, cdf(input.asOf - r.eventTime)) });
  }
  return { rows, alertFraudShare };
}

/**
 * The share of frauds among the analysts' verdicts (known at `asOf`) on the serving model's alerts
 * of [matureUntil, window.end), or null with fewer than `MIN_DELAYS` of them.
 */
export function reviewedAlertFraudShare(input: {
  readonly settled: readonly TrainingRow[];
  readonly labels: readonly Label[];
  readonly window: { readonly end: number };
  readonly matureUntil: number;
  readonly asOf: number;
}): number | null {
  const reviewed = new Set<string>();
  for (const l of input.labels)
    if (l.source === 'ANALYST' && l.event_time <= input.asOf) reviewed.add(l.transaction_id);
  let verdicts = 0;
  let frauds = 0;
  for (const r of input.settled) {
    if (r.alerted !== true || r.eventTime < input.matureUntil || r.eventTime >= input.window.end) continue;
    if (!reviewed.has(r.transactionId)) continue;
    verdicts++;
    if (r.isFraud) frauds++;
  }
  return verdicts < MIN_DELAYS ? null : frauds / verdicts;
}

/** How many of the sorted values are at or below x. */
function upperBound(sorted: readonly number[], x: number): number {
  return lowerBound(sorted.length, (i) => (sorted[i] ?? 0) > x);
}
