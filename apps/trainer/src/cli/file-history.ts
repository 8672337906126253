import { DAY_MS, type Label } from '@fraudstream/contracts';
import {
  computeDatasetFeatures,
  datasetDays,
  datasetStart,
  importDataset,
  type ChargebackDelayModel,
  type DatasetFormat,
  type ImportStats,
} from '@fraudstream/datasets';
import { DEFAULT_FEATURE_SET, FeaturePipeline, type FeatureSet } from '@fraudstream/features';
import type { ScoredTransaction } from '@fraudstream/training';

export interface FileHistoryOptions {
  readonly transactions: string;
  readonly labels: string | null;
  readonly format: DatasetFormat;
  readonly chargebackDelay: ChargebackDelayModel;
  /** First day of the history, counted from the file's first day (the days before only warm the features). */
  readonly fromDay: number;
  /** Days of history (default: to the end of the file). */
  readonly days: number | null;
  /** The feature set the vectors are computed in (default: the live loop's). */
  readonly featureSet?: FeatureSet;
}

export interface FileHistory {
  /** One CHAMPION-like row per transaction of the window, with the vector the scorer would have logged. */
  readonly scores: ScoredTransaction[];
  readonly labels: Label[];
  readonly start: number;
  readonly end: number;
  readonly stats: ImportStats;
  readonly rejected: number;
}

/**
 * A bank's file as the scorer would have logged it: every row validated (rejects counted), every
 * transaction through the scorer's FeaturePipeline from the file's first day on (labels at their
 * event time; fraud flags at the chargeback-delay model's time), the vectors of the window's days
 * kept. The trainer then joins them with the labels known at the window's end, as for the
 * simulator's history or the topics.
 */
export async function buildFileHistory(options: FileHistoryOptions): Promise<FileHistory> {
  let rejected = 0;
  const dataset = await importDataset({
    transactions: options.transactions,
    labels: options.labels,
    format: options.format,
    chargebackDelay: options.chargebackDelay,
    onReject: () => rejected++,
  });
  const first = datasetStart(dataset);
  const start = first + options.fromDay * DAY_MS;
  const end =
    first + (options.days === null ? datasetDays(dataset) : options.fromDay + options.days) * DAY_MS;
  const { transactions } = dataset;
  const featureSet = options.featureSet ?? DEFAULT_FEATURE_SET;
  const features = await computeDatasetFeatures(dataset, {
    pipeline: new FeaturePipeline(undefined, featureSet),
    keep: (i) => {
      const t = transactions[i]?.event_time ?? 0;
      return t >= start && t < end;
    },
  });
  const scores: ScoredTransaction[] = [];
  features.indices.forEach((index, row) => {
    const tx = transactions[index];
    if (!tx) return;
    scores.push({
      transaction_id: tx.transaction_id,
      card_id: tx.card_id,
      event_time: tx.event_time,
      features: Array.from(features.values.subarray(row * features.width, (row + 1) * features.width)),
      feature_set_version: featureSet.version,
      role: 'CHAMPION',
      model_version: 'file',
    });
  });
  return { scores, labels: dataset.labels, start, end, stats: dataset.stats, rejected };
}
