import { Logger } from '@nestjs/common';
import { describeError } from '@fraudstream/contracts';
import type { ProducerBatch, RecordMetadata } from 'kafkajs';
import type { Retry } from './batch-recovery';
import { isRebalance } from './failure-kinds';
import type { BatchStart } from './partition-transactions';
import type { RecordSink } from './stream-consumer.types';
import { PartitionMap, type TopicPartition } from './topic-partition';
import { BatchAbandonedError } from './transient-retry';

/** A handled batch of one partition, waiting for the transaction that commits it. */
export interface PipelinedBatch {
  /** Where its transaction begins: the committed offset, or the end of the batch queued before it. */
  readonly start: BatchStart;
  /** Its first offset (where the consumer reads again when nothing of the partition was committed yet). */
  readonly first: string;
  /** The offset past it, committed with it. */
  readonly next: string;
  /** Records it sends (outputs and dead letters): bounds a transaction. */
  readonly records: number;
  /** Sends its outputs and dead letters into the transaction. */
  readonly send: (sink: RecordSink) => Promise<void>;
  /** Called once it is committed. */
  readonly committed: () => void;
  /** Commits it message by message, each in a transaction of its own (it was refused for its size alone). */
  readonly split: () => Promise<void>;
  /** The transport's retry of transient failures for this batch (heartbeat, abandonment). */
  readonly retry: Retry;
}

/** A batch that chains on the partition's queued batches (see TransactionPipeline.chain). */
export interface Chain {
  readonly start: BatchStart;
  readonly lane: object;
}

export interface TransactionPipelineOptions {
  /** One transaction from `start`: `send` into it, and the group's offset moved to `next` (PartitionTransactions.commit). */
  readonly commit: (
    partition: TopicPartition,
    start: BatchStart,
    next: string,
    send: (sink: RecordSink) => Promise<void>,
  ) => Promise<void>;
  /** Where the partition's next transaction begins, read again after a failure (PartitionTransactions.begin). */
  readonly begin: (partition: TopicPartition) => Promise<BatchStart>;
  /**
   * A transaction failed for good (the partition moved, was lost, or the consumer stops): it and the
   * batches queued behind it were dropped, uncommitted; `first` is the oldest of them.
   */
  readonly failed: (partition: TopicPartition, error: unknown, first: PipelinedBatch) => void;
  /** Records per transaction at most, and queued per partition before `enqueue` waits. */
  readonly maxRecords: number;
  /** Each committed transaction's number of batches. */
  readonly observeBatches?: (batches: number) => void;
  readonly context?: string;
}

interface Lane {
  queue: PipelinedBatch[];
  queued: number;
  /** The offset past the last batch queued: where a chained batch must begin. */
  expected: string;
  running: Promise<void> | null;
  failed: boolean;
  /** Wakes `enqueue` calls waiting for room. */
  progress: (() => void)[];
}

/**
 * Commits for the exactly-once transport, off the fetch path. A batch's transaction is five round
 * trips in a row (AddPartitionsToTxn, Produce, AddOffsetsToTxn, TxnOffsetCommit, EndTxn), and kafkajs
 * fetches again only when every batch of the last fetch returned, so awaiting each batch's
 * transaction left the process idle for those round trips. Here a handled batch is queued on its
 * partition and returns; the next fetch (and its decoding) goes on while the transaction commits.
 * Batches queued while a partition's transaction commits (the transport's `handleWhileCommitting`)
 * go together in its next one (bounded by `maxRecords`), so the round trips are paid per commit
 * interval, which is the transaction's own duration, not per batch.
 *
 * The guarantee is unchanged: a transaction holds whole batches in offset order, with the offset past
 * the last; readers see them iff it commits. A transaction refused for its size is split into one per
 * batch, and a batch refused alone is committed message by message (`split`). When a transaction fails
 * for good, the batches queued behind it are dropped with it, a batch chained on it is refused
 * (BatchAbandonedError), and `failed` sends the consumer back to the partition's committed offset.
 */
