import type { ProducerBatch } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { PartitionMovedError, type BatchStart } from './partition-transactions';
import type { RecordSink } from './stream-consumer.types';
import type { TopicPartition } from './topic-partition';
import { TransactionPipeline, type PipelinedBatch } from './transaction-pipeline';
import { RecordTooLargeError } from './transport.errors';
import { BatchAbandonedError } from './transient-retry';

const p0: TopicPartition = { topic: 'tx', partition: 0 };

/** A transaction the test lets commit (or fail) when it chooses. */
interface OpenTransaction {
  readonly start: BatchStart;
  readonly next: string;
  readonly records: string[];
  /** Produce requests it took. */
  readonly requests?: number;
  resolve(): void;
  reject(error: unknown): void;
}

/** One partition's broker side: committed offset and visible records; transactions wait for the test. */
class FakeLog {
  committed: bigint | null = null;
  readonly visible: string[] = [];
  readonly open: OpenTransaction[] = [];
  /** Records in one transaction above which it is refused for its size. */
  sizeLimit = Number.POSITIVE_INFINITY;
  readonly failures: { error: unknown; first: string }[] = [];

  pipeline(maxRecords = 100): TransactionPipeline {
    return new TransactionPipeline({
      commit: async (_partition, start, next, send) => {
        const records: string[] = [];
        let requests = 0;
        await send({
          sendBatch: (batch: ProducerBatch) => {
            requests++;
            for (const t of batch.topicMessages ?? [])
              for (const m of t.messages) records.push(String(m.value));
            return Promise.resolve([]);
          },
        });
        if (records.length > this.sizeLimit) throw new RecordTooLargeError('too large');
        await new Promise<void>((resolve, reject) =>
          this.open.push({ start, next, records, requests, resolve, reject }),
        );
        if (this.committed !== start.from)
          throw new PartitionMovedError(p0, String(this.committed), String(start.from));
        this.visible.push(...records);
        this.committed = BigInt(next);
      },
      begin: () => Promise.resolve({ from: this.committed }),
      failed: (_partition, error, first) => this.failures.push({ error, first: first.first }),
      maxRecords,
    });
  }

  /** Lets the oldest open transaction commit (or fail) and waits until its outcome is handled. */
  async settle(error?: unknown): Promise<OpenTransaction> {
    await waitUntil(() => this.open.length > 0);
    const txn = this.open.shift();
    if (!txn) throw new Error('no open transaction');
    if (error) txn.reject(error);
    else txn.resolve();
    await flush();
    return txn;
  }
}

async function flush(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

async function waitUntil(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !condition(); i++) await flush();
  if (!condition()) throw new Error('condition not reached');
}

/** A batch of `values` at offsets first..first+n-1; `committed` and `split` record what happened to it. */
function batch(
  start: BatchStart,
  first: number,
  values: string[],
  log: string[],
  split: () => Promise<void> = () => Promise.resolve(),
): PipelinedBatch {
  return {
    start,
    first: String(first),
    next: String(first + values.length),
    records: values.length,
    send: async (sink: RecordSink) => {
      await sink.sendBatch({
        topicMessages: [{ topic: 'out', messages: values.map((value) => ({ value })) }],
      });
    },
    committed: () => log.push(`committed ${first}`),
    split: async () => {
      log.push(`split ${first}`);
      await split();
    },
    retry: (work) => work(),
  };
}

