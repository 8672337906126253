import { createRequire } from 'node:module';

/** What kafkajs's producer hands its partitioner for one message (only what the grouping reads). */
export interface PartitionGroupingInput<M> {
  readonly topic: string;
  readonly partitionMetadata: readonly unknown[];
  readonly messages: readonly M[];
  readonly partitioner: (args: {
    topic: string;
    partitionMetadata: readonly unknown[];
    message: M;
  }) => number;
}

/**
 * A produce request's messages of one topic by partition, each partition's in request order: what
 * kafkajs 2.2.4's `groupMessagesPerPartition` returns, in linear time. Its own copies the partition's
 * list on every message (`[...current, message]`), quadratic in a request's records: the scorer's
 * requests of 500-1,000 records spent 4-6 % of its CPU there (docs/scorer.md, "Where the time goes").
 */
export function groupMessagesPerPartition<M>({
  topic,
  partitionMetadata,
  messages,
  partitioner,
}: PartitionGroupingInput<M>): Record<number, M[]> {
  const result: Record<number, M[]> = {};
  if (partitionMetadata.length === 0) return result;
  for (const message of messages) {
    const partition = partitioner({ topic, partitionMetadata, message });
    const list = result[partition];
    if (list) list.push(message);
    else result[partition] = [message];
  }
  return result;
}

/** Marks the grouping this module installs, so that a second evaluation of the module recognises it. */
const INSTALLED = Symbol.for('fraudstream.kafka.groupMessagesPerPartition');

/**
 * Puts {@link groupMessagesPerPartition} in place of kafkajs's own. Like the read_committed filter
 * (aborted-records.ts) it must run before kafkajs's producer loads, which binds the function when its
 * `sendMessages` module loads; throws when kafkajs was loaded without it.
 */
export function installLinearPartitionGrouping(): void {
  const nodeRequire = createRequire(__filename);
  const groupingPath = nodeRequire.resolve('kafkajs/src/producer/groupMessagesPerPartition');
  const sendPath = nodeRequire.resolve('kafkajs/src/producer/sendMessages');
  const cached = nodeRequire.cache[groupingPath];
  if (cached && (cached.exports as { [INSTALLED]?: boolean })[INSTALLED]) return;
  if (nodeRequire.cache[sendPath])
    throw new Error(
      "kafkajs's producer was loaded before @fraudstream/kafka replaced its partition grouping: import kafkajs values through libs/kafka/src/kafkajs.ts only",
    );
  const grouping = <M>(input: PartitionGroupingInput<M>): Record<number, M[]> =>
    groupMessagesPerPartition(input);
  Object.defineProperty(grouping, INSTALLED, { value: true });
  const Module = nodeRequire('node:module') as {
    new (id: string): NodeJS.Module & { filename: string; loaded: boolean; exports: unknown };
  };
  const replacement = new Module(groupingPath);
  replacement.filename = groupingPath;
  replacement.loaded = true;
  replacement.exports = grouping;
  nodeRequire.cache[groupingPath] = replacement;
}
