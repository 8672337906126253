import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { Topics, type Label, type Transaction } from '@fraudstream/contracts';
import { Logger } from '@nestjs/common';
import { describeError } from '@fraudstream/contracts';
import { isTransient, type AvroProducer, type OutgoingRecord } from '@fraudstream/kafka';
import { HandbookCsvWriter } from '@fraudstream/datasets';
import type { GroundTruth, SimulationEvent, TransactionSimulator } from '@fraudstream/simulation';
import type { CardIngress } from './card-ingress';

/** Where simulated events go: Kafka or NDJSON files. */
export interface SimulationSink {
  write(events: readonly SimulationEvent[]): Promise<void>;
  close(): Promise<void>;
}

export interface KafkaSinkTopics {
  readonly transactions: string;
  readonly labels: string;
}

/** The wall clock, behind an adapter so tests and pacing control it. */
export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** Longest wait between two attempts of a batch while the broker is away. */
const MAX_RETRY_WAIT_MS = 5000;

/**
 * Publishes to Kafka as Confluent-framed Avro: transactions keyed by card token (per-card order),
 * labels keyed by transaction id, both in one produce request per batch. Every card id is replaced
 * by its token at this edge (a label's with the key of its transaction's time), so no record on a
 * topic holds a raw card identifier; during a key rotation a transaction before the cutover also
 * carries the next key's token (`card_token_next`, docs/security.md). ingest_time is stamped
 * with the wall clock at publication (the only non-deterministic field, by its definition).
 * A broker or registry outage is waited out, the batch sent again (the producer recovers or is
 * re-created): the simulation pauses, it does not fail.
 */
export class KafkaSimulationSink implements SimulationSink {
  private readonly logger = new Logger(KafkaSimulationSink.name);

  constructor(
    private readonly producer: AvroProducer,
    private readonly cards: CardIngress,
    private readonly topics: KafkaSinkTopics = { transactions: Topics.transactions, labels: Topics.labels },
    private readonly clock: Clock = systemClock,
  ) {}

  async write(events: readonly SimulationEvent[]): Promise<void> {
    const now = this.clock.now();
    const transactions: OutgoingRecord<Transaction>[] = [];
    const labels: OutgoingRecord<Label>[] = [];
    for (const event of events) {
      if (event.kind === 'transaction') {
        const tx = event.transaction;
        const card_id = this.cards.token(tx.card_id, tx.event_time);
        const card_token_next = this.cards.nextToken(tx.card_id, tx.event_time);
        transactions.push({ key: card_id, value: { ...tx, card_id, card_token_next, ingest_time: now } });
      } else {
        const label = event.label;
        const card_id = this.cards.token(label.card_id, label.transaction_time);
        labels.push({ key: label.transaction_id, value: { ...label, card_id } });
      }
    }
    const batches = [
      { topic: this.topics.transactions, records: transactions },
      { topic: this.topics.labels, records: labels },
    ];
    for (let attempt = 1; ; attempt++) {
      try {
        await this.producer.sendMany(batches);
        return;
      } catch (error) {
        if (!isTransient(error)) throw error;
        const delayMs = Math.min(200 * 2 ** Math.min(attempt - 1, 10), MAX_RETRY_WAIT_MS);
        this.logger.warn({
          msg: 'publishing failed; retrying',
          attempt,
          delayMs,
          error: describeError(error),
        });
        await this.clock.sleep(delayMs);
      }
    }
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * Writes transactions.ndjson, labels.ndjson and truth.ndjson (is_fraud and fraud scenario per
 * transaction, which no Kafka consumer ever sees) under a directory, one JSON record a line.
 * ingest_time stays equal to event_time, so the files are byte-identical for the same options.
 */
export class NdjsonSimulationSink implements SimulationSink {
  private readonly transactions: WriteStream;
  private readonly labels: WriteStream;
  private readonly truth: WriteStream;

  constructor(readonly directory: string) {
    mkdirSync(directory, { recursive: true });
    this.transactions = createWriteStream(join(directory, 'transactions.ndjson'));
    this.labels = createWriteStream(join(directory, 'labels.ndjson'));
    this.truth = createWriteStream(join(directory, 'truth.ndjson'));
  }

  async write(events: readonly SimulationEvent[]): Promise<void> {
    let tx = '';
    let labels = '';
    let truth = '';
    for (const event of events) {
      if (event.kind === 'transaction') {
        tx += `${JSON.stringify(event.transaction)}\n`;
        const t: GroundTruth & { event_time: number } = {
          ...event.truth,
          event_time: event.transaction.event_time,
        };
        truth += `${JSON.stringify(t)}\n`;
      } else {
        labels += `${JSON.stringify(event.label)}\n`;
      }
    }
    await Promise.all([write(this.transactions, tx), write(this.labels, labels), write(this.truth, truth)]);
  }

  async close(): Promise<void> {
    await Promise.all([end(this.transactions), end(this.labels), end(this.truth)]);
  }
}

/**
 * Writes the transactions and their truth as a Fraud Detection Handbook CSV (labels are its
 * TX_FRAUD flag; the chargebacks are left out, the importer's delay model makes them again).
 * CUSTOMER_ID and TERMINAL_ID are the population's indices, as the handbook numbers them.
 */
export class HandbookCsvSimulationSink implements SimulationSink {
  private readonly writer: HandbookCsvWriter;

  constructor(path: string, simulator: TransactionSimulator) {
    const customers = new Map(simulator.population.customers.map((c) => [c.id, String(c.index)]));
    const terminals = new Map(simulator.population.terminals.map((t) => [t.id, String(t.index)]));
    this.writer = new HandbookCsvWriter(path, {
      start: simulator.dayStart(0),
      customerIndex: (id) => customers.get(id) ?? id,
      terminalIndex: (id) => terminals.get(id) ?? id,
    });
  }

  async write(events: readonly SimulationEvent[]): Promise<void> {
    for (const event of events)
      if (event.kind === 'transaction') await this.writer.write(event.transaction, event.truth);
  }

  close(): Promise<void> {
    return this.writer.close();
  }
}

function write(stream: WriteStream, text: string): Promise<void> {
  if (text.length === 0 || stream.write(text)) return Promise.resolve();
  return new Promise((resolve) => stream.once('drain', () => resolve()));
}

function end(stream: WriteStream): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.once('error', reject);
    stream.end(() => resolve());
  });
}
