import {
  ValidationError,
  validateLabel,
  validateTransaction,
  type Label,
  type Transaction,
} from '@fraudstream/contracts';
import type { FraudScenario } from '@fraudstream/simulation';
import { chargebackDelayMs, chargebackFor, type ChargebackDelayModel } from './chargeback-delay.model';
import {
  DEFAULT_MAPPING,
  REQUIRED_LABEL_COLUMNS,
  REQUIRED_TRANSACTION_COLUMNS,
  mapLabelRow,
  mapTransactionRow,
  type MappedLabel,
  type MappingDefaults,
} from './column.mapping';
import { CellError } from './column.values';
import { DatasetError } from './dataset.errors';
import type {
  DatasetFormat,
  ImportStats,
  ImportedDataset,
  ReadProgress,
  RejectedRow,
  TableRow,
} from './dataset.types';
import { readTableFile } from './table-file.reader';

export interface ImportOptions {
  readonly transactions: string;
  readonly labels?: string | null;
  readonly format: DatasetFormat;
  /** When a fraud flag's chargeback is known (files with a flag and no label times). */
  readonly chargebackDelay: ChargebackDelayModel;
  readonly defaults?: MappingDefaults;
  readonly onReject?: (reject: RejectedRow) => void;
  readonly onProgress?: (progress: ReadProgress) => void;
  /** Reads rows from elsewhere than disk (tests); defaults to readTableFile. */
  readonly readRows?: (
    path: string,
    onBytes?: (read: number, total: number) => void,
  ) => AsyncIterable<TableRow>;
}

function reasonOf(error: unknown): string {
  if (error instanceof CellError || error instanceof ValidationError) return error.message;
  throw error;
}

function checkColumns(path: string, row: TableRow, required: readonly string[], format: DatasetFormat): void {
  const missing = required.filter((c) => !(c in row.values));
  if (missing.length > 0 && !('__error' in row.values))
    throw new DatasetError(
      `${path}: the ${format} format needs the column${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (found ${Object.keys(row.values).join(', ')})`,
    );
}

/**
 * Reads a bank's history: every transaction row mapped to the contract's fields and checked by
 * the stream's own validator (`validateTransaction`), every label row by `validateLabel`. A row
 * that fails goes to `onReject` with its line and the reason, and the import goes on. Without a
 * labels file, a fraud flag becomes a chargeback at the delay model's time; with one, the labels
 * are its rows (a fraud row without a time also at the model's delay) and the flags only the truth. Duplicate transaction ids
 * keep the first row. Returns the transactions and labels in event-time order (stable).
 */
