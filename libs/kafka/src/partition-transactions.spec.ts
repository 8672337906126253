import type { Consumer, ProducerBatch } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { PartitionMovedError, PartitionTransactions } from './partition-transactions';
import type { TopicPartition } from './topic-partition';
import type { ProducerTransaction, TransactionalProducer } from './transactional-producer.adapter';

/** A broker's view of one group: committed offsets and the records of committed transactions. */
class FakeBroker {
  readonly committed = new Map<string, bigint>();
  /** Offsets of a commit accepted but whose markers are not written yet: read as the old ones. */
  readonly pending = new Map<string, bigint>();
  readonly visible: string[] = [];
  readonly producers: FakeProducer[] = [];

  offsetOf({ topic, partition }: TopicPartition): bigint | null {
    return this.committed.get(`${topic}/${partition}`) ?? null;
  }
}

/** A transactional producer against FakeBroker; `recreateOnNextTransaction` models a re-initialisation. */
class FakeProducer implements TransactionalProducer {
  connected = false;
  generations = 1;
  connects = 0;
  recreateOnNextTransaction = false;
  failNextSend: Error | null = null;
  /** The broker applies the next commit, but its answer is lost: the client sees the commit fail. */
  loseNextCommitAnswer: Error | null = null;
  /** With loseNextCommitAnswer: the commit's offsets stay pending until an InitProducerId completes it. */
  completeOnlyOnInit = false;

  constructor(
    readonly transactionalId: string,
    private readonly broker: FakeBroker,
  ) {}

  connect(): Promise<void> {
    this.connects++;
    this.connected = true;
    return Promise.resolve();
  }

  disconnect(): Promise<void> {
    this.connected = false;
    return Promise.resolve();
  }

  reinitialize(): void {
    this.recreateOnNextTransaction = true;
  }

  transaction(): Promise<ProducerTransaction> {
    if (this.recreateOnNextTransaction) {
      // InitProducerId returns once the coordinator completed this id's accepted commit.
      this.generations++;
      this.recreateOnNextTransaction = false;
      for (const [key, offset] of this.broker.pending) this.broker.committed.set(key, offset);
      this.broker.pending.clear();
    }
    const records: string[] = [];
    const offsets: [string, bigint][] = [];
    let active = true;
    const broker = this.broker;
    const txn: ProducerTransaction = {
      sendBatch: (batch: ProducerBatch) => {
        const failure = this.failNextSend;
        this.failNextSend = null;
        if (failure) return Promise.reject(failure);
        for (const t of batch.topicMessages ?? []) for (const m of t.messages) records.push(String(m.value));
        return Promise.resolve([]);
      },
      sendOffsets: ({ topics }) => {
        for (const t of topics)
          for (const p of t.partitions) offsets.push([`${t.topic}/${p.partition}`, BigInt(p.offset)]);
        return Promise.resolve();
      },
      commit: () => {
        active = false;
        broker.visible.push(...records);
        const lost = this.loseNextCommitAnswer;
        const target = lost && this.completeOnlyOnInit ? broker.pending : broker.committed;
        for (const [key, offset] of offsets) target.set(key, offset);
        this.loseNextCommitAnswer = null;
        return lost ? Promise.reject(lost) : Promise.resolve();
      },
      abort: () => {
        active = false;
        return Promise.resolve();
      },
      isActive: () => active,
    };
    return Promise.resolve(txn);
  }
}

const consumer = {} as Consumer;
const p0: TopicPartition = { topic: 'tx', partition: 0 };
const p1: TopicPartition = { topic: 'tx', partition: 1 };

function setUp(): { broker: FakeBroker; transactions: PartitionTransactions } {
  const broker = new FakeBroker();
  const transactions = new PartitionTransactions({
    transactionalId: ({ topic, partition }) => `scorer.${topic}.${partition}`,
    createProducer: (id) => {
      const producer = new FakeProducer(id, broker);
      broker.producers.push(producer);
      return producer;
    },
    committedOffset: (partition) => Promise.resolve(broker.offsetOf(partition)),
  });
  return { broker, transactions };
}

/** The set-up after a first transaction committed a, b, c (offsets 0..2; the group's offset 3). */
async function afterFirstCommit(): Promise<ReturnType<typeof setUp> & { producer: FakeProducer }> {
  const { broker, transactions } = setUp();
  await transactions.commit(p0, await transactions.begin(p0), '3', consumer, send('a', 'b', 'c'));
  const producer = broker.producers[0];
  if (!producer) throw new Error('no producer');
  return { broker, transactions, producer };
}

