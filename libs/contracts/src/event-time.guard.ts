import { ValidationError } from './contract.errors';

/** Where a record was read: the watermark is kept per source partition. */
export interface RecordSource {
  readonly topic: string;
  readonly partition: number;
}

export interface EventTimeGuardOptions {
  /** How far ahead of the watermark an event time may be (default one day). */
  readonly maxAheadMs: number;
  /** Wall clock: the watermark never starts below it, so a restarted reader cannot be led into the future by its first record. */
  readonly now?: () => number;
}

/**
 * Refuses records whose event time lies too far ahead of their partition's event-time watermark:
 * the newest event time accepted on the partition, or the wall clock when that is later. One crafted
 * record in year 3000 would otherwise move a card's and a terminal's window buckets there for good.
 * A record within bounds advances the watermark, so one record moves it by at most `maxAheadMs`.
 * An accelerated replay whose event time runs ahead of the wall clock advances it from its own
 * records, each within `maxAheadMs` of the one before.
 */
export class EventTimeGuard {
  private readonly watermarks = new Map<string, Map<number, number>>();
  private readonly now: () => number;

  constructor(private readonly options: EventTimeGuardOptions) {
    this.now = options.now ?? Date.now;
  }

  /** The newest event time accepted on a partition (-Infinity when none). */
  watermark(source: RecordSource): number {
    return this.watermarks.get(source.topic)?.get(source.partition) ?? Number.NEGATIVE_INFINITY;
  }

  /** Returns `eventTime` when it is within bounds (advancing the watermark); throws ValidationError otherwise. */
  check(eventTime: number, source: RecordSource): number {
    const mark = this.watermark(source);
    const limit = Math.max(mark, this.now()) + this.options.maxAheadMs;
    if (eventTime > limit)
      throw new ValidationError(
        `event_time ${new Date(eventTime).toISOString()} is more than ${this.options.maxAheadMs} ms ahead of the event-time watermark ${new Date(limit - this.options.maxAheadMs).toISOString()} of ${source.topic}[${source.partition}]`,
      );
    if (eventTime > mark) {
      let partitions = this.watermarks.get(source.topic);
      if (!partitions) {
        partitions = new Map();
        this.watermarks.set(source.topic, partitions);
      }
      partitions.set(source.partition, eventTime);
    }
    return eventTime;
  }
}
