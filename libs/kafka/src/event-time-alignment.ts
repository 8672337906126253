import { HOUR_MS } from '@fraudstream/contracts';
import { PartitionMap, type TopicPartition } from './topic-partition';

/** Holds a consumer's partitions in step in event time (see EventTimeAlignment). */
export interface EventTimeAlignmentOptions<T> {
  /** A decoded value's event time, in epoch milliseconds. */
  readonly eventTime: (value: T) => number;
  /**
   * How far past the next record of the slowest partition that has records left a partition may
   * handle, in milliseconds of event time. 0 takes the partitions' records in event-time order (ties
   * aside), in smaller pieces.
   */
  readonly maxSkewMs: number;
  /**
   * Replicas: the group's members exchange their positions through it, and each holds its
   * partitions within the skew of the others' too (see EventTimeAlignment.peers).
   */
  readonly shared?: SharedPositions;
  /** How often the positions are exchanged, in milliseconds (default 50). */
  readonly exchangeIntervalMs?: number;
  /**
   * How long a partition another member owns may go unpublished before the others stop waiting for
   * it (its owner takes no part in the exchange: the alignment off there, or a version without it),
   * in milliseconds of wall-clock time (default 30000).
   */
  readonly absentPatienceMs?: number;
}

/** The replicas' side of an alignment (EventTimeAlignment.peers). */
export interface ReplicaAlignmentOptions {
  /**
   * Whether positions will be exchanged: until the first exchange, the other members' partitions
   * count as not published (they hold this consumer's back), rather than as no exchange at all.
   */
  readonly replicas?: boolean;
  /** See EventTimeAlignmentOptions.absentPatienceMs. */
  readonly absentPatienceMs?: number;
  /** The wall clock of that patience (tests set it). */
  readonly now?: () => number;
}

/**
 * A partition's place in event time, as a consumer publishes its own to the other members of its
 * group (SharedPositions): the event time of its next record, or of the first record of a piece
 * being handled if earlier, and whether it has records left (only then does it hold others back).
 */
export interface PartitionPosition {
  readonly topic: string;
  readonly partition: number;
  readonly time: number;
  readonly behind: boolean;
}

/**
 * The positions of a group's members, exchanged so that replicas hold their partitions in step with
 * one another (their handlers share state: the scorers' Redis feature store).
 */
export interface SharedPositions {
  /**
   * Publishes this member's positions (those of the partitions it owns and has heard from) and
   * returns every member's current ones (its own too); a partition whose owner stopped publishing
   * drops out.
   */
  exchange(own: readonly PartitionPosition[]): Promise<readonly PartitionPosition[]>;
}

/** Stops and restarts the fetching of a partition (the consumer's pause and resume). */
export interface FetchControl {
  pause(partition: TopicPartition): void;
  resume(partition: TopicPartition): void;
}

interface Position {
  /**
   * The event time of the partition's next record when `exact`; otherwise that of its last taken
   * record, a lower bound of the next one's (a partition's records in event-time order).
   */
  readonly time: number;
  /** Whether the partition had records left past those taken (they may hold the others back). */
  readonly behind: boolean;
  /** Whether the partition is paused until its next record is within its bound. */
  readonly held: boolean;
}

interface Waiter {
  readonly partition: TopicPartition;
  readonly next: number;
  readonly wake: (moved: boolean) => void;
}

/**
 * Keeps the partitions of a consumer in step in event time, for handlers whose state spans
 * partitions (the scorer's terminal windows: a terminal's payments come from every partition). A
 * partition may take its records up to `maxSkewMs` past the next record of every other partition that
 * has records left (partitions at their end hold nothing back). A batch that reaches further is taken
 * in pieces: its handler waits for the others between them (the batches of one fetch are handled
 * side by side: the consumer handles every partition's batch at once). When every batch being handled
 * waits, and so none can move, they give up: the rest of each is left unread and fetched again with
 * the others' next batches (a partition far ahead is paused meanwhile).
 *
 * The partition whose next record is the earliest can always take it, so the partitions never wait on
 * one another for good. Until a piece is handled (or its handler says its state is applied), the
 * others take nothing more than the skew past its first record: pieces handled side by side update
 * shared state out of order by at most the skew. After an assignment, the others wait for a
 * partition not heard from yet: its first batch, or the broker's answer that it has nothing to read
 * (they give up meanwhile if its batch is not among those being handled).
 *
 * Replicas (the `shared` option) exchange their positions (shared(), peers()): the other members'
 * partitions bound this consumer's like its own, and one that no member publishes holds them back
 * as a partition not heard from does, for a patience at most.
 */
