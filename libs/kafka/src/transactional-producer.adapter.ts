import { Logger } from '@nestjs/common';
import { describeError } from '@fraudstream/contracts';
import type {
  Consumer,
  Kafka,
  Producer as KafkaJsProducer,
  ProducerBatch,
  RecordMetadata,
  Transaction as KafkaJsTransaction,
} from 'kafkajs';
import { Partitioners } from './kafkajs';
import { classifyProduceFailure, isFenced, needsNewProducer } from './failure-kinds';
import { consumerGroupOf } from './kafka-client.adapter';
import { ProduceError } from './transport.errors';

/** Offsets of one topic's partitions, as sendOffsets takes them (next offset to read, decimal string). */
export interface TopicOffsets {
  readonly topic: string;
  readonly partitions: readonly { readonly partition: number; readonly offset: string }[];
}

/**
 * One Kafka transaction: what @confluentinc/kafka-javascript's KafkaJS-compatible `Transaction`
 * offers. `sendOffsets` takes the consumer (not a group id, as that client requires), so the swap
 * keeps the call sites; there the consumer's group metadata (generation, member) fences a zombie
 * after a rebalance as well.
 */
export interface ProducerTransaction {
  sendBatch(batch: ProducerBatch): Promise<RecordMetadata[]>;
  /** Adds the consumer group's offsets to the transaction: committed if and only if it commits. */
  sendOffsets(args: { readonly consumer: Consumer; readonly topics: readonly TopicOffsets[] }): Promise<void>;
  commit(): Promise<void>;
  abort(): Promise<void>;
  isActive(): boolean;
}

/** What a transactional producer offers: connect (which fences older instances of its id), transactions, disconnect. */
export interface TransactionalProducer {
  readonly transactionalId: string;
  readonly connected: boolean;
  /** Producers created so far (each with its own InitProducerId): a new one may follow another owner's commits. */
  readonly generations: number;
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  /** Begins a transaction; one at a time per producer. */
  transaction(): Promise<ProducerTransaction>;
  /**
   * Has the next transaction start on a new producer (a new generation): its InitProducerId waits
   * until the coordinator has completed any transaction of this id that is still being committed.
   */
  reinitialize(): void;
}

export interface TransactionalProducerOptions {
  /**
   * The same for every owner of what the producer commits (an input partition: PartitionTransactions),
   * so that the owner initialising it fences any earlier one, a restarted or a still-running instance.
   */
  readonly transactionalId: string;
  /** How long the coordinator lets a transaction stay open before aborting it (default 10 s). */
  readonly transactionTimeoutMs?: number;
}

/**
 * A kafkajs transactional producer that survives broker restarts and fencing. `connect()` runs
 * InitProducerId for the transactional id: the broker aborts whatever transaction an earlier
 * instance with this id left open (a SIGKILLed process) and fences it (its later requests fail
 * with INVALID_PRODUCER_EPOCH / PRODUCER_FENCED). A failed transaction is aborted; when the abort
 * fails too, or the producer was fenced or lost its state, the kafkajs producer is replaced by a
 * new one before the next transaction (its InitProducerId aborts the open transaction on the
 * broker's side). Failures are classified as RecordTooLargeError (the records' fault) or
 * ProduceError (retriable), like RecoveringProducer's.
 */
export class RecoveringTransactionalProducer implements TransactionalProducer {
  private readonly logger = new Logger(RecoveringTransactionalProducer.name);
  private inner: KafkaJsProducer;
  private broken = false;
  private isConnected = false;
  private wanted = false;
  private active: KafkaJsTransaction | null = null;
  /** Producers created so far, the first included. */
  generations = 1;
  /** Times this producer found itself fenced (another instance with its id, or a timed-out transaction). */
  fencings = 0;

  constructor(
    readonly transactionalId: string,
    private readonly create: () => KafkaJsProducer,
  ) {
    this.inner = this.watch(create());
  }

  get connected(): boolean {
    return this.isConnected;
  }

  async connect(): Promise<void> {
    this.wanted = true;
    await this.inner.connect();
    this.isConnected = true;
    await this.initTransactions();
  }

  async disconnect(): Promise<void> {
    this.wanted = false;
    if (this.active?.isActive()) await this.active.abort().catch(() => undefined);
    this.active = null;
    await this.inner.disconnect();
    this.isConnected = false;
  }

  reinitialize(): void {
    this.broken = true;
  }

