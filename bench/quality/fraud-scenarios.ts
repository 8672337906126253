import type { FraudScenario } from '@fraudstream/simulation';
import { averagePrecision } from '@fraudstream/stats';

/**
 * The day's AP for each kind of fraud on its own: that kind's frauds against the day's legitimate
 * transactions, the other frauds left out. Which kinds a model catches is what the overall AP hides
 * after a new pattern: its few frauds move the day's AP by tenths while the old kinds hold. Kinds
 * without a fraud that day are absent.
 */
export function apByFraudScenario(
  scores: ArrayLike<number>,
  isFraud: readonly boolean[],
  scenarios: readonly FraudScenario[],
): Partial<Record<FraudScenario, number>> {
  const kindOf = isFraud.map((fraud, i) => (fraud ? (scenarios[i] ?? 'unknown') : null));
  const all = Array.from(scores);
  const out: Partial<Record<FraudScenario, number>> = {};
  for (const kind of [...new Set(kindOf)].filter((k) => k !== null).sort()) {
    const keep = kindOf.map((k) => k === null || k === kind);
    out[kind] = averagePrecision(
      all.filter((_, i) => keep[i]),
      isFraud.filter((_, i) => keep[i]),
    );
  }
  return out;
}

/**
 * The stream's frauds by kind, and how many of them a label had confirmed by `asOf` (any source:
 * chargeback, analysts' verdict on an alert or an investigation): the evidence a job asked at `asOf`
 * could learn each kind from, against how many there were.
 */
export function fraudsConfirmedByScenario(
  frauds: readonly {
    readonly transactionId: string;
    readonly eventTime: number;
    readonly scenario: FraudScenario;
  }[],
  labels: readonly {
    readonly transaction_id: string;
    readonly is_fraud: boolean;
    readonly event_time: number;
  }[],
  asOf: number,
): Partial<Record<FraudScenario, { confirmed: number; of: number }>> {
  const confirmed = new Set(
    labels.filter((l) => l.is_fraud && l.event_time <= asOf).map((l) => l.transaction_id),
  );
  const out: Partial<Record<FraudScenario, { confirmed: number; of: number }>> = {};
  for (const f of frauds) {
    if (f.eventTime > asOf) continue;
    const entry = (out[f.scenario] ??= { confirmed: 0, of: 0 });
    entry.of++;
    if (confirmed.has(f.transactionId)) entry.confirmed++;
  }
  return out;
}

/** The stream's frauds with their kind, oldest first (from the simulator's ground truth). */
export function streamFrauds(
  days: readonly {
    readonly rows: readonly { transaction_id: string; event_time: number }[];
    readonly isFraud: readonly boolean[];
    readonly scenarios: readonly FraudScenario[];
  }[],
): { transactionId: string; eventTime: number; scenario: FraudScenario }[] {
  const out: { transactionId: string; eventTime: number; scenario: FraudScenario }[] = [];
  for (const day of days)
    day.rows.forEach((row, i) => {
      if (day.isFraud[i])
        out.push({
          transactionId: row.transaction_id,
          eventTime: row.event_time,
          scenario: day.scenarios[i] ?? 'unknown',
        });
    });
  return out;
}
