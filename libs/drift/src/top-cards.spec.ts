import { describe, expect, it } from 'vitest';
import { seededRandom } from './drift-test.fixtures';
import { TopCardsTracker } from './top-cards';

describe(TopCardsTracker.name, () => {
  it('finds the same k cards by max score as a full per-card maximum', () => {
    const random = seededRandom(3);
    const tracker = new TopCardsTracker(10);
    const max = new Map<string, number>();
    for (let i = 0; i < 5000; i++) {
      const card = `c${Math.floor(random() * 300)}`;
      const score = random();
      tracker.offer(card, score);
      max.set(card, Math.max(max.get(card) ?? 0, score));
    }
    const expected = [...max.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 10)
      .map(([c]) => c);
    expect(tracker.cards()).toEqual(expected);
    expect(TopCardsTracker.restore(10, tracker.snapshot()).cards()).toEqual(expected);
  });
});
