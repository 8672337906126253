import { DAY_MS, type Label, type ModelDeployment } from '@fraudstream/contracts';
import { sha256Hex, type ModelManifest } from '@fraudstream/registry';
import { buildFeatureProfile, mulberry32 } from '@fraudstream/stats';
import { trainBaseModel, type BaseTrainingResult } from './base-training';
import type { DeploymentPublisher, TrainingDataSource } from './training-io.types';
import { joinMatureLabels, type ScoredTransaction } from './mature-labels';
import { defaultTrainingSettings, type TrainingSettings } from './training.settings';

export const T0 = Date.UTC(2026, 0, 5);
export const TEST_FEATURES = ['f0', 'f1', 'f2', 'f3'] as const;
export const TEST_FEATURE_SET = 'fs-test';

/** The fairness rule's settings the gate specs run with (the defaults). */
export const TEST_FAIRNESS = { maxGapWidening: 0.2, minExpectedCount: 5, minCards: 10 };

/** The gate's settings the gate specs run with: a 0.02 margin, otherwise the defaults. */
export const TEST_GATE = {
  minAveragePrecisionGain: 0.02,
  maxAveragePrecisionDrop: 0.02,
  maxRelativeApDropOnShift: 0.2,
  maxRocAucDrop: 0.01,
  maxCardPrecisionDrop: 0.05,
  minPositives: 5,
  fairness: TEST_FAIRNESS,
  noise: { z: 1.645, resamples: 200 },
  evidenceTriggers: ['NEW_PATTERN', 'MISSED_FRAUDS'] as const,
  evidenceMinAveragePrecisionGain: 0,
};

export const TEST_AGE_BANDS = ['18-29', '30-44', '45-64', '65+'] as const;
export const TEST_REGIONS = ['north', 'south'] as const;

/** Which hidden rule makes a transaction fraud: the old regime keys on f0; the new one adds a pattern on f1. */
export type Regime = 'old' | 'new';

/**
 * A synthetic scored stream: `rowsPerDay` transactions a day over `days` days from day `fromDay`,
 * ~4 % fraud (~8 % in the new regime) decided by the regime's rule, each fraud labelled (chargeback) one day later.
 */
export function syntheticStream(options: {
  readonly fromDay: number;
  readonly days: number;
  readonly rowsPerDay: number;
  readonly regime: (day: number) => Regime;
  readonly seed: number;
  /** Replace the label of every row with a coin flip of the same rate (a useless training signal). */
  readonly noiseLabels?: (day: number) => boolean;
}): { scores: ScoredTransaction[]; labels: Label[] } {
  const random = mulberry32(options.seed);
  const scores: ScoredTransaction[] = [];
  const labels: Label[] = [];
  for (let d = options.fromDay; d < options.fromDay + options.days; d++) {
    for (let i = 0; i < options.rowsPerDay; i++) {
      const f = [random() * 2 - 1, random() * 2 - 1, random() * 10, random()];
      const noise = 0.15 * (random() - 0.5);
      const oldPattern = (f[0] ?? 0) + noise > 0.92;
      const newPattern = (f[1] ?? 0) + noise > 0.92;
      let fraud = options.regime(d) === 'old' ? oldPattern : oldPattern || newPattern;
      if (options.noiseLabels?.(d)) fraud = random() < 0.04;
      const eventTime = T0 + d * DAY_MS + Math.floor((i / options.rowsPerDay) * DAY_MS);
      const id = `tx-${options.seed}-${d}-${i}`;
      const cardIndex = Math.floor(random() * 300);
      const card = `card-${cardIndex}`;
      scores.push({
        transaction_id: id,
        card_id: card,
        event_time: eventTime,
        features: f,
        feature_set_version: TEST_FEATURE_SET,
        role: 'CHAMPION',
        model_version: 'v1',
        // Segments of the card, independent of the fraud rules (and drawing nothing from `random`).
        age_band: TEST_AGE_BANDS[cardIndex % TEST_AGE_BANDS.length] ?? null,
        region: TEST_REGIONS[Math.floor(cardIndex / TEST_AGE_BANDS.length) % TEST_REGIONS.length] ?? null,
      });
      if (fraud)
        labels.push({
          transaction_id: id,
          card_id: card,
          terminal_id: 'term',
          is_fraud: true,
          source: 'CHARGEBACK',
          transaction_time: eventTime,
          event_time: eventTime + DAY_MS,
        });
    }
  }
  return { scores, labels };
}

/** An in-memory data source over arrays (the job's adapter seam). */
export class ArrayDataSource implements TrainingDataSource {
  constructor(
    private readonly scores: readonly ScoredTransaction[],
    private readonly labels: readonly Label[],
  ) {}

