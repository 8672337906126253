import type { IHeaders, ProducerBatch, RecordMetadata } from 'kafkajs';
import type { PoisonKind } from '@fraudstream/contracts';

/**
 * Where a batch's outputs are sent: the app's producer (at-least-once), or the partition's Kafka
 * transaction (exactly-once), which commits them with the batch's offsets.
 */
export interface RecordSink {
  sendBatch(batch: ProducerBatch): Promise<RecordMetadata[]>;
}

/** Where a fetched message was read. */
export interface MessageSource {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
}

/** A fetched message whose value decoded and validated. */
export interface ConsumedMessage<T> extends MessageSource {
  readonly key: Buffer | null;
  readonly value: T;
  readonly headers: IHeaders | undefined;
  /** Broker timestamp (ms, as a string), not event time. */
  readonly timestamp: string;
  readonly raw: Buffer | null;
}

export interface BatchContext {
  readonly topic: string;
  readonly partition: number;
  /** Whether the batch reaches the partition's end (its high watermark when fetched): no backlog behind it. */
  readonly caughtUp: boolean;
  /**
   * Exactly-once: the partition's offset committed when the batch was handled, as far as this
   * consumer knows (its own last transaction's, or the broker's as read at the partition's start):
   * a lower bound, so offsets below it are not read again unless the group's offsets are reset.
   * '0' when nothing of the partition is committed yet; undefined at-least-once.
   */
  readonly committedOffset?: string;
  /**
   * Aligned consumers (the `alignment` option): a handler whose state spans partitions calls it once
   * the batch's effect on that state is done (its outputs may still be on their way), so the other
   * partitions may take more before the batch ends. Undefined otherwise; not calling it is correct,
   * only slower (the batch's end does the same).
   */
  readonly stateApplied?: () => void;
  heartbeat(): Promise<void>;
  isRunning(): boolean;
}

/** A message the handler decided it cannot process: it is dead-lettered with the reason. */
export interface Rejection<T> {
  readonly message: ConsumedMessage<T>;
  readonly reason: string;
  /** The dead-letter reason label (default `rejected`). */
  readonly kind?: PoisonKind;
}

export interface BatchOutcome<T> {
  readonly rejected?: readonly Rejection<T>[];
  /**
   * Sends the batch's outputs through `sink` and resolves once it took them. The transport retries it
   * alone while the broker is away, without handling the batch again. At-least-once, `sink` is the
   * app's producer (a handler may send through its own, as long as it resolves once acknowledged) and
   * the offsets commit after it; exactly-once, `sink` collects the records for the partition's
   * transaction, which commits them with the offsets (a handler must send through it).
   */
  readonly deliver?: (sink: RecordSink) => Promise<void>;
}

/**
 * Handles one batch of one partition and returns its outcome. Throw RetriableError (or let a broker
 * error through) for transient failures: the transport retries. A PoisonMessageError or any other
 * throw makes the transport handle the messages one by one and dead-letter those that still fail.
 */
export type BatchHandler<T> = (
  messages: readonly ConsumedMessage<T>[],
  context: BatchContext,
) => Promise<BatchOutcome<T> | void>;

/** Checks a decoded value against the contract; throws ValidationError (a PoisonMessageError) for a bad one. */
export type MessageValidator<T> = (value: unknown, source: MessageSource) => T;
