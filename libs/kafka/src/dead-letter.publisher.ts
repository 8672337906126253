import { Logger } from '@nestjs/common';
import { deadLetterTopic, type PoisonKind } from '@fraudstream/contracts';
import type { IHeaders } from 'kafkajs';
import { isRecordTooLarge } from './failure-kinds';
import type { Producer } from './recovering-producer.adapter';

/** Header names on a dead-lettered message; the value and key are the original bytes (truncated when too large). */
export const DeadLetterHeaders = {
  error: 'fraudstream.dlq.error',
  reason: 'fraudstream.dlq.reason',
  sourceTopic: 'fraudstream.dlq.source.topic',
  sourcePartition: 'fraudstream.dlq.source.partition',
  sourceOffset: 'fraudstream.dlq.source.offset',
  failedAt: 'fraudstream.dlq.failed.at',
  /** Size in bytes of the original value (always set). */
  valueBytes: 'fraudstream.dlq.value.bytes',
  /** `true` when the value (or the key, or a header) was cut to fit the broker's message limit. */
  truncated: 'fraudstream.dlq.truncated',
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

export interface DeadLetterLimits {
  /** Largest value kept; a longer one keeps its first bytes (default 64 KiB). */
  readonly maxValueBytes: number;
  /** Largest key and header value kept (default 1 KiB). */
  readonly maxFieldBytes: number;
}

const DEFAULT_LIMITS: DeadLetterLimits = { maxValueBytes: 65_536, maxFieldBytes: 1024 };

function cut(bytes: Buffer, max: number): { bytes: Buffer; cut: boolean } {
  return bytes.length > max ? { bytes: bytes.subarray(0, max), cut: true } : { bytes, cut: false };
}

function headerBytes(value: IHeaders[string]): Buffer | null {
  if (value === undefined || value === null) return null;
  if (Array.isArray(value)) return Buffer.concat(value.map((v) => (Buffer.isBuffer(v) ? v : Buffer.from(v))));
  return Buffer.isBuffer(value) ? value : Buffer.from(value);
}

/**
 * Sends messages that can never be processed to `<topic>.dlq`, with their provenance, and waits for
 * the ack. A dead letter always fits the broker's limit: the value keeps its first 64 KiB, keys and
 * header values their first KiB, and the headers say the original size and that it was cut. A 1 MiB
 * poison record therefore goes to the dead-letter topic instead of failing there too.
 */
export class DeadLetterPublisher {
  private readonly logger = new Logger(DeadLetterPublisher.name);
  private readonly limits: DeadLetterLimits;

  constructor(
    private readonly producer: Pick<Producer, 'sendBatch'>,
    limits: Partial<DeadLetterLimits> = {},
  ) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
  }

  async publish(letters: readonly DeadLetter[]): Promise<void> {
    if (letters.length === 0) return;
    try {
      await this.send(letters, this.limits);
    } catch (error) {
      if (!isRecordTooLarge(error)) throw error;
      // Many letters of a batch together can still outgrow a request: send them bare, one request each.
      for (const letter of letters) await this.send([letter], { maxValueBytes: 1024, maxFieldBytes: 256 });
    }
    for (const l of letters) {
      this.logger.warn({
        msg: 'dead-lettered',
        topic: l.topic,
        partition: l.partition,
        offset: l.offset,
        reason: l.reason,
        error: l.error,
        valueBytes: l.value?.length ?? 0,
      });
    }
  }

  private async send(letters: readonly DeadLetter[], limits: DeadLetterLimits): Promise<void> {
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
        messages: list.map((l) => this.message(l, limits)),
      })),
    });
  }

  private message(l: DeadLetter, limits: DeadLetterLimits) {
    let truncated = false;
    const value = l.value ? cut(l.value, limits.maxValueBytes) : null;
    const key = l.key ? cut(l.key, limits.maxFieldBytes) : null;
    truncated = (value?.cut ?? false) || (key?.cut ?? false);
    const headers: IHeaders = {};
    for (const [name, raw] of Object.entries(l.headers ?? {})) {
      const bytes = headerBytes(raw);
      if (bytes === null) continue;
      const kept = cut(bytes, limits.maxFieldBytes);
      truncated ||= kept.cut;
      headers[name] = kept.bytes;
    }
    const error = cut(Buffer.from(l.error, 'utf8'), 4 * limits.maxFieldBytes);
    return {
      key: key?.bytes ?? null,
      value: value?.bytes ?? null,
      headers: {
        ...headers,
        [DeadLetterHeaders.error]: error.bytes,
        [DeadLetterHeaders.reason]: l.reason,
        [DeadLetterHeaders.sourceTopic]: l.topic,
        [DeadLetterHeaders.sourcePartition]: String(l.partition),
        [DeadLetterHeaders.sourceOffset]: l.offset,
        [DeadLetterHeaders.valueBytes]: String(l.value?.length ?? 0),
        [DeadLetterHeaders.truncated]: String(truncated || error.cut),
        // Wall clock on purpose: when the failure happened, for operators, not an event-time fact.
        [DeadLetterHeaders.failedAt]: new Date().toISOString(),
      },
    };
  }
}
