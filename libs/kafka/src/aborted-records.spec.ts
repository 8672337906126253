import { describe, expect, it } from 'vitest';
import { withoutAbortedRecords, type FetchedRecord } from './aborted-records';

const ABORT = Buffer.from([0, 0, 0, 0]);
const COMMIT = Buffer.from([0, 0, 0, 1]);

function data(
  offset: number,
  producerId: string,
  inTransaction = true,
  key: Buffer | null = null,
): FetchedRecord {
  return { offset: String(offset), key, batchContext: { producerId, inTransaction } };
}

function marker(offset: number, producerId: string, key: Buffer): FetchedRecord {
  return {
    offset: String(offset),
    key,
    isControlRecord: true,
    batchContext: { producerId, inTransaction: true },
  };
}

const offsets = (records: readonly FetchedRecord[]): number[] => records.map((r) => Number(r.offset));

describe(withoutAbortedRecords.name, () => {
  // Producers A and B both abort, their records interleaved (A 1, B 2, A 3, B 4), then C commits 7.
  const log = [
    data(0, 'P', false),
    data(1, 'A'),
    data(2, 'B'),
    data(3, 'A'),
    data(4, 'B'),
    marker(5, 'A', ABORT),
    marker(6, 'B', ABORT),
    data(7, 'C'),
    marker(8, 'C', COMMIT),
  ];
  const aborted = [
    { producerId: 'A', firstOffset: '1' },
    { producerId: 'B', firstOffset: '2' },
  ];
  const dataOffsets = (records: readonly FetchedRecord[]) =>
    offsets(records.filter((r) => !r.isControlRecord));

  it('drops the records of every aborted transaction whatever offset the fetch begins at', () => {
    for (let start = 0; start <= 7; start++) {
      const fetched = log.filter((r) => Number(r.offset) >= start);
      const expected = [0, 7].filter((o) => o >= start);
      expect(dataOffsets(withoutAbortedRecords(fetched, aborted)), `fetch from ${start}`).toEqual(expected);
    }
  });

  it('keeps a fetch that begins inside the second of two overlapping aborted transactions clean (kafkajs 2.2.4 handed on B 2 and B 4)', () => {
    expect(dataOffsets(withoutAbortedRecords(log.slice(2), aborted))).toEqual([7]);
    expect(dataOffsets(withoutAbortedRecords(log.slice(4), aborted))).toEqual([7]);
  });

  it("keeps the same producer's committed transaction after its aborted one ends", () => {
    const records = [data(10, 'A'), marker(11, 'A', ABORT), data(12, 'A'), marker(13, 'A', COMMIT)];
    expect(dataOffsets(withoutAbortedRecords(records, [{ producerId: 'A', firstOffset: '10' }]))).toEqual([
      12,
    ]);
  });

  it('takes only a control record for an abort marker, not a data record whose key is four zero bytes', () => {
    const records = [data(20, 'A', true, ABORT), data(21, 'A'), marker(22, 'A', ABORT)];
    expect(dataOffsets(withoutAbortedRecords(records, [{ producerId: 'A', firstOffset: '20' }]))).toEqual([]);
  });

  it('keeps non-transactional records of a producer id that also aborted, and everything when nothing aborted', () => {
    const records = [data(30, 'A'), data(31, 'A', false), marker(32, 'A', ABORT)];
    expect(dataOffsets(withoutAbortedRecords(records, [{ producerId: 'A', firstOffset: '30' }]))).toEqual([
      31,
    ]);
    expect(dataOffsets(withoutAbortedRecords(records, []))).toEqual([30, 31]);
    expect(dataOffsets(withoutAbortedRecords(records, undefined))).toEqual([30, 31]);
  });

  it('compares offsets as 64-bit integers, not as strings', () => {
    const records = [data(9, 'A'), data(10, 'B'), marker(11, 'B', ABORT)];
    expect(dataOffsets(withoutAbortedRecords(records, [{ producerId: 'B', firstOffset: '10' }]))).toEqual([
      9,
    ]);
  });
});
