import type { Alert, Label, Score } from '@fraudstream/contracts';

export const T0 = Date.UTC(2026, 0, 5, 12);

/** An alert on `card` raised at `time` (a SCORE alert unless said otherwise). */
export function testAlert(id: string, overrides: Partial<Alert> = {}): Alert {
  return {
    alert_id: `${id}:v1`,
    kind: 'SCORE',
    raised_at: null,
    note: '',
    transaction_id: id,
    card_id: 'card-1',
    terminal_id: 'term-1',
    amount: 120,
    event_time: T0,
    score: 0.9,
    threshold: 0.6,
    model_version: 'v1',
    severity: 'HIGH',
    reasons: [{ feature: 'amount', value: 120, contribution: 0.3 }],
    ...overrides,
  };
}

export function testScore(id: string, overrides: Partial<Score> = {}): Score {
  return {
    transaction_id: id,
    card_id: 'card-1',
    terminal_id: 'term-1',
    amount: 10,
    event_time: T0,
    ingest_time: T0,
    scored_at: T0,
    score: 0.1,
    threshold: 0.6,
    is_alert: false,
    model_version: 'v1',
    role: 'CHAMPION',
    feature_set_version: 'fs',
    features: [],
    ...overrides,
  };
}

export function testLabel(alert: Alert, overrides: Partial<Label> = {}): Label {
  return {
    transaction_id: alert.transaction_id,
    card_id: alert.card_id,
    terminal_id: alert.terminal_id,
    is_fraud: true,
    source: 'ANALYST',
    transaction_time: alert.event_time,
    event_time: alert.event_time + 3_600_000,
    alert_id: alert.alert_id,
    analyst: 'analyst-desk',
    ...overrides,
  };
}
