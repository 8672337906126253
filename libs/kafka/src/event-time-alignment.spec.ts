import { HOUR_MS } from '@fraudstream/contracts';
import { mulberry32 } from '@fraudstream/stats';
import { describe, expect, it } from 'vitest';
import { EventTimeAlignment, type FetchControl } from './event-time-alignment';
import { PartitionMap, type TopicPartition } from './topic-partition';

const TOPIC = 'tx';
const tp = (partition: number): TopicPartition => ({ topic: TOPIC, partition });

/** The consumer's pause and resume, as a set of paused partitions. */
class PausedSet implements FetchControl {
  readonly paused = new PartitionMap<true>();
  pause(partition: TopicPartition): void {
    this.paused.set(partition, true);
  }
  resume(partition: TopicPartition): void {
    this.paused.delete(partition);
  }
  has(partition: number): boolean {
    return this.paused.get(tp(partition)) === true;
  }
}

/** Takes records and handles them at once (nothing of the partition left in flight). */
function takeHandled(
  alignment: EventTimeAlignment,
  partition: TopicPartition,
  times: readonly number[],
  caughtUp: boolean,
  from = 0,
): number {
  const taken = alignment.take(partition, times, caughtUp, from);
  alignment.handled(partition);
  return taken;
}

/** Random streams (each partition's records in event-time order, at its own rate, with gaps) and a skew. */
function randomStreams(next: () => number): { skew: number; streams: number[][] } {
  const skew = Math.floor(next() * 20);
  const count = 2 + Math.floor(next() * 5);
  const streams = Array.from({ length: count }, () => {
    const times: number[] = [];
    let t = Math.floor(next() * 50);
    const rate = 1 + next() * 10;
    for (let i = 0; i < 100 + next() * 200; i++) {
      t += Math.floor(next() * rate * (next() < 0.05 ? 30 : 1));
      times.push(t);
    }
    return times;
  });
  return { skew, streams };
}

/** The streams as read so far: each partition's next unread record and its piece in flight. */
interface ReadState {
  readonly streams: readonly (readonly number[])[];
  readonly cursors: readonly number[];
  readonly inFlight: ReadonlyMap<number, number>;
  /** The partitions the taker has heard from. */
  readonly heard: ReadonlySet<number>;
  readonly skew: number;
}

/**
 * A record of partition `p` at `time` was taken: every other partition was heard from, and it is
 * within the skew of their next unread record and their piece in flight.
 */
function expectInStep(time: number, p: number, { streams, cursors, inFlight, heard, skew }: ReadState): void {
  for (let q = 0; q < streams.length; q++) {
    if (q === p) continue;
    expect(heard.has(q)).toBe(true);
    const unread = streams[q]?.[cursors[q] ?? 0] ?? Infinity;
    const earliest = Math.min(unread, inFlight.get(q) ?? Infinity);
    expect(time).toBeLessThanOrEqual(earliest + skew);
  }
}

