import { DAY_MS, HOUR_MS } from '@fraudstream/contracts';
import { UnknownFeatureSetError } from './features.errors';

/** The feature-set versions this code computes. */
export const FEATURE_SET_VERSIONS = ['fs-v1', 'fs-v2', 'fs-v1-seq16'] as const;
export type FeatureSetVersion = (typeof FEATURE_SET_VERSIONS)[number];

const FS_V1_NAMES = [
  'amount',
  'log_amount',
  'is_night',
  'is_weekend',
  'is_card_not_present',
  'card_tx_count_1d',
  'card_mean_amount_1d',
  'card_tx_count_7d',
  'card_mean_amount_7d',
  'card_tx_count_30d',
  'card_mean_amount_30d',
  'amount_to_card_mean_7d',
  'amount_to_card_mean_30d',
  'terminal_tx_count_1d',
  'terminal_fraud_rate_1d',
  'terminal_tx_count_7d',
  'terminal_fraud_rate_7d',
  'terminal_tx_count_30d',
  'terminal_fraud_rate_30d',
] as const;

const DELAYED_TERMINAL_NAMES = [
  'terminal_delayed_tx_count_1d',
  'terminal_delayed_fraud_rate_1d',
  'terminal_delayed_tx_count_7d',
  'terminal_delayed_fraud_rate_7d',
  'terminal_delayed_tx_count_30d',
  'terminal_delayed_fraud_rate_30d',
] as const;

/**
 * The per-step features of a card's recent history (the sequence block): one row per earlier
 * transaction of the card, computed at the current transaction's event time.
 */
export const SEQUENCE_STEP_FEATURES = [
  /** 1 for a step holding an earlier transaction, 0 for padding (the card has fewer than K). */
  'present',
  'log_amount',
  /** log1p of the minutes between that transaction and the current one (event time). */
  'log_gap_minutes',
  'card_not_present',
  'night',
  /** Its terminal was not among the card's K transactions before it. */
  'new_terminal',
  /** Its amount over the mean amount of the card's steps present in the block. */
  'amount_to_card_mean',
] as const;
export type SequenceStepFeature = (typeof SEQUENCE_STEP_FEATURES)[number];
/** Width S of one step of the sequence block. */
export const SEQUENCE_STEP_WIDTH = SEQUENCE_STEP_FEATURES.length;
/**
 * K, the earlier transactions of a card the state keeps (a ring per card) and a sequence set's block
 * holds: bursts of card testing are a few to a dozen payments, minutes apart.
 */
export const SEQUENCE_STEPS = 16;

/** `seq_<step>_<feature>`: step 00 is the oldest of the K, step K-1 the card's latest earlier transaction. */
export type SequenceFeatureName = `seq_${string}_${SequenceStepFeature}`;

export type FeatureName =
  (typeof FS_V1_NAMES)[number] | (typeof DELAYED_TERMINAL_NAMES)[number] | SequenceFeatureName;

/** The flattened names of a [steps, S] block, step-major (the row-major order of the block). */
function sequenceNames(steps: number): SequenceFeatureName[] {
  const names: SequenceFeatureName[] = [];
  for (let k = 0; k < steps; k++)
    for (const feature of SEQUENCE_STEP_FEATURES) names.push(`seq_${String(k).padStart(2, '0')}_${feature}`);
  return names;
}

/**
 * One ordered, versioned feature list. The scorer logs its vectors with `version`; the trainer
 * trains on logged vectors of one version; a model manifest names the version and the names, and a
 * scorer computing another version refuses the model. Changing a name, its order or its meaning
 * (`terminalDelayDays` included) is a new version.
 */
export interface FeatureSet {
  readonly version: FeatureSetVersion;
  readonly names: readonly FeatureName[];
  /**
   * d of the delayed terminal windows, in whole days (0: the set has none): each window holds the
   * terminal's transactions of the w days before the d days before the transaction's own day, all
   * older than d, so with chargebacks known within d days every fraud among them is known.
   */
  readonly terminalDelayDays: number;
  /**
   * K of the card's recent-history block (0: the set has none). The vector is then the flat
   * features, then the [K, S] block row-major (S = SEQUENCE_STEP_WIDTH): `names` ends with the
   * block's K x S names, and `flatWidth` counts the names before them.
   */
  readonly sequenceSteps: number;
  /** How many of `names` are flat features (all of them for a set without a sequence block). */
  readonly flatWidth: number;
}

