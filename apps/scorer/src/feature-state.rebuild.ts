/*
 * Rebuilds the scorers' feature state from the topics after it was lost (a Redis that came back
 * empty, flushed, or evicting keys; an in-memory state whose snapshot is gone): the transactions
 * the scorer group committed, replayed through the same FeaturePipeline into an empty store, with
 * the labels the scorers had queued. The scorers must be stopped: their consumer groups must have
 * no member, or the state would move under the replay.
 */
import { Logger } from '@nestjs/common';
import {
  DAY_MS,
  deadLetterTopic,
  validateLabel,
  validateTransaction,
  type Label,
  type Transaction,
} from '@fraudstream/contracts';
import { WINDOW_DAYS, type FeaturePipeline } from '@fraudstream/features';
import {
  DeadLetterHeaders,
  readTopicRange,
  type AvroSerde,
  type Kafka,
  type PartitionFlow,
} from '@fraudstream/kafka';

export interface FeatureRebuildSettings {
  readonly transactionsTopic: string;
  readonly labelsTopic: string;
  /** The scorers' transactions group: its committed offsets are what the state must count. */
  readonly groupId: string;
  /** The scorers' labels group: the labels it committed are the ones the state had queued or counted. */
  readonly labelsGroupId: string;
  /** Transactions handed to the pipeline per step (split by partition), as a scorer's fetches would. */
  readonly sliceSize?: number;
}

/** What a rebuild replayed, per input partition. */
export interface RebuiltPartition {
  readonly partition: number;
  /** The group's committed offset: the state counts the transactions below it. */
  readonly committedOffset: number;
  /** The first offset the topic still retained (retention deleted those below it). */
  readonly firstRetainedOffset: number;
  readonly counted: number;
  /** Records the scorers dead-lettered (named by the dead-letter topic's source headers), skipped. */
  readonly deadLettered: number;
  /** Records that do not decode or validate, and that no dead letter names, skipped too. */
  readonly invalid: number;
  /** Transactions the pipeline found counted at another place (sent twice upstream). */
  readonly duplicates: number;
}

export interface FeatureRebuildReport {
  readonly partitions: readonly RebuiltPartition[];
  readonly transactions: number;
  readonly labels: number;
  /** Event times of the first and the last transaction replayed (null when none). */
  readonly firstEventTime: number | null;
  readonly lastEventTime: number | null;
  /**
   * Whether the replayed stream reaches back over the longest window before its last transaction:
   * false when retention already deleted transactions the windows still need (they refill as the
   * stream moves, as after a loss).
   */
  readonly windowsComplete: boolean;
  readonly seconds: number;
}

/**
 * The prefix of the rebuild's throwaway reader groups (`<prefix>-<uuid>`): the scorers' group id's,
 * so the scorer principal's group rule covers them on a secure cluster (docs/security.md).
 */
export function rebuildGroupPrefix(groupId: string): string {
  return `${groupId}-rebuild`;
}

/** The rebuild cannot run: the scorers still consume, or their group has never committed. */
export class FeatureRebuildRefusedError extends Error {
  override readonly name = 'FeatureRebuildRefusedError';
}

interface PendingRecord {
  readonly tx: Transaction;
  readonly offset: number;
}

/**
 * One rebuild: checks the scorers are stopped, reads what they committed, and replays it through
 * `pipeline` (whose store the caller emptied). The memory store's state is then the pipeline's
 * snapshot; Redis holds it.
 */
export class FeatureStateRebuild {
  private readonly logger = new Logger(FeatureStateRebuild.name);

  constructor(
    private readonly kafka: Kafka,
    private readonly serde: AvroSerde,
    private readonly settings: FeatureRebuildSettings,
  ) {}