export class TransactionPipeline {
  private readonly logger: Logger;
  private readonly lanes = new PartitionMap<Lane>();

  constructor(private readonly options: TransactionPipelineOptions) {
    this.logger = new Logger(options.context ?? TransactionPipeline.name);
  }

  /**
   * The start of a batch beginning at `first` when the partition has batches queued or committing
   * and the batch follows the last of them; null otherwise (wait for `idle`, then begin as usual).
   */
  chain(partition: TopicPartition, first: string): Chain | null {
    const lane = this.lanes.get(partition);
    if (!lane || lane.running === null || lane.failed || lane.expected !== first) return null;
    return { start: { from: BigInt(lane.expected) }, lane };
  }

  /** Resolves when the partition has nothing queued or committing (whatever the outcome). */
  async idle(partition: TopicPartition): Promise<void> {
    for (let lane = this.lanes.get(partition); lane?.running; lane = this.lanes.get(partition))
      await lane.running;
  }

  /**
   * Queues a handled batch for its partition's next transaction and resolves when there is room for
   * the next one (at most `maxRecords` queued, besides the transaction committing). A batch chained on
   * batches whose transaction failed meanwhile is refused with BatchAbandonedError.
   */
  async enqueue(partition: TopicPartition, batch: PipelinedBatch, chain: Chain | null): Promise<void> {
    let lane = this.lanes.get(partition);
    if (chain && (lane !== chain.lane || lane.failed))
      throw new BatchAbandonedError('an earlier transaction of the partition failed');
    if (!lane || lane.failed) {
      lane = { queue: [], queued: 0, expected: batch.next, running: null, failed: false, progress: [] };
      this.lanes.set(partition, lane);
    }
    lane.queue.push(batch);
    lane.queued += batch.records;
    lane.expected = batch.next;
    if (!lane.running) lane.running = this.run(partition, lane);
    while (lane.queued > this.options.maxRecords && !lane.failed && lane.running !== null)
      await new Promise<void>((resolve) => lane.progress.push(resolve));
  }

  /** Resolves when every partition's queued batches are committed or dropped. */
  async drain(): Promise<void> {
    for (;;) {
      const running = [...this.lanes.entries()].flatMap(([, lane]) => (lane.running ? [lane.running] : []));
      if (running.length === 0) return;
      await Promise.allSettled(running);
    }
  }

  /** Forgets partitions this consumer no longer owns: their batches queued behind a commit are dropped. */
  retain(owned: readonly TopicPartition[]): void {
    const keep = new PartitionMap<true>();
    for (const p of owned) keep.set(p, true);
    for (const [p, lane] of [...this.lanes.entries()])
      if (keep.get(p) === undefined) {
        lane.failed = true;
        lane.queue = [];
        lane.queued = 0;
        this.wake(lane);
        this.lanes.delete(p);
      }
  }

  private async run(partition: TopicPartition, lane: Lane): Promise<void> {
    try {
      while (lane.queue.length > 0 && !lane.failed) {
        const group = this.take(lane);
        this.wake(lane);
        await this.commitGroup(partition, group);
      }
    } catch (error) {
      lane.failed = true;
      if (this.lanes.get(partition) === lane) this.lanes.delete(partition);
      const dropped = lane.queue;
      lane.queue = [];
      lane.queued = 0;
      const first = error instanceof GroupFailure ? error.first : dropped[0];
      const cause = error instanceof GroupFailure ? error.cause : error;
      if (first) this.options.failed(partition, cause, first);
    } finally {
      lane.running = null;
      this.wake(lane);
    }
  }

  /** The oldest queued batches, up to `maxRecords` records (at least one batch). */
  private take(lane: Lane): PipelinedBatch[] {
    let records = 0;
    let n = 0;
    for (const batch of lane.queue) {
      if (n > 0 && records + batch.records > this.options.maxRecords) break;
      records += batch.records;
      n++;
    }
    const group = lane.queue.splice(0, n);
    lane.queued -= records;
    return group;
  }

