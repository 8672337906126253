import type { Channel, LabelSource } from '@fraudstream/contracts';
import type { FraudScenario } from '@fraudstream/simulation';
import { CellError, flagCell, isMissing, numberCell, textCell, timeCell } from './column.values';
import type { DatasetFormat } from './dataset.types';

/** Settings for what a format's file does not record. */
export interface MappingDefaults {
  /** ISO 4217 code for files without a currency column (the handbook's amounts have none). */
  readonly currency: string;
  /** Channel for files without one (the handbook records none: every payment is CARD_PRESENT). */
  readonly channel: Channel;
}

export const DEFAULT_MAPPING: MappingDefaults = { currency: 'EUR', channel: 'CARD_PRESENT' };

/** A transaction row mapped to the contract's fields (validated afterwards by validateTransaction). */
export interface MappedTransaction {
  readonly candidate: Record<string, unknown>;
  /** The row's fraud flag, or null when the file has none. */
  readonly fraud: boolean | null;
  readonly scenario: FraudScenario | null;
}

/** A label row mapped to the contract's fields; the fields it lacks come from its transaction. */
export interface MappedLabel {
  readonly transactionId: string;
  readonly isFraud: boolean;
  /** When the bank learnt it, or null: then the chargeback-delay model decides (fraud labels only). */
  readonly eventTime: number | null;
  readonly source: LabelSource;
  readonly cardId: string | null;
  readonly terminalId: string | null;
  readonly transactionTime: number | null;
}

/** The handbook's TX_FRAUD_SCENARIO codes (0 legitimate, 1-3 its scenarios; 4 the simulator's new pattern). */
export const HANDBOOK_SCENARIOS: readonly FraudScenario[] = [
  'none',
  'large-amount',
  'compromised-terminal',
  'compromised-card',
  'new-pattern',
];

/** The columns each format's transaction file needs (the rest are optional). */
export const REQUIRED_TRANSACTION_COLUMNS: Readonly<Record<DatasetFormat, readonly string[]>> = {
  handbook: ['TRANSACTION_ID', 'TX_DATETIME', 'CUSTOMER_ID', 'TERMINAL_ID', 'TX_AMOUNT'],
  fraudstream: ['transaction_id', 'card_id', 'terminal_id', 'amount', 'event_time'],
};

export const REQUIRED_LABEL_COLUMNS: Readonly<Record<DatasetFormat, readonly string[]>> = {
  handbook: ['TRANSACTION_ID', 'TX_FRAUD'],
  fraudstream: ['transaction_id', 'is_fraud'],
};

function optional<T>(
  row: Readonly<Record<string, unknown>>,
  column: string,
  parse: (row: Readonly<Record<string, unknown>>, column: string) => T,
): T | null {
  return isMissing(row[column]) ? null : parse(row, column);
}

function scenarioCell(row: Readonly<Record<string, unknown>>, column: string): FraudScenario {
  const code = numberCell(row, column);
  const scenario = HANDBOOK_SCENARIOS[code];
  if (!Number.isInteger(code) || scenario === undefined)
    throw new CellError(`${column} is not a scenario code 0-${HANDBOOK_SCENARIOS.length - 1}: ${code}`);
  return scenario;
}

/**
 * One transaction row of a format as the contract's fields. Throws CellError for a cell that cannot
 * be parsed; the contract's validator judges the rest (ids, amount bounds, time range).
 */
export function mapTransactionRow(
  format: DatasetFormat,
  row: Readonly<Record<string, unknown>>,
  defaults: MappingDefaults,
): MappedTransaction {
  if (format === 'handbook') {
    const eventTime = timeCell(row, 'TX_DATETIME');
    const fraud = optional(row, 'TX_FRAUD', flagCell);
    const scenario = optional(row, 'TX_FRAUD_SCENARIO', scenarioCell);
    return {
      candidate: {
        transaction_id: textCell(row, 'TRANSACTION_ID'),
        // Card = customer: the handbook's customers each hold one card.
        card_id: textCell(row, 'CUSTOMER_ID'),
        terminal_id: textCell(row, 'TERMINAL_ID'),
        amount: numberCell(row, 'TX_AMOUNT'),
        currency: defaults.currency,
        channel: defaults.channel,
        event_time: eventTime,
        ingest_time: eventTime,
      },
      fraud,
      scenario:
        fraud === null
          ? null
          : fraud
            ? scenario === 'none' || scenario === null
              ? 'unknown'
              : scenario
            : 'none',
    };
  }
  const eventTime = timeCell(row, 'event_time');
  const fraud = optional(row, 'is_fraud', flagCell);
  return {
    candidate: {
      transaction_id: textCell(row, 'transaction_id'),
      card_id: textCell(row, 'card_id'),
      terminal_id: textCell(row, 'terminal_id'),
      amount: numberCell(row, 'amount'),
      currency: optional(row, 'currency', textCell) ?? defaults.currency,
      channel: optional(row, 'channel', textCell) ?? defaults.channel,
      event_time: eventTime,
      ingest_time: optional(row, 'ingest_time', timeCell) ?? eventTime,
    },
    fraud,
    scenario: fraud === null ? null : fraud ? 'unknown' : 'none',
  };
}

/** One label row of a format. */
export function mapLabelRow(format: DatasetFormat, row: Readonly<Record<string, unknown>>): MappedLabel {
  if (format === 'handbook') {
    return {
      transactionId: textCell(row, 'TRANSACTION_ID'),
      isFraud: flagCell(row, 'TX_FRAUD'),
      eventTime: optional(row, 'LABEL_DATETIME', timeCell),
      source: 'CHARGEBACK',
      cardId: optional(row, 'CUSTOMER_ID', textCell),
      terminalId: optional(row, 'TERMINAL_ID', textCell),
      transactionTime: optional(row, 'TX_DATETIME', timeCell),
    };
  }
  const source = optional(row, 'source', textCell) ?? 'CHARGEBACK';
  if (source !== 'CHARGEBACK' && source !== 'ANALYST')
    throw new CellError(`source is not CHARGEBACK or ANALYST: ${JSON.stringify(source)}`);
  return {
    transactionId: textCell(row, 'transaction_id'),
    isFraud: flagCell(row, 'is_fraud'),
    eventTime: optional(row, 'event_time', timeCell),
    source,
    cardId: optional(row, 'card_id', textCell),
    terminalId: optional(row, 'terminal_id', textCell),
    transactionTime: optional(row, 'transaction_time', timeCell),
  };
}
