import { replaceKafkajsModule } from './kafkajs-module';

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

/**
 * Puts {@link groupMessagesPerPartition} in place of kafkajs's own. Like the read_committed filter
 * (aborted-records.ts) it must run before kafkajs's producer loads, which binds the function when its
 * `sendMessages` module loads.
 */
export function installLinearPartitionGrouping(): void {
  const grouping = <M>(input: PartitionGroupingInput<M>): Record<number, M[]> =>
    groupMessagesPerPartition(input);
  replaceKafkajsModule(
    'kafkajs/src/producer/groupMessagesPerPartition',
    grouping,
    Symbol.for('fraudstream.kafka.groupMessagesPerPartition'),
    'kafkajs/src/producer/sendMessages',
  );
}
