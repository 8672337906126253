export { DATASET_FORMATS, isDatasetFormat } from './dataset.types';
export type {
  DatasetFormat,
  ImportStats,
  ImportedDataset,
  ReadProgress,
  RejectedRow,
  TableRow,
} from './dataset.types';
export { DatasetError } from './dataset.errors';
export { readTableFile, tableFileKind } from './table-file.reader';
export type { TableFile, TableFileKind } from './table-file.reader';
export { parseCsvRecord } from './csv-line.parser';
export {
  DEFAULT_CHARGEBACK_DELAY,
  chargebackDelayMs,
  chargebackFor,
  describeChargebackDelay,
  maxChargebackDelayMs,
  parseChargebackDelay,
} from './chargeback-delay.model';
export type { ChargebackDelayModel } from './chargeback-delay.model';
export {
  DEFAULT_MAPPING,
  HANDBOOK_SCENARIOS,
  REQUIRED_LABEL_COLUMNS,
  REQUIRED_TRANSACTION_COLUMNS,
  mapLabelRow,
  mapTransactionRow,
} from './column.mapping';
export type { MappedLabel, MappedTransaction, MappingDefaults } from './column.mapping';
export { importDataset } from './dataset.importer';
export type { ImportOptions } from './dataset.importer';
export { DatasetEventSource, datasetDays, datasetStart } from './dataset.event-source';
export type { DatasetWindow } from './dataset.event-source';
export { HANDBOOK_COLUMNS, HandbookCsvWriter, handbookDateTime } from './handbook-csv.writer';
export type { HandbookCsvOptions } from './handbook-csv.writer';
export { RejectsWriter } from './rejects.writer';
export { computeDatasetFeatures } from './dataset.features';
export type { DatasetFeatures } from './dataset.features';
