/*
 * A bounded, order-independent uniform sample of a window's transactions: every transaction gets a
 * pseudo-random priority from a seeded hash of its id, and the reservoir keeps the `capacity` rows
 * of lowest priority (bottom-k sampling). Unlike Algorithm R the sample does not depend on the order
 * in which partitions interleave, so a replay after a restart keeps exactly the same rows, and a
 * label can tell from its transaction id alone whether its row was (or will be) sampled.
 */

/** A 32-bit seeded hash of a string (FNV-1a, then murmur3's finaliser for avalanche), as a priority in [0, 2^32). */
export function hashPriority(id: string, seed: number): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < id.length; i++) {
    h ^= id.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A sampled transaction as the evaluations read it. Label times are event times (null: no such label). */
export interface SampledRow {
  readonly id: string;
  readonly card: string;
  /** The terminal ('' in a snapshot written before terminals were kept). */
  readonly terminal: string;
  readonly time: number;
  readonly score: number;
  /** When the first fraud label arrived (a fraud label wins over a legitimate one). */
  readonly fraudAt: number | null;
  /** When the first "legitimate" verdict arrived. */
  readonly legitAt: number | null;
}

/** Whether the row was known to be fraud at event time `t`. */
export function fraudBy(row: SampledRow, t: number): boolean {
  return row.fraudAt !== null && row.fraudAt <= t;
}

/** Whether the row had any label at event time `t`. */
export function labelledBy(row: SampledRow, t: number): boolean {
  return fraudBy(row, t) || (row.legitAt !== null && row.legitAt <= t);
}

function earliest(current: number | null | undefined, t: number): number {
  return current === null || current === undefined ? t : Math.min(current, t);
}

export interface ReservoirSnapshot {
  readonly capacity: number;
  readonly featureCount: number;
  readonly ids: string[];
  readonly cards: string[];
  /** Absent in snapshots written before terminals were kept (restored as unknown, ''). */
  readonly terminals?: string[];
  readonly times: number[];
  readonly scores: number[];
  readonly fraudAt: (number | null)[];
  readonly legitAt: (number | null)[];
  readonly priorities: number[];
  /** Row-major feature values, or null once the window closed and only performance data is kept. */
  readonly features: number[] | null;
}

export class RowReservoir {
  private ids: string[] = [];
  private cards: string[] = [];
  private terminals: string[] = [];
  private times: number[] = [];
  private scores: number[] = [];
  private fraudAt: (number | null)[] = [];
  private legitAt: (number | null)[] = [];
  private priorities: number[] = [];
  private features: number[] | null = [];
  /** Max-heap of slots by priority: the root is the row the next better candidate evicts. */
  private heap: number[] = [];
  private readonly index = new Map<string, number>();

  constructor(
    readonly capacity: number,
    readonly featureCount: number,
  ) {}

  get size(): number {
    return this.ids.length;
  }

  get hasFeatures(): boolean {
    return this.features !== null;
  }

  has(id: string): boolean {
    return this.index.has(id);
  }

  /** Whether a row of this priority is (or would be) in the sample. */
  admits(priority: number): boolean {
    return this.ids.length < this.capacity || priority < (this.priorities[this.heap[0] ?? 0] ?? 0);
  }

  /** Offers a row; returns whether it is now in the sample. A row already sampled is not added twice. */
  offer(
    priority: number,
    id: string,
    card: string,
    time: number,
    score: number,
    features: readonly number[],
    terminal = '',
  ): boolean {
    if (this.index.has(id)) return true;
    let slot: number;
    if (this.ids.length < this.capacity) {
      slot = this.ids.length;
      this.ids.push(id);
      this.cards.push(card);
      this.terminals.push(terminal);
      this.times.push(time);
      this.scores.push(score);
      this.fraudAt.push(null);
      this.legitAt.push(null);
      this.priorities.push(priority);
      if (this.features) for (let f = 0; f < this.featureCount; f++) this.features.push(features[f] ?? 0);
      this.heap.push(slot);
      this.siftUp(this.heap.length - 1);
    } else {
      const root = this.heap[0];
      if (root === undefined || priority >= (this.priorities[root] ?? 0)) return false;
      slot = root;
      this.index.delete(this.ids[slot] ?? '');
      this.ids[slot] = id;
      this.cards[slot] = card;
      this.terminals[slot] = terminal;
      this.times[slot] = time;
      this.scores[slot] = score;
      this.fraudAt[slot] = null;
      this.legitAt[slot] = null;
      this.priorities[slot] = priority;
      if (this.features) {
        const base = slot * this.featureCount;
        for (let f = 0; f < this.featureCount; f++) this.features[base + f] = features[f] ?? 0;
      }
      this.siftDown(0);
    }
    this.index.set(id, slot);
    return true;
  }

  /**
   * Records a label known from event time `at`; the earliest of each kind is kept, so the order in
   * which labels arrive does not matter. Returns false when the row is not sampled.
   */
  label(id: string, isFraud: boolean, at: number): boolean {
    const slot = this.index.get(id);
    if (slot === undefined) return false;
    if (isFraud) this.fraudAt[slot] = earliest(this.fraudAt[slot], at);
    else this.legitAt[slot] = earliest(this.legitAt[slot], at);
    return true;
  }

  /** The sampled values of feature `f`, sorted ascending. */
  sortedFeature(f: number): Float64Array {
    const out = new Float64Array(this.ids.length);
    if (!this.features) return out;
    for (let i = 0; i < out.length; i++) out[i] = this.features[i * this.featureCount + f] ?? 0;
    return out.sort();
  }

  sortedScores(): Float64Array {
    return Float64Array.from(this.scores).sort();
  }

  /** Frees the feature values once the window's distribution statistics are computed. */
  dropFeatures(): void {
    this.features = null;
  }

  /** Rows for performance evaluation, in slot order. */
  rows(): SampledRow[] {
    return this.ids.map((id, i) => ({
      id,
      card: this.cards[i] ?? '',
      terminal: this.terminals[i] ?? '',
      time: this.times[i] ?? 0,
      score: this.scores[i] ?? 0,
      fraudAt: this.fraudAt[i] ?? null,
      legitAt: this.legitAt[i] ?? null,
    }));
  }

  snapshot(): ReservoirSnapshot {
    return {
      capacity: this.capacity,
      featureCount: this.featureCount,
      ids: [...this.ids],
      cards: [...this.cards],
      terminals: [...this.terminals],
      times: [...this.times],
      scores: [...this.scores],
      fraudAt: [...this.fraudAt],
      legitAt: [...this.legitAt],
      priorities: [...this.priorities],
      features: this.features ? [...this.features] : null,
    };
  }

  static restore(s: ReservoirSnapshot): RowReservoir {
    const r = new RowReservoir(s.capacity, s.featureCount);
    r.ids = [...s.ids];
    r.cards = [...s.cards];
    r.terminals = s.terminals ? [...s.terminals] : s.ids.map(() => '');
    r.times = [...s.times];
    r.scores = [...s.scores];
    r.fraudAt = [...s.fraudAt];
    r.legitAt = [...s.legitAt];
    r.priorities = [...s.priorities];
    r.features = s.features ? [...s.features] : null;
    r.ids.forEach((id, slot) => r.index.set(id, slot));
    r.heap = r.ids.map((_, slot) => slot);
    for (let i = (r.heap.length >>> 1) - 1; i >= 0; i--) r.siftDown(i);
    return r;
  }

  private priorityAt(heapIndex: number): number {
    return this.priorities[this.heap[heapIndex] ?? 0] ?? 0;
  }

  private swap(a: number, b: number): void {
    const t = this.heap[a] ?? 0;
    this.heap[a] = this.heap[b] ?? 0;
    this.heap[b] = t;
  }

  private siftUp(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >>> 1;
      if (this.priorityAt(parent) >= this.priorityAt(i)) return;
      this.swap(parent, i);
      i = parent;
    }
  }

  private siftDown(i: number): void {
    const n = this.heap.length;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let largest = i;
      if (left < n && this.priorityAt(left) > this.priorityAt(largest)) largest = left;
      if (right < n && this.priorityAt(right) > this.priorityAt(largest)) largest = right;
      if (largest === i) return;
      this.swap(i, largest);
      i = largest;
    }
  }
}
