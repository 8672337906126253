import { describe, expect, it } from 'vitest';
import { defaultDriftSettings } from './drift.config';
import { EarlyEvidenceMonitor, type EvidenceReference } from './early-evidence.monitor';

const HOUR = 3_600_000;
const T = Date.UTC(2026, 0, 10);

const reference: EvidenceReference = {
  version: 'v1',
  threshold: 0.5,
  missShare: 0.2,
  featureNames: ['a', 'b'],
  novelty: {
    features: [0, 1],
    centre: [0.7, 0.7],
    scale: [0.2, 0.2],
    frauds: Array.from({ length: 200 }, (_, i) => [1 + (i % 5) * 0.1, 1 + (i % 7) * 0.1]),
  },
};

function monitor(): EarlyEvidenceMonitor {
  const m = new EarlyEvidenceMonitor(defaultDriftSettings().evidence);
  m.setReference(reference);
  return m;
}

const score = (id: string, time: number) => ({
  id,
  card: `card-${id}`,
  terminal: 't',
  amount: 10,
  time,
  score: 0.1,
  version: 'v1',
  features: [1, 1],
});

describe(EarlyEvidenceMonitor.name, () => {
  it('keeps a label read before its score across a restart, so the score still meets it', () => {
    const before = monitor();
    before.observeScore(score('first', T));
    // The chargeback of a transaction whose score has not been read yet (another partition).
    before.observeLabel({
      transactionId: 'late',
      isFraud: true,
      source: 'CHARGEBACK',
      transactionTime: T + HOUR / 2,
      eventTime: T + 3 * HOUR,
    });
    const after = monitor();
    after.restoreState(JSON.parse(JSON.stringify(before.snapshot())) as ReturnType<typeof before.snapshot>);
    after.observeScore(score('late', T + HOUR / 2));
    after.observeScore(score('next', T + 5 * HOUR));
    after.advanceTo(T + 4 * HOUR);
    expect(after.stats()).toMatchObject({ chargebacksObserved: 1, missedChargebacks: 1 });
  });
});