export class EventTimeAlignment {
  private readonly positions = new PartitionMap<Position>();
  /** The partitions this consumer owns (its last assignment). */
  private readonly owned = new PartitionMap<true>();
  /**
   * The positions the group's members last published (this consumer's of partitions it no longer
   * owns among them); null while the exchange does not work (or there is none).
   */
  private remote: PartitionMap<PartitionPosition> | null = null;
  /** Every partition of the subscribed topics (expect()): those no member publishes are not heard from. */
  private expected: readonly TopicPartition[] = [];
  /** Others' partitions no member publishes, since when (wall clock): they hold this consumer's back. */
  private readonly absent = new PartitionMap<number>();
  /** Those absent for longer than the patience: no longer waited for. */
  private readonly ignored = new PartitionMap<true>();
  private readonly absentPatienceMs: number;
  private readonly now: () => number;
  /** Pieces taken and not handled yet: the event time of the first record of each partition's. */
  private readonly pending = new PartitionMap<number>();
  /** Owned partitions whose position is not known yet. */
  private readonly unknown = new PartitionMap<true>();
  private active = 0;
  private readonly waiters = new Set<Waiter>();
  private stallCheck: NodeJS.Immediate | null = null;
  /** Exchanges with the other members so far (peers() calls). */
  private exchanges = 0;
  /** A stall that waits on the other members: the exchange count when it was first seen. */
  private stalledAt: number | null = null;
  /** How far past its bound a partition that gave up its batch is paused rather than fetched again. */
  private readonly farMs: number;

  constructor(
    private readonly maxSkewMs: number,
    private readonly control: FetchControl,
    replicas: ReplicaAlignmentOptions = {},
  ) {
    this.farMs = Math.max(maxSkewMs, HOUR_MS);
    this.absentPatienceMs = replicas.absentPatienceMs ?? 30_000;
    this.now = replicas.now ?? Date.now;
    if (replicas.replicas) this.remote = new PartitionMap<PartitionPosition>();
  }

  /**
   * A new assignment: the held partitions are resumed and every owned one's position is unknown
   * again (a partition may have moved, and come back with another owner's progress).
   */
  assign(owned: readonly TopicPartition[]): void {
    for (const [partition, position] of this.positions.entries())
      if (position.held) this.control.resume(partition);
    this.positions.clear();
    this.pending.clear();
    this.unknown.clear();
    this.owned.clear();
    for (const partition of owned) {
      this.unknown.set(partition, true);
      this.owned.set(partition, true);
    }
    this.changed();
  }

  /**
   * Every partition of the subscribed topics. With the exchange working, a partition another member
   * owns holds this consumer's back until a member publishes its position (as an owned partition
   * not heard from does).
   */
  expect(partitions: readonly TopicPartition[]): void {
    this.expected = [...partitions];
    this.refreshAbsent();
    this.changed();
  }

  /**
   * The assigned partitions that had nothing to read when asked (committed offset at the end): they
   * hold nothing back until a batch of theirs arrives.
   */
  settle(caughtUp: readonly TopicPartition[]): void {
    for (const partition of caughtUp)
      if (this.unknown.delete(partition))
        this.positions.set(partition, { time: -Infinity, behind: false, held: false });
    this.changed();
  }

  /** The assignment's positions are not coming (the check failed): unknown partitions hold nothing back. */
  forgetUnknown(): void {
    // Published as at their end (replicas): no other member waits for them either.
    this.settle([...this.unknown.entries()].map(([partition]) => partition));
  }

