import { DAY_MS, type Label } from '@fraudstream/contracts';
import { DEFAULT_FEATURE_SET, FeaturePipeline, type FeatureSet } from '@fraudstream/features';
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
 * With `warmupDays`, the first days only fill the feature windows (the 30-day counters start empty,
 * as a scorer's do): their rows and the labels of their transactions are left out, so a model
 * trained on the rest learns, and its reference describes, features in their steady state.
 */
export async function buildSimulatedHistory(
  options: SimulationOptions,
  {
    warmupDays = 0,
    featureSet = DEFAULT_FEATURE_SET,
  }: { readonly warmupDays?: number; readonly featureSet?: FeatureSet } = {},
): Promise<SimulatedHistory> {
  const dataset = generateDataset(options);
  const pipeline = new FeaturePipeline(undefined, featureSet);
  await pipeline.applyLabels(dataset.labels);
  const txs = dataset.transactions;
  const all = await logFeatureRows(pipeline, txs, 'simulated');
  const first = txs[0]?.event_time ?? options.startTime ?? 0;
  const startDay = Math.floor(first / DAY_MS) * DAY_MS;
  const loggedFrom = startDay + warmupDays * DAY_MS;
  return {
    scores: warmupDays > 0 ? all.filter((r) => r.event_time >= loggedFrom) : all,
    labels: warmupDays > 0 ? dataset.labels.filter((l) => l.transaction_time >= loggedFrom) : dataset.labels,
    start: loggedFrom,
    end: startDay + options.days * DAY_MS,
  };
}
