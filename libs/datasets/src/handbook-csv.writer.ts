import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';
import type { Writable } from 'node:stream';
import { createGzip } from 'node:zlib';
import { DAY_MS, SECOND_MS, type Transaction } from '@fraudstream/contracts';
import type { GroundTruth } from '@fraudstream/simulation';
import { HANDBOOK_SCENARIOS } from './column.mapping';

/** The handbook dataset's columns, in its order. */
export const HANDBOOK_COLUMNS = [
  'TRANSACTION_ID',
  'TX_DATETIME',
  'CUSTOMER_ID',
  'TERMINAL_ID',
  'TX_AMOUNT',
  'TX_TIME_SECONDS',
  'TX_TIME_DAYS',
  'TX_FRAUD',
  'TX_FRAUD_SCENARIO',
] as const;

/** `2018-04-01 00:00:31`: pandas' rendering of a naive timestamp, as the handbook's files show it. */
export function handbookDateTime(ms: number): string {
  const iso = new Date(ms).toISOString();
  const seconds = ms % SECOND_MS === 0 ? iso.slice(0, 19) : iso.slice(0, 23);
  return seconds.replace('T', ' ');
}

export interface HandbookCsvOptions {
  /** Event time of day 0 (TX_TIME_SECONDS and TX_TIME_DAYS count from it). */
  readonly start: number;
  /** The handbook's integer ids of a card and a terminal (its CUSTOMER_ID and TERMINAL_ID). */
  readonly customerIndex: (cardId: string) => string;
  readonly terminalIndex: (terminalId: string) => string;
}

/**
 * Writes transactions with their truth as a handbook-format CSV (gzip when the path ends in .gz):
 * TRANSACTION_ID numbers the rows in the order written (event time, as the handbook sorts them);
 * the channel is dropped (the handbook has none).
 */
export class HandbookCsvWriter {
  private readonly file: WriteStream;
  private readonly out: Writable;
  private buffer = '';
  private nextId = 0;

  constructor(
    path: string,
    private readonly options: HandbookCsvOptions,
  ) {
    mkdirSync(dirname(path), { recursive: true });
    this.file = createWriteStream(path);
    this.out = path.toLowerCase().endsWith('.gz') ? createGzip() : this.file;
    if (this.out !== this.file) this.out.pipe(this.file);
    this.buffer = `${HANDBOOK_COLUMNS.join(',')}\n`;
  }

  get rows(): number {
    return this.nextId;
  }

  async write(transaction: Transaction, truth: GroundTruth): Promise<void> {
    const o = this.options;
    const elapsed = transaction.event_time - o.start;
    const seconds = elapsed / SECOND_MS;
    // A fraud of no handbook scenario ('unknown') is written with code 0, as the reader reads it back.
    const code = truth.is_fraud ? Math.max(0, HANDBOOK_SCENARIOS.indexOf(truth.scenario)) : 0;
    this.buffer +=
      `${this.nextId++},${handbookDateTime(transaction.event_time)},${o.customerIndex(transaction.card_id)},` +
      `${o.terminalIndex(transaction.terminal_id)},${transaction.amount.toFixed(2)},${seconds},` +
      `${Math.floor(elapsed / DAY_MS)},${truth.is_fraud ? 1 : 0},${code}\n`;
    if (this.buffer.length >= 1 << 20) await this.flush();
  }

  private async flush(): Promise<void> {
    const text = this.buffer;
    this.buffer = '';
    if (text.length > 0 && !this.out.write(text))
      await new Promise<void>((resolve) => this.out.once('drain', () => resolve()));
  }

  async close(): Promise<void> {
    await this.flush();
    await new Promise<void>((resolve, reject) => {
      this.file.once('error', reject);
      this.file.once('finish', () => resolve());
      this.out.end();
    });
  }
}