describe(EventTimeAlignment.name, () => {
  it('takes a batch only as far as the slowest partition with records left allows', () => {
    const alignment = new EventTimeAlignment(10, new PausedSet());
    alignment.assign([tp(0), tp(1)]);
    // Each waits until the other is heard from.
    expect(takeHandled(alignment, tp(0), [0, 10, 15, 16, 40], false)).toBe(0);
    expect(takeHandled(alignment, tp(1), [0, 5], false)).toBe(2);
    // Partition 1's next transaction is at 5 or later: partition 0 may reach 15, not 16.
    expect(takeHandled(alignment, tp(0), [0, 10, 15, 16, 40], false)).toBe(3);
    expect(takeHandled(alignment, tp(0), [0, 10, 15, 16, 40], false, 3)).toBe(0);
    expect(takeHandled(alignment, tp(1), [6], false)).toBe(1);
    expect(takeHandled(alignment, tp(0), [0, 10, 15, 16, 40], false, 3)).toBe(1);
  });

  it('pauses a partition that gave up its batch far ahead of the others, and resumes it once they come within an hour', () => {
    const flow = new PausedSet();
    const alignment = new EventTimeAlignment(60_000, flow);
    alignment.assign([tp(0), tp(1)]);
    expect(takeHandled(alignment, tp(1), [0], false)).toBe(0);
    expect(takeHandled(alignment, tp(0), [0, 30_000, 2 * HOUR_MS], false)).toBe(2);
    expect(takeHandled(alignment, tp(1), [0], false)).toBe(1);
    alignment.hold(tp(0));
    expect(flow.has(0)).toBe(true);
    expect(alignment.isHeld(tp(0))).toBe(true);
    // Partition 1 at 30 minutes: partition 0's next (2 h) is still more than an hour past its bound.
    takeHandled(alignment, tp(1), [HOUR_MS / 2], false);
    expect(flow.has(0)).toBe(true);
    takeHandled(alignment, tp(1), [HOUR_MS], false);
    expect(flow.has(0)).toBe(false);
    // Fetched again, it waits in its handler until partition 1 is within the skew.
    expect(takeHandled(alignment, tp(0), [2 * HOUR_MS], false)).toBe(0);
    takeHandled(alignment, tp(1), [2 * HOUR_MS - 60_000], false);
    expect(takeHandled(alignment, tp(0), [2 * HOUR_MS], false)).toBe(1);
  });

  it('fetches a partition that gave up its batch near the others again with them, unpaused', () => {
    const flow = new PausedSet();
    const alignment = new EventTimeAlignment(60_000, flow);
    alignment.assign([tp(0), tp(1)]);
    expect(takeHandled(alignment, tp(1), [0], false)).toBe(0);
    expect(takeHandled(alignment, tp(0), [0, 10 * 60_000], false)).toBe(1);
    alignment.hold(tp(0));
    expect(flow.has(0)).toBe(false);
  });

  it('lets nothing that has no records left hold the others back', () => {
    const flow = new PausedSet();
    const alignment = new EventTimeAlignment(0, flow);
    alignment.assign([tp(0), tp(1), tp(2)]);
    alignment.settle([tp(2)]);
    expect(takeHandled(alignment, tp(1), [100], true)).toBe(0);
    expect(takeHandled(alignment, tp(0), [0, 500, 1000], false)).toBe(1);
    expect(takeHandled(alignment, tp(1), [100], true)).toBe(1);
    // Partition 1 is at its end and partition 2 had nothing: partition 0 takes the rest of its batch.
    expect(takeHandled(alignment, tp(0), [0, 500, 1000], false, 1)).toBe(2);
    expect(flow.paused.size).toBe(0);
  });

  it('takes nothing while a partition is not heard from, until its first batch or the answer that it has nothing to read', () => {
    const alignment = new EventTimeAlignment(10, new PausedSet());
    alignment.assign([tp(0), tp(1), tp(2)]);
    expect(takeHandled(alignment, tp(0), [100, 105, 111, 200], false)).toBe(0);
    expect(takeHandled(alignment, tp(1), [50, 90, 120], false)).toBe(0);
    // Partition 2 has nothing to read: each waits only for the other.
    alignment.settle([tp(2)]);
    expect(takeHandled(alignment, tp(1), [50, 90, 120], false)).toBe(2);
    expect(takeHandled(alignment, tp(0), [100, 105, 111, 200], false)).toBe(3);
  });

  it('never holds back a partition whose next record is the earliest, even across a gap in its own stream', () => {
    const flow = new PausedSet();
    const alignment = new EventTimeAlignment(0, flow);
    alignment.assign([tp(0), tp(1)]);
    expect(takeHandled(alignment, tp(1), [50 * HOUR_MS], false)).toBe(0);
    expect(takeHandled(alignment, tp(0), [0], false)).toBe(1);
    expect(takeHandled(alignment, tp(1), [50 * HOUR_MS], false)).toBe(0);
    alignment.hold(tp(1));
    expect(flow.has(1)).toBe(true);
    // Partition 0 is known only to be at 0 or later: its next record, at 100 h, turns out later than 50 h.
    expect(takeHandled(alignment, tp(0), [100 * HOUR_MS], false)).toBe(0);
    expect(flow.has(1)).toBe(false);
    alignment.hold(tp(0));
    expect(flow.has(0)).toBe(true);
    expect(
      takeHandled(
        alignment,
        tp(1),
        [50, 60, 120].map((h) => h * HOUR_MS),
        false,
      ),
    ).toBe(2);
    expect(flow.has(0)).toBe(false);
  });

  it('wakes a waiting batch when the others move, and gives up the batches when all of them wait', async () => {
    const alignment = new EventTimeAlignment(0, new PausedSet());
    alignment.assign([tp(0), tp(1), tp(2)]);
    alignment.settle([tp(2)]);
    alignment.enter();
    alignment.enter();
    takeHandled(alignment, tp(1), [10], false);
    expect(takeHandled(alignment, tp(0), [20], false)).toBe(0);
    const first = alignment.wait(tp(0), 20);
    expect(takeHandled(alignment, tp(1), [10, 30], false)).toBe(1);
    await expect(first).resolves.toBe(true);
    expect(takeHandled(alignment, tp(0), [20, 40], false)).toBe(1);
    // Both batches wait for the other: neither can move, both give up.
    expect(takeHandled(alignment, tp(1), [30, 50], false, 1)).toBe(0);
    const zero = alignment.wait(tp(0), 40);
    const one = alignment.wait(tp(1), 50);
    await expect(Promise.all([zero, one])).resolves.toEqual([false, false]);
  });

  it('resumes the held partitions on a new assignment and forgets the old positions', () => {
    const flow = new PausedSet();
    const alignment = new EventTimeAlignment(0, flow);
    alignment.assign([tp(0), tp(1)]);
    alignment.settle([]);
    takeHandled(alignment, tp(1), [0], false);
    expect(takeHandled(alignment, tp(0), [10 * HOUR_MS], false)).toBe(0);
    alignment.hold(tp(0));
    expect(flow.has(0)).toBe(true);
    alignment.assign([tp(0)]);
    expect(flow.paused.size).toBe(0);
    alignment.settle([]);
    expect(
      takeHandled(
        alignment,
        tp(0),
        [10, 20].map((h) => h * HOUR_MS),
        false,
      ),
    ).toBe(2);
  });

  it('never lets dead letters (no event time) wait', () => {
    const alignment = new EventTimeAlignment(0, new PausedSet());
    alignment.assign([tp(0), tp(1)]);
    alignment.settle([]);
    takeHandled(alignment, tp(1), [5], false);
    expect(takeHandled(alignment, tp(0), [Number.NaN, 5, Number.NaN, 6], false)).toBe(3);
  });

  it('takes nothing past the skew beyond the first record of a piece another partition has not handled yet', () => {
    const alignment = new EventTimeAlignment(0, new PausedSet());
    alignment.assign([tp(0), tp(1)]);
    alignment.settle([tp(1)]);
    expect(takeHandled(alignment, tp(0), [0], true)).toBe(1);
    // Partition 0 is at its end: partition 1 takes its whole batch, and is still handling it.
    expect(alignment.take(tp(1), [10, 20], false)).toBe(2);
    expect(takeHandled(alignment, tp(0), [5, 15, 25], false)).toBe(1);
    expect(takeHandled(alignment, tp(0), [5, 15, 25], false, 1)).toBe(0);
    // Handled: partition 1's next record is 20 or later.
    alignment.handled(tp(1));
    expect(takeHandled(alignment, tp(0), [5, 15, 25], false, 1)).toBe(1);
  });

  it("holds its partitions within the skew of another replica's, publishes its own with the pieces in flight, and ignores a former owner's entry for a partition it owns", () => {
    const alignment = new EventTimeAlignment(10, new PausedSet());
    alignment.assign([tp(0), tp(1)]);
    alignment.settle([tp(1)]);
    alignment.peers([
      { topic: TOPIC, partition: 2, time: 100, behind: true },
      // Another replica's partition at its end holds nothing back; a stale entry for one owned here is ignored.
      { topic: TOPIC, partition: 3, time: 0, behind: false },
      { topic: TOPIC, partition: 1, time: 0, behind: true },
    ]);
    expect(alignment.take(tp(0), [100, 110, 111], false)).toBe(2);
    expect(alignment.shared()).toEqual([
      { topic: TOPIC, partition: 1, time: -Infinity, behind: false },
      // Its next record is at 111, but the piece in flight begins at 100.
      { topic: TOPIC, partition: 0, time: 100, behind: true },
    ]);
    alignment.handled(tp(0));
    expect(alignment.shared()[1]).toEqual({ topic: TOPIC, partition: 0, time: 111, behind: true });
    expect(alignment.take(tp(0), [100, 110, 111], false, 2)).toBe(0);
    alignment.peers([{ topic: TOPIC, partition: 2, time: 101, behind: true }]);
    expect(alignment.take(tp(0), [100, 110, 111], false, 2)).toBe(1);
  });

  it('lets a batch that waits only on another replica wait for its next exchange rather than give up, and wakes it when that replica moves', async () => {
    const alignment = new EventTimeAlignment(0, new PausedSet());
    alignment.assign([tp(0), tp(1)]);
    alignment.settle([tp(1)]);
    alignment.peers([{ topic: TOPIC, partition: 2, time: 10, behind: true }]);
    alignment.enter();
    expect(takeHandled(alignment, tp(0), [20], false)).toBe(0);
    let outcome: boolean | undefined;
    void alignment.wait(tp(0), 20).then((moved) => (outcome = moved));
    // The only batch waits, but on the other replica: no give-up, however long the turn.
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    expect(outcome).toBeUndefined();
    alignment.peers([{ topic: TOPIC, partition: 2, time: 20, behind: true }]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(outcome).toBe(true);
    expect(takeHandled(alignment, tp(0), [20, 30], false)).toBe(1);
  });

  it("holds its partitions back while another member's partition is not published (its owner not heard from, or silent), and not while the exchange is down", () => {
    const alignment = new EventTimeAlignment(0, new PausedSet());
    alignment.assign([tp(0)]);
    alignment.expect([tp(0), tp(1)]);
    alignment.peers([]);
    expect(takeHandled(alignment, tp(0), [5], false)).toBe(0);
    // Heard from: at its end, it holds nothing back.
    alignment.peers([{ topic: TOPIC, partition: 1, time: -Infinity, behind: false }]);
    expect(takeHandled(alignment, tp(0), [5], false)).toBe(1);
    // Its entry went stale (the exchange leaves it out): not heard from again.
    alignment.peers([]);
    expect(takeHandled(alignment, tp(0), [6], false)).toBe(0);
    // The exchange failed: this consumer's own partitions only.
    alignment.peers(null);
    expect(takeHandled(alignment, tp(0), [6], false)).toBe(1);
  });

  it('stops waiting for a partition no member publishes after the patience (its owner takes no part in the exchange), and waits again once it is published', () => {
    let now = 0;
    const alignment = new EventTimeAlignment(0, new PausedSet(), { absentPatienceMs: 1000, now: () => now });
    alignment.assign([tp(0)]);
    alignment.expect([tp(0), tp(1)]);
    expect(alignment.peers([])).toEqual([]);
    now = 1000;
    expect(alignment.peers([])).toEqual([]);
    expect(takeHandled(alignment, tp(0), [5], false)).toBe(0);
    now = 1001;
    expect(alignment.peers([])).toEqual([tp(1)]);
    expect(takeHandled(alignment, tp(0), [5], false)).toBe(1);
    // Said once.
    expect(alignment.peers([])).toEqual([]);
    alignment.peers([{ topic: TOPIC, partition: 1, time: 3, behind: true }]);
    expect(takeHandled(alignment, tp(0), [5, 6], false, 1)).toBe(0);
  });

  it('gives up a batch waiting on another replica when an exchange passes without moving it (that replica may wait on a fetch of this one)', async () => {
    const alignment = new EventTimeAlignment(0, new PausedSet());
    alignment.assign([tp(0)]);
    alignment.peers([{ topic: TOPIC, partition: 2, time: 10, behind: true }]);
    alignment.enter();
    expect(takeHandled(alignment, tp(0), [20], false)).toBe(0);
    const waiting = alignment.wait(tp(0), 20);
    await new Promise((resolve) => setImmediate(resolve));
    alignment.peers([{ topic: TOPIC, partition: 2, time: 15, behind: true }]);
    await expect(waiting).resolves.toBe(false);
  });

  it.each([1, 2, 3, 4, 5])(
    'takes every record of partitions read and handled in any order, none more than the skew past a record of another partition not handled yet (seed %i)',
    (seed) => {
      const next = mulberry32(seed);
      const { skew, streams } = randomStreams(next);
      const flow = new PausedSet();
      const alignment = new EventTimeAlignment(skew, flow);
      alignment.assign(streams.map((_, p) => tp(p)));
      const cursors = streams.map(() => 0);
      // Pieces taken and not handled yet: their partition and first record.
      const inFlight = new Map<number, number>();
      const heard = new Set<number>();
      for (let step = 0; step < 100_000; step++) {
        const ready = streams
          .map((times, p) => p)
          .filter((p) => !flow.has(p) && !inFlight.has(p) && (cursors[p] ?? 0) < (streams[p]?.length ?? 0));
        if (ready.length === 0 && inFlight.size === 0) break;
        if (inFlight.size > 0 && (ready.length === 0 || next() < 0.5)) {
          const done = [...inFlight.keys()][Math.floor(next() * inFlight.size)] ?? 0;
          inFlight.delete(done);
          alignment.handled(tp(done));
          continue;
        }
        const p = ready[Math.floor(next() * ready.length)] ?? 0;
        const times = streams[p] ?? [];
        const from = cursors[p] ?? 0;
        const batch = times.slice(from, from + 1 + Math.floor(next() * 40));
        const taken = alignment.take(tp(p), batch, from + batch.length >= times.length);
        for (const time of batch.slice(0, taken))
          expectInStep(time, p, { streams, cursors, inFlight, heard, skew });
        heard.add(p);
        cursors[p] = from + taken;
        if (taken > 0) inFlight.set(p, batch[0] ?? 0);
        if (taken < batch.length) alignment.hold(tp(p));
      }
      expect(cursors).toEqual(streams.map((times) => times.length));
    },
  );
});

describe(`${EventTimeAlignment.name} across replicas`, () => {
  it.each([1, 2, 3, 4, 5])(
    'takes every record of partitions split between two replicas exchanging their positions now and then, none more than the skew past a record of another partition not handled yet (seed %i)',
    (seed) => {
      const next = mulberry32(100 + seed);
      const { skew, streams } = randomStreams(next);
      // Each partition's owner: replica 0 or 1 (each owns one at least).
      const owner = streams.map((_, p) => (p < 2 ? p : Math.floor(next() * 2)));
      const flows = [new PausedSet(), new PausedSet()];
      const replicas = flows.map(
        (flow) => new EventTimeAlignment(skew, flow, { replicas: true, now: () => 0 }),
      );
      replicas.forEach((alignment, r) => {
        alignment.assign(streams.map((_, p) => tp(p)).filter((_, p) => owner[p] === r));
        alignment.expect(streams.map((_, p) => tp(p)));
      });
      const exchange = (): void => {
        const published = replicas.flatMap((alignment) => alignment.shared());
        for (const alignment of replicas) alignment.peers(published);
      };
      const cursors = streams.map(() => 0);
      const inFlight = new Map<number, number>();
      // What each replica has heard of each partition (its own take, or an exchange after its owner's).
      const published = new Set<number>();
      const heard = [new Set<number>(), new Set<number>()];
      for (let step = 0; step < 200_000; step++) {
        const ready = streams
          .map((times, p) => p)
          .filter(
            (p) =>
              !flows[owner[p] ?? 0]?.has(p) &&
              !inFlight.has(p) &&
              (cursors[p] ?? 0) < (streams[p]?.length ?? 0),
          );
        const left = streams.some((times, p) => (cursors[p] ?? 0) < times.length);
        if (!left && inFlight.size === 0) break;
        // A partition paused while another replica's was not published waits for an exchange.
        const roll = next();
        if (roll < 0.2 || (ready.length === 0 && inFlight.size === 0)) {
          exchange();
          for (const h of heard) for (const p of published) h.add(p);
          continue;
        }
        if (inFlight.size > 0 && (ready.length === 0 || roll < 0.6)) {
          const done = [...inFlight.keys()][Math.floor(next() * inFlight.size)] ?? 0;
          inFlight.delete(done);
          replicas[owner[done] ?? 0]?.handled(tp(done));
          continue;
        }
        if (ready.length === 0) continue;
        const p = ready[Math.floor(next() * ready.length)] ?? 0;
        const r = owner[p] ?? 0;
        const alignment = replicas[r];
        if (!alignment) throw new Error('no replica');
        const times = streams[p] ?? [];
        const from = cursors[p] ?? 0;
        const batch = times.slice(from, from + 1 + Math.floor(next() * 40));
        const taken = alignment.take(tp(p), batch, from + batch.length >= times.length);
        // Heard from here, or through the exchange.
        const heardHere = heard[r] ?? new Set<number>();
        for (const time of batch.slice(0, taken))
          expectInStep(time, p, { streams, cursors, inFlight, heard: heardHere, skew });
        heard[r]?.add(p);
        published.add(p);
        cursors[p] = from + taken;
        if (taken > 0) inFlight.set(p, batch[0] ?? 0);
        if (taken < batch.length) alignment.hold(tp(p));
      }
      expect(cursors).toEqual(streams.map((times) => times.length));
    },
  );
});