export async function importDataset(options: ImportOptions): Promise<ImportedDataset> {
  const started = performance.now();
  const read = options.readRows ?? readTableFile;
  const defaults = options.defaults ?? DEFAULT_MAPPING;
  const reject = options.onReject ?? (() => undefined);
  const transactions: Transaction[] = [];
  const flags: (boolean | null)[] = [];
  const scenarios: FraudScenario[] = [];
  const index = new Map<string, number>();
  let rowsRead = 0;
  let rejectedTransactions = 0;
  let first = true;
  for await (const row of read(options.transactions, (bytesRead, totalBytes) =>
    options.onProgress?.({ file: 'transactions', bytesRead, totalBytes, rows: rowsRead }),
  )) {
    rowsRead++;
    if (first) {
      checkColumns(options.transactions, row, REQUIRED_TRANSACTION_COLUMNS[options.format], options.format);
      first = false;
    }
    let reason: string;
    try {
      if (typeof row.values.__error === 'string') throw new CellError(`the row ${row.values.__error}`);
      const mapped = mapTransactionRow(options.format, row.values, defaults);
      const tx = validateTransaction(mapped.candidate);
      if (index.has(tx.transaction_id)) throw new CellError(`duplicate transaction_id ${tx.transaction_id}`);
      index.set(tx.transaction_id, transactions.length);
      transactions.push(tx);
      flags.push(mapped.fraud);
      scenarios.push(mapped.scenario ?? 'none');
      continue;
    } catch (error) {
      reason = reasonOf(error);
    }
    rejectedTransactions++;
    reject({ file: 'transactions', line: row.line, reason, row: row.values });
  }

  const labels: Label[] = [];
  const fraudByLabel = new Set<number>();
  let labelsFromFlags = 0;
  // With a labels file the labels come from it; the flags then only tell the truth.
  flags.forEach((flag, i) => {
    const tx = transactions[i];
    if (options.labels || flag !== true || !tx) return;
    labels.push(chargebackFor(tx, options.chargebackDelay));
    labelsFromFlags++;
  });

  let labelRowsRead = 0;
  let rejectedLabels = 0;
  if (options.labels) {
    first = true;
    for await (const row of read(options.labels, (bytesRead, totalBytes) =>
      options.onProgress?.({ file: 'labels', bytesRead, totalBytes, rows: labelRowsRead }),
    )) {
      labelRowsRead++;
      if (first) {
        checkColumns(options.labels, row, REQUIRED_LABEL_COLUMNS[options.format], options.format);
        first = false;
      }
      let reason: string;
      try {
        if (typeof row.values.__error === 'string') throw new CellError(`the row ${row.values.__error}`);
        const mapped = mapLabelRow(options.format, row.values);
        const at = index.get(mapped.transactionId);
        const label = labelFrom(
          mapped,
          at === undefined ? undefined : transactions[at],
          options.chargebackDelay,
        );
        if (label === null) continue;
        labels.push(validateLabel(label));
        if (label.is_fraud && at !== undefined) fraudByLabel.add(at);
        continue;
      } catch (error) {
        reason = reasonOf(error);
      }
      rejectedLabels++;
      reject({ file: 'labels', line: row.line, reason, row: row.values });
    }
  }

  // Event-time order, stable: the file's order breaks ties (the handbook's ids follow it).
  const order = Array.from({ length: transactions.length }, (_, i) => i);
  let sorted = true;
  for (let i = 1; i < transactions.length && sorted; i++)
    if ((transactions[i]?.event_time ?? 0) < (transactions[i - 1]?.event_time ?? 0)) sorted = false;
  if (!sorted)
    order.sort((a, b) => (transactions[a]?.event_time ?? 0) - (transactions[b]?.event_time ?? 0) || a - b);
  const isFraud = new Uint8Array(transactions.length);
  const outTx: Transaction[] = new Array<Transaction>(transactions.length);
  const outScenarios: FraudScenario[] = new Array<FraudScenario>(transactions.length);
  let frauds = 0;
  order.forEach((from, to) => {
    const fraud = flags[from] === true || fraudByLabel.has(from);
    isFraud[to] = fraud ? 1 : 0;
    if (fraud) frauds++;
    outTx[to] = transactions[from] as Transaction;
    const scenario = scenarios[from] ?? 'none';
    outScenarios[to] = fraud && scenario === 'none' ? 'unknown' : scenario;
  });
  labels.sort((a, b) => a.event_time - b.event_time);

  const stats: ImportStats = {
    rowsRead,
    transactions: outTx.length,
    rejectedTransactions,
    labelRowsRead,
    rejectedLabels,
    labelsFromFlags,
    labelsFromFile: labels.length - labelsFromFlags,
    frauds,
    firstEventTime: outTx[0]?.event_time ?? null,
    lastEventTime: outTx[outTx.length - 1]?.event_time ?? null,
    seconds: (performance.now() - started) / 1000,
  };
  return { transactions: outTx, isFraud, scenarios: outScenarios, labels, stats };
}

/** A label row completed from its transaction; null for a "not fraud" row without a time (no news). */
function labelFrom(
  mapped: MappedLabel,
  tx: Transaction | undefined,
  delay: ChargebackDelayModel,
): Record<string, unknown> | null {
  const cardId = mapped.cardId ?? tx?.card_id;
  const terminalId = mapped.terminalId ?? tx?.terminal_id;
  const transactionTime = mapped.transactionTime ?? tx?.event_time;
  if (cardId === undefined || terminalId === undefined || transactionTime === undefined)
    throw new CellError(
      `transaction ${mapped.transactionId} is not in the transactions file, and the label does not name its card, terminal and time`,
    );
  if (mapped.eventTime === null && !mapped.isFraud) return null;
  return {
    transaction_id: mapped.transactionId,
    card_id: cardId,
    terminal_id: terminalId,
    is_fraud: mapped.isFraud,
    source: mapped.source,
    transaction_time: transactionTime,
    event_time: mapped.eventTime ?? transactionTime + chargebackDelayMs(delay, mapped.transactionId),
  };
}
