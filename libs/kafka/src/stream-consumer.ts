import { Logger } from '@nestjs/common';
import type { MetricsRegistry } from '@fraudstream/observability';
import type { Admin, Batch, Consumer, EachBatchPayload, IHeaders, Kafka, Producer } from 'kafkajs';
import type { AvroSerde } from './avro-serde.adapter';
import { DeadLetterPublisher, type DeadLetter } from './dead-letter.publisher';
import { PoisonMessageError, RetriableError, describeError, type PoisonKind } from '@fraudstream/contracts';
import { kafkaMetrics, type KafkaMetrics } from './kafka.metrics';

/** A fetched message whose value decoded and validated. */
export interface ConsumedMessage<T> {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
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
  heartbeat(): Promise<void>;
  isRunning(): boolean;
}

/** A message the handler decided it cannot process: it is dead-lettered with the reason. */
export interface Rejection<T> {
  readonly message: ConsumedMessage<T>;
  readonly reason: string;
}

export interface BatchOutcome<T> {
  readonly rejected?: readonly Rejection<T>[];
}

/**
 * Handles one batch of one partition. When it resolves, its outputs must be acknowledged: the
 * transport then commits the batch. Throw RetriableError for transient failures; any other throw
 * makes the transport retry the messages one by one and dead-letter those that still fail.
 */
export type BatchHandler<T> = (
  messages: readonly ConsumedMessage<T>[],
  context: BatchContext,
) => Promise<BatchOutcome<T> | void>;

export interface StreamConsumerOptions<T> {
  readonly kafka: Kafka;
  /** Producer for dead letters (share the app's idempotent producer). */
  readonly producer: Producer;
  /** Decodes Confluent-framed Avro; null hands the raw bytes to `validate`. */
  readonly serde: AvroSerde | null;
  readonly groupId: string;
  readonly topics: readonly string[];
  readonly fromBeginning?: boolean;
  /** Checks a decoded value against the contract; throw ValidationError for a bad one. */
  readonly validate: (value: unknown) => T;
  readonly handle: BatchHandler<T>;
  readonly metrics?: MetricsRegistry;
  readonly maxRetries?: number;
  readonly retryBackoffMs?: number;
  readonly partitionsConsumedConcurrently?: number;
  readonly sessionTimeoutMs?: number;
  readonly maxWaitTimeInMs?: number;
  readonly maxBytesPerPartition?: number;
  /**
   * The group exists for this process only (a per-start group that replays a topic from the start):
   * stop() deletes it, so restarts do not leave one group each behind until the broker's offsets
   * retention (7 days by default) expires them.
   */
  readonly ephemeralGroup?: boolean;
}

function isRetriable(error: unknown): boolean {
  if (error instanceof RetriableError) return true;
  // kafkajs marks transient broker errors (leader moved, timeouts, disconnects) as retriable.
  return !!error && typeof error === 'object' && 'retriable' in error && error.retriable === true;
}

function nextOffset(offset: string): string {
  return (BigInt(offset) + 1n).toString();
}

/**
 * The transport every consumer uses: it owns decode, validation, retry with backoff, the dead-letter
 * topic, offset commits and metrics; handlers only return outcomes. Offsets are committed after the
 * handler's outputs and the dead letters are acknowledged (at-least-once), and a poison message
 * never stalls its partition.
 */
