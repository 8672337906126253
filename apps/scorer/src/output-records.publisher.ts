import { Injectable } from '@nestjs/common';
import { AvroProducer, type OutgoingRecord, type RecordSink } from '@fraudstream/kafka';

export interface TopicRecords {
  readonly topic: string;
  readonly records: readonly OutgoingRecord<unknown>[];
}

interface Waiting {
  readonly batches: readonly TopicRecords[];
  resolve(): void;
  reject(error: unknown): void;
}

/** Records per produce request: ~250 bytes a score keeps a request far under the broker's 1 MiB default. */
export const PRODUCE_SLICE = 500;

/**
 * Sends the outputs of concurrently handled partitions in shared produce requests. The idempotent
 * producer has one request in flight per broker, so partitions handled at the same time would
 * otherwise queue one round trip each; here what arrives while a request is in flight goes out
 * together in the next one. Every caller resolves only once all its records are acknowledged, and
 * a failed request fails every caller whose records it carried (their batches are retried).
 */
@Injectable()
export class OutputRecordsPublisher {
  private waiting: Waiting[] = [];
  private sending = false;

  constructor(private readonly producer: AvroProducer) {}

  publish(batches: readonly TopicRecords[]): Promise<void> {
    if (batches.every((b) => b.records.length === 0)) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.waiting.push({ batches, resolve, reject });
      if (!this.sending) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.sending = true;
    // Let the other partitions' handlers, resumed by the same scoring run, add their records.
    await new Promise((resolve) => setImmediate(resolve));
    while (this.waiting.length > 0) {
      const group = this.waiting;
      this.waiting = [];
      try {
        await this.send(group.flatMap((w) => w.batches));
        for (const w of group) w.resolve();
      } catch (error) {
        for (const w of group) w.reject(error);
      }
    }
    this.sending = false;
  }

  /** Sends one batch's records through `sink` (a partition's transaction), in the same slices. */
  publishTo(sink: RecordSink, batches: readonly TopicRecords[]): Promise<void> {
    return this.send(batches, sink);
  }

  /** Merges by topic and sends in slices, so no request outgrows the broker's message size limit. */
  private async send(
    batches: readonly TopicRecords[],
    sink: RecordSink = this.producer.producer,
  ): Promise<void> {
    const byTopic = new Map<string, OutgoingRecord<unknown>[]>();
    for (const { topic, records } of batches) {
      const list = byTopic.get(topic) ?? [];
      for (const r of records) list.push(r);
      byTopic.set(topic, list);
    }
    const longest = Math.max(0, ...[...byTopic.values()].map((l) => l.length));
    for (let i = 0; i < longest; i += PRODUCE_SLICE) {
      await this.producer.sendMany(
        [...byTopic].map(([topic, records]) => ({ topic, records: records.slice(i, i + PRODUCE_SLICE) })),
        sink,
      );
    }
  }
}
