import { describe, expect, it } from 'vitest';
import type { FraudScenario } from '@fraudstream/simulation';
import { apByFraudScenario, fraudsConfirmedByScenario, streamFrauds } from './fraud-scenarios';

describe('apByFraudScenario', () => {
  it('judges each kind of fraud on its own against the legitimate rows, whatever the other kinds score', () => {
    // The old kind (compromised-card) ranks on top; the new pattern's two frauds sit below legitimate rows.
    const scores = [0.9, 0.8, 0.1, 0.05, 0.5, 0.4, 0.3];
    const isFraud = [true, true, true, true, false, false, false];
    const scenarios: FraudScenario[] = [
      'compromised-card',
      'compromised-card',
      'new-pattern',
      'new-pattern',
      'none',
      'none',
      'none',
    ];
    const ap = apByFraudScenario(scores, isFraud, scenarios);
    expect(ap['compromised-card']).toBe(1);
    // Ranked: 0.5, 0.4, 0.3 legitimate, then 0.1 and 0.05 fraud: precision 1/4 and 2/5.
    expect(ap['new-pattern']).toBeCloseTo((1 / 4 + 2 / 5) / 2, 10);
    expect(Object.keys(ap).sort()).toEqual(['compromised-card', 'new-pattern']);
  });

  it('leaves out a kind with no fraud that day', () => {
    const ap = apByFraudScenario(Float32Array.from([0.2, 0.9]), [false, true], ['none', 'large-amount']);
    expect(ap).toEqual({ 'large-amount': 1 });
  });
});

describe('fraudsConfirmedByScenario', () => {
  const days = [
    {
      rows: [
        { transaction_id: 'a', event_time: 10 },
        { transaction_id: 'b', event_time: 20 },
        { transaction_id: 'c', event_time: 30 },
      ],
      isFraud: [true, false, true],
      scenarios: ['new-pattern', 'none', 'compromised-terminal'] as FraudScenario[],
    },
    {
      rows: [{ transaction_id: 'd', event_time: 110 }],
      isFraud: [true],
      scenarios: ['new-pattern'] as FraudScenario[],
    },
  ];
  const frauds = streamFrauds(days);

  it('counts the frauds that occurred by asOf and those a fraud label had confirmed by then', () => {
    const labels = [
      { transaction_id: 'a', is_fraud: true, event_time: 50 },
      { transaction_id: 'c', is_fraud: true, event_time: 200 },
      { transaction_id: 'b', is_fraud: false, event_time: 60 },
    ];
    expect(fraudsConfirmedByScenario(frauds, labels, 100)).toEqual({
      'new-pattern': { confirmed: 1, of: 1 },
      'compromised-terminal': { confirmed: 0, of: 1 },
    });
    expect(fraudsConfirmedByScenario(frauds, labels, 200)).toEqual({
      'new-pattern': { confirmed: 1, of: 2 },
      'compromised-terminal': { confirmed: 1, of: 1 },
    });
  });

  it('takes only the frauds, oldest first, with their kind', () => {
    expect(frauds.map((f) => `${f.transactionId}:${f.scenario}`)).toEqual([
      'a:new-pattern',
      'c:compromised-terminal',
      'd:new-pattern',
    ]);
  });
});
