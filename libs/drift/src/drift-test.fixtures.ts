import { DAY_MS, type Label, type ModelDeployment, type Score } from '@fraudstream/contracts';
import type { ModelManifest } from '@fraudstream/registry';
import { buildFeatureProfile, evaluateModel, eventDay, mulberry32 } from '@fraudstream/stats';
import type { ReferenceManifest } from './reference-model';

/**
 * A deployment event: by default `version`'s promotion to production at `eventTime`, the fields the
 * drift monitor does not read left neutral; `fields` sets the others a test needs.
 */
export function deploymentOf(
  version: string,
  eventTime: number,
  fields: Partial<ModelDeployment> = {},
): ModelDeployment {
  return {
    deployment_id: `d-${version}-${eventTime}`,
    kind: 'STAGE_CHANGE',
    model_version: version,
    stage: 'PRODUCTION',
    previous_version: null,
    parent_version: null,
    artifact_uri: '',
    sha256: '',
    request_id: null,
    reason: 'test',
    metrics: {},
    instance_id: null,
    event_time: eventTime,
    ...fields,
  };
}

/** Deterministic uniform [0, 1) generator (the project's mulberry32) for test data. */
export function seededRandom(seed: number): () => number {
  return mulberry32(seed);
}

function gaussian(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

export const T0 = Date.UTC(2026, 0, 1);

export interface SyntheticTx {
  readonly id: string;
  readonly card: string;
  readonly time: number;
  readonly features: number[];
  readonly fraud: boolean;
  readonly score: number;
}

export interface DayOptions {
  /** Added to feature 0 (a covariate shift the model handles). */
  readonly shift?: number;
  /** Frauds that look legitimate to the model (a new fraud pattern). */
  readonly hiddenFraud?: boolean;
  /** The share of frauds that look legitimate (a model that ranks worse live than on validation). */
  readonly hiddenShare?: number;
  readonly fraudRate?: number;
}

/**
 * `n` transactions of one day: feature 0 ~ N(shift, 1), feature 1 binary (20 % ones); a fraud has
 * feature 0 raised by 3 unless hidden, and the stand-in model scores sigmoid(2·(f0 − shift) − 4).
 */
export function syntheticDay(day: number, n: number, seed: number, options: DayOptions = {}): SyntheticTx[] {
  const random = seededRandom(seed);
  const shift = options.shift ?? 0;
  const rate = options.fraudRate ?? 0.05;
  return Array.from({ length: n }, (_, i) => {
    const fraud = random() < rate;
    const hidden =
      options.hiddenFraud === true ||
      (fraud && options.hiddenShare !== undefined && random() < options.hiddenShare);
    const f0 = gaussian(random) + shift + (fraud && !hidden ? 3 : 0);
    const f1 = random() < 0.2 ? 1 : 0;
    const score = 1 / (1 + Math.exp(-(2 * (f0 - shift) - 4)));
    return {
      id: `d${day}-t${i}`,
      card: `c${i % Math.max(1, Math.floor(n / 4))}`,
      time: T0 + day * DAY_MS + Math.floor((i / n) * DAY_MS),
      features: [f0, f1],
      fraud,
      score,
    };
  });
}

export function scoreOf(tx: SyntheticTx, version: string, role: Score['role'] = 'CHAMPION'): Score {
  return {
    transaction_id: tx.id,
    card_id: tx.card,
    terminal_id: 't1',
    amount: 10,
    event_time: tx.time,
    ingest_time: tx.time,
    scored_at: tx.time,
    score: tx.score,
    threshold: 0.5,
    is_alert: tx.score >= 0.5,
    model_version: version,
    role,
    feature_set_version: 'test',
    features: tx.features,
  };
}

export function fraudLabelOf(tx: SyntheticTx, delayMs = DAY_MS): Label {
  return {
    transaction_id: tx.id,
    card_id: tx.card,
    terminal_id: 't1',
    is_fraud: true,
    source: 'CHARGEBACK',
    transaction_time: tx.time,
    event_time: tx.time + delayMs,
  };
}

/** A reference manifest built from `rows` the way the trainer builds one. */
export function referenceManifestOf(
  version: string,
  rows: readonly SyntheticTx[],
  k: number,
): ReferenceManifest {
  const validation = evaluateModel(
    rows.map((r) => ({ cardId: r.card, day: eventDay(r.time), score: r.score, isFraud: r.fraud })),
    { threshold: 0.5, k },
  );
  const manifest: Pick<ModelManifest, 'version' | 'feature_names' | 'threshold' | 'metrics' | 'reference'> = {
    version,
    feature_names: ['f0', 'f1'],
    threshold: 0.5,
    metrics: { validation },
    reference: {
      row_count: rows.length,
      fraud_rate: validation.positives / rows.length,
      features: [0, 1].map((f) =>
        buildFeatureProfile(
          f === 0 ? 'f0' : 'f1',
          rows.map((r) => r.features[f] ?? 0),
        ),
      ),
      score: buildFeatureProfile(
        'score',
        rows.map((r) => r.score),
      ),
    },
  };
  return manifest;
}
