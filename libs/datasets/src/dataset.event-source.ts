import { DAY_MS, type Label } from '@fraudstream/contracts';
import { lowerBound } from '@fraudstream/stats';
import type { DayEventSource, SimulationEvent } from '@fraudstream/simulation';
import type { ImportedDataset } from './dataset.types';

export interface DatasetWindow {
  /** First day streamed, counted from the UTC midnight of the dataset's first transaction. Default 0. */
  readonly fromDay?: number;
  /** Days streamed. Default: to the dataset's last transaction. */
  readonly days?: number;
}

/** UTC midnight of a dataset's first transaction (its day 0). */
export function datasetStart(dataset: ImportedDataset): number {
  const first = dataset.transactions[0]?.event_time;
  if (first === undefined) return 0;
  return Math.floor(first / DAY_MS) * DAY_MS;
}

/** Days from day 0 to the last transaction's day, inclusive. */
export function datasetDays(dataset: ImportedDataset): number {
  const last = dataset.transactions[dataset.transactions.length - 1]?.event_time;
  if (last === undefined) return 0;
  return Math.floor((last - datasetStart(dataset)) / DAY_MS) + 1;
}

/**
 * A bank's file as a stream of days, like the simulator: each day's transactions with the labels
 * that fall due during it, in event-time order (a label before a transaction of the same time).
 * Only labels of the streamed window's transactions are emitted, and only those due by its end,
 * as a scorer started on the window's first day would see them. The truth of each transaction
 * comes from the file (flag or labels), for the analyst desk and the reports.
 */
export class DatasetEventSource implements DayEventSource {
  readonly days: number;
  readonly start: number;
  private next = 0;
  private txIndex: number;
  private labelIndex = 0;
  private readonly labels: Label[];

  constructor(
    private readonly dataset: ImportedDataset,
    window: DatasetWindow = {},
  ) {
    const fromDay = window.fromDay ?? 0;
    this.start = datasetStart(dataset) + fromDay * DAY_MS;
    this.days = window.days ?? Math.max(0, datasetDays(dataset) - fromDay);
    const end = this.start + this.days * DAY_MS;
    this.txIndex = lowerBound(
      dataset.transactions.length,
      (i) => (dataset.transactions[i]?.event_time ?? 0) >= this.start,
    );
    this.labels = dataset.labels.filter(
      (l) => l.transaction_time >= this.start && l.transaction_time < end && l.event_time < end,
    );
  }

  dayStart(day: number): number {
    return this.start + day * DAY_MS;
  }

  get hasNextDay(): boolean {
    return this.next < this.days;
  }

  nextDay(): SimulationEvent[] {
    if (!this.hasNextDay) return [];
    const dayEnd = this.dayStart(++this.next);
    const { transactions, isFraud, scenarios } = this.dataset;
    const events: SimulationEvent[] = [];
    for (; this.txIndex < transactions.length; this.txIndex++) {
      const transaction = transactions[this.txIndex];
      if (!transaction || transaction.event_time >= dayEnd) break;
      for (let label = this.labels[this.labelIndex]; label && label.event_time <= transaction.event_time;) {
        events.push({ kind: 'label', label });
        label = this.labels[++this.labelIndex];
      }
      const fraud = isFraud[this.txIndex] === 1;
      events.push({
        kind: 'transaction',
        transaction,
        truth: {
          transaction_id: transaction.transaction_id,
          is_fraud: fraud,
          scenario: scenarios[this.txIndex] ?? (fraud ? 'unknown' : 'none'),
        },
      });
    }
    for (let label = this.labels[this.labelIndex]; label && label.event_time < dayEnd;) {
      events.push({ kind: 'label', label });
      label = this.labels[++this.labelIndex];
    }
    return events;
  }
}