  /** Refuses while a consumer of the scorers' groups is a member: stop the scorers (scale to 0) first. */
  async assertScorersStopped(): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const { groups } = await admin.describeGroups([this.settings.groupId, this.settings.labelsGroupId]);
      for (const group of groups) {
        if (group.members.length === 0) continue;
        const clients = [...new Set(group.members.map((m) => m.clientId))].join(', ');
        throw new FeatureRebuildRefusedError(
          `consumer group ${group.groupId} has ${group.members.length} active member(s) (${clients}): stop the scorers before rebuilding their feature state`,
        );
      }
    } finally {
      await admin.disconnect();
    }
  }

  /**
   * Replays the committed transactions and labels through `pipeline`; its store must be empty. The
   * labels are read first (they are few); the transactions are replayed as they are read, merged in
   * event time across partitions, so the rebuild holds only what cannot be placed yet (a partition
   * ahead in event time waits for the others), not the stream.
   */
  async run(pipeline: FeaturePipeline): Promise<FeatureRebuildReport> {
    const started = Date.now();
    const { transactionsTopic, labelsTopic, groupId, labelsGroupId } = this.settings;
    await this.assertScorersStopped();
    const committed = await this.committedOffsets(groupId, transactionsTopic);
    if (committed.size === 0)
      throw new FeatureRebuildRefusedError(
        `consumer group ${groupId} has no committed offset on ${transactionsTopic}: there is no state to rebuild`,
      );
    const labelsCommitted = await this.committedOffsets(labelsGroupId, labelsTopic);
    const letters = await this.deadLettered(transactionsTopic);
    const groupPrefix = rebuildGroupPrefix(groupId);
    const labels: Label[] = [];
    if (labelsCommitted.size > 0)
      await readTopicRange(
        this.kafka,
        labelsTopic,
        async (record) => {
          const label = await this.decode(record.value, validateLabel);
          if (label) labels.push(label);
        },
        { ends: labelsCommitted, groupPrefix },
      );
    labels.sort((a, b) => a.event_time - b.event_time);

    const replay = new MergedReplay(
      pipeline,
      transactionsTopic,
      committed,
      labels,
      this.settings.sliceSize ?? 1000,
    );
    const skipped = new Map<number, { deadLettered: number; invalid: number }>();
    const firsts = await readTopicRange(
      this.kafka,
      transactionsTopic,
      async (record) => {
        const counts = skipped.get(record.partition) ?? { deadLettered: 0, invalid: 0 };
        skipped.set(record.partition, counts);
        if (letters.has(`${record.partition}:${record.offset}`)) {
          counts.deadLettered++;
          return;
        }
        const tx = await this.decode(record.value, validateTransaction);
        if (!tx) {
          counts.invalid++;
          return;
        }
        await replay.push(record.partition, { tx, offset: record.offset });
      },
      {
        ends: committed,
        groupPrefix,
        onPlan: (partitions, flow) => replay.plan(partitions, flow),
        onPartitionEnd: (partition) => replay.end(partition),
      },
    );
    await replay.finish();

    const partitions = [...committed.entries()]
      .sort(([a], [b]) => a - b)
      .map(([partition, committedOffset]) => {
        const replayed = replay.replayed.get(partition) ?? 0;
        const duplicates = replay.duplicates.get(partition) ?? 0;
        return {
          partition,
          committedOffset,
          firstRetainedOffset: firsts.get(partition) ?? 0,
          counted: replayed - duplicates,
          deadLettered: skipped.get(partition)?.deadLettered ?? 0,
          invalid: skipped.get(partition)?.invalid ?? 0,
          duplicates,
        };
      });
    const { first, last } = replay;
    // Retention deleted transactions the windows still reach: the state misses them.
    const retentionCut = partitions.some((p) => p.firstRetainedOffset > 0);
    // How far back the windows reach: the longest, behind the feature set's label delay.
    const reach = (WINDOW_DAYS + pipeline.featureSet.terminalDelayDays) * DAY_MS;
    const windowsComplete = !retentionCut || (first !== null && last !== null && last - first >= reach);
    return {
      partitions,
      transactions: [...replay.replayed.values()].reduce((sum, n) => sum + n, 0),
      labels: labels.length,
      firstEventTime: first,
      lastEventTime: last,
      windowsComplete,
      seconds: (Date.now() - started) / 1000,
    };
  }

  /** The group's committed offset per partition of the topic (partitions it never committed left out). */
  private async committedOffsets(groupId: string, topic: string): Promise<Map<number, number>> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] });
      const out = new Map<number, number>();
      for (const p of entry?.partitions ?? []) {
        const offset = Number(p.offset);
        if (offset >= 0) out.set(p.partition, offset);
      }
      return out;
    } finally {
      await admin.disconnect();
    }
  }

  /** Where the scorers dead-lettered records of `topic`: `partition:offset`, from the dead letters' headers. */
  private async deadLettered(topic: string): Promise<Set<string>> {
    const dlq = deadLetterTopic(topic);
    const admin = this.kafka.admin();
    await admin.connect();
    let exists: boolean;
    try {
      exists = (await admin.listTopics()).includes(dlq);
    } finally {
      await admin.disconnect();
    }
    // The scorers dead-letter into it; a topic a principal may not read is hidden from its listing,
    // and skipping the dead letters silently could count what the scorers never did.
    if (!exists)
      throw new FeatureRebuildRefusedError(
        `the dead-letter topic ${dlq} is not visible: it does not exist, or this principal may not read it (docs/security.md)`,
      );
    const places = new Set<string>();
    const text = (value: unknown) =>
      Buffer.isBuffer(value) ? value.toString('utf8') : typeof value === 'string' ? value : null;
    await readTopicRange(
      this.kafka,
      dlq,
      (record) => {
        const headers = record.headers ?? {};
        if (text(headers[DeadLetterHeaders.sourceTopic]) !== topic) return;
        const partition = text(headers[DeadLetterHeaders.sourcePartition]);
        const offset = text(headers[DeadLetterHeaders.sourceOffset]);
        if (partition !== null && offset !== null) places.add(`${partition}:${offset}`);
      },
      { groupPrefix: rebuildGroupPrefix(this.settings.groupId) },
    );
    return places;
  }

  /** A record's value decoded and validated, or null (logged) when it is not one. */
  private async decode<T>(value: Buffer | null, validate: (value: unknown) => T): Promise<T | null> {
    try {
      return validate(await this.serde.decode(value));
    } catch (error) {
      this.logger.warn({
        msg: 'skipping a record that no dead letter names and that does not decode or validate',
        error: error instanceof Error ? error.message : String(error),
      });
      return null;
    }
  }
}

