import type { Label, Transaction } from '@fraudstream/contracts';
import { FeaturePipeline, type FeatureSet, type FeatureStore } from '@fraudstream/features';

/** A simulated scorer over one partition of topic `tx`, killed again and again (see runGroupCommitWithKills). */
export interface GroupCommitKillRun<S extends FeatureStore> {
  /**
   * The store a process opens: called at the start and again after each kill, once the killed
   * process's store is closed. The state outlives the process: a new connection to the same Redis,
   * or the same memory store again (its close() keeps it).
   */
  readonly connect: () => S;
  /** The partition's transactions, offset = index. */
  readonly transactions: readonly Transaction[];
  /** Handed to each process at its start, as the labels consumer hands them over again. */
  readonly labels: readonly Label[];
  /** The sizes the batches are cut to, in turn. */
  readonly sizes: readonly number[];
  /** The most handled batches waiting for their transaction. */
  readonly inFlight: number;
  /** Every `killEvery`-th step is a kill. */
  readonly killEvery: number;
  /** The feature set each process computes (default: the live loop's). */
  readonly featureSet?: FeatureSet;
  /** Called after each handled batch with the process's store and the committed offset it named. */
  readonly afterBatch?: (store: S, committedOffset: number) => void | Promise<void>;
}

/** What a read_committed reader saw of a killed run, and how the kills fell. */
export interface GroupCommitKillResult<S extends FeatureStore> {
  /** The vectors of the committed batches, in offset order. */
  readonly committed: number[][];
  readonly kills: number;
  /** Kills that fell with more than one batch uncommitted (those batches are read again). */
  readonly replayed: number;
  /** The store of the last process, still open. */
  readonly store: S;
}

/**
 * The exactly-once transport with group commit, over one partition: batches (cut by `sizes`) are
 * handled while up to `inFlight` of them wait for a transaction, each naming the committed offset;
 * a transaction commits the oldest waiting batches together; every `killEvery`-th step is a kill,
 * which drops every uncommitted batch, starts a new process (store and pipeline) and reads again
 * from the committed offset, cut anew.
 */
export async function runGroupCommitWithKills<S extends FeatureStore>(
  run: GroupCommitKillRun<S>,
): Promise<GroupCommitKillResult<S>> {
  const { transactions, sizes } = run;
  const start = async (): Promise<{ store: S; pipeline: FeaturePipeline }> => {
    const store = run.connect();
    const pipeline = new FeaturePipeline(store, run.featureSet);
    await pipeline.applyLabels(run.labels);
    return { store, pipeline };
  };
  let current = await start();
  const committed: number[][] = [];
  let waiting: number[][][] = [];
  let at = 0; // the committed offset
  let read = 0; // where the next batch begins
  let kills = 0;
  let replayed = 0;
  for (let step = 1; at < transactions.length; step++) {
    if (step % run.killEvery === 0) {
      if (waiting.length > 1) replayed++;
      kills++;
      waiting = [];
      read = at;
      await current.store.close();
      current = await start();
      continue;
    }
    if (read < transactions.length && waiting.length < run.inFlight) {
      const batch = transactions.slice(read, read + (sizes[step % sizes.length] ?? 1));
      const offsets = batch.map((_, k) => read + k);
      waiting.push(
        await current.pipeline.computeBatch(batch, {
          topic: 'tx',
          partition: 0,
          offsets,
          committedOffset: at,
        }),
      );
      await run.afterBatch?.(current.store, at);
      read += batch.length;
      continue;
    }
    // The transaction: every waiting batch at once.
    for (const vectors of waiting) {
      committed.push(...vectors);
      at += vectors.length;
    }
    waiting = [];
  }
  return { committed, kills, replayed, store: current.store };
}
