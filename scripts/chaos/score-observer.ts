import { randomUUID } from 'node:crypto';
import type { Score } from '@fraudstream/contracts';
import { DeadLetterHeaders, type AvroSerde, type Consumer, type Kafka } from '@fraudstream/kafka';

/** A champion score, and when the scorer produced it (the record's create time). */
export interface Arrival {
  readonly transactionId: string;
  readonly partition: number;
  readonly at: number;
  readonly modelVersion: string;
}

/**
 * Reads a run's scores and its transactions' dead-letter topic from the start, in groups of its own:
 * which transactions were scored how often, when each score arrived on which partition, and the
 * dead letters by reason.
 */
export class ScoreObserver {
  readonly arrivals: Arrival[] = [];
  readonly scoreCounts = new Map<string, number>();
  readonly deadLetters = new Map<string, number>();
  private readonly consumers: Consumer[] = [];

  constructor(
    private readonly kafka: Kafka,
    private readonly serde: AvroSerde,
  ) {}

  async start(scoresTopic: string, deadLetterTopic: string): Promise<void> {
    const scores = this.kafka.consumer({ groupId: `chaos-observer-${randomUUID()}`, maxWaitTimeInMs: 100 });
    await scores.connect();
    await scores.subscribe({ topics: [scoresTopic], fromBeginning: true });
    await scores.run({
      eachBatch: async ({ batch }) => {
        for (const message of batch.messages) {
          // The record's create time, set by the scorer's producer: when it was scored, whatever this
          // reader's own delays after an outage (it rejoins its group like any consumer).
          const at = Number(message.timestamp);
          const score = await this.serde.decode<Score>(message.value);
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
    const letters = this.kafka.consumer({ groupId: `chaos-observer-${randomUUID()}`, maxWaitTimeInMs: 100 });
    await letters.connect();
    await letters.subscribe({ topics: [deadLetterTopic], fromBeginning: true });
    await letters.run({
      eachMessage: async ({ message }) => {
        const reason = String(message.headers?.[DeadLetterHeaders.reason] ?? 'unknown');
        this.deadLetters.set(reason, (this.deadLetters.get(reason) ?? 0) + 1);
      },
    });
    this.consumers.push(scores, letters);
  }

  async stop(): Promise<void> {
    await Promise.all(this.consumers.map((c) => c.disconnect()));
  }

  /** Score records beyond the first per transaction. */
  get duplicates(): number {
    let n = 0;
    for (const count of this.scoreCounts.values()) n += count - 1;
    return n;
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