  /**
   * The positions the group's members published, as last exchanged (replacing the previous ones),
   * or null when the exchange failed: then the others hold nothing back. Partitions this consumer
   * does not own bound its own like its own do: those with records left, and those no one published
   * (expect()). A partition it owns is its own (a former owner's entry is ignored). A batch that waits
   * only on them waits for the next exchange before it gives up (checkStall).
   */
  peers(positions: readonly PartitionPosition[] | null): TopicPartition[] {
    this.exchanges++;
    const remote = positions && new PartitionMap<PartitionPosition>();
    this.remote = remote;
    for (const position of positions ?? [])
      if (!position.behind || !Number.isNaN(position.time)) remote?.set(position, position);
    const givenUp = this.refreshAbsent();
    this.changed();
    return givenUp;
  }

  /**
   * Others' partitions no one publishes hold this consumer's back, for the patience at most: notes
   * since when each is absent, and returns those that just ran out of it.
   */
  private refreshAbsent(): TopicPartition[] {
    const remote = this.remote;
    const givenUp: TopicPartition[] = [];
    const now = this.now();
    for (const partition of this.expected) {
      if (!remote || this.owned.get(partition) || remote.get(partition)) {
        this.absent.delete(partition);
        this.ignored.delete(partition);
        continue;
      }
      const since = this.absent.get(partition) ?? now;
      this.absent.set(partition, since);
      if (now - since > this.absentPatienceMs && !this.ignored.get(partition)) {
        this.ignored.set(partition, true);
        givenUp.push(partition);
      }
    }
    return givenUp;
  }

  /** This consumer's positions to publish: those of its partitions heard from since the assignment. */
  shared(): PartitionPosition[] {
    const shared: PartitionPosition[] = [];
    for (const [partition, position] of this.positions.entries()) {
      const piece = this.pending.get(partition);
      shared.push({
        topic: partition.topic,
        partition: partition.partition,
        time: Math.min(position.time, piece ?? Infinity),
        behind: position.behind || piece !== undefined,
      });
    }
    return shared;
  }

  /** A batch's handling begins (it counts among those that may move the others). */
  enter(): void {
    this.active++;
  }

  /** A batch's handling ended, whatever its outcome. */
  leave(): void {
    this.active--;
    this.checkStall();
  }

  /**
   * How many of a partition's next records, `times[from]` on in offset order, may be handled now: a
   * prefix. `times` holds each record's event time (NaN for one without: a record to dead-letter,
   * never held); `caughtUp`: they end at the partition's end.
   */
  take(partition: TopicPartition, times: readonly number[], caughtUp: boolean, from = 0): number {
    let first: number | undefined;
    for (let i = from; i < times.length && first === undefined; i++)
      if (Number.isFinite(times[i])) first = times[i];
    const bound = first === undefined ? Infinity : this.bound(partition);
    let end = from;
    let last = this.positions.get(partition)?.time ?? -Infinity;
    for (; end < times.length; end++) {
      const time = times[end] ?? Number.NaN;
      if (time > bound) break;
      if (Number.isFinite(time)) last = Math.max(last, time);
    }
    this.unknown.delete(partition);
    const next = times[end];
    const held = this.positions.get(partition)?.held ?? false;
    this.positions.set(
      partition,
      next === undefined ? { time: last, behind: !caughtUp, held } : { time: next, behind: true, held },
    );
    if (end > from && first !== undefined) this.pending.set(partition, first);
    this.changed();
    return end - from;
  }

  /**
   * The partition's last piece was handled (its state updated), or given up: until then, the others
   * take nothing more than the skew past its first record.
   */
  handled(partition: TopicPartition): void {
    if (this.pending.delete(partition)) this.changed();
  }

