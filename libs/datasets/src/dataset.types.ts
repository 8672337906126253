import type { Label, Transaction } from '@fraudstream/contracts';
import type { FraudScenario } from '@fraudstream/simulation';

/**
 * The column layouts a bank's history can come in (docs/datasets.md maps each column):
 * - `handbook`: the Fraud Detection Handbook's simulated dataset (TRANSACTION_ID, TX_DATETIME,
 *   CUSTOMER_ID, TERMINAL_ID, TX_AMOUNT, TX_FRAUD, TX_FRAUD_SCENARIO, ...); card = customer;
 * - `fraudstream`: the loop's own record fields (tx.transactions.v1 and fraud.labels.v1).
 */
export const DATASET_FORMATS = ['handbook', 'fraudstream'] as const;
export type DatasetFormat = (typeof DATASET_FORMATS)[number];

export function isDatasetFormat(name: string): name is DatasetFormat {
  return (DATASET_FORMATS as readonly string[]).includes(name);
}

/** One row of a table file: its 1-based line (CSV, NDJSON) or row (Parquet) number, and its values by column. */
export interface TableRow {
  readonly line: number;
  readonly values: Readonly<Record<string, unknown>>;
}

/** A row that did not become a record: where it was, why, and what it held. */
export interface RejectedRow {
  /** Which file: the transactions or the labels. */
  readonly file: 'transactions' | 'labels';
  readonly line: number;
  readonly reason: string;
  readonly row: Readonly<Record<string, unknown>>;
}

/** How far a file has been read (bytes of the file on disk, compressed or not). */
export interface ReadProgress {
  readonly file: 'transactions' | 'labels';
  readonly bytesRead: number;
  readonly totalBytes: number;
  readonly rows: number;
}

/** What an import read, kept and refused. */
export interface ImportStats {
  readonly rowsRead: number;
  readonly transactions: number;
  readonly rejectedTransactions: number;
  readonly labelRowsRead: number;
  readonly rejectedLabels: number;
  /** Labels made from a fraud flag by the chargeback-delay model. */
  readonly labelsFromFlags: number;
  /** Labels read from a labels file. */
  readonly labelsFromFile: number;
  readonly frauds: number;
  /** Event time of the first and last transaction (null when none). */
  readonly firstEventTime: number | null;
  readonly lastEventTime: number | null;
  readonly seconds: number;
}

/**
 * A bank's history in memory, validated: transactions in event-time order (stable for equal times),
 * each one's truth (fraud or not, and the scenario where the file names it), and the labels in
 * event-time order, each at the time the bank learnt it.
 */
export interface ImportedDataset {
  readonly transactions: Transaction[];
  /** Truth of `transactions[i]`: 1 fraud, 0 legitimate. */
  readonly isFraud: Uint8Array;
  /** Fraud scenario of `transactions[i]` ('none' when legitimate, 'unknown' when the file does not say). */
  readonly scenarios: FraudScenario[];
  readonly labels: Label[];
  readonly stats: ImportStats;
}
