import { randomUUID } from 'node:crypto';
import type { Score } from '@fraudstream/contracts';
import {
  DeadLetterHeaders,
  createConsumer,
  type AvroSerde,
  type Consumer,
  type Kafka,
} from '@fraudstream/kafka';

/** A champion score, and when the scorer produced it (the record's create time). */
export interface Arrival {
  readonly transactionId: string;
  readonly partition: number;
  readonly at: number;
  readonly modelVersion: string;
}

/** What a score is unique by: one per transaction, model version and role. */
function scoreKey(score: Score): string {
  return JSON.stringify([score.transaction_id, score.model_version, score.role]);
}

/**
 * Reads a run's scores and its transactions' dead-letter topic from the start, in groups of its own,
 * as every reader of the scorer's outputs does (read_committed): which transactions were scored how
 * often, when each score arrived on which partition, and the dead letters by reason. A second reader
 * on read_uncommitted counts what aborted transactions left on the topic, so a run shows whether its
 * faults hit open transactions at all.
 */
export class ScoreObserver {
  readonly arrivals: Arrival[] = [];
  /** CHAMPION score records per transaction (read_committed). */
  readonly scoreCounts = new Map<string, number>();
  /** Score records per (transaction id, model version, role), read_committed and read_uncommitted. */
  readonly committedCounts = new Map<string, number>();
  readonly uncommittedCounts = new Map<string, number>();
  readonly deadLetters = new Map<string, number>();
  private readonly consumers: Consumer[] = [];

  constructor(
    private readonly kafka: Kafka,
    private readonly serde: AvroSerde,
  ) {}

  async start(scoresTopic: string, deadLetterTopic: string): Promise<void> {
    // A reader that rejoins after a broker restart may be handed records again: what is on the topic
    // counts once per offset.
    const committedSeen = new OffsetsSeen();
    const uncommittedSeen = new OffsetsSeen();
    const scores = createConsumer(this.kafka, {
      groupId: `chaos-observer-${randomUUID()}`,
      maxWaitTimeInMs: 100,
    });
    await scores.connect();
    await scores.subscribe({ topics: [scoresTopic], fromBeginning: true });
    await scores.run({
      eachBatch: async ({ batch }) => {
        for (const message of batch.messages) {
          if (!committedSeen.first(batch.partition, message.offset)) continue;
          // The record's create time, set by the scorer's producer: when it was scored, whatever this
          // reader's own delays after an outage (it rejoins its group like any consumer).
          const at = Number(message.timestamp);
          const score = await this.serde.decode<Score>(message.value);
          const key = scoreKey(score);
          this.committedCounts.set(key, (this.committedCounts.get(key) ?? 0) + 1);
          if (score.role !== 'CHAMPION') continue;
          this.scoreCounts.set(score.transaction_id, (this.scoreCounts.get(score.transaction_id) ?? 0) + 1);
          this.arrivals.push({
            transactionId: score.transaction_id,
            partition: batch.partition,
            at,
            modelVersion: score.model_version,
          });
        }
      },
    });
    const everything = this.kafka.consumer({
      groupId: `chaos-observer-${randomUUID()}`,
      maxWaitTimeInMs: 100,
      readUncommitted: true,
    });
    await everything.connect();
    await everything.subscribe({ topics: [scoresTopic], fromBeginning: true });
    await everything.run({
      eachMessage: async ({ partition, message }) => {
        if (!uncommittedSeen.first(partition, message.offset)) return;
        const key = scoreKey(await this.serde.decode<Score>(message.value));
        this.uncommittedCounts.set(key, (this.uncommittedCounts.get(key) ?? 0) + 1);
      },
    });
    const letters = createConsumer(this.kafka, {
      groupId: `chaos-observer-${randomUUID()}`,
      maxWaitTimeInMs: 100,
    });
    await letters.connect();
    await letters.subscribe({ topics: [deadLetterTopic], fromBeginning: true });
    await letters.run({
      eachMessage: async ({ message }) => {
        const reason = String(message.headers?.[DeadLetterHeaders.reason] ?? 'unknown');
        this.deadLetters.set(reason, (this.deadLetters.get(reason) ?? 0) + 1);
      },
    });
    this.consumers.push(scores, everything, letters);
  }

  async stop(): Promise<void> {
    await Promise.all(this.consumers.map((c) => c.disconnect()));
  }

  /** Score records beyond the first per (transaction id, model version, role), read_committed. */
  get duplicates(): number {
    return beyondFirst(this.committedCounts);
  }

  /** The same on read_uncommitted: records of aborted transactions count too. */
  get uncommittedDuplicates(): number {
    return beyondFirst(this.uncommittedCounts);
  }

  /**
   * Seconds from `from` until every partition that scored anything had a score arrive for a
   * transaction acknowledged after `from`: how long the scoring of new transactions stalled.
   */
  recoverySeconds(from: number, produced: ReadonlyMap<string, number>): number | null {
    const partitions = new Set(this.arrivals.map((a) => a.partition));
    let worst = 0;
    for (const partition of partitions) {
      const first = this.arrivals.find(
        (a) => a.partition === partition && (produced.get(a.transactionId) ?? 0) > from,
      );
      if (!first) return null;
      worst = Math.max(worst, first.at - from);
    }
    return worst / 1000;
  }
}

function beyondFirst(counts: ReadonlyMap<string, number>): number {
  let n = 0;
  for (const count of counts.values()) n += count - 1;
  return n;
}

/** The newest offset read per partition: a record handed again to a rejoining reader is not counted twice. */
class OffsetsSeen {
  private readonly newest = new Map<number, bigint>();

  /** True the first time an offset of the partition is read (offsets arrive in order per partition). */
  first(partition: number, offset: string): boolean {
    const at = BigInt(offset);
    if (at <= (this.newest.get(partition) ?? -1n)) return false;
    this.newest.set(partition, at);
    return true;
  }
}
