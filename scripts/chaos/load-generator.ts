import type { Transaction } from '@fraudstream/contracts';
import { isTransient, type AvroProducer } from '@fraudstream/kafka';

const DAY_MS = 86_400_000;

/**
 * A steady stream of valid transactions at `rate` per second, as a bank core would send them: each
 * batch retried until the broker acknowledges it (an outage pauses the stream, never drops it).
 * Event time advances `eventStepMs` per transaction from two days before the wall clock.
 */
export class LoadGenerator {
  /** Transaction id → wall time its batch was acknowledged. */
  readonly produced = new Map<string, number>();
  private running = false;
  private done: Promise<void> = Promise.resolve();
  private next = 0;
  private readonly start = Date.now() - 2 * DAY_MS;

  constructor(
    private readonly producer: AvroProducer,
    private readonly topic: string,
    private readonly prefix: string,
    private readonly rate: number,
    private readonly eventStepMs = 1000,
    private readonly cards = 400,
  ) {}

  transaction(i: number): Transaction {
    return {
      transaction_id: `${this.prefix}-${i}`,
      card_id: `card-${(i * 7919) % this.cards}`,
      terminal_id: `term-${(i * 104_729) % 97}`,
      amount: 3 + ((i * 37) % 500),
      currency: 'EUR',
      channel: i % 4 === 0 ? 'CARD_NOT_PRESENT' : 'CARD_PRESENT',
      event_time: this.start + i * this.eventStepMs,
      ingest_time: Date.now(),
    };
  }

  startStreaming(): void {
    this.running = true;
    this.done = this.loop();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.done;
  }

  private async loop(): Promise<void> {
    const perTick = Math.max(1, Math.round(this.rate / 10));
    while (this.running) {
      const tick = Date.now();
      const batch = Array.from({ length: perTick }, () => this.transaction(this.next++));
      await this.sendAcknowledged(batch);
      const ackedAt = Date.now();
      for (const t of batch) this.produced.set(t.transaction_id, ackedAt);
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, 100 - (Date.now() - tick))));
    }
  }

  private async sendAcknowledged(batch: readonly Transaction[]): Promise<void> {
    for (;;) {
      try {
        await this.producer.sendMany([
          { topic: this.topic, records: batch.map((t) => ({ key: t.card_id, value: t })) },
        ]);
        return;
      } catch (error) {
        if (!isTransient(error)) throw error;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
  }
}
