import { Logger } from '@nestjs/common';
import { describeError } from '@fraudstream/contracts';
import type {
  Kafka,
  Producer as KafkaJsProducer,
  ProducerBatch,
  ProducerRecord,
  RecordMetadata,
} from 'kafkajs';
import { classifyProduceFailure, needsNewProducer } from './failure-kinds';
import { ProduceError } from './transport.errors';

/** What the loop needs of a producer: the idempotent one of createIdempotentProducer, or a fake in tests. */
export interface Producer {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  send(record: ProducerRecord): Promise<RecordMetadata[]>;
  sendBatch(batch: ProducerBatch): Promise<RecordMetadata[]>;
  /** Whether the producer is connected (health). */
  readonly connected: boolean;
}

/** Consecutive failed sends after which the producer is re-created even without a producer-state error. */
const RECREATE_AFTER_FAILURES = 3;

/**
 * A kafkajs producer that survives broker restarts. Every failed send is classified: a size refusal
 * throws RecordTooLargeError (the records' fault), anything else the broker or the network caused
 * throws ProduceError (retriable, never a poison verdict). After an error that leaves the idempotent
 * producer's state unusable (OUT_OF_ORDER_SEQUENCE_NUMBER, UNKNOWN_PRODUCER_ID... after a broker
 * restart), or after repeated failures, the next send first replaces the kafkajs producer with a new
 * one: a new producer id, so the records the caller sends again may be written twice (at-least-once;
 * consumers de-duplicate by transaction id) but none is lost.
 */
export class RecoveringProducer implements Producer {
  private readonly logger = new Logger(RecoveringProducer.name);
  private inner: KafkaJsProducer;
  private broken = false;
  private failures = 0;
  private recreating: Promise<void> | null = null;
  private isConnected = false;
  private wanted = false;
  /** Producers created so far, the first included (metrics and tests). */
  generations = 1;

  constructor(private readonly create: () => KafkaJsProducer) {
    this.inner = this.watch(create());
  }

  get connected(): boolean {
    return this.isConnected;
  }

  async connect(): Promise<void> {
    this.wanted = true;
    await this.inner.connect();
    this.isConnected = true;
  }

  async disconnect(): Promise<void> {
    this.wanted = false;
    if (this.recreating) await this.recreating.catch(() => undefined);
    await this.inner.disconnect();
    this.isConnected = false;
  }

  send(record: ProducerRecord): Promise<RecordMetadata[]> {
    return this.attempt((p) => p.send(record));
  }

  sendBatch(batch: ProducerBatch): Promise<RecordMetadata[]> {
    return this.attempt((p) => p.sendBatch(batch));
  }

  private async attempt(
    work: (producer: KafkaJsProducer) => Promise<RecordMetadata[]>,
  ): Promise<RecordMetadata[]> {
    if (this.broken) await this.recreate();
    try {
      const result = await work(this.inner);
      this.failures = 0;
      return result;
    } catch (error) {
      this.failures++;
      if (needsNewProducer(error) || this.failures >= RECREATE_AFTER_FAILURES) this.broken = true;
      throw classifyProduceFailure(
        error,
        'produce request failed',
        'the broker refused a record or request as too large',
      );
    }
  }

  private recreate(): Promise<void> {
    this.recreating ??= this.replace().finally(() => (this.recreating = null));
    return this.recreating;
  }

  private async replace(): Promise<void> {
    const old = this.inner;
    this.logger.warn({
      msg: 're-creating the producer',
      failures: this.failures,
      generation: this.generations + 1,
    });
    await old
      .disconnect()
      .catch((error: unknown) =>
        this.logger.warn({ msg: 'old producer did not disconnect cleanly', error: describeError(error) }),
      );
    this.inner = this.watch(this.create());
    this.generations++;
    this.broken = false;
    this.failures = 0;
    if (this.wanted) {
      try {
        await this.inner.connect();
        this.isConnected = true;
      } catch (error) {
        // Still away: the next send tries again with a fresh producer.
        this.broken = true;
        throw new ProduceError('could not connect the re-created producer', { cause: error });
      }
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

/** Builds the recovering producer of a client from a factory of kafkajs producers. */
export function recoveringProducer(
  kafka: Kafka,
  options: Parameters<Kafka['producer']>[0],
): RecoveringProducer {
  return new RecoveringProducer(() => kafka.producer(options));
}
