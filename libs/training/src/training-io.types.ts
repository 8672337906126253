import type { Label, ModelDeployment } from '@fraudstream/contracts';
import type { ScoredTransaction } from './mature-labels';

/** Where a fine-tuning job reads its data: the scores and labels topics, or arrays in tests. */
export interface TrainingDataSource {
  /** CHAMPION rows of tx.scores.v1 with event_time in [start, end). */
  readScores(start: number, end: number): Promise<ScoredTransaction[]>;
  /** fraud.labels.v1 records of transactions in [start, end) known at `asOf` (label event_time <= asOf). */
  readLabels(start: number, end: number, asOf: number): Promise<Label[]>;
}

/** Sends ml.model-deployments.v1 events (resolves once the broker acknowledged them). */
export interface DeploymentPublisher {
  publish(events: readonly ModelDeployment[]): Promise<void>;
}
