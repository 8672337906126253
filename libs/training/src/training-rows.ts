import { SEGMENT_ATTRIBUTES, type SegmentAttribute } from '@fraudstream/contracts';
import { TrainingJobError } from './training.errors';

/** One labelled transaction with the feature vector the scorer logged (or the pipeline computed). */
export interface TrainingRow {
  readonly transactionId: string;
  readonly cardId: string;
  readonly eventTime: number;
  readonly features: readonly number[];
  readonly isFraud: boolean;
  /**
   * The probability of fraud the loss aims at, for a row whose label is not settled (an unlabelled
   * transaction younger than the chargeback window); absent, 1 or 0 as `isFraud` says.
   */
  readonly target?: number;
  /**
   * The serving model alerted on it (on an unsettled row: an alert the analysts have not reviewed
   * yet). Where no serving model's decision was logged with the row (a history computed offline):
   * absent on a settled row, false on an unsettled one (joinMatureLabels).
   */
  readonly alerted?: boolean;
  /** The customer's segments logged with the score (age band, region): judged on, never a feature. */
  readonly segments?: RowSegments;
}

/** A row's segment attributes; absent or null when the transaction carried none. */
export type RowSegments = { readonly [A in SegmentAttribute]?: string | null };

/** The segments of a logged score, or undefined when it carries none (older records, a bank's file). */
export function segmentsOf(record: { readonly [A in SegmentAttribute]?: string | null }):
  RowSegments | undefined {
  if (SEGMENT_ATTRIBUTES.every((a) => record[a] === undefined || record[a] === null)) return undefined;
  const segments: { [A in SegmentAttribute]?: string | null } = {};
  for (const a of SEGMENT_ATTRIBUTES) segments[a] = record[a] ?? null;
  return segments;
}

/** Rows as the dense arrays training takes: x row-major [rows x width], y 0/1. */
export interface TrainingMatrix {
  readonly x: Float32Array;
  readonly y: Float32Array;
  readonly rows: number;
  readonly width: number;
}

export function toTrainingMatrix(rows: readonly TrainingRow[], width: number): TrainingMatrix {
  const x = new Float32Array(rows.length * width);
  const y = new Float32Array(rows.length);
  rows.forEach((row, i) => {
    if (row.features.length !== width)
      throw new TrainingJobError(
        'FEATURE_SET_MISMATCH',
        `row ${row.transactionId} has ${row.features.length} features, the model takes ${width}`,
      );
    x.set(row.features, i * width);
    y[i] = row.target ?? (row.isFraud ? 1 : 0);
  });
  return { x, y, rows: rows.length, width };
}

export function countPositives(rows: readonly TrainingRow[]): number {
  let n = 0;
  for (const row of rows) if (row.isFraud) n++;
  return n;
}

/** Fails with NON_FINITE_FEATURES when any feature value is NaN or infinite, naming how many rows. */
export function assertFiniteFeatures(rows: readonly TrainingRow[], what: string): void {
  let bad = 0;
  let example: string | null = null;
  for (const row of rows) {
    if (row.features.every((v) => Number.isFinite(v))) continue;
    bad++;
    example ??= row.transactionId;
  }
  if (bad > 0)
    throw new TrainingJobError(
      'NON_FINITE_FEATURES',
      `${bad} of ${rows.length} ${what} rows hold NaN or infinite feature values (e.g. transaction ${example ?? '?'})`,
    );
}

/** Per-feature mean and population standard deviation (a constant feature gets std 1). */
export function computeStandardisation(matrix: TrainingMatrix): { mean: number[]; std: number[] } {
  const { x, rows, width } = matrix;
  const mean = new Array<number>(width).fill(0);
  const m2 = new Array<number>(width).fill(0);
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < width; c++) mean[c] = (mean[c] ?? 0) + (x[r * width + c] ?? 0);
  for (let c = 0; c < width; c++) mean[c] = (mean[c] ?? 0) / Math.max(rows, 1);
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < width; c++) {
      const d = (x[r * width + c] ?? 0) - (mean[c] ?? 0);
      m2[c] = (m2[c] ?? 0) + d * d;
    }
  const std = m2.map((s) => {
    const sd = Math.sqrt(s / Math.max(rows, 1));
    return sd > 1e-6 ? sd : 1;
  });
  return { mean, std };
}