  private wake(lane: Lane): void {
    const waiting = lane.progress;
    lane.progress = [];
    for (const resolve of waiting) resolve();
  }

  private async commitGroup(partition: TopicPartition, group: readonly PipelinedBatch[]): Promise<void> {
    const first = group[0];
    const last = group.at(-1);
    if (!first || !last) return;
    const sendAll = async (sink: RecordSink): Promise<void> => {
      const requests = new CoalescingSink(sink);
      for (const batch of group) await batch.send(requests);
      await requests.flush();
    };
    try {
      await last.retry(() => this.options.commit(partition, first.start, last.next, sendAll));
    } catch (error) {
      if (error instanceof BatchAbandonedError || isRebalance(error)) throw new GroupFailure(first, error);
      this.logger.warn({
        msg:
          group.length > 1
            ? 'transaction refused for its records; committing its batches one by one'
            : 'transaction refused for its records; committing the batch message by message',
        ...partition,
        batches: group.length,
        error: describeError(error),
      });
      await this.commitEach(partition, group);
      return;
    }
    this.options.observeBatches?.(group.length);
    for (const batch of group) batch.committed();
  }

  /** After a refused transaction: each batch alone, and message by message when refused alone too. */
  private async commitEach(partition: TopicPartition, group: readonly PipelinedBatch[]): Promise<void> {
    for (const batch of group) {
      if (group.length > 1 && (await this.commitAlone(partition, batch))) continue;
      try {
        await batch.split();
      } catch (error) {
        throw new GroupFailure(batch, error);
      }
    }
  }

  /** One batch in a transaction of its own; false when it is refused for its size too. */
  private async commitAlone(partition: TopicPartition, batch: PipelinedBatch): Promise<boolean> {
    try {
      const at = await batch.retry(() => this.options.begin(partition));
      await batch.retry(() => this.options.commit(partition, at, batch.next, batch.send));
    } catch (error) {
      if (error instanceof BatchAbandonedError || isRebalance(error)) throw new GroupFailure(batch, error);
      this.logger.warn({
        msg: 'transaction refused for its records; committing the batch message by message',
        ...partition,
        error: describeError(error),
      });
      return false;
    }
    this.options.observeBatches?.(1);
    batch.committed();
    return true;
  }
}

/** A transaction that failed for good, with the oldest batch it dropped. */
class GroupFailure extends Error {
  constructor(
    readonly first: PipelinedBatch,
    override readonly cause: unknown,
  ) {
    super(describeError(cause));
    this.name = 'GroupFailure';
  }
}

/** Records per produce request when the requests of a transaction's batches are merged. */
const MERGED_REQUEST_RECORDS = 1000;

/**
 * Merges the produce requests of a transaction's batches (each a round trip, in a row: the
 * transactional producer has one request in flight) into requests of at most
 * MERGED_REQUEST_RECORDS records, in order. A request already that large goes alone, so a handler's
 * own slicing (kafkajs groups a request's records per partition in time quadratic in their number)
 * still holds. A failure surfaces at `flush`, which fails the transaction.
 */
class CoalescingSink implements RecordSink {
  private pending: ProducerBatch[] = [];
  private records = 0;

  constructor(private readonly sink: RecordSink) {}

  async sendBatch(batch: ProducerBatch): Promise<RecordMetadata[]> {
    const n = countRecords(batch);
    if (this.records + n > MERGED_REQUEST_RECORDS) await this.flush();
    this.pending.push(batch);
    this.records += n;
    return [];
  }

  async flush(): Promise<void> {
    const pending = this.pending;
    this.pending = [];
    this.records = 0;
    if (pending.length === 0) return;
    const [only] = pending;
    if (pending.length === 1 && only) {
      await this.sink.sendBatch(only);
      return;
    }
    await this.sink.sendBatch({ acks: -1, topicMessages: pending.flatMap((b) => b.topicMessages ?? []) });
  }
}

function countRecords(batch: ProducerBatch): number {
  let n = 0;
  for (const t of batch.topicMessages ?? []) n += t.messages.length;
  return n;
}
