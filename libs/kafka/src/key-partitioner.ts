import { kafkajsModulePath, loadKafkajsModule, replaceKafkajsModule } from './kafkajs-module';

interface PartitionMetadata {
  readonly partitionId: number;
  readonly leader: number;
}

/** What kafkajs's producer hands its partitioner for each message. */
export interface PartitionerArgs {
  readonly topic: string;
  readonly partitionMetadata: readonly PartitionMetadata[];
  readonly message: { readonly partition?: number | null; readonly key?: Buffer | string | null };
}

type Partitioner = (args: PartitionerArgs) => number;
/** kafkajs's partitioner module: given a hash, the factory of a producer's partitioner. */
export type PartitionerModule = (murmur2: (key: Buffer | string) => number) => () => Partitioner;

/** Java's toPositive: the low 31 bits, as kafkajs computes it. */
const toPositive = (x: number): number => x & 0x7fffffff;

/**
 * kafkajs 2.2.4's partitioner (`producer/partitioners/legacy/partitioner`, which its default
 * partitioner builds with murmur2), choosing the same partitions with less work: kafkajs lists a
 * topic's partitions that have a leader for every message (an array and a call per partition), and
 * uses that list only for a message with neither a partition nor a key; here it is listed only for
 * those. The order of the decisions, the round-robin counter and its random start are kafkajs's.
 */
export function keyFirstPartitioner(randomBytes: (size: number) => Buffer): PartitionerModule {
  return (murmur2) => () => {
    const counters: Record<string, number> = {};
    return ({ topic, partitionMetadata, message }) => {
      if (!(topic in counters)) counters[topic] = randomBytes(32).readUInt32BE(0);
      const numPartitions = partitionMetadata.length;
      if (message.partition !== null && message.partition !== undefined) return message.partition;
      if (message.key !== null && message.key !== undefined)
        return toPositive(murmur2(message.key)) % numPartitions;
      const availablePartitions = partitionMetadata.filter((p) => p.leader >= 0);
      const counter = (counters[topic] as number) + 1;
      counters[topic] = counter;
      if (availablePartitions.length > 0)
        return (availablePartitions[toPositive(counter) % availablePartitions.length] as PartitionMetadata)
          .partitionId;
      // No partition has a leader: kafkajs gives a partition that has none.
      return toPositive(counter) % numPartitions;
    };
  };
}

const PARTITIONER_MODULE = 'kafkajs/src/producer/partitioners/legacy/partitioner';
const INSTALLED = Symbol.for('fraudstream.kafka.keyFirstPartitioner');

/** kafkajs's modules the partitioner is built from, loaded from the installed kafkajs. */
export function kafkajsPartitionerModules(): {
  randomBytes: (size: number) => Buffer;
  partitionerPath: string;
} {
  return {
    randomBytes: loadKafkajsModule<(size: number) => Buffer>(
      'kafkajs/src/producer/partitioners/legacy/randomBytes',
    ),
    partitionerPath: kafkajsModulePath(PARTITIONER_MODULE),
  };
}

/**
 * Puts {@link keyFirstPartitioner} in place of kafkajs's partitioner. It must run before kafkajs's
 * default partitioner loads (with kafkajs itself), which builds its partitioner from it then.
 */
export function installKeyFirstPartitioner(): void {
  const { randomBytes } = kafkajsPartitionerModules();
  replaceKafkajsModule(
    PARTITIONER_MODULE,
    keyFirstPartitioner(randomBytes),
    INSTALLED,
    'kafkajs/src/producer/partitioners/default/index',
  );
}