/** Records a partition may hold ahead of the merge before it stops being fetched. */
const AHEAD_LIMIT = 20_000;

/**
 * The transactions handed over as they are read, replayed merged in event time: each partition in
 * offset order, the one whose next record is the earliest first, taken only while every partition
 * still being read has a record buffered (else a later read could hold an earlier one). Cut into
 * slices, each slice one batch per partition with its offsets; the labels known by a slice's last
 * event time go in before it, as replayFeatures hands them over.
 */
export class MergedReplay {
  private readonly buffers = new Map<number, PendingRecord[]>();
  private readonly heads = new Map<number, number>();
  private readonly reading = new Set<number>();
  private readonly paused = new Set<number>();
  private flow: PartitionFlow | null = null;
  private slice = new Map<number, PendingRecord[]>();
  private sliceSize = 0;
  private sliceLast = Number.NEGATIVE_INFINITY;
  private nextLabel = 0;
  readonly replayed = new Map<number, number>();
  readonly duplicates = new Map<number, number>();
  first: number | null = null;
  last: number | null = null;

  constructor(
    private readonly pipeline: FeaturePipeline,
    private readonly topic: string,
    private readonly committed: ReadonlyMap<number, number>,
    /** In event-time order. */
    private readonly labels: readonly Label[],
    private readonly maxSlice: number,
    private readonly aheadLimit = AHEAD_LIMIT,
  ) {}

  /** The partitions that have records to read, and the read's flow control. */
  plan(partitions: readonly number[], flow: PartitionFlow): void {
    this.flow = flow;
    for (const p of partitions) {
      this.reading.add(p);
      this.buffers.set(p, []);
      this.heads.set(p, 0);
    }
  }