  async transaction(): Promise<ProducerTransaction> {
    if (this.broken) await this.replace();
    let txn: KafkaJsTransaction;
    try {
      txn = await this.inner.transaction();
    } catch (error) {
      this.broken = true;
      throw this.classify('could not begin a transaction', error);
    }
    this.active = txn;
    return {
      sendBatch: (batch) => this.step(txn, 'produce in the transaction', () => txn.sendBatch(batch)),
      sendOffsets: ({ consumer, topics }) =>
        this.step(txn, 'send offsets to the transaction', () =>
          txn.sendOffsets({
            consumerGroupId: consumerGroupOf(consumer),
            topics: topics.map((t) => ({
              topic: t.topic,
              partitions: t.partitions.map((p) => ({ partition: p.partition, offset: p.offset })),
            })),
          }),
        ),
      commit: () => this.step(txn, 'commit the transaction', () => txn.commit()),
      abort: async () => {
        if (!txn.isActive()) return;
        try {
          await txn.abort();
        } catch (error) {
          // The next transaction starts on a new producer, whose InitProducerId aborts this one.
          this.broken = true;
          this.logger.warn({
            msg: 'abort failed; the producer will be re-created',
            error: describeError(error),
          });
        }
      },
      isActive: () => txn.isActive(),
    };
  }

  /** Runs one call of a transaction, classifying its failure; the caller aborts. */
  private async step<R>(txn: KafkaJsTransaction, what: string, work: () => Promise<R>): Promise<R> {
    try {
      return await work();
    } catch (error) {
      if (needsNewProducer(error)) this.broken = true;
      if (isFenced(error)) {
        this.fencings++;
        this.logger.warn({
          msg: 'transactional producer fenced: another instance started with this transactional id, or the transaction timed out',
          transactionalId: this.transactionalId,
          error: describeError(error),
        });
      }
      // A transaction whose call failed may be half-sent; kafkajs cannot continue it.
      if (!txn.isActive()) this.broken = true;
      throw this.classify(`could not ${what}`, error);
    }
  }

  private classify(message: string, error: unknown): Error {
    const classified = classifyProduceFailure(error, message);
    return classified instanceof Error ? classified : new Error(describeError(classified));
  }

  /** InitProducerId now rather than at the first transaction: the predecessor is fenced at start-up. */
  private async initTransactions(): Promise<void> {
    const txn = await this.inner.transaction();
    await txn.abort();
  }

  private async replace(): Promise<void> {
    this.logger.warn({
      msg: 're-creating the transactional producer',
      transactionalId: this.transactionalId,
      generation: this.generations + 1,
    });
    const old = this.inner;
    await old
      .disconnect()
      .catch((error: unknown) =>
        this.logger.warn({ msg: 'old producer did not disconnect cleanly', error: describeError(error) }),
      );
    this.inner = this.watch(this.create());
    this.generations++;
    this.broken = false;
    this.active = null;
    if (!this.wanted) return;
    try {
      await this.inner.connect();
      this.isConnected = true;
      await this.initTransactions();
    } catch (error) {
      this.broken = true;
      throw new ProduceError('could not start the re-created transactional producer', { cause: error });
    }
  }

  private watch(producer: KafkaJsProducer): KafkaJsProducer {
    producer.on(producer.events.CONNECT, () => {
      if (producer === this.inner) this.isConnected = true;
    });
    producer.on(producer.events.DISCONNECT, () => {
      if (producer === this.inner) this.isConnected = false;
    });
    return producer;
  }
}

/**
 * The transactional producer of an instance: idempotent, acks from all in-sync replicas, one
 * request in flight (kafkajs's requirement for idempotence), murmur2 partitioning like the Java
 * client's, retries from 10 ms apart doubling to 2 s. The short first wait is for back-to-back
 * transactions: a transaction's AddPartitionsToTxn sent right after the previous one's EndTxn is
 * answered CONCURRENT_TRANSACTIONS until the coordinator has written the previous one's markers
 * (a few ms), and kafkajs retries it after the first wait (the Java client waits 20 ms there).
 * With 200 ms, group-committed transactions, which follow each other at once, took 265-318 ms on
 * average instead of tens of ms (docs/scorer.md).
 */
export function createTransactionalProducer(
  kafka: Kafka,
  options: TransactionalProducerOptions,
): RecoveringTransactionalProducer {
  return new RecoveringTransactionalProducer(options.transactionalId, () =>
    kafka.producer({
      transactionalId: options.transactionalId,
      transactionTimeout: options.transactionTimeoutMs ?? 10_000,
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
      retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 10, maxRetryTime: 2000 },
    }),
  );
}
