import { CONTRACT_LIMITS } from './message.schemas';
import type { Channel, Transaction } from './messages.types';

const L = CONTRACT_LIMITS;
const NOT_BLANK = /\S/;
const CURRENCY = /^[A-Z]{3}$/;

function isId(v: unknown): v is string {
  return typeof v === 'string' && v.length >= 1 && v.length <= L.idLength && NOT_BLANK.test(v);
}

function isTime(v: unknown): v is number {
  return Number.isSafeInteger(v) && (v as number) >= L.earliestTime && (v as number) <= L.latestTime;
}

function isSegment(v: unknown): v is string | null {
  return (
    v === null || (typeof v === 'string' && v.length >= 1 && v.length <= L.segmentLength && NOT_BLANK.test(v))
  );
}

/**
 * What `transactionSchema` (zod) returns for a transaction it accepts, decided without zod for the
 * common case: a record whose every field is within the contract, optional fields null, a string or
 * absent. Anything else (a field out of bounds, of the wrong type, an optional field set to
 * undefined) returns null and is left to zod, whose answer and error messages stay the contract's.
 *
 * The scorer validates every transaction it consumes, and zod's generic checks were ~10 % of its
 * CPU (docs/scorer.md, "Where the time goes"). The two must agree: transaction-fast-check.spec.ts
 * checks every bound of every field, each side of it, against zod's own answer.
 */
export function acceptedTransaction(value: unknown): Transaction | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const v = value as Record<string, unknown>;
  const { transaction_id, card_id, terminal_id, amount, currency, channel, event_time, ingest_time } = v;
  if (!isId(transaction_id) || !isId(card_id) || !isId(terminal_id)) return null;
  if (typeof amount !== 'number' || !(amount >= 0 && amount <= L.maxAmount)) return null;
  if (typeof currency !== 'string' || !CURRENCY.test(currency)) return null;
  if (channel !== 'CARD_PRESENT' && channel !== 'CARD_NOT_PRESENT') return null;
  if (!isTime(event_time) || !isTime(ingest_time)) return null;
  const tx: Transaction = {
    transaction_id,
    card_id,
    terminal_id,
    amount,
    currency,
    channel: channel satisfies Channel,
    event_time,
    ingest_time,
  };
  // Zod keeps an optional field that is present (null or a value) and leaves out an absent one.
  const { age_band, region, card_token_next } = v;
  if (age_band !== undefined) {
    if (!isSegment(age_band)) return null;
    tx.age_band = age_band;
  } else if ('age_band' in v) return null;
  if (region !== undefined) {
    if (!isSegment(region)) return null;
    tx.region = region;
  } else if ('region' in v) return null;
  if (card_token_next !== undefined) {
    if (card_token_next !== null && !isId(card_token_next)) return null;
    tx.card_token_next = card_token_next;
  } else if ('card_token_next' in v) return null;
  return tx;
}