  async push(partition: number, record: PendingRecord): Promise<void> {
    const buffer = this.buffers.get(partition);
    if (!buffer) return;
    buffer.push(record);
    // A partition ahead of the others in event time waits for them unfetched, so what the replay
    // holds stays bounded (fetches that fill with its records would starve the others).
    if (buffer.length - (this.heads.get(partition) ?? 0) >= this.aheadLimit && !this.paused.has(partition)) {
      this.paused.add(partition);
      this.flow?.pause(partition);
    }
    await this.drain(false);
  }

  /** The partition has nothing more to read. */
  end(partition: number): void {
    this.reading.delete(partition);
  }

  /** Replays what is left once every partition was read, and queues the labels after the last transaction. */
  async finish(): Promise<void> {
    this.reading.clear();
    await this.drain(true);
    if (this.nextLabel < this.labels.length)
      await this.pipeline.applyLabels(this.labels.slice(this.nextLabel));
    this.nextLabel = this.labels.length;
  }

  private async drain(final: boolean): Promise<void> {
    for (let next = this.take(); next; next = this.take()) {
      let batch = this.slice.get(next.partition);
      if (!batch) this.slice.set(next.partition, (batch = []));
      batch.push(next.record);
      this.sliceSize++;
      this.sliceLast = Math.max(this.sliceLast, next.record.tx.event_time);
      if (this.sliceSize >= this.maxSlice) await this.flush();
    }
    if (final) await this.flush();
  }

  /** The next record in merged order, or null while a partition still being read has none buffered. */
  private take(): { partition: number; record: PendingRecord } | null {
    let pick: number | null = null;
    let pickTime = Number.POSITIVE_INFINITY;
    for (const [partition, buffer] of this.buffers) {
      const head = buffer[this.heads.get(partition) ?? 0];
      if (!head) {
        if (this.reading.has(partition)) return null;
        continue;
      }
      if (head.tx.event_time < pickTime) {
        pick = partition;
        pickTime = head.tx.event_time;
      }
    }
    if (pick === null) return null;
    const buffer = this.buffers.get(pick) ?? [];
    const at = this.heads.get(pick) ?? 0;
    const record = buffer[at];
    if (!record) return null;
    // Drop what was taken once it is most of the buffer (amortised linear).
    if (at + 1 >= 1024 && at + 1 >= buffer.length / 2) {
      buffer.splice(0, at + 1);
      this.heads.set(pick, 0);
    } else this.heads.set(pick, at + 1);
    if (this.paused.has(pick) && buffer.length - (this.heads.get(pick) ?? 0) < this.aheadLimit / 2) {
      this.paused.delete(pick);
      this.flow?.resume(pick);
    }
    return { partition: pick, record };
  }

  private async flush(): Promise<void> {
    if (this.sliceSize === 0) return;
    const from = this.nextLabel;
    while (
      this.nextLabel < this.labels.length &&
      (this.labels[this.nextLabel]?.event_time ?? Infinity) <= this.sliceLast
    )
      this.nextLabel++;
    if (this.nextLabel > from) await this.pipeline.applyLabels(this.labels.slice(from, this.nextLabel));
    for (const [partition, batch] of this.slice) {
      const { duplicates } = await this.pipeline.computeScoring(
        batch.map((r) => r.tx),
        {
          topic: this.topic,
          partition,
          offsets: batch.map((r) => r.offset),
          committedOffset: this.committed.get(partition) ?? 0,
        },
      );
      this.replayed.set(partition, (this.replayed.get(partition) ?? 0) + batch.length);
      if (duplicates.length > 0)
        this.duplicates.set(partition, (this.duplicates.get(partition) ?? 0) + duplicates.length);
      for (const { tx } of batch) {
        if (this.first === null || tx.event_time < this.first) this.first = tx.event_time;
        if (this.last === null || tx.event_time > this.last) this.last = tx.event_time;
      }
    }
    this.slice = new Map();
    this.sliceSize = 0;
    this.sliceLast = Number.NEGATIVE_INFINITY;
  }
}
