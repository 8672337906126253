import { ValidationError } from '@fraudstream/kafka';
import { describe, expect, it } from 'vitest';
import { validateTransaction } from './transaction.validator';

const good = {
  transaction_id: 'tx-1',
  card_id: 'card-1',
  terminal_id: 'term-1',
  amount: 12.5,
  currency: 'EUR',
  channel: 'CARD_PRESENT',
  event_time: 1_767_571_200_000,
  ingest_time: 1_767_571_200_005,
};

describe(validateTransaction.name, () => {
  it('accepts a valid transaction', () => {
    expect(validateTransaction(good)).toBe(good);
  });

  it.each([
    [{ amount: -1 }, /negative amount/],
    [{ card_id: '' }, /missing card_id/],
    [{ amount: Number.NaN }, /amount is not a finite/],
    [{ event_time: Number.POSITIVE_INFINITY }, /event_time is not a finite/],
    [{ channel: 'ATM' }, /unknown channel/],
  ])('rejects %o', (patch, message) => {
    expect(() => validateTransaction({ ...good, ...patch })).toThrow(ValidationError);
    expect(() => validateTransaction({ ...good, ...patch })).toThrow(message);
  });
});
