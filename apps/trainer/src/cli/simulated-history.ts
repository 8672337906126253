import { DAY_MS, type Label } from '@fraudstream/contracts';
import { FeaturePipeline } from '@fraudstream/features';
import { generateDataset, type SimulationOptions } from '@fraudstream/simulation';
import { logFeatureRows, type ScoredTransaction } from '@fraudstream/training';

export interface SimulatedHistory {
  /** One CHAMPION-like row per transaction, with the feature vector the scorer would have logged. */
  readonly scores: ScoredTransaction[];
  readonly labels: Label[];
  /** First and last event time (end exclusive) of the history. */
  readonly start: number;
  readonly end: number;
}

/**
 * Simulated history as the scorer would have logged it: the seeded simulator's transactions, their
 * feature vectors computed by the online FeaturePipeline in event-time micro-batches (labels take
 * effect only once known: the pipeline applies each at its event time), and the delayed labels.
 */
export async function buildSimulatedHistory(options: SimulationOptions): Promise<SimulatedHistory> {
  const dataset = generateDataset(options);
  const pipeline = new FeaturePipeline();
  await pipeline.applyLabels(dataset.labels);
  const txs = dataset.transactions;
  const scores = await logFeatureRows(pipeline, txs, 'simulated');
  const start = txs[0]?.event_time ?? options.startTime ?? 0;
  const startDay = Math.floor(start / DAY_MS) * DAY_MS;
  return { scores, labels: dataset.labels, start: startDay, end: startDay + options.days * DAY_MS };
}