const send =
  (...values: string[]) =>
  async (sink: { sendBatch(b: ProducerBatch): Promise<unknown> }) => {
    await sink.sendBatch({
      topicMessages: [{ topic: 'scores', messages: values.map((value) => ({ value })) }],
    });
  };

describe(PartitionTransactions.name, () => {
  it('commits a batch’s outputs with its next offset, and an aborted transaction leaves neither visible', async () => {
    const { broker, transactions } = setUp();
    const start = await transactions.begin(p0);
    expect(start.from).toBeNull();
    await transactions.commit(p0, start, '3', consumer, send('a', 'b', 'c'));
    expect(broker.visible).toEqual(['a', 'b', 'c']);
    expect(broker.offsetOf(p0)).toBe(3n);

    const producer = broker.producers[0];
    if (!producer) throw new Error('no producer');
    producer.failNextSend = new Error('broker away');
    const next = await transactions.begin(p0);
    expect(next.from).toBe(3n);
    await expect(transactions.commit(p0, next, '5', consumer, send('d', 'e'))).rejects.toThrow('broker away');
    expect(broker.visible).toEqual(['a', 'b', 'c']);
    expect(broker.offsetOf(p0)).toBe(3n);
    // The transport retries the same records: committed once.
    await transactions.commit(p0, next, '5', consumer, send('d', 'e'));
    expect(broker.visible).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('gives each partition a producer of its own, with the same transactional id in every instance', async () => {
    const { broker, transactions } = setUp();
    await transactions.begin(p0);
    await transactions.begin(p1);
    await transactions.begin(p0);
    expect(broker.producers.map((p) => [p.transactionalId, p.connects])).toEqual([
      ['scorer.tx.0', 1],
      ['scorer.tx.1', 1],
    ]);
    await transactions.retain([p1]);
    expect(broker.producers.map((p) => p.connected)).toEqual([false, true]);
  });

  it('starts a partition it takes over at what the previous owner committed', async () => {
    const { broker, transactions } = setUp();
    broker.committed.set('tx/0', 40n);
    expect((await transactions.begin(p0)).from).toBe(40n);
  });

  it('refuses a batch when a re-created producer finds that another owner committed past its start, sending nothing', async () => {
    const { broker, transactions } = setUp();
    const start = await transactions.begin(p0);
    await transactions.commit(p0, start, '10', consumer, send('a'));
    const batch = await transactions.begin(p0);
    // Fenced meanwhile: the new owner committed 10..14; our producer is re-initialised at the next transaction.
    broker.committed.set('tx/0', 15n);
    const producer = broker.producers[0];
    if (!producer) throw new Error('no producer');
    producer.recreateOnNextTransaction = true;
    const refused = transactions.commit(p0, batch, '15', consumer, send('b', 'c'));
    await expect(refused).rejects.toBeInstanceOf(PartitionMovedError);
    await expect(refused).rejects.toMatchObject({ offset: '15' });
    expect(broker.visible).toEqual(['a']);
    // Where the consumer was sent back to, the partition goes on.
    const after = await transactions.begin(p0);
    expect(after.from).toBe(15n);
    await transactions.commit(p0, after, '17', consumer, send('d'));
    expect(broker.visible).toEqual(['a', 'd']);
  });

  it('reads the committed offset again before handling a batch that begins past where it expected (the partition came back)', async () => {
    const { broker, transactions } = setUp();
    const start = await transactions.begin(p0);
    await transactions.commit(p0, start, '10', consumer, send('a'));
    // Another owner had the partition for a while and committed up to 25.
    broker.committed.set('tx/0', 25n);
    expect((await transactions.begin(p0, 25n)).from).toBe(25n);
    // A batch where it is expected costs no read.
    broker.committed.set('tx/0', 99n);
    expect((await transactions.begin(p0, 25n)).from).toBe(25n);
  });

  it('does not send a batch again when its failed commit had been applied by the broker', async () => {
    const { broker, transactions, producer } = await afterFirstCommit();
    // The broker wrote the commit of 3..4, then the connection dropped before the client had the answer.
    producer.loseNextCommitAnswer = new Error('connection closed');
    const batch = await transactions.begin(p0, 3n);
    await expect(transactions.commit(p0, batch, '5', consumer, send('d', 'e'))).rejects.toThrow(
      'connection closed',
    );
    expect(broker.visible).toEqual(['a', 'b', 'c', 'd', 'e']);
    // The transport retries the same batch: the committed offset is read first and the batch refused.
    const retried = transactions.commit(p0, batch, '5', consumer, send('d', 'e'));
    await expect(retried).rejects.toBeInstanceOf(PartitionMovedError);
    await expect(retried).rejects.toMatchObject({ offset: '5' });
    expect(broker.visible).toEqual(['a', 'b', 'c', 'd', 'e']);
    // Sent back to 5, the partition goes on from there, and every record is visible once.
    const after = await transactions.begin(p0, 5n);
    expect(after.from).toBe(5n);
    await transactions.commit(p0, after, '6', consumer, send('f'));
    expect(broker.visible).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
    expect(transactions.committed(p0)).toBe(6n);
  });

  it('re-initialises the producer before reading the offset again, so a commit still being completed is not sent twice', async () => {
    const { broker, transactions, producer } = await afterFirstCommit();
    // The broker accepted the commit of 3..4 (its records are committed), then restarted before it
    // wrote the offset's marker: until this id's next InitProducerId, the group's offset reads 3.
    producer.loseNextCommitAnswer = new Error('connection closed');
    producer.completeOnlyOnInit = true;
    const batch = await transactions.begin(p0, 3n);
    await expect(transactions.commit(p0, batch, '5', consumer, send('d', 'e'))).rejects.toThrow();
    expect(broker.offsetOf(p0)).toBe(3n);
    const retried = transactions.commit(p0, batch, '5', consumer, send('d', 'e'));
    await expect(retried).rejects.toMatchObject({ offset: '5' });
    expect(producer.generations).toBe(2);
    expect(broker.visible).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('skips what an applied commit covered when the batch is begun again after the failure', async () => {
    const { transactions, producer } = await afterFirstCommit();
    producer.loseNextCommitAnswer = new Error('connection closed');
    const batch = await transactions.begin(p0, 3n);
    await expect(transactions.commit(p0, batch, '5', consumer, send('d', 'e'))).rejects.toThrow();
    // A fallback that begins the partition again (message by message) starts past the applied commit.
    expect((await transactions.begin(p0)).from).toBe(5n);
  });

  it('commits a retried batch once when its failed commit was not applied', async () => {
    const { broker, transactions, producer } = await afterFirstCommit();
    producer.failNextSend = new Error('broker away');
    const batch = await transactions.begin(p0, 3n);
    await expect(transactions.commit(p0, batch, '5', consumer, send('d', 'e'))).rejects.toThrow(
      'broker away',
    );
    // The committed offset is read again, still 3: the batch is where it should be and commits.
    await transactions.commit(p0, batch, '5', consumer, send('d', 'e'));
    expect(broker.visible).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(broker.offsetOf(p0)).toBe(5n);
  });

  it('refuses a batch begun before another transaction of the partition committed, sending nothing', async () => {
    const { broker, transactions } = setUp();
    const first = await transactions.begin(p0);
    await transactions.commit(p0, first, '3', consumer, send('a', 'b', 'c'));
    // Two batches begun at 3 (the same records, handled by a consumer and by its replacement).
    const stale = await transactions.begin(p0, 3n);
    const fresh = await transactions.begin(p0, 3n);
    await transactions.commit(p0, fresh, '5', consumer, send('d', 'e'));
    const refused = transactions.commit(p0, stale, '5', consumer, send('d', 'e'));
    await expect(refused).rejects.toBeInstanceOf(PartitionMovedError);
    await expect(refused).rejects.toMatchObject({ offset: '5' });
    expect(broker.visible).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('commits across a re-created producer when no one else committed meanwhile (a broker restart)', async () => {
    const { broker, transactions } = setUp();
    const start = await transactions.begin(p0);
    const producer = broker.producers[0];
    if (!producer) throw new Error('no producer');
    producer.recreateOnNextTransaction = true;
    await transactions.commit(p0, start, '4', consumer, send('a'));
    expect(broker.visible).toEqual(['a']);
    expect(transactions.committed(p0)).toBe(4n);
  });
});
