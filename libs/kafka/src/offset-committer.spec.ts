import { describe, expect, it } from 'vitest';
import { OffsetCommitter, type PartitionOffset } from './offset-committer';

/** A commit request that waits until the test releases it, recording what it was asked to commit. */
function gatedCommit() {
  const requests: PartitionOffset[][] = [];
  const gates: { release: () => void; fail: (e: Error) => void }[] = [];
  const commit = (offsets: PartitionOffset[]) => {
    requests.push(offsets);
    return new Promise<void>((resolve, reject) => gates.push({ release: resolve, fail: reject }));
  };
  const settle = async (how: 'release' | 'fail' = 'release') => {
    while (gates.length === 0) await Promise.resolve();
    const gate = gates.shift();
    if (how === 'release') gate?.release();
    else gate?.fail(new Error('coordinator moved'));
    for (let i = 0; i < 5; i++) await Promise.resolve();
  };
  return { commit, requests, settle };
}

const at = (topic: string, partition: number, offset: number): PartitionOffset => ({
  topic,
  partition,
  offset: String(offset),
});

describe(OffsetCommitter.name, () => {
  it('sends one request at a time and merges what was queued meanwhile, newest offset per partition', async () => {
    const { commit, requests, settle } = gatedCommit();
    const committer = new OffsetCommitter(commit);
    committer.queue(at('t', 0, 10));
    committer.queue(at('t', 0, 20));
    committer.queue(at('t', 1, 5));
    committer.queue(at('t', 0, 15)); // an older offset never replaces a newer queued one
    committer.queue(at('u', 0, 7));
    await settle();
    await settle();
    await committer.drain();
    expect(requests).toEqual([[at('t', 0, 10)], [at('t', 0, 20), at('t', 1, 5), at('u', 0, 7)]]);
    expect(committer.committed({ topic: 't', partition: 0 })).toBe(20n);
    expect(committer.committed({ topic: 'u', partition: 0 })).toBe(7n);
    expect(committer.committed({ topic: 'u', partition: 1 })).toBeNull();
  });

  it('without retries, goes on after a failed commit, and the next offset of the partition commits past it', async () => {
    const { commit, requests, settle } = gatedCommit();
    const committer = new OffsetCommitter(commit, 'test', { delaysMs: [] });
    committer.queue(at('t', 0, 10));
    await settle('fail');
    expect(committer.committed({ topic: 't', partition: 0 })).toBeNull();
    committer.queue(at('t', 0, 12));
    await settle();
    await committer.drain();
    expect(requests.map((r) => r.map((o) => o.offset))).toEqual([['10'], ['12']]);
    expect(committer.committed({ topic: 't', partition: 0 })).toBe(12n);
  });

  it('retries a failed commit after its delays, merged with newer offsets, so an idle partition commits', async () => {
    const { commit, requests, settle } = gatedCommit();
    const slept: number[] = [];
    const committer = new OffsetCommitter(commit, 'test', {
      delaysMs: [100, 200],
      sleep: (ms) => {
        slept.push(ms);
        return Promise.resolve();
      },
    });
    committer.queue(at('t', 0, 10));
    committer.queue(at('t', 1, 3));
    await settle('fail'); // a broker back from a restart: its coordinator still loading
    committer.queue(at('t', 1, 4)); // newer than the failed one: it replaces it in the retry
    await settle('fail');
    await settle();
    await committer.drain();
    expect(slept).toEqual([100, 200]);
    expect(requests.map((r) => r.map((o) => `${o.partition}:${o.offset}`))).toEqual([
      ['0:10'],
      ['1:3', '0:10'],
      ['1:4', '0:10'],
    ]);
    expect(committer.committed({ topic: 't', partition: 0 })).toBe(10n);
    expect(committer.committed({ topic: 't', partition: 1 })).toBe(4n);
  });

  it('drain waits for the request in flight and for what was queued behind it', async () => {
    const { commit, settle } = gatedCommit();
    const committer = new OffsetCommitter(commit);
    committer.queue(at('t', 0, 1));
    committer.queue(at('t', 0, 2));
    let drained = false;
    const draining = committer.drain().then(() => (drained = true));
    await settle();
    expect(drained).toBe(false);
    await settle();
    await draining;
    expect(committer.committed({ topic: 't', partition: 0 })).toBe(2n);
  });

  it('never moves an acknowledged offset backwards', async () => {
    const committer = new OffsetCommitter(() => Promise.resolve());
    committer.queue(at('t', 0, 9));
    await committer.drain();
    committer.queue(at('t', 0, 4)); // re-read after a rebalance: the commit is sent, the high mark stays
    await committer.drain();
    expect(committer.committed({ topic: 't', partition: 0 })).toBe(9n);
  });
});
