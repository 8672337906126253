import type { Channel, Transaction } from '@fraudstream/contracts';
import { ValidationError } from '@fraudstream/kafka';

const CHANNELS: readonly Channel[] = ['CARD_PRESENT', 'CARD_NOT_PRESENT'];

function nonEmpty(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.trim().length === 0) throw new ValidationError(`missing ${field}`);
  return value;
}

function finite(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw new ValidationError(`${field} is not a finite number`);
  return value;
}

/**
 * Checks a decoded transaction against what the contract means, beyond what Avro types enforce:
 * ids present, a finite non-negative amount, finite timestamps, a known channel. Throws ValidationError
 * (the transport dead-letters the message with the reason).
 */
export function validateTransaction(value: unknown): Transaction {
  if (!value || typeof value !== 'object') throw new ValidationError('transaction is not a record');
  const tx = value as Record<string, unknown>;
  nonEmpty(tx.transaction_id, 'transaction_id');
  nonEmpty(tx.card_id, 'card_id');
  nonEmpty(tx.terminal_id, 'terminal_id');
  const amount = finite(tx.amount, 'amount');
  if (amount < 0) throw new ValidationError(`negative amount ${amount}`);
  const eventTime = finite(tx.event_time, 'event_time');
  if (eventTime <= 0) throw new ValidationError(`event_time ${eventTime} is not a positive epoch time`);
  finite(tx.ingest_time, 'ingest_time');
  if (!CHANNELS.includes(tx.channel as Channel))
    throw new ValidationError(`unknown channel ${String(tx.channel)}`);
  return value as Transaction;
}