  readScores(start: number, end: number): Promise<ScoredTransaction[]> {
    return Promise.resolve(this.scores.filter((s) => s.event_time >= start && s.event_time < end));
  }

  readLabels(start: number, end: number, asOf: number): Promise<Label[]> {
    return Promise.resolve(
      this.labels.filter(
        (l) => l.transaction_time >= start && l.transaction_time < end && l.event_time <= asOf,
      ),
    );
  }
}

/** Collects published deployment events. */
export class RecordingPublisher implements DeploymentPublisher {
  readonly events: ModelDeployment[] = [];

  publish(events: readonly ModelDeployment[]): Promise<void> {
    this.events.push(...events);
    return Promise.resolve();
  }
}

/** Small, fast settings for tests (seconds on two shared cores). */
export function testSettings(overrides: Partial<TrainingSettings> = {}): TrainingSettings {
  const base = defaultTrainingSettings();
  return {
    ...base,
    hiddenUnits: [16],
    baseEpochs: 15,
    fineTuneEpochs: 40,
    batchSize: 128,
    baseLearningRate: 0.01,
    fineTuneLearningRate: 0.01,
    patience: 3,
    chargebackWindowMs: 2 * DAY_MS,
    replayLookbackMs: 10 * DAY_MS,
    minTrainRows: 500,
    minTrainPositives: 10,
    minHoldoutRows: 200,
    minHoldoutPositives: 5,
    cardPrecisionK: 10,
    // One card of the top 10 on one small gate day is 0.1: a tighter tolerance would judge noise.
    gate: { ...base.gate, maxCardPrecisionDrop: 0.1, evidenceNoise: false },
    // The specs pin the best epoch's weights: each asks for averaging where it tests it.
    baseAverageWeights: false,
    ...overrides,
  };
}

/** Reference scores uniform on [0, 1): a live sample from the same law has PSI ≈ 0. */
const referenceScores = Array.from({ length: 1000 }, (_, i) => (i + 0.5) / 1000);

/** A registrable manifest over one feature whose reference scores are uniform on [0, 1). */
export function testManifest(version: string, bytes: Uint8Array, parent: string | null): ModelManifest {
  const score = buildFeatureProfile('score', referenceScores);
  return {
    version,
    parent_version: parent,
    created_at: '2026-01-01T00:00:00.000Z',
    created_event_time: T0,
    code_revision: 'test',
    feature_set_version: 'fs-test',
    feature_names: ['a'],
    onnx: {
      file: 'model.onnx',
      sha256: sha256Hex(bytes),
      input_name: 'features',
      output_name: 'score',
      opset: 17,
    },
    preprocessing: { mean: [0], std: [1] },
    architecture: { hidden_units: [2], activation: 'relu' },
    threshold: 0.98,
    threshold_policy: { kind: 'daily-capacity', value: 10 },
    training: {
      window_start: 0,
      window_end: 1,
      rows: 1,
      positives: 1,
      replay_rows: 0,
      validation_rows: 1,
      request_id: version === 'v2' ? 'req-2' : null,
      drift_event_id: null,
      seed: 1,
      epochs: 1,
      warm_start: parent !== null,
      frozen_layers: 0,
    },
    metrics: {
      validation: {
        rows: 1,
        positives: 1,
        average_precision: 1,
        roc_auc: 1,
        recall_at_threshold: 1,
        precision_at_threshold: 1,
        card_precision_at_k: 1,
        k: 1,
      },
    },
    reference: { row_count: 1000, fraud_rate: 0.01, features: [], score },
  };
}

/** The base model `v1` of the jobs' tests: trained on the old regime of days 0-9, as known on day 12. */
export async function trainTestBaseModel(
  settings: TrainingSettings,
): Promise<{ base: BaseTrainingResult; asOf: number }> {
  const history = syntheticStream({ fromDay: 0, days: 10, rowsPerDay: 600, regime: () => 'old', seed: 1 });
  const asOf = T0 + 12 * DAY_MS;
  const { rows } = joinMatureLabels(
    history.scores,
    history.labels,
    { chargebackWindowMs: settings.chargebackWindowMs, asOf },
    TEST_FEATURE_SET,
  );
  const base = await trainBaseModel({
    rows,
    asOf,
    version: 'v1',
    featureNames: TEST_FEATURES,
    featureSetVersion: TEST_FEATURE_SET,
    thresholdPolicy: { kind: 'daily-capacity', value: 30 },
    codeRevision: 'test',
    settings,
  });
  return { base, asOf };
}
