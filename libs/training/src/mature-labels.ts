import type { Label, Score } from '@fraudstream/contracts';
import { segmentsOf, type TrainingRow } from './training-rows';

/** The fields of a tx.scores.v1 row the trainer uses. */
export type ScoredTransaction = Pick<
  Score,
  | 'transaction_id'
  | 'card_id'
  | 'event_time'
  | 'features'
  | 'feature_set_version'
  | 'role'
  | 'model_version'
  | 'age_band'
  | 'region'
> &
  /** Absent where no serving model scored the row (a history computed offline): no alert. */
  Partial<Pick<Score, 'is_alert'>>;

export interface MaturityPolicy {
  /** A transaction without a fraud label is a confirmed negative once this much event time passed. */
  readonly chargebackWindowMs: number;
  /** Event time the labels are known at (the retrain request's event time). */
  readonly asOf: number;
}

export interface JoinStats {
  readonly scoreRows: number;
  readonly duplicates: number;
  readonly otherFeatureSet: number;
  readonly immature: number;
  readonly positives: number;
  readonly negatives: number;
}

/**
 * Joins logged feature vectors with labels, keeping only rows whose label is settled at `asOf`:
 * a fraud label known by then → positive; an analyst's "legitimate" verdict known by then, or no
 * label and the chargeback window passed → negative; anything else is immature and left out (an
 * unlabelled recent transaction may still turn out to be fraud). One row per transaction id (the
 * first; outputs are at-least-once), CHAMPION rows only (a shadow model's rows repeat the same
 * transactions), and only rows of the model's feature set. The immature unlabelled rows come back
 * apart (`unsettled`, with `isFraud` false), for a job that soft-labels them (soft-labels.ts). Each row
 * says whether the serving model alerted on it (`alerted`; an unsettled row of an unscored history: no).
 */
export function joinMatureLabels(
  scores: readonly ScoredTransaction[],
  labels: readonly Label[],
  policy: MaturityPolicy,
  featureSetVersion: string,
): { rows: TrainingRow[]; unsettled: TrainingRow[]; stats: JoinStats } {
  const verdicts = new Map<string, boolean>();
  for (const label of labels) {
    if (label.event_time > policy.asOf) continue;
    verdicts.set(label.transaction_id, (verdicts.get(label.transaction_id) ?? false) || label.is_fraud);
  }
  const seen = new Set<string>();
  const rows: TrainingRow[] = [];
  const unsettled: TrainingRow[] = [];
  let duplicates = 0;
  let otherFeatureSet = 0;
  let immature = 0;
  let positives = 0;
  let scoreRows = 0;
  for (const score of scores) {
    if (score.role !== 'CHAMPION') continue;
    scoreRows++;
    if (seen.has(score.transaction_id)) {
      duplicates++;
      continue;
    }
    seen.add(score.transaction_id);
    if (score.feature_set_version !== featureSetVersion) {
      otherFeatureSet++;
      continue;
    }
    const verdict = verdicts.get(score.transaction_id);
    let isFraud: boolean;
    if (verdict !== undefined) isFraud = verdict;
    else if (score.event_time + policy.chargebackWindowMs <= policy.asOf) isFraud = false;
    else {
      immature++;
      unsettled.push({
        transactionId: score.transaction_id,
        cardId: score.card_id,
        eventTime: score.event_time,
        features: score.features,
        isFraud: false,
        alerted: score.is_alert ?? false,
        ...withSegments(score),
      });
      continue;
    }
    if (isFraud) positives++;
    rows.push({
      transactionId: score.transaction_id,
      cardId: score.card_id,
      eventTime: score.event_time,
      features: score.features,
      isFraud,
      ...(score.is_alert === undefined ? {} : { alerted: score.is_alert }),
      ...withSegments(score),
    });
  }
  return {
    rows,
    unsettled,
    stats: {
      scoreRows,
      duplicates,
      otherFeatureSet,
      immature,
      positives,
      negatives: rows.length - positives,
    },
  };
}

/** `{ segments }` of a score that carries them, else nothing (rows of older records stay as they were). */
function withSegments(score: ScoredTransaction): Pick<TrainingRow, 'segments'> {
  const segments = segmentsOf(score);
  return segments ? { segments } : {};
}
