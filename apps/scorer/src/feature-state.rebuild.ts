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
import { DeadLetterHeaders, readTopicRange, type AvroSerde, type Kafka } from '@fraudstream/kafka';

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

  /** Replays the committed transactions and labels through `pipeline`; its store must be empty. */
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

    const byPartition = new Map<number, PendingRecord[]>();
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
        let list = byPartition.get(record.partition);
        if (!list) byPartition.set(record.partition, (list = []));
        list.push({ tx, offset: record.offset });
      },
      { ends: committed, groupPrefix: rebuildGroupPrefix(this.settings.groupId) },
    );
    const labels: Label[] = [];
    if (labelsCommitted.size > 0)
      await readTopicRange(
        this.kafka,
        labelsTopic,
        async (record) => {
          const label = await this.decode(record.value, validateLabel);
          if (label) labels.push(label);
        },
        { ends: labelsCommitted, groupPrefix: rebuildGroupPrefix(this.settings.groupId) },
      );

    const duplicates = await this.replay(pipeline, byPartition, labels, committed);
    let first: number | null = null;
    let last: number | null = null;
    let transactions = 0;
    for (const list of byPartition.values()) {
      transactions += list.length;
      for (const { tx } of list) {
        if (first === null || tx.event_time < first) first = tx.event_time;
        if (last === null || tx.event_time > last) last = tx.event_time;
      }
    }
    const partitions = [...committed.entries()]
      .sort(([a], [b]) => a - b)
      .map(([partition, committedOffset]) => ({
        partition,
        committedOffset,
        firstRetainedOffset: firsts.get(partition) ?? 0,
        counted: (byPartition.get(partition)?.length ?? 0) - (duplicates.get(partition) ?? 0),
        deadLettered: skipped.get(partition)?.deadLettered ?? 0,
        invalid: skipped.get(partition)?.invalid ?? 0,
        duplicates: duplicates.get(partition) ?? 0,
      }));
    // Retention deleted transactions the windows still reach: the state misses them.
    const retentionCut = partitions.some((p) => p.firstRetainedOffset > 0);
    // How far back the windows reach: the longest, behind the feature set's label delay.
    const reach = (WINDOW_DAYS + pipeline.featureSet.terminalDelayDays) * DAY_MS;
    const windowsComplete = !retentionCut || (first !== null && last !== null && last - first >= reach);
    return {
      partitions,
      transactions,
      labels: labels.length,
      firstEventTime: first,
      lastEventTime: last,
      windowsComplete,
      seconds: (Date.now() - started) / 1000,
    };
  }

  /**
   * The partitions' records merged by event time (each partition in offset order, the one whose next
   * record is the earliest first), cut into slices, each slice one batch per partition; the labels
   * known by a slice's last event time go in before it, as replayFeatures hands them over. Returns
   * the duplicates found per partition.
   */
  private async replay(
    pipeline: FeaturePipeline,
    byPartition: ReadonlyMap<number, readonly PendingRecord[]>,
    labels: readonly Label[],
    committed: ReadonlyMap<number, number>,
  ): Promise<Map<number, number>> {
    const sliceSize = this.settings.sliceSize ?? 1000;
    const sorted = [...labels].sort((a, b) => a.event_time - b.event_time);
    const heads = new Map<number, number>([...byPartition.keys()].map((p) => [p, 0]));
    const duplicates = new Map<number, number>();
    let nextLabel = 0;
    for (;;) {
      const slice = new Map<number, PendingRecord[]>();
      let size = 0;
      let last = Number.NEGATIVE_INFINITY;
      while (size < sliceSize) {
        let pick: number | null = null;
        let pickTime = Number.POSITIVE_INFINITY;
        for (const [partition, at] of heads) {
          const time = byPartition.get(partition)?.[at]?.tx.event_time;
          if (time !== undefined && time < pickTime) {
            pick = partition;
            pickTime = time;
          }
        }
        if (pick === null) break;
        const at = heads.get(pick) ?? 0;
        const record = byPartition.get(pick)?.[at];
        heads.set(pick, at + 1);
        if (!record) break;
        let batch = slice.get(pick);
        if (!batch) slice.set(pick, (batch = []));
        batch.push(record);
        last = Math.max(last, pickTime);
        size++;
      }
      if (size === 0) break;
      const from = nextLabel;
      while (nextLabel < sorted.length && (sorted[nextLabel]?.event_time ?? Infinity) <= last) nextLabel++;
      if (nextLabel > from) await pipeline.applyLabels(sorted.slice(from, nextLabel));
      for (const [partition, batch] of slice) {
        const { duplicates: found } = await pipeline.computeScoring(
          batch.map((r) => r.tx),
          {
            topic: this.settings.transactionsTopic,
            partition,
            offsets: batch.map((r) => r.offset),
            committedOffset: committed.get(partition) ?? 0,
          },
        );
        if (found.length > 0) duplicates.set(partition, (duplicates.get(partition) ?? 0) + found.length);
      }
    }
    // Labels later than the last transaction stay queued, as the scorers had them.
    if (nextLabel < sorted.length) await pipeline.applyLabels(sorted.slice(nextLabel));
    return duplicates;
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
