import { Logger } from '@nestjs/common';
import { describeError } from '@fraudstream/contracts';
import type { Consumer } from 'kafkajs';
import type { KafkaMetrics } from './kafka.metrics';
import type { RecordSink } from './stream-consumer.types';
import { PartitionMap, type TopicPartition } from './topic-partition';
import type { TransactionalProducer } from './transactional-producer.adapter';
import { BatchAbandonedError } from './transient-retry';

/**
 * The partition's committed offset is not where this batch began: another owner committed part of
 * it (this instance had been fenced), or a transaction of ours was lost. Nothing of the batch was
 * committed; the consumer seeks to `offset` and reads from there.
 */
export class PartitionMovedError extends BatchAbandonedError {
  constructor(
    readonly partition: TopicPartition,
    readonly offset: string,
    expected: string,
  ) {
    super(
      `committed offset of ${partition.topic}[${partition.partition}] is ${offset}, not ${expected}: re-reading from it`,
    );
    this.name = 'PartitionMovedError';
  }
}

export interface PartitionTransactionsOptions {
  /** The transactional id of a partition's producer: stable across instances and restarts (fencing). */
  readonly transactionalId: (partition: TopicPartition) => string;
  readonly createProducer: (transactionalId: string) => TransactionalProducer;
  /** The group's committed offset of a partition (null when none), as the broker has it now. */
  readonly committedOffset: (partition: TopicPartition) => Promise<bigint | null>;
  readonly metrics?: KafkaMetrics;
  readonly context?: string;
}

interface PartitionState {
  readonly producer: TransactionalProducer;
  ready: boolean;
  /** The producer generation whose initialisation `next` was read after (null: not read yet). */
  verified: number | null;
  /** The offset the partition's next transaction must begin at (null: no offset committed yet). */
  next: bigint | null;
}

/** What a batch may commit: messages below `from` were committed by a predecessor and are skipped. */
export interface BatchStart {
  readonly from: bigint | null;
}

/**
 * Exactly-once commits for a consume-transform-produce loop, one transactional producer per input
 * partition. kafkajs has no KIP-447 (its TxnOffsetCommit carries no group generation), so a zombie is
 * fenced the way Kafka Streams' first exactly-once mode does it: the partition's transactional id is
 * the same in every instance, and the owner's InitProducerId aborts (or waits out) the open
 * transaction of any earlier owner and fences it. After each initialisation (the first, or a producer
 * re-created after a broker restart or a fencing) the committed offset is read back: what an earlier
 * owner committed is skipped, and a batch that no longer begins at the committed offset is aborted
 * and the consumer sent back to it (PartitionMovedError). Between two initialisations no one else can
 * commit the partition, so offsets advance only by our own transactions.
 */
export class PartitionTransactions {
  private readonly logger: Logger;
  private readonly partitions = new PartitionMap<PartitionState>();
  /** The partitions of the last assignment (null before the first): no producer starts for another. */
  private owned: PartitionMap<true> | null = null;

  constructor(private readonly options: PartitionTransactionsOptions) {
    this.logger = new Logger(options.context ?? PartitionTransactions.name);
  }

  /**
   * Before a batch is handled: initialises the partition's producer (fencing earlier owners) and
   * returns the offset below which its messages were already committed. A batch that begins past the
   * offset this instance expects means the partition went elsewhere and came back (another owner
   * committed meanwhile): the committed offset is read again before anything is handled.
   */
  async begin(partition: TopicPartition, firstOffset?: bigint): Promise<BatchStart> {
    const state = await this.ready(partition);
    const ahead = firstOffset !== undefined && state.next !== null && firstOffset > state.next;
    if (ahead || state.verified !== state.producer.generations) await this.verify(partition, state);
    return { from: state.next };
  }

