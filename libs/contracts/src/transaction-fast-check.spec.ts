import { describe, expect, it } from 'vitest';
import { SAMPLE_RECORDS } from '../../../tests/support/sample-records';
import { CONTRACT_LIMITS, transactionSchema } from './message.schemas';
import { validateTransaction } from './message.validators';
import { acceptedTransaction } from './transaction-fast-check';

const L = CONTRACT_LIMITS;
const ABSENT = Symbol('absent');

/** Values each side of every bound of a field, and of the wrong type. */
const idValues = [
  't',
  'x'.repeat(L.idLength),
  'x'.repeat(L.idLength + 1),
  '',
  ' ',
  ' \t',
  ' a ',
  'é😀',
  7,
  null,
];
const segmentValues = [null, 'EU', 'x'.repeat(L.segmentLength), 'x'.repeat(L.segmentLength + 1), '', '  ', 3];
const timeValues = [
  L.earliestTime,
  L.earliestTime - 1,
  L.latestTime,
  L.latestTime + 1,
  Date.UTC(2026, 0, 5),
  Date.UTC(2026, 0, 5) + 0.5,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  '1767571200000',
  null,
];
const variants: Record<string, readonly unknown[]> = {
  transaction_id: [...idValues, ABSENT],
  card_id: idValues,
  terminal_id: idValues,
  amount: [
    0,
    -0,
    12.34,
    L.maxAmount,
    L.maxAmount + 0.01,
    -0.01,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    '5',
    null,
  ],
  currency: ['EUR', 'USD', 'eur', 'EURO', 'EU', '', 978, null],
  channel: ['CARD_PRESENT', 'CARD_NOT_PRESENT', 'ONLINE', '', null],
  event_time: timeValues,
  ingest_time: timeValues,
  age_band: [...segmentValues, undefined, ABSENT],
  region: [...segmentValues, undefined, ABSENT],
  card_token_next: [null, 'tok-2', '', 'x'.repeat(L.idLength + 1), 5, undefined, ABSENT],
};

function withField(field: string, value: unknown): Record<string, unknown> {
  const tx: Record<string, unknown> = { ...SAMPLE_RECORDS['tx.transactions.v1'], extra: 'dropped' };
  if (value === ABSENT) delete tx[field];
  else tx[field] = value;
  return tx;
}

describe(acceptedTransaction.name, () => {
  const cases = Object.entries(variants).flatMap(([field, values]) =>
    values.map((value) => [field, value] as const),
  );

  it.each(cases)('agrees with the zod schema on %s = %j', (field, value) => {
    const tx = withField(field, value);
    const zod = transactionSchema.safeParse(tx);
    const fast = acceptedTransaction(tx);
    // Accepted only what zod accepts, and then exactly zod's record: same fields, same order.
    if (fast !== null) {
      expect(zod.success).toBe(true);
      expect(fast).toStrictEqual(zod.data);
      expect(Object.keys(fast)).toEqual(Object.keys(zod.data ?? {}));
    }
    // What zod accepts within the bounds, the fast check accepts too (an explicit undefined is left to zod).
    if (zod.success && value !== undefined) expect(fast).not.toBeNull();
  });

  it.each(cases)('validateTransaction answers as zod does on %s = %j', (field, value) => {
    const tx = withField(field, value);
    const zod = transactionSchema.safeParse(tx);
    if (zod.success) expect(validateTransaction(tx)).toStrictEqual(zod.data);
    else expect(() => validateTransaction(tx)).toThrow(/^invalid transaction: /);
  });

  it('leaves what is not a record to zod', () => {
    for (const value of [null, undefined, 'tx', 42, [SAMPLE_RECORDS['tx.transactions.v1']]])
      expect(acceptedTransaction(value)).toBeNull();
  });

  it('reads inherited fields as zod does (an Avro record is a class instance)', () => {
    const base = { ...SAMPLE_RECORDS['tx.transactions.v1'] };
    const record = Object.assign(Object.create({ currency: base.currency }) as object, base);
    expect(acceptedTransaction(record)).toStrictEqual(transactionSchema.parse(record));
  });
});
