/*
 * The k cards with the highest max score of a day, exactly, in O(k) memory. A card's max only
 * grows, and the k-th best max only grows too, so a card evicted from the set can only come back
 * with a score above the current minimum, which is then its true max.
 */
export class TopCardsTracker {
  private readonly scores = new Map<string, number>();
  private minScore = Number.NEGATIVE_INFINITY;
  private minCard: string | null = null;

  constructor(readonly k: number) {}

  offer(card: string, score: number): void {
    const current = this.scores.get(card);
    if (current !== undefined) {
      if (score > current) {
        this.scores.set(card, score);
        if (card === this.minCard) this.recomputeMin();
      }
      return;
    }
    if (this.scores.size < this.k) {
      this.scores.set(card, score);
      if (this.scores.size === this.k) this.recomputeMin();
      return;
    }
    // Ties keep the incumbent, so the result does not depend on arrival order only when scores differ.
    if (score <= this.minScore || this.minCard === null) return;
    this.scores.delete(this.minCard);
    this.scores.set(card, score);
    this.recomputeMin();
  }

  /** The tracked cards, best first. */
  cards(): string[] {
    return [...this.scores.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([c]) => c);
  }

  snapshot(): [string, number][] {
    return [...this.scores.entries()];
  }

  static restore(k: number, entries: readonly [string, number][]): TopCardsTracker {
    const t = new TopCardsTracker(k);
    for (const [card, score] of entries) t.scores.set(card, score);
    if (t.scores.size >= k) t.recomputeMin();
    return t;
  }

  private recomputeMin(): void {
    let min = Number.POSITIVE_INFINITY;
    let minCard: string | null = null;
    for (const [card, score] of this.scores) {
      if (score < min || (score === min && minCard !== null && card > minCard)) {
        min = score;
        minCard = card;
      }
    }
    this.minScore = min;
    this.minCard = minCard;
  }
}
