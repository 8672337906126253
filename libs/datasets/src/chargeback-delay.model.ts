import { DAY_MS, type Label, type Transaction } from '@fraudstream/contracts';
import { mixSeed } from '@fraudstream/stats';
import { DatasetError } from './dataset.errors';

/**
 * When the bank learns that a flagged transaction was fraud, for a file that holds only a fraud flag
 * (docs/datasets.md):
 * - `fixed`: every chargeback exactly `days` after the transaction (the handbook's protocol: its
 *   7-day delay);
 * - `uniform`: a delay uniform in [min, max) days, drawn from a hash of the transaction id (the same
 *   file always gives the same label times), the simulator's chargeback model ([1, 7) by default).
 */
export type ChargebackDelayModel =
  | { readonly kind: 'fixed'; readonly days: number }
  | { readonly kind: 'uniform'; readonly minDays: number; readonly maxDays: number };

/** The default: the simulator's chargebacks, all inside the trainer's 7-day chargeback window. */
export const DEFAULT_CHARGEBACK_DELAY: ChargebackDelayModel = { kind: 'uniform', minDays: 1, maxDays: 7 };

/** Parses `fixed:7` or `uniform:1-7` (days; fractions allowed). */
export function parseChargebackDelay(text: string): ChargebackDelayModel {
  const fixed = /^fixed:(\d+(?:\.\d+)?)$/.exec(text);
  if (fixed) return { kind: 'fixed', days: Number(fixed[1]) };
  const uniform = /^uniform:(\d+(?:\.\d+)?)-(\d+(?:\.\d+)?)$/.exec(text);
  if (uniform) {
    const minDays = Number(uniform[1]);
    const maxDays = Number(uniform[2]);
    if (maxDays <= minDays)
      throw new DatasetError(`label delay ${text}: the upper bound must exceed the lower`);
    return { kind: 'uniform', minDays, maxDays };
  }
  throw new DatasetError(`label delay "${text}": expected fixed:<days> or uniform:<min>-<max>`);
}

export function describeChargebackDelay(model: ChargebackDelayModel): string {
  return model.kind === 'fixed' ? `fixed:${model.days}` : `uniform:${model.minDays}-${model.maxDays}`;
}

/** The longest delay the model gives: the chargeback window after which no label can come. */
export function maxChargebackDelayMs(model: ChargebackDelayModel): number {
  return (model.kind === 'fixed' ? model.days : model.maxDays) * DAY_MS;
}

/** The delay of one transaction's chargeback, in ms (deterministic). */
export function chargebackDelayMs(model: ChargebackDelayModel, transactionId: string): number {
  if (model.kind === 'fixed') return Math.round(model.days * DAY_MS);
  // 32 bits of a well-mixed hash of the id: uniform enough for a delay, and the same on every run.
  const u = mixSeed('chargeback-delay', transactionId) / 2 ** 32;
  return Math.floor((model.minDays + u * (model.maxDays - model.minDays)) * DAY_MS);
}

/** The chargeback a fraud flag stands for: `is_fraud` true, known at the model's delay. */
export function chargebackFor(transaction: Transaction, model: ChargebackDelayModel): Label {
  return {
    transaction_id: transaction.transaction_id,
    card_id: transaction.card_id,
    terminal_id: transaction.terminal_id,
    is_fraud: true,
    source: 'CHARGEBACK',
    transaction_time: transaction.event_time,
    event_time: transaction.event_time + chargebackDelayMs(model, transaction.transaction_id),
  };
}
