import { Logger } from '@nestjs/common';
import { describeError } from '@fraudstream/contracts';
import { PartitionMap, type TopicPartition } from './topic-partition';

/** The next offset to read on a partition, as Kafka commits it (a decimal string). */
export interface PartitionOffset extends TopicPartition {
  readonly offset: string;
}

/** Sends one commit request (the consumer's commitOffsets). */
export type CommitRequest = (offsets: PartitionOffset[]) => Promise<void>;

/** How a failed commit is retried: the delays before each retry (their count is the retries). */
export interface CommitRetry {
  readonly delaysMs: readonly number[];
  /** Waits `ms` (a test passes its own). */
  readonly sleep?: (ms: number) => Promise<void>;
}

/**
 * About 30 s of retries: a broker back from a restart refuses commits while its group coordinator
 * loads, and a partition's last batch before an idle spell has no next batch to commit past it.
 */
export const DEFAULT_COMMIT_RETRY: CommitRetry = {
  delaysMs: [500, 1000, 2000, 4000, 5000, 5000, 5000, 5000],
};

/**
 * Commits handled batches' offsets off the fetch path. One commit request is in flight at a time;
 * offsets queued meanwhile are merged into the next, newest offset per partition, so a commit never
 * goes backwards within a queue. A failed commit is retried after the retry's delays (merged with
 * whatever was queued meanwhile), then logged and left to the partition's next batch (at-least-once:
 * after a rebalance the new owner re-reads from the last committed offset). `drain()` waits until
 * the queue is empty (shutdown; `stopRetrying()` first cuts the retries short). `committed()` is what
 * the broker acknowledged.
 */
export class OffsetCommitter {
  private readonly logger: Logger;
  private readonly pending = new PartitionMap<PartitionOffset>();
  private readonly acknowledged = new PartitionMap<bigint>();
  private flushing: Promise<void> | null = null;
  private retrying = true;

  constructor(
    private readonly commit: CommitRequest,
    context = OffsetCommitter.name,
    private readonly retry: CommitRetry = DEFAULT_COMMIT_RETRY,
  ) {
    this.logger = new Logger(context);
  }

  /** No more retries (shutdown): a failed commit is left to the partition's next owner. */
  stopRetrying(): void {
    this.retrying = false;
  }

  /** Queues a partition's next offset and starts a commit unless one is in flight. */
  queue(offset: PartitionOffset): void {
    const queued = this.pending.get(offset);
    if (!queued || BigInt(offset.offset) > BigInt(queued.offset)) this.pending.set(offset, offset);
    this.flushing ??= this.flush().finally(() => (this.flushing = null));
  }

  /** Resolves once every queued offset has been sent (committed or given up on). */
  async drain(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  /** The newest offset the broker acknowledged for a partition (null when none yet). */
  committed(partition: TopicPartition): bigint | null {
    return this.acknowledged.get(partition) ?? null;
  }

  /** Forgets acknowledged offsets (a restarted consumer learns them again). */
  reset(): void {
    this.acknowledged.clear();
  }

  private async flush(): Promise<void> {
    let failures = 0;
    while (this.pending.size > 0) {
      const offsets = [...this.pending.values()];
      this.pending.clear();
      try {
        await this.commit(offsets);
        failures = 0;
        for (const o of offsets) {
          const next = BigInt(o.offset);
          if (next > (this.acknowledged.get(o) ?? -1n)) this.acknowledged.set(o, next);
        }
      } catch (error) {
        const delay = this.retrying ? this.retry.delaysMs[failures] : undefined;
        failures++;
        if (delay === undefined) {
          // Offsets queued meanwhile are newer: the loop goes on with them; otherwise the
          // partition's next batch commits past these.
          this.logger.warn({ msg: 'offset commit failed', offsets, error: describeError(error) });
          continue;
        }
        this.logger.warn({
          msg: 'offset commit failed; retrying',
          offsets,
          delayMs: delay,
          error: describeError(error),
        });
        // Back in the queue unless a newer offset of the partition was queued meanwhile.
        for (const o of offsets) {
          const queued = this.pending.get(o);
          if (!queued || BigInt(queued.offset) < BigInt(o.offset)) this.pending.set(o, o);
        }
        await (this.retry.sleep ?? ((ms) => new Promise<void>((r) => setTimeout(r, ms))))(delay);
      }
    }
  }
}
