import { DAY_MS, type Label, type Transaction } from '@fraudstream/contracts';
import { DEFAULT_FEATURE_SET, FeaturePipeline, type FeatureSet } from '@fraudstream/features';
import { TransactionSimulator, type DriftScenario, type FraudScenario } from '@fraudstream/simulation';
import { logFeatureRows, type ScoredTransaction } from '@fraudstream/training';

export interface QualityStreamOptions {
  readonly seed: number;
  /** The feature set computed (default: the live loop's). */
  readonly featureSet?: FeatureSet;
  readonly customers: number;
  readonly scenario: DriftScenario;
  /**
   * Days simulated first only to fill the feature windows (the 30-day card and terminal counters
   * start empty): their rows and labels are not logged. Without it the counters grow through the
   * history and on into the stream, a drift of their own that the base model never saw.
   */
  readonly warmupDays: number;
  /** Days simulated before the replayed stream: the base model's training history. */
  readonly historyDays: number;
  /** Days replayed after the history. */
  readonly streamDays: number;
  /** Stream day (0-based, counted from the stream's first day) on which the drift scenario starts. */
  readonly driftDay: number;
  /** The scenario's effect size (the simulator's `driftIntensity`; 1 when absent). */
  readonly driftIntensity?: number;
}

/** One simulated day of the replayed stream. */
export interface StreamDay {
  /** 0-based index from the first stream day. */
  readonly index: number;
  readonly start: number;
  /** The day's transactions with the feature vectors the online pipeline computed, event-time order. */
  readonly rows: readonly ScoredTransaction[];
  /** Ground truth of each row (the simulator's, not the labels: AP and card precision are judged on it). */
  readonly isFraud: readonly boolean[];
  /** Which fraud scenario each row is ('none' when legitimate), for diagnostics. */
  readonly scenarios: readonly FraudScenario[];
  /** The day's transactions (terminal and amount, for the score records the drift monitor reads). */
  readonly transactions: readonly Transaction[];
  /** Labels whose event time falls in the day: what the loop learns during it. */
  readonly labels: readonly Label[];
}

/** A seeded simulated run turned into what the scorer would have logged, split into history and stream. */
export interface QualityStream {
  readonly options: QualityStreamOptions;
  /** Event time of the first stream day (the end of the history). */
  readonly streamStart: number;
  /** Event time at which the drift scenario starts. */
  readonly driftStart: number;
  /** Every logged row, history and stream (not the warm-up), in event-time order (the trainer's tx.scores.v1). */
  readonly rows: readonly ScoredTransaction[];
  /** Every label emitted during the run (the trainer's fraud.labels.v1; readers filter by event time). */
  readonly labels: readonly Label[];
  readonly days: readonly StreamDay[];
}

/**
 * Simulates `historyDays + streamDays` days with the drift scenario switched on at stream day
 * `driftDay`, and computes every transaction's features with the online FeaturePipeline in
 * event-time micro-batches (each chargeback takes effect at its own event time, as in the scorer).
 * Features do not depend on the model, so every replayed policy shares them.
 */
export async function buildQualityStream(options: QualityStreamOptions): Promise<QualityStream> {
  const { seed, customers, scenario, warmupDays, historyDays, streamDays, driftDay } = options;
  const firstStreamDay = warmupDays + historyDays;
  const simulator = new TransactionSimulator({
    seed,
    days: firstStreamDay + streamDays,
    customers,
    terminals: customers * 2,
    scenario,
    driftDay: firstStreamDay + driftDay,
    driftIntensity: options.driftIntensity ?? 1,
  });
  const loggedFrom = simulator.dayStart(warmupDays);
  const pipeline = new FeaturePipeline(undefined, options.featureSet ?? DEFAULT_FEATURE_SET);
  const rows: ScoredTransaction[] = [];
  const labels: Label[] = [];
  const days: StreamDay[] = [];
  for (let d = 0; simulator.hasNextDay; d++) {
    const dayTx: Transaction[] = [];
    const dayTruth: boolean[] = [];
    const dayScenarios: FraudScenario[] = [];
    const dayLabels: Label[] = [];
    for (const event of simulator.nextDay()) {
      if (event.kind === 'label') dayLabels.push(event.label);
      else {
        dayTx.push(event.transaction);
        dayTruth.push(event.truth.is_fraud);
        dayScenarios.push(event.truth.scenario);
      }
    }
    // A day's labels are known no earlier than their event time; the pipeline holds each until then.
    await pipeline.applyLabels(dayLabels);
    labels.push(...dayLabels.filter((l) => l.transaction_time >= loggedFrom));
    const dayRows = await logFeatureRows(pipeline, dayTx, 'logged');
    if (d >= warmupDays) rows.push(...dayRows);
    if (d >= firstStreamDay) {
      days.push({
        index: d - firstStreamDay,
        start: simulator.dayStart(d),
        rows: dayRows,
        isFraud: dayTruth,
        scenarios: dayScenarios,
        transactions: dayTx,
        labels: dayLabels,
      });
    }
  }
  const streamStart = simulator.dayStart(firstStreamDay);
  return {
    options,
    streamStart,
    driftStart: streamStart + driftDay * DAY_MS,
    rows,
    labels,
    days,
  };
}
