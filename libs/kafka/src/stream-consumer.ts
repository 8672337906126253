import { Logger } from '@nestjs/common';
import { PoisonMessageError, describeError, type PoisonKind } from '@fraudstream/contracts';
import type { MetricsRegistry } from '@fraudstream/observability';
import type { Admin, Batch, Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import { SCHEMA_NOT_CACHED, type AvroSerde } from './avro-serde.adapter';
import { BatchRecovery, type Delivery, type Retry } from './batch-recovery';
import { DeadLetterPublisher, type DeadLetter } from './dead-letter.publisher';
import {
  EventTimeAlignment,
  type EventTimeAlignmentOptions,
  type SharedPositions,
} from './event-time-alignment';
import { isRebalance } from './failure-kinds';
import { brokersOf, createConsumer } from './kafka-client.adapter';
import { kafkaMetrics, type KafkaMetrics } from './kafka.metrics';
import { OffsetCommitter } from './offset-committer';
import { PartitionMovedError, PartitionTransactions, type BatchStart } from './partition-transactions';
import type { Producer } from './recovering-producer.adapter';
import type {
  BatchContext,
  BatchHandler,
  ConsumedMessage,
  MessageSource,
  MessageValidator,
} from './stream-consumer.types';
import { PartitionMap, type TopicPartition } from './topic-partition';
import { TransactionOutputs } from './transaction-outputs';
import { TransactionPipeline, type PipelinedBatch } from './transaction-pipeline';
import { createTransactionalProducer } from './transactional-producer.adapter';
import { BatchAbandonedError, backoffDelay, retryTransient, type RetrySchedule } from './transient-retry';
import { StartupError } from './transport.errors';

export type {
  BatchContext,
  BatchHandler,
  BatchOutcome,
  ConsumedMessage,
  MessageSource,
  MessageValidator,
  Rejection,
  RecordSink,
} from './stream-consumer.types';

/** Consume-process-produce in Kafka transactions (see PartitionTransactions). */
export interface ExactlyOnceOptions {
  /**
   * Stable across instances and restarts of the app (never per process): a partition's producer is
   * `<prefix>.<topic>.<partition>`, so a partition's new owner fences the old one.
   */
  readonly transactionalIdPrefix: string;
  /** How long the coordinator lets a transaction stay open before aborting it (default 10 s). */
  readonly transactionTimeoutMs?: number;
  /**
   * Records (outputs and dead letters) per transaction at most, and queued per partition behind the
   * committing transaction before the next fetch waits (default 5000): see TransactionPipeline.
   */
  readonly maxRecordsPerTransaction?: number;
  /**
   * Whether a batch returns to kafkajs once queued for its partition's transaction, so that the next
   * ones are fetched and handled while it commits, and those handled meanwhile go together in the
   * partition's next transaction (default false: a batch returns once committed). Several batches of
   * a partition may then be handled and uncommitted at a kill: a handler with state must replay all
   * of them (the scorer's feature state keeps each batch's vectors down to the committed offset,
   * BatchContext.committedOffset).
   */
  readonly handleWhileCommitting?: boolean;
}

export interface StreamConsumerOptions<T> {
  readonly kafka: Kafka;
  /** Producer for dead letters (share the app's idempotent producer). */
  readonly producer: Pick<Producer, 'sendBatch'>;
  /** Decodes Confluent-framed Avro; null hands the raw bytes to `validate`. */
  readonly serde: AvroSerde | null;
  readonly groupId: string;
  readonly topics: readonly string[];
  readonly fromBeginning?: boolean;
  /** Checks a decoded value against the contract; throw ValidationError for a bad one. */
  readonly validate: MessageValidator<T>;
  readonly handle: BatchHandler<T>;
  readonly metrics?: MetricsRegistry;
  /** Backoff of transient failures (default 200 ms doubling to 5 s); retried for as long as they last. */
  readonly retry?: Partial<RetrySchedule>;
  readonly partitionsConsumedConcurrently?: number;
  /**
   * How long the group waits for a silent member before giving its partitions to others (default
   * 30 s). A SIGKILLed member's partitions wait this long: shorter means faster recovery, but a member
   * that cannot heartbeat for that long (a batch stuck without heartbeats, a long GC pause) is dropped.
   */
  readonly sessionTimeoutMs?: number;
  /** Heartbeat interval (default 3 s; keep it a third of the session timeout or less). */
  readonly heartbeatIntervalMs?: number;
  readonly maxWaitTimeInMs?: number;
  readonly maxBytesPerPartition?: number;
  /**
   * The group exists for this process only (a per-start group that replays a topic from the start):
   * stop() deletes it, so restarts do not leave one group each behind until the broker's offsets
   * retention (7 days by default) expires them.
   */
  readonly ephemeralGroup?: boolean;
  /**
   * Called when the run loop crashed for good and `maxRestarts` restarts in a row failed: the app
   * exits so that its orchestrator restarts it. Without it, restarts go on for as long as it takes.
   */
  readonly onFatal?: (error: Error) => void;
  readonly maxRestarts?: number;
  /**
   * Each batch's outputs (the handler's `deliver` must send through the sink it is given), its dead
   * letters and its offsets in one Kafka transaction: readers on read_committed see every output
   * once. Without it, at-least-once: outputs acknowledged, then the offsets committed.
   */
  readonly exactlyOnce?: ExactlyOnceOptions;
  /**
   * Holds the partitions in step in event time (EventTimeAlignment): for a handler whose state spans
   * partitions. Without it, each partition's batches are handled as they are fetched.
   */
  readonly alignment?: EventTimeAlignmentOptions<T>;
}

/** Batches handled at once by an aligned consumer: more than the partitions a consumer owns. */
const ALIGNED_CONCURRENCY = 256;

const DEFAULT_RETRY: RetrySchedule = { initialMs: 200, maxMs: 5000 };

/** The offsets a piece of a batch covers, records kafkajs filtered out (transaction markers) included. */
interface OffsetRange {
  readonly first: string;
  readonly last: string;
}

interface Decoded<T> {
  readonly good: ConsumedMessage<T>[];
  readonly letters: DeadLetter[];
}

/** A batch's first offset, a filtered record's (a transaction marker's) included. */
function firstOffsetOf(batch: Batch): string {
  return batch.firstOffset() ?? batch.messages[0]?.offset ?? '0';
}

function nextOffset(offset: string): string {
  return (BigInt(offset) + 1n).toString();
}

/**
 * The transport every consumer uses: it owns decode, validation, retry with backoff, the dead-letter
 * topic, offset commits and metrics; handlers only return outcomes. Offsets are committed after the
 * handler's outputs and the dead letters are acknowledged (at-least-once). A broker or registry
 * outage of any length is waited out (never a poison verdict); a poison message never stalls its
 * partition; a run loop that kafkajs gives up on is restarted, or the app told to exit.
 */
export class StreamConsumer<T> {
  private readonly logger: Logger;
  private consumer: Consumer;
  private readonly deadLetters: DeadLetterPublisher;
  private readonly metrics: KafkaMetrics | undefined;
  private readonly committer: OffsetCommitter;
  private readonly transactions: PartitionTransactions | null;
  private readonly pipeline: TransactionPipeline | null;
  private readonly schedule: RetrySchedule;
  private readonly alignment: EventTimeAlignment | null;
  /** Assignments seen so far: a backlog check answers for the latest only. */
  private assignments = 0;
  private readonly lag = new PartitionMap<number>();
  private connected = false;
  private running = false;
  private stopping = false;
  private restarting: Promise<void> | null = null;
  private wake: () => void = () => undefined;
  private readonly stopped: Promise<void>;
  /** Batches being handled now; stop() waits for them before leaving the group. */
  private readonly inFlight = new Set<Promise<void>>();
  /** Replicas aligned with one another: the loop exchanging the positions, until stopped. */
  private exchanging: Promise<void> | null = null;
  /** Asks the exchange loop for its next exchange now (a position moved, or a batch waits). */
  private exchangeNow: () => void = () => undefined;

  constructor(private readonly options: StreamConsumerOptions<T>) {
    this.logger = new Logger(`StreamConsumer:${options.groupId}`);
    this.schedule = { ...DEFAULT_RETRY, ...options.retry };
    this.deadLetters = new DeadLetterPublisher(options.producer);
    this.metrics = options.metrics ? kafkaMetrics(options.metrics) : undefined;
    this.committer = new OffsetCommitter(
      (offsets) => this.consumer.commitOffsets(offsets),
      `OffsetCommitter:${options.groupId}`,
    );
    this.transactions = options.exactlyOnce ? this.createTransactions(options.exactlyOnce) : null;
    this.pipeline =
      this.transactions && options.exactlyOnce
        ? this.createPipeline(this.transactions, options.exactlyOnce)
        : null;
    this.alignment = options.alignment
      ? new EventTimeAlignment(
          options.alignment.maxSkewMs,
          {
            pause: ({ topic, partition }) => this.consumer.pause([{ topic, partitions: [partition] }]),
            resume: ({ topic, partition }) => this.consumer.resume([{ topic, partitions: [partition] }]),
          },
          {
            replicas: options.alignment.shared !== undefined,
            ...(options.alignment.absentPatienceMs === undefined
              ? {}
              : { absentPatienceMs: options.alignment.absentPatienceMs }),
          },
        )
      : null;
    this.stopped = new Promise((resolve) => (this.wake = resolve));
    this.consumer = this.createConsumer();
  }

  /** Whether the consumer is connected to the group and fetching. */
  get healthy(): boolean {
    return this.connected && this.running;
  }

  /**
   * Connects, checks that every topic exists, subscribes and starts fetching. A failure throws
   * StartupError naming the step and the topic or broker addresses.
   */
  async start(): Promise<void> {
    await this.startConsumer(this.consumer);
    this.running = true;
    const shared = this.options.alignment?.shared;
    if (this.alignment && shared)
      this.exchanging = this.exchangePositions(
        this.alignment,
        shared,
        this.options.alignment?.exchangeIntervalMs ?? 50,
      );
    this.logger.log({ msg: 'consuming', topics: this.options.topics, groupId: this.options.groupId });
  }

  /**
   * Stops taking new batches, lets the in-flight ones finish and commit, then leaves the group.
   * kafkajs's own stop() can leave the group while a batch handler still runs, whose commit then
   * fails and whose messages are delivered again; so in-flight batches are awaited here first.
   * A batch waiting out a broker outage is given up (its next owner reads it again).
   */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake();
    if (this.restarting) await this.restarting;
    await this.exchanging;
    if (!this.running) {
      await this.consumer.disconnect();
      return;
    }
    this.running = false;
    await Promise.allSettled([...this.inFlight]);
    // Batches handled but still queued for their partition's transaction commit before the group is left.
    await this.pipeline?.drain();
    this.committer.stopRetrying();
    await this.committer.drain();
    await this.transactions?.closeAll();
    await this.consumer.stop();
    await this.consumer.disconnect();
    if (this.options.ephemeralGroup) await this.deleteGroup();
    this.logger.log({ msg: 'stopped', groupId: this.options.groupId });
  }

  /**
   * The partitions of the subscribed topics on which this group, when it starts, has records to
   * read: its committed offset (or, with none, where `fromBeginning` puts it) is below the
   * partition's end. Ask before start().
   */
  async backlog(): Promise<TopicPartition[]> {
    return (await this.partitions()).behind;
  }

  /** Every partition of the subscribed topics, and those of them with records for the group to read. */
  private partitions(): Promise<{ all: TopicPartition[]; behind: TopicPartition[] }> {
    return this.withAdmin(async (admin) => {
      const all: TopicPartition[] = [];
      const behind: TopicPartition[] = [];
      for (const topic of this.options.topics) {
        const ends = await admin.fetchTopicOffsets(topic);
        const [group] = await admin.fetchOffsets({ groupId: this.options.groupId, topics: [topic] });
        const committed = new Map((group?.partitions ?? []).map((p) => [p.partition, BigInt(p.offset)]));
        for (const end of ends) {
          all.push({ topic, partition: end.partition });
          const mine = committed.get(end.partition) ?? -1n;
          const start = mine >= 0n ? mine : this.options.fromBeginning ? BigInt(end.low) : BigInt(end.high);
          if (start < BigInt(end.high)) behind.push({ topic, partition: end.partition });
        }
      }
      return { all, behind };
    });
  }

  /**
   * Resolves true once every message that was on the subscribed topics when called has been handled
   * and committed by this consumer, or false after `timeoutMs`. For consumers that replay a topic from
   * the start (deployment history) before serving.
   */
  async caughtUp(timeoutMs: number): Promise<boolean> {
    const ends = new PartitionMap<bigint>();
    await this.withAdmin(async (admin) => {
      for (const topic of this.options.topics)
        for (const p of await admin.fetchTopicOffsets(topic))
          ends.set({ topic, partition: p.partition }, BigInt(p.high));
    });
    const deadline = Date.now() + timeoutMs;
    const done = (): boolean =>
      [...ends.entries()].every(
        ([tp, high]) => (this.transactions?.committed(tp) ?? this.committer.committed(tp) ?? 0n) >= high,
      );
    while (!done()) {
      if (Date.now() > deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    return true;
  }

  private createConsumer(): Consumer {
    const consumer = createConsumer(this.options.kafka, {
      groupId: this.options.groupId,
      sessionTimeout: this.options.sessionTimeoutMs ?? 30_000,
      heartbeatInterval: this.options.heartbeatIntervalMs ?? 3000,
      maxWaitTimeInMs: this.options.maxWaitTimeInMs ?? 100,
      maxBytesPerPartition: this.options.maxBytesPerPartition ?? 1_048_576,
      allowAutoTopicCreation: false,
    });
    consumer.on(consumer.events.CONNECT, () => {
      if (consumer === this.consumer) this.connected = true;
    });
    consumer.on(consumer.events.DISCONNECT, () => {
      if (consumer === this.consumer) this.connected = false;
    });
    consumer.on(consumer.events.GROUP_JOIN, (event) => {
      if (consumer !== this.consumer) return;
      const { duration, memberAssignment } = event.payload;
      const owned = Object.entries(memberAssignment).flatMap(([topic, partitions]) =>
        partitions.map((partition) => ({ topic, partition })),
      );
      this.pipeline?.retain(owned);
      void this.transactions?.retain(owned);
      if (this.alignment) this.alignAssignment(this.alignment, owned);
      this.logger.log({
        msg: 'joined the group',
        groupId: this.options.groupId,
        durationMs: duration,
        partitions: Object.values(memberAssignment).reduce((n, p) => n + p.length, 0),
      });
    });
    // A fetch of only aborted records or transaction markers never reaches a handler: kafkajs resolves
    // it, and the commit past it is ours, or a topic that ends with an aborted transaction (a SIGKILLed
    // producer's) would never look consumed to caughtUp() and would be read again after each restart.
    consumer.on(consumer.events.END_BATCH_PROCESS, (event) => {
      const { topic, partition, batchSize, lastOffset } = event.payload;
      if (consumer !== this.consumer || batchSize > 0 || this.stopping) return;
      // Nothing in it to handle: the partition holds no other back until it has records again.
      this.alignment?.take({ topic, partition }, [], true);
      if (this.transactions) return;
      this.committer.queue({ topic, partition, offset: nextOffset(lastOffset) });
    });
    consumer.on(consumer.events.CRASH, (event) => {
      if (consumer !== this.consumer) return;
      const { error, restart } = event.payload;
      this.logger.error({ msg: 'consumer crashed', error: describeError(error), restart });
      this.metrics?.crashes.inc({ restartedBy: restart ? 'kafkajs' : 'transport' });
      // kafkajs restarts the run loop itself after a retriable error; after any other it stops for good.
      if (!restart && !this.stopping)
        this.restarting ??= this.restart(error).finally(() => (this.restarting = null));
    });
    return consumer;
  }

  /**
   * Exchanges this consumer's partition positions with the group's other members (replicas) every
   * `intervalMs`, and at once (one exchange at a time) when a piece's state is applied or a batch
   * starts to wait, until stopped. While the exchange fails, the others hold nothing back: this
   * consumer's partitions stay in step with one another only.
   */
  private async exchangePositions(
    alignment: EventTimeAlignment,
    shared: SharedPositions,
    intervalMs: number,
  ): Promise<void> {
    let failing = false;
    while (!this.stopping) {
      // Asked during this exchange: the next one follows at once.
      const asked = new Promise<void>((resolve) => (this.exchangeNow = resolve));
      try {
        const givenUp = alignment.peers(await shared.exchange(alignment.shared()));
        for (const { topic, partition } of givenUp)
          this.logger.warn({
            msg: 'no replica publishes the position of a partition another member owns: not waiting for it (its owner takes no part in the exchange?)',
            topic,
            partition,
          });
        if (failing) this.logger.log({ msg: 'partition positions exchanged with the other replicas again' });
        failing = false;
      } catch (error) {
        alignment.peers(null);
        if (!failing)
          this.logger.warn({
            msg: "exchanging partition positions with the other replicas failed; holding only this replica's partitions in step until it works again",
            error: describeError(error),
          });
        failing = true;
      }
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        this.stopped,
        new Promise((resolve) => (timer = setTimeout(resolve, intervalMs))),
        asked,
      ]);
      clearTimeout(timer);
    }
    this.exchangeNow = () => undefined;
  }

  /**
   * A new assignment for the alignment: every owned partition's position is unknown until its first
   * batch, or until the broker says it has nothing to read (then it holds nothing back). The topics'
   * partitions are read with that answer: with replicas, one that no member publishes holds this
   * consumer's back.
   */
  private alignAssignment(alignment: EventTimeAlignment, owned: readonly TopicPartition[]): void {
    alignment.assign(owned);
    const generation = ++this.assignments;
    this.partitions().then(
      ({ all, behind }) => {
        if (generation !== this.assignments) return;
        const reading = new PartitionMap<true>();
        for (const partition of behind) reading.set(partition, true);
        alignment.settle(owned.filter((p) => !reading.get(p)));
        alignment.expect(all);
      },
      (error: unknown) => {
        if (generation !== this.assignments) return;
        this.logger.warn({
          msg: 'backlog check failed; partitions not heard from yet hold no others back',
          error: describeError(error),
        });
        alignment.forgetUnknown();
      },
    );
  }

  private async startConsumer(consumer: Consumer): Promise<void> {
    const { groupId, topics } = this.options;
    const brokers = brokersOf(this.options.kafka).join(',') || 'the configured brokers';
    await this.step('connect', `consumer group ${groupId} cannot connect to Kafka at ${brokers}`, () =>
      consumer.connect(),
    );
    await this.step('topic check', `consumer group ${groupId} cannot list topics at ${brokers}`, async () => {
      const existing = new Set(await this.withAdmin((admin) => admin.listTopics()));
      const missing = topics.filter((t) => !existing.has(t));
      if (missing.length > 0)
        throw new StartupError(
          'topic check',
          `consumer group ${groupId}: topic ${missing.join(', ')} does not exist at ${brokers} (create the topics with npm run topics:create)`,
        );
    });
    await this.step('subscribe', `consumer group ${groupId} cannot subscribe to ${topics.join(', ')}`, () =>
      consumer.subscribe({ topics: [...topics], fromBeginning: this.options.fromBeginning ?? false }),
    );
    await this.step('run', `consumer group ${groupId} cannot start fetching ${topics.join(', ')}`, () =>
      consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        // Aligned, the batches of a fetch wait for one another: every partition's is handled at once.
        partitionsConsumedConcurrently: this.options.alignment
          ? Math.max(this.options.partitionsConsumedConcurrently ?? 1, ALIGNED_CONCURRENCY)
          : (this.options.partitionsConsumedConcurrently ?? 1),
        eachBatch: (payload) => this.onBatch(payload),
      }),
    );
  }

  private async step(step: string, message: string, work: () => Promise<void>): Promise<void> {
    try {
      await work();
    } catch (error) {
      if (error instanceof StartupError) throw error;
      throw new StartupError(step, message, { cause: error });
    }
  }

  /**
   * Replaces a consumer whose run loop kafkajs stopped for good with a new one, with backoff. After
   * `maxRestarts` failed attempts in a row the app is told (onFatal) so it exits and is restarted.
   */
  private async restart(cause: Error): Promise<void> {
    this.running = false;
    const maxRestarts = this.options.maxRestarts ?? 10;
    for (let attempt = 0; !this.stopping; attempt++) {
      await this.sleep(backoffDelay({ initialMs: 1000, maxMs: 30_000 }, attempt));
      if (this.stopping) return;
      await this.consumer.disconnect().catch(() => undefined);
      this.consumer = this.createConsumer();
      try {
        await this.startConsumer(this.consumer);
        this.running = true;
        this.logger.warn({
          msg: 'consumer restarted after a crash',
          attempt: attempt + 1,
          cause: describeError(cause),
        });
        return;
      } catch (error) {
        this.logger.error({
          msg: 'consumer restart failed',
          attempt: attempt + 1,
          error: describeError(error),
        });
        if (this.options.onFatal && attempt + 1 >= maxRestarts) {
          this.options.onFatal(error instanceof Error ? error : new Error(describeError(error)));
          return;
        }
      }
    }
  }

  /** Waits `ms`, or less when stop() is called. */
  private sleep(ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    return Promise.race([
      new Promise<void>((resolve) => (timer = setTimeout(resolve, ms))),
      this.stopped,
    ]).finally(() => clearTimeout(timer));
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
    const retry = <R>(work: () => Promise<R>): Promise<R> =>
      retryTransient(work, this.schedule, {
        abandonReason: () =>
          this.stopping
            ? 'consumer stopping'
            : !payload.isRunning()
              ? 'consumer not running'
              : payload.isStale()
                ? 'partition reassigned'
                : null,
        beforeWait: () => payload.heartbeat(),
        onRetry: (attempt, delayMs, error) => {
          this.metrics?.retries.inc({ topic: batch.topic });
          this.logger.warn({
            msg: 'transient failure; backing off',
            topic: batch.topic,
            partition: batch.partition,
            attempt,
            delayMs,
            error: describeError(error),
          });
        },
        sleep: (ms) => this.sleep(ms),
      });
    const context: BatchContext = {
      topic: batch.topic,
      partition: batch.partition,
      caughtUp: BigInt(batch.lastOffset()) + 1n >= BigInt(batch.highWatermark),
      heartbeat: () => payload.heartbeat(),
      isRunning: () => payload.isRunning(),
    };
    const alignment = this.alignment;
    alignment?.enter();
    try {
      const decoded = await this.decode(batch, batch.messages, retry);
      if (alignment) await this.handleAligned(alignment, payload, decoded, retry, context);
      else {
        const range: OffsetRange = { first: firstOffsetOf(batch), last: batch.lastOffset() };
        await this.handlePiece(batch.messages, range, decoded, retry, context);
        payload.resolveOffset(range.last);
      }
    } catch (error) {
      if (!(error instanceof BatchAbandonedError)) throw error;
      if (error instanceof PartitionMovedError)
        this.consumer.seek({ topic: batch.topic, partition: batch.partition, offset: error.offset });
      this.logger.warn({ msg: error.message, topic: batch.topic, partition: batch.partition });
      return;
    } finally {
      alignment?.leave();
    }
    this.recordLag(batch);
    endTimer?.();
  }

  /**
   * A batch in step with the other partitions (EventTimeAlignment): taken in pieces as far as the
   * others allow, waiting for them between pieces; what is left when they cannot move stays unread
   * and is fetched again (the partition paused meanwhile when it is far ahead).
   */
  private async handleAligned(
    alignment: EventTimeAlignment,
    payload: EachBatchPayload,
    decoded: Decoded<T>,
    retry: Retry,
    context: BatchContext,
  ): Promise<void> {
    const { batch } = payload;
    const partition = { topic: batch.topic, partition: batch.partition };
    const eventTime = this.options.alignment?.eventTime;
    const times = new Map<string, number>();
    if (eventTime) for (const message of decoded.good) times.set(message.offset, eventTime(message.value));
    const messages = batch.messages;
    const eventTimes = messages.map((m) => times.get(m.offset) ?? Number.NaN);
    // The decoded messages and dead letters are in offset order: each piece takes the next of them.
    const cursor = { good: 0, letters: 0 };
    const upTo = (last: string): Decoded<T> => {
      const high = BigInt(last);
      const good: ConsumedMessage<T>[] = [];
      const letters: DeadLetter[] = [];
      for (let m = decoded.good[cursor.good]; m && BigInt(m.offset) <= high; m = decoded.good[++cursor.good])
        good.push(m);
      for (
        let l = decoded.letters[cursor.letters];
        l && BigInt(l.offset) <= high;
        l = decoded.letters[++cursor.letters]
      )
        letters.push(l);
      return { good, letters };
    };
    let resolved: string | null = null;
    for (let from = 0; from < messages.length;) {
      const taken = alignment.take(partition, eventTimes, context.caughtUp, from);
      if (taken === 0) {
        const moved = await this.waitForOthers(alignment, payload, eventTimes[from] ?? Number.NaN);
        this.metrics?.alignmentWaits.inc({ topic: batch.topic, outcome: moved ? 'moved' : 'gave_up' });
        if (moved) continue;
        alignment.hold(partition);
        return;
      }
      this.metrics?.alignedPieces.inc({ topic: batch.topic });
      const piece = messages.slice(from, from + taken);
      from += taken;
      const end = from >= messages.length;
      const range: OffsetRange = {
        first: resolved === null ? firstOffsetOf(batch) : nextOffset(resolved),
        last: end ? batch.lastOffset() : (piece[piece.length - 1]?.offset ?? batch.lastOffset()),
      };
      // Once per piece: when its state is applied, or at its end (a late call must not release the
      // partition's next piece).
      let released = false;
      const release = (): void => {
        if (released) return;
        released = true;
        alignment.handled(partition);
        this.exchangeNow();
      };
      try {
        await this.handlePiece(piece, range, upTo(range.last), retry, {
          ...context,
          caughtUp: context.caughtUp && end,
          stateApplied: release,
        });
      } finally {
        release();
      }
      payload.resolveOffset(range.last);
      resolved = range.last;
    }
  }

  /** Waits (heartbeating) for the others to move; false when the batch gives up its remaining records. */
  private async waitForOthers(
    alignment: EventTimeAlignment,
    payload: EachBatchPayload,
    next: number,
  ): Promise<boolean> {
    const partition = { topic: payload.batch.topic, partition: payload.batch.partition };
    const waiting = alignment.wait(partition, next);
    this.exchangeNow();
    const stopped = this.stopped.then(() => 'stop' as const);
    for (;;) {
      let timer: NodeJS.Timeout | undefined;
      const tick = new Promise<'tick'>((resolve) => (timer = setTimeout(() => resolve('tick'), 1000)));
      const outcome = await Promise.race([waiting, tick, stopped]);
      clearTimeout(timer);
      if (typeof outcome === 'boolean') return outcome;
      if (this.stopping || !payload.isRunning() || payload.isStale()) {
        alignment.cancel(partition);
        return false;
      }
      await payload.heartbeat();
    }
  }

  /**
   * Handles consecutive messages of a batch (all of it, or a piece) and delivers or queues their
   * outputs; `range`: the offsets the piece covers, filtered records included.
   */
  private async handlePiece(
    messages: readonly KafkaMessage[],
    range: OffsetRange,
    decoded: Decoded<T>,
    retry: Retry,
    context: BatchContext,
  ): Promise<void> {
    if (this.transactions && this.pipeline) {
      await this.handleInTransaction(
        this.transactions,
        this.pipeline,
        messages,
        range,
        decoded,
        retry,
        context,
      );
      return;
    }
    const { good } = decoded;
    const letters = [...decoded.letters];
    if (good.length > 0) letters.push(...(await this.recover(good, context, retry, this.direct)));
    await retry(() => this.deadLetters.publish(letters));
    this.countLetters(letters);
    this.committer.queue({
      topic: context.topic,
      partition: context.partition,
      offset: nextOffset(range.last),
    });
  }

  /** At-least-once: each delivery attempt sends through the app's producer. */
  private readonly direct: Delivery = (deliver) => deliver(this.options.producer);

  /** Handles good messages and delivers their outputs; returns the dead letters it leaves. */
  private async recover(
    good: readonly ConsumedMessage<T>[],
    context: BatchContext,
    retry: Retry,
    delivery: Delivery,
  ): Promise<DeadLetter[]> {
    const recovery = new BatchRecovery(
      this.options.handle,
      retry,
      delivery,
      `BatchRecovery:${this.options.groupId}`,
    );
    return (await recovery.process(good, context)).map((f) => this.letter(f.message, f.kind, f.error));
  }

  private countLetters(letters: readonly DeadLetter[]): void {
    for (const letter of letters)
      this.metrics?.deadLettered.inc({ topic: letter.topic, reason: letter.reason });
  }

  /**
   * Exactly-once: what a predecessor already committed is skipped, the rest handled, and its
   * outputs, dead letters and next offset queued for the partition's next transaction
   * (TransactionPipeline), retried (the same records) while the broker is away. The batch returns
   * once committed, or, with `handleWhileCommitting`, once queued: then the next batch follows the
   * queued ones and shares their next transaction.
   */
  private async handleInTransaction(
    transactions: PartitionTransactions,
    pipeline: TransactionPipeline,
    messages: readonly KafkaMessage[],
    range: OffsetRange,
    decoded: Decoded<T>,
    retry: Retry,
    context: BatchContext,
  ): Promise<void> {
    const partition = { topic: context.topic, partition: context.partition };
    const { first: firstOffset, last } = range;
    const chain = this.options.exactlyOnce?.handleWhileCommitting
      ? pipeline.chain(partition, firstOffset)
      : null;
    let start: BatchStart;
    if (chain) start = chain.start;
    else {
      await pipeline.idle(partition);
      start = await retry(() => transactions.begin(partition, BigInt(firstOffset)));
    }
    const from = start.from;
    const fresh = (offset: string): boolean => from === null || BigInt(offset) >= from;
    const first = messages.find((m) => fresh(m.offset))?.offset;
    if (first === undefined) return;
    if (from !== null && BigInt(first) > from)
      this.logger.warn({
        msg: 'batch begins after the committed offset',
        ...partition,
        from: from.toString(),
        first,
      });
    const good = decoded.good.filter((m) => fresh(m.offset));
    const letters = decoded.letters.filter((l) => fresh(l.offset));
    const outputs = new TransactionOutputs();
    // Nothing committed yet: every offset may be read again.
    const handling: BatchContext = {
      ...context,
      committedOffset: (transactions.committed(partition) ?? 0n).toString(),
    };
    if (good.length > 0) letters.push(...(await this.recover(good, handling, retry, outputs.delivery)));
    const queued: PipelinedBatch = {
      start,
      first,
      next: nextOffset(last),
      records: outputs.records + letters.length,
      send: async (sink) => {
        await outputs.sendTo(sink);
        await new DeadLetterPublisher(sink).publish(letters);
      },
      committed: () => this.countLetters(letters),
      split: () => this.commitMessageByMessage(transactions, partition, good, letters, last, handling, retry),
      retry,
    };
    await pipeline.enqueue(partition, queued, chain);
    if (this.options.exactlyOnce?.handleWhileCommitting) return;
    // Handled one at a time, a partition's batches gain nothing from returning before the commit:
    // the next transaction would follow this one at once and meet CONCURRENT_TRANSACTIONS while the
    // coordinator writes this one's markers (measured slower, docs/scorer.md). The batch returns
    // once committed, and is not resolved when its transaction failed (the consumer was sent back).
    await pipeline.idle(partition);
    const committed = transactions.committed(partition);
    if (committed === null || committed < BigInt(queued.next))
      throw new BatchAbandonedError('its transaction did not commit');
  }

  /**
   * A batch whose transaction was refused for its records (a request over the broker's limit): each
   * message commits alone, in offset order, and one that still cannot is dead-lettered as oversized;
   * the dead letters of decoding go with the next commit.
   */
  private async commitMessageByMessage(
    transactions: PartitionTransactions,
    partition: TopicPartition,
    good: readonly ConsumedMessage<T>[],
    letters: readonly DeadLetter[],
    last: string,
    context: BatchContext,
    retry: Retry,
  ): Promise<void> {
    const commit = (
      at: BatchStart,
      next: string,
      out: TransactionOutputs | null,
      dead: readonly DeadLetter[],
    ) =>
      retry(() =>
        transactions.commit(partition, at, next, this.consumer, async (sink) => {
          await out?.sendTo(sink);
          await new DeadLetterPublisher(sink).publish(dead);
        }),
      );
    let pending = letters.filter((l) => !good.some((m) => m.offset === l.offset));
    for (const message of good) {
      const before = pending.filter((l) => BigInt(l.offset) < BigInt(message.offset));
      pending = pending.filter((l) => BigInt(l.offset) > BigInt(message.offset));
      const alone = new TransactionOutputs();
      const own = await this.recover([message], context, retry, alone.delivery);
      const at = await retry(() => transactions.begin(partition));
      try {
        await commit(at, nextOffset(message.offset), alone, [...before, ...own]);
        this.countLetters([...before, ...own]);
      } catch (error) {
        if (error instanceof BatchAbandonedError || isRebalance(error)) throw error;
        const refused = [...before, this.letter(message, 'oversized', error)];
        await commit(at, nextOffset(message.offset), null, refused);
        this.countLetters(refused);
      }
    }
    const at = await retry(() => transactions.begin(partition));
    await commit(at, nextOffset(last), null, pending);
    this.countLetters(pending);
  }

  private createPipeline(
    transactions: PartitionTransactions,
    options: ExactlyOnceOptions,
  ): TransactionPipeline {
    return new TransactionPipeline({
      commit: (partition, start, next, send) =>
        transactions.commit(partition, start, next, this.consumer, send),
      begin: (partition) => transactions.begin(partition),
      failed: (partition, error, first) => this.onTransactionFailed(partition, error, first),
      maxRecords: options.maxRecordsPerTransaction ?? 5000,
      ...(this.metrics ? { observeBatches: (n: number) => this.metrics?.transactionBatches.observe(n) } : {}),
      context: `TransactionPipeline:${this.options.groupId}`,
    });
  }

  /**
   * A partition's transaction failed for good after its batches had returned to kafkajs: the consumer
   * reads again from the committed offset (the one the error found, or where the dropped batches
   * began), as it does for a batch abandoned before it returned.
   */
  private onTransactionFailed(partition: TopicPartition, error: unknown, first: PipelinedBatch): void {
    const offset =
      error instanceof PartitionMovedError ? error.offset : (first.start.from?.toString() ?? first.first);
    this.logger.warn({
      msg: 'transaction failed; its batches are read again from the committed offset',
      ...partition,
      offset,
      error: describeError(error),
    });
    if (this.stopping) return;
    try {
      this.consumer.seek({ ...partition, offset });
    } catch (seekError) {
      // The consumer is not running (restarting or stopping): it starts again from the committed offset.
      this.logger.warn({
        msg: 'seek after a failed transaction refused',
        ...partition,
        error: describeError(seekError),
      });
    }
  }

  private createTransactions(options: ExactlyOnceOptions): PartitionTransactions {
    const { groupId } = this.options;
    return new PartitionTransactions({
      transactionalId: ({ topic, partition }) => `${options.transactionalIdPrefix}.${topic}.${partition}`,
      createProducer: (transactionalId) =>
        createTransactionalProducer(this.options.kafka, {
          transactionalId,
          ...(options.transactionTimeoutMs ? { transactionTimeoutMs: options.transactionTimeoutMs } : {}),
        }),
      committedOffset: ({ topic, partition }) =>
        this.withAdmin(async (admin) => {
          const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
          const found = offsets?.partitions.find((p) => p.partition === partition);
          return found && BigInt(found.offset) >= 0n ? BigInt(found.offset) : null;
        }),
      ...(this.metrics ? { metrics: this.metrics } : {}),
      context: `PartitionTransactions:${groupId}`,
    });
  }

  private async decode(batch: Batch, messages: readonly KafkaMessage[], retry: Retry): Promise<Decoded<T>> {
    const good: ConsumedMessage<T>[] = [];
    const letters: DeadLetter[] = [];
    const serde = this.options.serde;
    for (const message of messages) {
      const base = {
        topic: batch.topic,
        partition: batch.partition,
        offset: message.offset,
        key: message.key,
        headers: message.headers,
        timestamp: message.timestamp,
        raw: message.value,
      };
      let decoded: unknown;
      try {
        // Synchronous once the value's schema is cached (every value of a topic but the first). An
        // unreachable registry is transient: waited out here, never a verdict on the message.
        if (!serde) decoded = message.value;
        else {
          decoded = serde.decodeCached(message.value);
          if (decoded === SCHEMA_NOT_CACHED) decoded = await retry(() => serde.decode(message.value));
        }
      } catch (error) {
        if (error instanceof BatchAbandonedError) throw error;
        letters.push(this.letter(base, error instanceof PoisonMessageError ? error.kind : 'decode', error));
        continue;
      }
      try {
        const source: MessageSource = base;
        good.push({ ...base, value: this.options.validate(decoded, source) });
      } catch (error) {
        letters.push(
          this.letter(base, error instanceof PoisonMessageError ? error.kind : 'validation', error),
        );
      }
    }
    return { good, letters };
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
    this.lag.set(batch, Number(batch.offsetLag()));
    let total = 0;
    for (const lag of this.lag.ofTopic(batch.topic).values()) total += lag;
    this.metrics.lag.set({ topic: batch.topic, group: this.options.groupId }, total);
  }
}
