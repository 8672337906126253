import { DAY_MS, type Label, type TopicMessages, type Transaction } from '@fraudstream/contracts';

const T0 = Date.UTC(2026, 0, 5, 12, 0, 0);

/** One valid record of every topic, typed by libs/contracts; contracts.spec.ts checks them against the .avsc files. */
export const SAMPLE_RECORDS: { readonly [K in keyof TopicMessages]: TopicMessages[K] } = {
  'tx.transactions.v1': {
    transaction_id: 'tx-1',
    card_id: 'card-1',
    terminal_id: 'term-1',
    amount: 42.5,
    currency: 'EUR',
    channel: 'CARD_PRESENT',
    event_time: T0,
    ingest_time: T0 + 5,
    age_band: '30-44',
    region: 'north',
    card_token_next: null,
  },
  'tx.scores.v1': {
    transaction_id: 'tx-1',
    card_id: 'card-1',
    terminal_id: 'term-1',
    amount: 42.5,
    event_time: T0,
    ingest_time: T0 + 5,
    scored_at: T0 + 9,
    score: 0.93,
    threshold: 0.5,
    is_alert: true,
    model_version: 'v1',
    role: 'CHAMPION',
    feature_set_version: 'fs-1',
    features: [1, 2.5, 0],
    age_band: '30-44',
    region: null,
  },
  'fraud.alerts.v1': {
    alert_id: 'tx-1:v1',
    kind: 'SCORE',
    raised_at: null,
    note: '',
    transaction_id: 'tx-1',
    card_id: 'card-1',
    terminal_id: 'term-1',
    amount: 42.5,
    event_time: T0,
    score: 0.93,
    threshold: 0.5,
    model_version: 'v1',
    severity: 'HIGH',
    reasons: [{ feature: 'amount', value: 42.5, contribution: 0.4 }],
  },
  'fraud.labels.v1': {
    transaction_id: 'tx-1',
    card_id: 'card-1',
    terminal_id: 'term-1',
    is_fraud: true,
    source: 'CHARGEBACK',
    transaction_time: T0,
    event_time: T0 + 3 * DAY_MS,
    alert_id: null,
    analyst: null,
  },
  'fraud.cases.v1': {
    alert_id: 'tx-1:v1',
    transaction_id: 'tx-1',
    card_id: 'card-1',
    status: 'CLOSED',
    claimed_by: null,
    claimed_until: null,
    verdict: 'FRAUD',
    decided_by: 'alice',
    decided_event_time: T0 + 2 * 3_600_000,
    history: [
      { action: 'CLAIM', analyst: 'alice', at: T0 + 1000, comment: '' },
      {
        action: 'VERDICT',
        analyst: 'alice',
        at: T0 + 5000,
        comment: 'card used in two countries within an hour',
      },
    ],
    updated_at: T0 + 5000,
  },
  'ml.drift-events.v1': {
    event_id: 'v1:1767571200000',
    phase: 'CLOSE',
    model_version: 'v1',
    window_start: T0,
    window_end: T0 + DAY_MS,
    row_count: 1000,
    verdict: 'COVARIATE_DRIFT',
    severity: 'LOW',
    features: [
      {
        feature: 'amount',
        psi: 0.3,
        ks_statistic: 0.2,
        ks_p_value: 0.001,
        js_distance: 0.1,
        wasserstein: 4.2,
        p_value_adjusted: 0.004,
        drifted: true,
      },
    ],
    prediction: {
      feature: 'score',
      psi: 0.01,
      ks_statistic: 0.02,
      ks_p_value: 0.8,
      js_distance: 0.01,
      wasserstein: 0.001,
      p_value_adjusted: 0.8,
      drifted: false,
    },
    fraud_rate_reference: 0.008,
    fraud_rate_live: null,
    fraud_rate_p_value: null,
    mature_labels: 0,
    average_precision: null,
    roc_auc: 0.91,
    recall_at_threshold: null,
    card_precision_at_k: null,
    reference_average_precision: 0.7,
    retrain_recommended: false,
    reasons: ['amount drifted (PSI 0.30)'],
    evidence: null,
  },
  'ml.retrain-requests.v1': {
    request_id: 'v1:1767571200000',
    model_version: 'v1',
    trigger: 'PERFORMANCE_DRIFT',
    reason: 'AP fell from 0.70 to 0.41',
    severity: 'HIGH',
    drift_event_id: 'v1:1767571200000',
    window_start: T0 - 14 * DAY_MS,
    window_end: T0,
    event_time: T0,
  },
  'ml.model-deployments.v1': {
    deployment_id: 'd-1',
    kind: 'STAGE_CHANGE',
    model_version: 'v2',
    stage: 'SHADOW',
    previous_version: null,
    parent_version: 'v1',
    artifact_uri: 'file:///var/models/v2/model.onnx',
    sha256: 'ab'.repeat(32),
    request_id: 'v1:1767571200000',
    reason: 'challenger AP 0.66 > champion 0.41 + margin 0.02',
    metrics: { challenger_average_precision: 0.66, champion_average_precision: 0.41 },
    instance_id: null,
    event_time: T0,
  },
};

/** The chargeback of a transaction, learnt by the bank at `eventTime`. */
export function chargebackOf(
  t: Pick<Transaction, 'transaction_id' | 'card_id' | 'terminal_id' | 'event_time'>,
  eventTime: number,
): Label {
  return {
    transaction_id: t.transaction_id,
    card_id: t.card_id,
    terminal_id: t.terminal_id,
    is_fraud: true,
    source: 'CHARGEBACK',
    transaction_time: t.event_time,
    event_time: eventTime,
  };
}

/** A card-present payment in euros at `eventTime`, ingested at once. */
export function cardPayment(
  id: string,
  card: string,
  terminal: string,
  amount: number,
  eventTime: number,
): Transaction {
  return {
    transaction_id: id,
    card_id: card,
    terminal_id: terminal,
    amount,
    currency: 'EUR',
    channel: 'CARD_PRESENT',
    event_time: eventTime,
    ingest_time: eventTime,
  };
}

/**
 * The stream as an upstream that retries sends it: after every `every`-th transaction, a copy of the
 * one `lag` places before it. `copies` holds the copies' indices in `sent`.
 */
export function withResends(
  transactions: readonly Transaction[],
  every: number,
  lag: number,
): { sent: Transaction[]; copies: Set<number> } {
  const sent: Transaction[] = [];
  const copies = new Set<number>();
  transactions.forEach((t, i) => {
    sent.push(t);
    const earlier = transactions[i - lag];
    if (i % every === 0 && earlier) {
      copies.add(sent.length);
      sent.push({ ...earlier });
    }
  });
  return { sent, copies };
}