export class StreamConsumer<T> {
  private readonly logger: Logger;
  private readonly consumer: Consumer;
  private readonly deadLetters: DeadLetterPublisher;
  private readonly metrics: KafkaMetrics | undefined;
  private readonly lagByPartition = new Map<string, number>();
  private connected = false;
  private running = false;
  private stopping = false;
  /** Next offset to handle, per `topic:partition`, once a batch is committed. */
  private readonly positions = new Map<string, bigint>();
  /** Handled batches' next offsets waiting for the commit in flight, per `topic:partition`. */
  private readonly pendingCommits = new Map<string, { topic: string; partition: number; offset: string }>();
  private committing: Promise<void> | null = null;
  /** Batches being handled now; stop() waits for them before leaving the group. */
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly options: StreamConsumerOptions<T>) {
    this.logger = new Logger(`StreamConsumer:${options.groupId}`);
    this.consumer = options.kafka.consumer({
      groupId: options.groupId,
      sessionTimeout: options.sessionTimeoutMs ?? 30_000,
      maxWaitTimeInMs: options.maxWaitTimeInMs ?? 100,
      maxBytesPerPartition: options.maxBytesPerPartition ?? 1_048_576,
      allowAutoTopicCreation: false,
    });
    this.deadLetters = new DeadLetterPublisher(options.producer);
    this.metrics = options.metrics ? kafkaMetrics(options.metrics) : undefined;
    this.consumer.on(this.consumer.events.CONNECT, () => (this.connected = true));
    this.consumer.on(this.consumer.events.DISCONNECT, () => (this.connected = false));
    this.consumer.on(this.consumer.events.CRASH, (event) => {
      this.logger.error({
        msg: 'consumer crashed',
        error: describeError(event.payload.error),
        restart: event.payload.restart,
      });
    });
  }

  /** Whether the consumer is connected to the group and fetching. */
  get healthy(): boolean {
    return this.connected && this.running;
  }

  async start(): Promise<void> {
    await this.consumer.connect();
    await this.consumer.subscribe({
      topics: [...this.options.topics],
      fromBeginning: this.options.fromBeginning ?? false,
    });
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently ?? 1,
      eachBatch: (payload) => this.onBatch(payload),
    });
    this.running = true;
    this.logger.log({ msg: 'consuming', topics: this.options.topics, groupId: this.options.groupId });
  }

  /**
   * Stops taking new batches, lets the in-flight ones finish and commit, then leaves the group.
   * kafkajs's own stop() can leave the group while a batch handler still runs, whose commit then
   * fails and whose messages are delivered again; so in-flight batches are awaited here first.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    if (!this.running) {
      await this.consumer.disconnect();
      return;
    }
    this.running = false;
    await Promise.allSettled([...this.inFlight]);
    while (this.committing) await this.committing;
    await this.consumer.stop();
    await this.consumer.disconnect();
    if (this.options.ephemeralGroup) await this.deleteGroup();
    this.logger.log({ msg: 'stopped', groupId: this.options.groupId });
  }

  private async deleteGroup(): Promise<void> {
    try {
      await this.withAdmin((admin) => admin.deleteGroups([this.options.groupId]));
    } catch (error) {
      // Left to the broker's offsets retention: nothing is lost, the group just lingers.
      this.logger.warn({
        msg: 'ephemeral group not deleted',
        groupId: this.options.groupId,
        error: describeError(error),
      });
    }
  }

  private async withAdmin<R>(work: (admin: Admin) => Promise<R>): Promise<R> {
    const admin = this.options.kafka.admin();
    await admin.connect();
    try {
      return await work(admin);
    } finally {
      await admin.disconnect();
    }
  }

  /**
   * The partitions (`topic:partition`) of the subscribed topics on which this group, when it starts,
   * has records to read: its committed offset (or, with none, where `fromBeginning` puts it) is below
   * the partition's end. Ask before start().
   */
  backlog(): Promise<string[]> {
    return this.withAdmin(async (admin) => {
      const behind: string[] = [];
      for (const topic of this.options.topics) {
        const ends = await admin.fetchTopicOffsets(topic);
        const [group] = await admin.fetchOffsets({ groupId: this.options.groupId, topics: [topic] });
        const committed = new Map((group?.partitions ?? []).map((p) => [p.partition, BigInt(p.offset)]));
        for (const end of ends) {
          const mine = committed.get(end.partition) ?? -1n;
          const start = mine >= 0n ? mine : this.options.fromBeginning ? BigInt(end.low) : BigInt(end.high);
          if (start < BigInt(end.high)) behind.push(`${topic}:${end.partition}`);
        }
      }
      return behind;
    });
  }

  /**
   * Resolves true once every message that was on the subscribed topics when called has been handled
   * and committed by this consumer, or false after `timeoutMs`. For consumers that replay a topic from
   * the start (deployment history) before serving.
   */
  async caughtUp(timeoutMs: number): Promise<boolean> {
    const ends: { key: string; high: bigint }[] = [];
    await this.withAdmin(async (admin) => {
      for (const topic of this.options.topics) {
        for (const p of await admin.fetchTopicOffsets(topic))
          ends.push({ key: `${topic}:${p.partition}`, high: BigInt(p.high) });
      }
    });
    const deadline = Date.now() + timeoutMs;
    const done = (): boolean => ends.every((e) => (this.positions.get(e.key) ?? 0n) >= e.high);
    while (!done()) {
      if (Date.now() > deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    return true;
  }

  private async onBatch(payload: EachBatchPayload): Promise<void> {
    // After stop() began, fetched batches are left uncommitted for the next owner of the partition.
    if (this.stopping) return;
    const work = this.processBatch(payload);
    this.inFlight.add(work);
    try {
      await work;
    } finally {
      this.inFlight.delete(work);
    }
  }

  private async processBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    if (batch.messages.length === 0 || !payload.isRunning() || payload.isStale()) return;
    const endTimer = this.metrics?.batchDuration.startTimer({ topic: batch.topic });
    this.metrics?.consumed.inc({ topic: batch.topic }, batch.messages.length);

    const { good, letters } = await this.decodeBatch(batch);
    const context: BatchContext = {
      topic: batch.topic,
      partition: batch.partition,
      caughtUp: BigInt(batch.lastOffset()) + 1n >= BigInt(batch.highWatermark),
      heartbeat: () => payload.heartbeat(),
      isRunning: () => payload.isRunning(),
    };
    if (good.length > 0) letters.push(...(await this.handleWithRecovery(good, context)));
    await this.deadLetters.publish(letters);
    for (const letter of letters)
      this.metrics?.deadLettered.inc({ topic: letter.topic, reason: letter.reason });

    const last = batch.lastOffset();
    payload.resolveOffset(last);
    this.commitSoon({ topic: batch.topic, partition: batch.partition, offset: nextOffset(last) });
    this.recordLag(batch);
    endTimer?.();
  }

  /**
   * Queues a commit of a handled batch (its outputs are acknowledged) without holding the next fetch
   * back for the round trip. One commit request is in flight at a time; offsets queued meanwhile are
   * merged into the next, newest offset per partition, so commits never go backwards. A failed
   * commit is logged and left to the partition's next batch (at-least-once: after a rebalance the
   * new owner re-reads from the last committed offset; scores are keyed for de-duplication).
   * stop() waits for the queue to drain.
   */
  private commitSoon(offset: { topic: string; partition: number; offset: string }): void {
    this.pendingCommits.set(`${offset.topic}:${offset.partition}`, offset);
    this.committing ??= this.flushCommits().finally(() => (this.committing = null));
  }

  private async flushCommits(): Promise<void> {
    while (this.pendingCommits.size > 0) {
      const offsets = [...this.pendingCommits.values()];
      this.pendingCommits.clear();
      try {
        await this.consumer.commitOffsets(offsets);
        for (const o of offsets) this.positions.set(`${o.topic}:${o.partition}`, BigInt(o.offset));
      } catch (error) {
        // Offsets queued meanwhile are newer: the loop goes on with them; otherwise the partition's
        // next batch commits past these.
        this.logger.warn({ msg: 'offset commit failed', offsets, error: describeError(error) });
      }
    }
  }

  private async decodeBatch(batch: Batch): Promise<{ good: ConsumedMessage<T>[]; letters: DeadLetter[] }> {
    const good: ConsumedMessage<T>[] = [];
    const letters: DeadLetter[] = [];
    for (const message of batch.messages) {
      const base = {
        topic: batch.topic,
        partition: batch.partition,
        offset: message.offset,
        key: message.key,
        headers: message.headers,
        timestamp: message.timestamp,
        raw: message.value,
      };
      try {
        const decoded = this.options.serde ? await this.decodeWithRetry(message.value) : message.value;
        good.push({ ...base, value: this.options.validate(decoded) });
      } catch (error) {
        if (!(error instanceof PoisonMessageError)) throw error;
        letters.push(this.letter(base, error.kind, error));
      }
    }
    return { good, letters };
  }

  private async decodeWithRetry(bytes: Buffer | null): Promise<unknown> {
    const serde = this.options.serde;
    if (!serde) return bytes;
    return this.withRetries(() => serde.decode(bytes), this.options.topics.join(','));
  }

  /** Runs the handler; on a non-retriable failure, isolates the failing messages one by one. */
  private async handleWithRecovery(
    messages: ConsumedMessage<T>[],
    context: BatchContext,
  ): Promise<DeadLetter[]> {
    try {
      const outcome = await this.withRetries(() => this.options.handle(messages, context), context.topic);
      return (outcome?.rejected ?? []).map((r) => this.letter(r.message, 'rejected', r.reason));
    } catch (error) {
      if (isRetriable(error)) throw error; // retries exhausted: kafkajs restarts from the last commit
      this.logger.warn({
        msg: 'batch handler failed; retrying its messages one by one',
        topic: context.topic,
        partition: context.partition,
        error: describeError(error),
      });
    }
    const letters: DeadLetter[] = [];
    for (const message of messages) {
      try {
        const outcome = await this.withRetries(() => this.options.handle([message], context), context.topic);
        letters.push(...(outcome?.rejected ?? []).map((r) => this.letter(r.message, 'rejected', r.reason)));
      } catch (error) {
        if (isRetriable(error)) throw error;
        letters.push(this.letter(message, 'handler', error));
      }
    }
    return letters;
  }

  private async withRetries<R>(fn: () => Promise<R>, topic: string): Promise<R> {
    const maxRetries = this.options.maxRetries ?? 5;
    const backoff = this.options.retryBackoffMs ?? 200;
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn();
      } catch (error) {
        if (!isRetriable(error) || attempt >= maxRetries) throw error;
        this.metrics?.retries.inc({ topic });
        const delay = Math.min(backoff * 2 ** attempt, 10_000);
        this.logger.warn({
          msg: 'retriable failure; backing off',
          topic,
          attempt: attempt + 1,
          delayMs: delay,
          error: describeError(error),
        });
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  private letter(
    message: Pick<ConsumedMessage<unknown>, 'topic' | 'partition' | 'offset' | 'key' | 'headers' | 'raw'>,
    reason: PoisonKind,
    error: unknown,
  ): DeadLetter {
    return {
      topic: message.topic,
      partition: message.partition,
      offset: message.offset,
      key: message.key,
      value: message.raw,
      headers: message.headers,
      reason,
      error: typeof error === 'string' ? error : describeError(error),
    };
  }

  private recordLag(batch: Batch): void {
    if (!this.metrics) return;
    this.lagByPartition.set(`${batch.topic}:${batch.partition}`, Number(batch.offsetLag()));
    let total = 0;
    for (const [key, lag] of this.lagByPartition) if (key.startsWith(`${batch.topic}:`)) total += lag;
    this.metrics.lag.set({ topic: batch.topic, group: this.options.groupId }, total);
  }
}
