import { DAY_MS } from '@fraudstream/contracts';
import type { CountedPlace } from './feature-store.types';

/** Partitions below 4,096 and offsets below 2^40: a place packed in one exact double. */
const PARTITION_SPAN = 4096;
const OFFSET_LIMIT = 2 ** 40;

/** One number for a place (what the Redis store writes too). */
export function packPlace(place: CountedPlace): number {
  if (
    place.partition < 0 ||
    place.partition >= PARTITION_SPAN ||
    place.offset < 0 ||
    place.offset >= OFFSET_LIMIT
  )
    throw new RangeError(
      `cannot record partition ${place.partition} offset ${place.offset}: the state keeps partitions below ${PARTITION_SPAN} and offsets below 2^40`,
    );
  return place.offset * PARTITION_SPAN + place.partition;
}

export function unpackPlace(packed: number): CountedPlace {
  return { partition: packed % PARTITION_SPAN, offset: Math.floor(packed / PARTITION_SPAN) };
}

/**
 * Where counted transactions were read, by the event day of each (transaction id -> packed place):
 * the memory store's whole record, and a Redis batch's loaded and new ones.
 */
export class CountedPlaces {
  readonly byDay = new Map<number, Map<string, number>>();

  /** The packed place of the transaction of `eventTime`, if recorded. */
  packedAt(transactionId: string, eventTime: number): number | undefined {
    return this.byDay.get(Math.floor(eventTime / DAY_MS))?.get(transactionId);
  }

  /** Records the transaction's place under its event day; returns the day. */
  record(transactionId: string, eventTime: number, place: CountedPlace): number {
    const day = Math.floor(eventTime / DAY_MS);
    this.setPacked(day, transactionId, packPlace(place));
    return day;
  }

  setPacked(day: number, transactionId: string, packed: number): void {
    let ids = this.byDay.get(day);
    if (!ids) {
      ids = new Map();
      this.byDay.set(day, ids);
    }
    ids.set(transactionId, packed);
  }
}