  /**
   * Waits until the others move, for a partition that cannot take its next record (at `next`):
   * resolves true to try again, or false to give up (every batch being handled waits); the
   * partition is then held, its fetching paused until it may move.
   */
  wait(partition: TopicPartition, next: number): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      const waiter: Waiter = { partition, next, wake: resolve };
      this.waiters.add(waiter);
      this.checkStall();
    });
  }

  /** Stops waiting (the batch is given up for another reason: a rebalance, a stop). */
  cancel(partition: TopicPartition): void {
    for (const waiter of this.waiters)
      if (same(waiter.partition, partition)) {
        this.waiters.delete(waiter);
        waiter.wake(false);
      }
  }

  /**
   * The partition's batch gave up its remaining records. They are fetched again with the others'
   * next batches, unless the partition is far ahead (more than an hour, or the skew, past its
   * bound): then it is paused until it is within that again, so it is not fetched over and over.
   */
  hold(partition: TopicPartition): void {
    const position = this.positions.get(partition);
    // Nothing is far while a partition is not heard from: its first batch is on its way.
    if (!position || position.held || this.unknown.size > 0) return;
    if (position.time <= this.bound(partition) + this.farMs) return;
    this.positions.set(partition, { ...position, held: true });
    this.control.pause(partition);
    this.changed();
  }

  /** Whether the partition is paused waiting for the others (for tests). */
  isHeld(partition: TopicPartition): boolean {
    return this.positions.get(partition)?.held ?? false;
  }

  /**
   * The latest event time the partition may take now: the skew past the earliest next record of the
   * others that have records left, or the earliest record of a piece of theirs not handled yet;
   * nothing while one is not heard from. With `withPeers`, the other members' partitions count too:
   * those published with records left, and those no member publishes (within the patience).
   */
  private bound(partition: TopicPartition, withPeers = true): number {
    for (const [other] of this.unknown.entries()) if (!same(other, partition)) return -Infinity;
    let earliest = Infinity;
    if (withPeers && this.remote) {
      for (const [other] of this.absent.entries())
        if (!same(other, partition) && !this.ignored.get(other) && !this.owned.get(other)) return -Infinity;
      for (const [other, position] of this.remote.entries())
        if (position.behind && !this.owned.get(other)) earliest = Math.min(earliest, position.time);
    }
    for (const [other, position] of this.positions.entries())
      if (position.behind && !same(other, partition)) earliest = Math.min(earliest, position.time);
    for (const [other, time] of this.pending.entries())
      if (!same(other, partition)) earliest = Math.min(earliest, time);
    return earliest + this.maxSkewMs;
  }

  /** Positions moved: held partitions within their bound are resumed, waiters try again. */
  private changed(): void {
    for (const [partition, position] of [...this.positions.entries()])
      if (position.held && position.time <= this.bound(partition) + this.farMs) {
        this.positions.set(partition, { ...position, held: false });
        this.control.resume(partition);
      }
    for (const waiter of [...this.waiters])
      if (waiter.next <= this.bound(waiter.partition)) {
        this.waiters.delete(waiter);
        this.stalledAt = null;
        waiter.wake(true);
      }
    this.checkStall();
  }

  /**
   * Every batch being handled waits, so none can move: they give up. When one of them waits only on
   * another member's partitions, they first wait for the next exchange (that member moves on its
   * own), and give up if it moved none of them: the member may itself wait on a partition of this
   * consumer that only a fetch can move, and the fetch waits for these batches. Checked once the
   * batches that were queued behind them had their turn to start (a freed handler takes the next
   * batch at once).
   */
  private checkStall(): void {
    if (this.stallCheck || this.waiters.size === 0) return;
    this.stallCheck = setImmediate(() => {
      this.stallCheck = null;
      if (this.waiters.size === 0 || this.waiters.size < this.active) {
        this.stalledAt = null;
        return;
      }
      const stalled = [...this.waiters];
      const onPeers = (w: Waiter): boolean =>
        w.next > this.bound(w.partition) && w.next <= this.bound(w.partition, false);
      if (stalled.some(onPeers) && (this.stalledAt ?? this.exchanges) === this.exchanges) {
        this.stalledAt = this.exchanges;
        return;
      }
      this.stalledAt = null;
      this.waiters.clear();
      for (const waiter of stalled) waiter.wake(false);
    });
  }
}

function same(a: TopicPartition, b: TopicPartition): boolean {
  return a.topic === b.topic && a.partition === b.partition;
}
