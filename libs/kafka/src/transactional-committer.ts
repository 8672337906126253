import { Logger } from '@nestjs/common';
import { describeError } from '@fraudstream/contracts';
import type { Consumer, TopicMessages } from 'kafkajs';
import { isTransient } from './failure-kinds';
import type { KafkaMetrics } from './kafka.metrics';
import type { PartitionOffset } from './offset-committer';
import { mergeByTopic, sliceRequests } from './output-requests';
import { BatchAbandonedError } from './transient-retry';
import type { TopicOffsets, TransactionalProducer } from './transactional-producer.adapter';

/** What one handled batch commits: its outputs and dead letters (encoded), and its partition's next offset. */
export interface TransactionWork {
  readonly messages: readonly TopicMessages[];
  readonly offsets: readonly PartitionOffset[];
  /** Why the batch may no longer commit (partition revoked, consumer stopping), or null. */
  readonly abandonReason: () => string | null;
}

interface Waiting {
  readonly work: TransactionWork;
  resolve(): void;
  reject(error: unknown): void;
}

function offsetsByTopic(offsets: readonly PartitionOffset[]): TopicOffsets[] {
  const newest = new Map<string, Map<number, bigint>>();
  for (const o of offsets) {
    const partitions = newest.get(o.topic) ?? new Map<number, bigint>();
    const next = BigInt(o.offset);
    if (next > (partitions.get(o.partition) ?? -1n)) partitions.set(o.partition, next);
    newest.set(o.topic, partitions);
  }
  return [...newest].map(([topic, partitions]) => ({
    topic,
    partitions: [...partitions].map(([partition, offset]) => ({ partition, offset: offset.toString() })),
  }));
}

/**
 * Commits handled batches exactly once: each batch's outputs, its dead letters and its consumer
 * group offsets go in one Kafka transaction, so a `read_committed` reader sees the outputs if and
 * only if the offsets moved past their inputs. The partitions a consumer handles at the same time
 * share a transaction (a producer has one open at a time, and each costs a few round trips): what
 * arrives while one is in flight goes into the next. A failed transaction is aborted and fails every
 * batch it carried (the transport retries them, without handling them again); when it failed for a
 * reason that is not the broker's (a record over the size limit), each batch is committed alone so
 * that only the one at fault fails. A batch whose partition was revoked meanwhile is dropped before
 * its offsets go in (BatchAbandonedError), so a consumer that lost a partition does not commit it.
 */
export class TransactionalCommitter {
  private readonly logger: Logger;
  private waiting: Waiting[] = [];
  private flushing: Promise<void> | null = null;
  private committedOffsets = new Map<string, Map<number, bigint>>();

  constructor(
    private readonly producer: TransactionalProducer,
    private readonly consumer: () => Consumer,
    private readonly metrics?: KafkaMetrics,
    context = TransactionalCommitter.name,
  ) {
    this.logger = new Logger(context);
  }

  /** Resolves once the work's transaction committed; rejects when it did not (nothing of it is visible). */
  commit(work: TransactionWork): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.waiting.push({ work, resolve, reject });
      this.flushing ??= this.flush().finally(() => (this.flushing = null));
    });
  }

  /** Resolves once nothing is waiting or in flight (shutdown). */
  async drain(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  /** The newest offset committed in a transaction for a partition (null when none yet). */
  committed(topic: string, partition: number): bigint | null {
    return this.committedOffsets.get(topic)?.get(partition) ?? null;
  }

  private async flush(): Promise<void> {
    // Let the other partitions of the fetch, resumed by the same scoring run, add their batches.
    await new Promise((resolve) => setImmediate(resolve));
    while (this.waiting.length > 0) {
      const group = this.waiting.filter((w) => {
        const reason = w.work.abandonReason();
        if (reason) w.reject(new BatchAbandonedError(reason));
        return reason === null;
      });
      this.waiting = [];
      if (group.length === 0) continue;
      try {
        await this.run(group.map((w) => w.work));
        for (const w of group) w.resolve();
      } catch (error) {
        if (group.length === 1 || isTransient(error)) {
          for (const w of group) w.reject(error);
          continue;
        }
        // One batch's records refused (too large): find it by committing each batch alone.
        this.logger.warn({
          msg: 'a shared transaction failed for its records; committing its batches one by one',
          batches: group.length,
          error: describeError(error),
        });
        for (const w of group) {
          try {
            await this.run([w.work]);
            w.resolve();
          } catch (alone) {
            w.reject(alone);
          }
        }
      }
    }
  }

  private async run(works: readonly TransactionWork[]): Promise<void> {
    const offsets = offsetsByTopic(works.flatMap((w) => w.offsets));
    const requests = sliceRequests(mergeByTopic(works.map((w) => w.messages)));
    if (offsets.length === 0 && requests.length === 0) return;
    const endTimer = this.metrics?.transactionDuration.startTimer();
    const txn = await this.producer.transaction();
    try {
      for (const topicMessages of requests) await txn.sendBatch({ acks: -1, topicMessages });
      if (offsets.length > 0) await txn.sendOffsets({ consumer: this.consumer(), topics: offsets });
      await txn.commit();
    } catch (error) {
      await txn.abort();
      this.metrics?.transactions.inc({ outcome: 'aborted' });
      throw error;
    }
    endTimer?.();
    this.metrics?.transactions.inc({ outcome: 'committed' });
    for (const { topic, partitions } of offsets) {
      const known = this.committedOffsets.get(topic) ?? new Map<number, bigint>();
      for (const p of partitions) {
        const next = BigInt(p.offset);
        if (next > (known.get(p.partition) ?? -1n)) known.set(p.partition, next);
      }
      this.committedOffsets.set(topic, known);
    }
  }
}