describe(TransactionPipeline.name, () => {
  it('commits the batches queued while a transaction commits together in the next one, in offset order', async () => {
    const log = new FakeLog();
    const pipeline = log.pipeline();
    const events: string[] = [];
    await pipeline.enqueue(p0, batch({ from: null }, 0, ['a', 'b'], events), null);
    // The first transaction is committing: the next two batches chain on it and wait together.
    const second = pipeline.chain(p0, '2');
    expect(second?.start.from).toBe(2n);
    if (!second) throw new Error('not chained');
    await pipeline.enqueue(p0, batch(second.start, 2, ['c'], events), second);
    const third = pipeline.chain(p0, '3');
    if (!third) throw new Error('not chained');
    await pipeline.enqueue(p0, batch(third.start, 3, ['d', 'e'], events), third);

    const firstTxn = await log.settle();
    expect(firstTxn.records).toEqual(['a', 'b']);
    const secondTxn = await log.settle();
    // The two batches' produce requests are merged: one round trip instead of two.
    expect(secondTxn).toMatchObject({
      start: { from: 2n },
      next: '5',
      records: ['c', 'd', 'e'],
      requests: 1,
    });
    await pipeline.drain();
    expect(log.visible).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(log.committed).toBe(5n);
    expect(events).toEqual(['committed 0', 'committed 2', 'committed 3']);
  });

  it('does not chain a batch that does not follow the queued ones, nor on an idle partition', async () => {
    const log = new FakeLog();
    const pipeline = log.pipeline();
    expect(pipeline.chain(p0, '0')).toBeNull();
    await pipeline.enqueue(p0, batch({ from: null }, 0, ['a'], []), null);
    expect(pipeline.chain(p0, '7')).toBeNull();
    let idle = false;
    const waiting = pipeline.idle(p0).then(() => (idle = true));
    await flush();
    expect(idle).toBe(false);
    await log.settle();
    await waiting;
    expect(pipeline.chain(p0, '1')).toBeNull();
  });

  it('holds the next batch back while the queue behind the committing transaction is full', async () => {
    const log = new FakeLog();
    const pipeline = log.pipeline(3);
    await pipeline.enqueue(p0, batch({ from: null }, 0, ['a', 'b'], []), null);
    const chained = pipeline.chain(p0, '2');
    if (!chained) throw new Error('not chained');
    let admitted = false;
    const enqueued = pipeline
      .enqueue(p0, batch(chained.start, 2, ['c', 'd', 'e', 'f'], []), chained)
      .then(() => (admitted = true));
    await flush();
    expect(admitted).toBe(false);
    // The committing transaction ends: the queued batch goes into the next one and the consumer goes on.
    await log.settle();
    await enqueued;
    expect(admitted).toBe(true);
    await log.settle();
    expect(log.visible).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
  });

  it('drops the batches queued behind a transaction that failed for good, refuses one chained on them and reports where to read again', async () => {
    const log = new FakeLog();
    const pipeline = log.pipeline();
    await pipeline.enqueue(p0, batch({ from: null }, 0, ['a'], []), null);
    await log.settle();
    await pipeline.enqueue(p0, batch({ from: 1n }, 1, ['b'], []), null);
    const queued = pipeline.chain(p0, '2');
    if (!queued) throw new Error('not chained');
    await pipeline.enqueue(p0, batch(queued.start, 2, ['c'], []), queued);
    const late = pipeline.chain(p0, '3');
    // Another owner committed past 1 meanwhile: the transaction of 1 is refused.
    log.committed = 4n;
    await log.settle();
    await pipeline.drain();
    expect(log.failures).toHaveLength(1);
    expect(log.failures[0]?.error).toBeInstanceOf(PartitionMovedError);
    expect(log.failures[0]?.first).toBe('1');
    expect(log.open).toEqual([]);
    expect(log.visible).toEqual(['a']);
    if (!late) throw new Error('not chained');
    await expect(pipeline.enqueue(p0, batch(late.start, 3, ['d'], []), late)).rejects.toBeInstanceOf(
      BatchAbandonedError,
    );
    // Read again from the committed offset, the partition goes on.
    expect(pipeline.chain(p0, '4')).toBeNull();
    await pipeline.enqueue(p0, batch({ from: 4n }, 4, ['e'], []), null);
    await log.settle();
    expect(log.visible).toEqual(['a', 'e']);
  });

  it('commits the batches of a transaction refused for its size one by one, and splits a batch refused alone', async () => {
    const log = new FakeLog();
    const pipeline = log.pipeline();
    const events: string[] = [];
    await pipeline.enqueue(p0, batch({ from: null }, 0, ['a'], events), null);
    const second = pipeline.chain(p0, '1');
    if (!second) throw new Error('not chained');
    // Batch 3..5 alone is over the limit; its split commits message by message.
    await pipeline.enqueue(p0, batch(second.start, 1, ['b', 'c'], events), second);
    const third = pipeline.chain(p0, '3');
    if (!third) throw new Error('not chained');
    const split = async (): Promise<void> => {
      log.sizeLimit = Number.POSITIVE_INFINITY;
      for (const [i, value] of ['d', 'e', 'f'].entries()) {
        const committing = pipelineCommit(log, { from: log.committed }, String(4 + i), [value]);
        await log.settle();
        await committing;
      }
    };
    await pipeline.enqueue(p0, batch(third.start, 3, ['d', 'e', 'f'], events, split), third);
    log.sizeLimit = 2;
    await log.settle();
    // The group of 1..5 (five records) is refused; 1..2 commits alone, 3..5 is refused alone and split.
    await log.settle();
    await pipeline.drain();
    expect(log.visible).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
    expect(log.committed).toBe(6n);
    expect(events).toEqual(['committed 0', 'committed 1', 'split 3']);
  });
});

/** One transaction straight against the fake log (what a split's message-by-message commits do). */
async function pipelineCommit(
  log: FakeLog,
  start: BatchStart,
  next: string,
  values: string[],
): Promise<void> {
  await new Promise<void>((resolve, reject) =>
    log.open.push({ start, next, records: values, resolve, reject }),
  );
  log.visible.push(...values);
  log.committed = BigInt(next);
}