/** Card and terminal windows over the last 1, 7 and 30 days; terminal fraud rates of the labels known by then. */
export const FS_V1: FeatureSet = {
  version: 'fs-v1',
  names: FS_V1_NAMES,
  terminalDelayDays: 0,
  sequenceSteps: 0,
  flatWidth: FS_V1_NAMES.length,
};

/**
 * fs-v1 plus the terminal's transactions and fraud rate over 1, 7 and 30 days ending d = 7 days
 * before the transaction's day (the handbook's delayed terminal risk). 7 days is the chargeback
 * window: every transaction in these windows is mature, so their rates are not diluted by
 * transactions whose chargebacks have yet to come (docs/features.md).
 */
export const FS_V2: FeatureSet = {
  version: 'fs-v2',
  names: [...FS_V1_NAMES, ...DELAYED_TERMINAL_NAMES],
  terminalDelayDays: 7,
  sequenceSteps: 0,
  flatWidth: FS_V1_NAMES.length + DELAYED_TERMINAL_NAMES.length,
};

/**
 * fs-v1 plus the card's last K = 16 earlier transactions as a [K, S] block (docs/features.md): the
 * input of the sequence model family, whose graph reads the flat features and the block apart.
 */
export const FS_V1_SEQ16: FeatureSet = {
  version: 'fs-v1-seq16',
  names: [...FS_V1_NAMES, ...sequenceNames(SEQUENCE_STEPS)],
  terminalDelayDays: 0,
  sequenceSteps: SEQUENCE_STEPS,
  flatWidth: FS_V1_NAMES.length,
};

const FEATURE_SETS: Readonly<Record<FeatureSetVersion, FeatureSet>> = {
  'fs-v1': FS_V1,
  'fs-v2': FS_V2,
  'fs-v1-seq16': FS_V1_SEQ16,
};

export function isFeatureSetVersion(version: string): version is FeatureSetVersion {
  return (FEATURE_SET_VERSIONS as readonly string[]).includes(version);
}

/** The feature set of a version; throws UnknownFeatureSetError for a version this code does not compute. */
export function featureSetOf(version: string): FeatureSet {
  if (!isFeatureSetVersion(version)) {
    throw new UnknownFeatureSetError(
      `feature set ${version} is not one this code computes (${FEATURE_SET_VERSIONS.join(', ')})`,
    );
  }
  return FEATURE_SETS[version];
}

/**
 * The live loop's default feature set (the scorer's `FEATURE_SET`, the trainer's, the demo's). The
 * constants below are its version, names and width.
 */
export const DEFAULT_FEATURE_SET = FS_V1;
export const FEATURE_SET_VERSION = DEFAULT_FEATURE_SET.version;
export const FEATURE_NAMES = FS_V1_NAMES;
export const FEATURE_COUNT = FEATURE_NAMES.length;

/** Position of a feature in a set's vector (-1 when the set has no such feature). */
export function featureIndex(name: FeatureName, set: FeatureSet = DEFAULT_FEATURE_SET): number {
  return set.names.indexOf(name);
}

/** Hourly buckets kept per entity: the 1-day window is the current hour and the 23 before it. */
export const HOUR_BUCKETS = 24;
/** Days of the longest window: the 30-day window is the current day and the 29 before it. */
export const WINDOW_DAYS = 30;
/**
 * Daily buckets kept per entity: the longest window, plus the longest delay of a set's delayed
 * terminal windows and the current day (fs-v2: 30 + 7 + 1; the spec checks every set fits).
 */
export const DAY_BUCKETS = 38;

/** Night: 00:00-05:59 UTC (event time). */
export function isNight(eventTime: number): boolean {
  const hourOfDay = Math.floor(eventTime / HOUR_MS) % 24;
  return hourOfDay < 6;
}

/** Saturday or Sunday, UTC (event time). 1970-01-01 was a Thursday. */
export function isWeekend(eventTime: number): boolean {
  const dayOfWeek = (Math.floor(eventTime / DAY_MS) + 4) % 7; // 0 = Sunday
  return dayOfWeek === 0 || dayOfWeek === 6;
}

/** Amounts are counted in integer cents so every state backend sums them exactly. */
export function amountCents(amount: number): number {
  return Math.round(amount * 100);
}
