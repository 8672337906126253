import { describe, expect, it } from 'vitest';
import { OffsetsSeen } from './score-observer';

describe(OffsetsSeen.name, () => {
  it('takes each offset of a partition once, so a rejoining reader handed records again counts them once', () => {
    const seen = new OffsetsSeen();
    const read = (partition: number, offsets: number[]) =>
      offsets.filter((o) => seen.first(partition, String(o)));
    expect(read(0, [0, 1, 2, 3])).toEqual([0, 1, 2, 3]);
    // The reader's group rejoined after a broker outage: handed back from its last committed offset.
    expect(read(0, [2, 3, 4, 5])).toEqual([4, 5]);
    // Another partition's offsets are its own.
    expect(read(1, [0, 1])).toEqual([0, 1]);
    expect(read(1, [1, 2])).toEqual([2]);
  });
});
