import type { ProducerBatch } from 'kafkajs';
import type { Delivery } from './batch-recovery';
import type { RecordSink } from './stream-consumer.types';

/**
 * The outputs of a batch handled exactly-once, held until its transaction: each delivery attempt
 * sends into a sink of its own, whose records are kept only when the attempt succeeds, so a retried
 * or isolated delivery never leaves half an attempt behind.
 */
export class TransactionOutputs {
  private readonly batches: ProducerBatch[] = [];

  /** Runs one delivery attempt into a sink that only records what it is given. */
  readonly delivery: Delivery = async (deliver) => {
    const attempt: ProducerBatch[] = [];
    await deliver({
      sendBatch: (batch) => {
        attempt.push(batch);
        return Promise.resolve([]);
      },
    });
    this.batches.push(...attempt);
  };

  /** Records held, over all kept attempts. */
  get records(): number {
    let n = 0;
    for (const b of this.batches) for (const t of b.topicMessages ?? []) n += t.messages.length;
    return n;
  }

  /** Sends the kept attempts' requests through the transaction, in order. */
  async sendTo(sink: RecordSink): Promise<void> {
    for (const batch of this.batches) await sink.sendBatch(batch);
  }
}
