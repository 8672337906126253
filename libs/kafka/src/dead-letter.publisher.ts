import { Logger } from '@nestjs/common';
import { deadLetterTopic, type PoisonKind } from '@fraudstream/contracts';
import type { IHeaders, Producer } from 'kafkajs';

/** Header names on a dead-lettered message; the value and key are the original bytes. */
export const DeadLetterHeaders = {
  error: 'fraudstream.dlq.error',
  reason: 'fraudstream.dlq.reason',
  sourceTopic: 'fraudstream.dlq.source.topic',
  sourcePartition: 'fraudstream.dlq.source.partition',
  sourceOffset: 'fraudstream.dlq.source.offset',
  failedAt: 'fraudstream.dlq.failed.at',
} as const;

export interface DeadLetter {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: IHeaders | undefined;
  readonly reason: PoisonKind;
  readonly error: string;
}

/** Sends messages that can never be processed to `<topic>.dlq`, with their provenance, and waits for the ack. */
export class DeadLetterPublisher {
  private readonly logger = new Logger(DeadLetterPublisher.name);

  constructor(private readonly producer: Producer) {}

  async publish(letters: readonly DeadLetter[]): Promise<void> {
    if (letters.length === 0) return;
    const byTopic = new Map<string, DeadLetter[]>();
    for (const letter of letters) {
      const list = byTopic.get(letter.topic) ?? [];
      list.push(letter);
      byTopic.set(letter.topic, list);
    }
    await this.producer.sendBatch({
      acks: -1,
      topicMessages: [...byTopic].map(([topic, list]) => ({
        topic: deadLetterTopic(topic),
        messages: list.map((l) => ({
          key: l.key,
          value: l.value,
          headers: {
            ...l.headers,
            [DeadLetterHeaders.error]: l.error,
            [DeadLetterHeaders.reason]: l.reason,
            [DeadLetterHeaders.sourceTopic]: l.topic,
            [DeadLetterHeaders.sourcePartition]: String(l.partition),
            [DeadLetterHeaders.sourceOffset]: l.offset,
            // Wall clock on purpose: when the failure happened, for operators, not an event-time fact.
            [DeadLetterHeaders.failedAt]: new Date().toISOString(),
          },
        })),
      })),
    });
    for (const l of letters) {
      this.logger.warn({
        msg: 'dead-lettered',
        topic: l.topic,
        partition: l.partition,
        offset: l.offset,
        reason: l.reason,
        error: l.error,
      });
    }
  }
}