  /**
   * Sends the batch's records (`send`, through the transaction) and moves the group's offset of the
   * partition to `nextOffset` in one transaction, begun at `start.from`. A failure aborts it and
   * throws: ProduceError (retriable, the same records may be committed again), RecordTooLargeError,
   * or PartitionMovedError when the partition's committed offset moved under a re-created producer.
   */
  async commit(
    partition: TopicPartition,
    start: BatchStart,
    nextOffset: string,
    consumer: Consumer,
    send: (sink: RecordSink) => Promise<void>,
  ): Promise<void> {
    const state = await this.ready(partition);
    const txn = await state.producer.transaction();
    const endTimer = this.options.metrics?.transactionDuration.startTimer();
    try {
      if (state.verified !== state.producer.generations) await this.verify(partition, state);
      // Checked before every transaction, not only after a re-initialisation: a batch begun before
      // another transaction of this partition committed (a batch still in the hands of a consumer
      // that was replaced after a crash, while the new one read the same records) must not commit
      // its records a second time.
      if (state.next !== null && state.next !== start.from)
        throw new PartitionMovedError(partition, state.next.toString(), String(start.from ?? 'none'));
      await send(txn);
      await txn.sendOffsets({
        consumer,
        topics: [
          { topic: partition.topic, partitions: [{ partition: partition.partition, offset: nextOffset }] },
        ],
      });
      await txn.commit();
    } catch (error) {
      await txn.abort();
      this.options.metrics?.transactions.inc({ outcome: 'aborted' });
      // A commit that failed may still have been applied (the broker stopped after writing it): the
      // next attempt reads the committed offset first, so a batch already committed is not sent twice.
      // The read is made after a new InitProducerId, which returns only once the coordinator has
      // completed a commit it had accepted: before that, the group's offset still reads as the old
      // one (its transaction markers are not written), and the batch was committed twice (duplicate
      // scores after a broker stop/start).
      state.verified = null;
      state.producer.reinitialize();
      throw error;
    }
    endTimer?.();
    this.options.metrics?.transactions.inc({ outcome: 'committed' });
    state.next = BigInt(nextOffset);
  }

  /** The offset our last transaction committed on a partition (null when none yet). */
  committed(partition: TopicPartition): bigint | null {
    return this.partitions.get(partition)?.next ?? null;
  }

  /**
   * Closes the producers of partitions this consumer no longer owns, and starts none for them later: a
   * transaction still retrying for a lost partition must not initialise its transactional id again,
   * which would fence the partition's new owner.
   */
  async retain(owned: readonly TopicPartition[]): Promise<void> {
    const keep = new PartitionMap<true>();
    for (const p of owned) keep.set(p, true);
    this.owned = keep;
    const gone = [...this.partitions.entries()].filter(([p]) => keep.get(p) === undefined);
    for (const [p] of gone) this.partitions.delete(p);
    await Promise.all(gone.map(([p, state]) => this.close(p, state)));
  }

  /** Closes every producer (shutdown; an open transaction is aborted). */
  async closeAll(): Promise<void> {
    const all = [...this.partitions.entries()];
    this.partitions.clear();
    await Promise.all(all.map(([p, state]) => this.close(p, state)));
  }

  private async ready(partition: TopicPartition): Promise<PartitionState> {
    let state = this.partitions.get(partition);
    if (!state) {
      if (this.owned && this.owned.get(partition) === undefined)
        throw new BatchAbandonedError(
          `partition ${partition.topic}[${partition.partition}] is no longer owned`,
        );
      const producer = this.options.createProducer(this.options.transactionalId(partition));
      state = { producer, ready: false, verified: null, next: null };
      this.partitions.set(partition, state);
    }
    if (!state.ready) {
      // InitProducerId: earlier owners of this id are fenced and their open transaction ends first.
      await state.producer.connect();
      state.ready = true;
    }
    return state;
  }

  private async verify(partition: TopicPartition, state: PartitionState): Promise<void> {
    const generation = state.producer.generations;
    const committed = await this.options.committedOffset(partition);
    if (state.next !== null && committed !== state.next)
      this.logger.warn({
        msg: 'committed offset moved while the producer was re-initialised',
        topic: partition.topic,
        partition: partition.partition,
        expected: state.next.toString(),
        committed: committed?.toString() ?? null,
      });
    state.next = committed;
    state.verified = generation;
  }

  private async close(partition: TopicPartition, state: PartitionState): Promise<void> {
    try {
      await state.producer.disconnect();
    } catch (error) {
      this.logger.warn({
        msg: 'transactional producer did not disconnect cleanly',
        topic: partition.topic,
        partition: partition.partition,
        error: describeError(error),
      });
    }
  }
}
