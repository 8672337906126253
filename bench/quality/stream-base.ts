import { DEFAULT_FEATURE_SET } from '@fraudstream/features';
import { joinMatureLabels, trainBaseModel, type TrainingSettings } from '@fraudstream/training';
import type { QualityStream } from './quality-stream';

/** Analysts' reviews a day per 1,000 cards (the issue's capacity; card precision@k uses it as k). */
const REVIEWS_PER_1000_CARDS = 100;

/** The analysts' daily reviews for a population: the base model's alerts a day, k of card precision@k. */
export function analystCapacity(customers: number): number {
  return Math.max(1, Math.round((REVIEWS_PER_1000_CARDS * customers) / 1000));
}

/**
 * The base model of a replayed stream: trained on the history's rows whose labels had matured by the
 * stream's first day, its threshold for `k` alerts a day (the analysts' capacity).
 */
export async function trainStreamBase(stream: QualityStream, training: TrainingSettings, k: number) {
  const featureSet = stream.options.featureSet ?? DEFAULT_FEATURE_SET;
  const history = stream.rows.filter((r) => r.event_time < stream.streamStart);
  const { rows } = joinMatureLabels(
    history,
    stream.labels,
    { chargebackWindowMs: training.chargebackWindowMs, asOf: stream.streamStart },
    featureSet.version,
  );
  return trainBaseModel({
    rows,
    asOf: stream.streamStart,
    version: 'v1',
    featureNames: featureSet.names,
    featureSetVersion: featureSet.version,
    thresholdPolicy: { kind: 'daily-capacity', value: k },
    codeRevision: 'bench',
    settings: training,
  });
}
