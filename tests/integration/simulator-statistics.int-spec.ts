import { TransactionSimulator, type FraudScenario } from '@fraudstream/simulation';
import { DAY_MS } from '@fraudstream/contracts';
import { describe, expect, it } from 'vitest';

/** Standard normal CDF (Abramowitz-Stegun 7.1.26, |error| < 1.5e-7). */
function phi(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const erf =
    1 -
    ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) *
      t *
      Math.exp(-x * x);
  return z >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}

describe(`${TransactionSimulator.name} month statistics`, () => {
  it('matches the documented statistics for seed 7 at the demo size over 30 days', () => {
    const days = 30;
    const sim = new TransactionSimulator({ seed: 7, days });
    const o = sim.options;
    const end = sim.dayStart(days);
    const count: Record<FraudScenario, number> = {
      none: 0,
      'large-amount': 0,
      'compromised-terminal': 0,
      'compromised-card': 0,
      'new-pattern': 0,
      unknown: 0,
    };
    const fraudTime = new Map<string, number>();
    let transactions = 0;
    let labels = 0;
    let delaySum = 0;
    let minDelay = Infinity;
    let maxDelay = -Infinity;
    for (const event of sim.events()) {
      if (event.kind === 'transaction') {
        transactions += 1;
        count[event.truth.scenario] += 1;
        if (event.truth.is_fraud)
          fraudTime.set(event.transaction.transaction_id, event.transaction.event_time);
      } else {
        const { label } = event;
        expect(label.source).toBe('CHARGEBACK');
        expect(fraudTime.get(label.transaction_id)).toBe(label.transaction_time);
        labels += 1;
        const delay = (label.event_time - label.transaction_time) / DAY_MS;
        delaySum += delay;
        minDelay = Math.min(minDelay, delay);
        maxDelay = Math.max(maxDelay, delay);
      }
    }
    const frauds = transactions - count.none;

    // Volume: 5,000 customers x E[U(0, 20)] = 10 a day, times P(N(12 h, 20,000 s) falls in the day) = 0.9692.
    const keep = phi(43_200 / 20_000) - phi(-43_200 / 20_000);
    expect(transactions / days / (o.customers * 10 * keep)).toBeCloseTo(1, 1);

    // Overall fraud rate, documented as 0.9 % (0.5-1 % asked).
    expect(frauds / transactions).toBeGreaterThan(0.007);
    expect(frauds / transactions).toBeLessThan(0.011);

    // (a) large amounts: for m uniform in [5, 100], the mean of P(N(m, m/2) > 220) is 0.058 %; this
    // population's few big spenders decide the rate, so the expectation is taken over its customers.
    let pLarge = 0;
    for (let m = 5.005; m < 100; m += 0.01) pLarge += (1 - phi((220 - m) / (m / 2))) * (0.01 / 95);
    expect(pLarge).toBeCloseTo(0.00058, 4);
    let expectedLarge = 0;
    for (const c of sim.population.customers) {
      expectedLarge += c.meanTxPerDay * keep * days * (1 - phi((220 - c.meanAmount) / c.stdAmount));
    }
    expect(count['large-amount'] / expectedLarge).toBeGreaterThan(0.85);
    expect(count['large-amount'] / expectedLarge).toBeLessThan(1.1);

    // (b) 2 terminals a day per 10,000, abused 28 days: 56 of 10,000 terminals = 0.56 % of payments.
    expect(count['compromised-terminal'] / transactions / 0.0056).toBeGreaterThan(0.7);
    expect(count['compromised-terminal'] / transactions / 0.0056).toBeLessThan(1.3);

    // (c) 3 cards a day per 5,000, 14 days, a third of their payments: 42 / 5,000 / 3 = 0.28 %.
    expect(count['compromised-card'] / transactions / 0.0028).toBeGreaterThan(0.7);
    expect(count['compromised-card'] / transactions / 0.0028).toBeLessThan(1.3);
    expect(count['new-pattern']).toBe(0);

    // Chargebacks: one per fraud, uniform [1, 7) days later, emitted when due within the month.
    expect(minDelay).toBeGreaterThanOrEqual(1);
    expect(maxDelay).toBeLessThan(7);
    // Emitted labels favour short delays near the month's end; with the undue ones the mean is 4 days.
    for (const l of sim.undueLabels) delaySum += (l.event_time - l.transaction_time) / DAY_MS;
    expect(delaySum / frauds).toBeCloseTo(4, 1);
    expect(sim.undueLabels.every((l) => l.event_time >= end)).toBe(true);
    const dueFrauds = [...fraudTime.values()].filter((t) => t < end - 7 * DAY_MS).length;
    expect(labels).toBeGreaterThanOrEqual(dueFrauds);
    expect(labels + sim.undueLabels.length).toBe(frauds);
  });
});
