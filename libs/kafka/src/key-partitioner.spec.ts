import { readFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import './kafkajs';
import {
  kafkajsPartitionerModules,
  keyFirstPartitioner,
  type PartitionerArgs,
  type PartitionerModule,
} from './key-partitioner';
import { murmur2 } from './murmur2';

const nodeRequire = createRequire(__filename);

/** kafkajs's own partitioner module, evaluated apart from the module cache (which holds the replacement). */
function kafkajsOwnPartitioner(randomBytes: (size: number) => Buffer): PartitionerModule {
  const { partitionerPath } = kafkajsPartitionerModules();
  const own = new Module(partitionerPath) as Module & { _compile(code: string, filename: string): void };
  own.filename = partitionerPath;
  own.paths = nodeRequire.resolve.paths(partitionerPath) ?? [];
  // Its random start comes from its sibling module: the same seeded bytes for both partitioners.
  const randomPath = nodeRequire.resolve('kafkajs/src/producer/partitioners/legacy/randomBytes');
  const cached = nodeRequire.cache[randomPath];
  try {
    nodeRequire.cache[randomPath] = { ...cached, exports: randomBytes } as NodeJS.Module;
    own._compile(readFileSync(partitionerPath, 'utf8'), partitionerPath);
  } finally {
    if (cached) nodeRequire.cache[randomPath] = cached;
  }
  return own.exports as PartitionerModule;
}

describe(keyFirstPartitioner.name, () => {
  /** Seeded "random" bytes: each call returns the next ones. */
  const seeded = (): ((size: number) => Buffer) => {
    let call = 0;
    return (size) => Buffer.alloc(size, ++call * 37);
  };
  const hash = (key: Buffer | string): number => murmur2(key);
  const own = kafkajsOwnPartitioner(seeded())(hash)();
  const replacement = keyFirstPartitioner(seeded())(hash)();

  const all = [0, 1, 2, 3, 4].map((partitionId) => ({ partitionId, leader: 1 }));
  const someLeaderless = all.map((p) => ({ ...p, leader: p.partitionId % 2 === 0 ? -1 : 1 }));
  const noLeader = all.map((p) => ({ ...p, leader: -1 }));
  const messages: PartitionerArgs['message'][] = [
    { key: 'card-17' },
    { key: Buffer.from([1, 2, 3]) },
    { key: '' },
    { partition: 3, key: 'card-17' },
    { partition: 0 },
    { key: null },
    {},
    { key: undefined, partition: null },
  ];

  it("chooses kafkajs's partition for keyed, unkeyed and explicit messages, leaders or not, in sequence", () => {
    for (const topic of ['scores', 'alerts', 'scores'])
      for (const partitionMetadata of [all, someLeaderless, noLeader, all])
        for (const message of [...messages, ...messages]) {
          const args = { topic, partitionMetadata, message };
          expect(replacement(args), JSON.stringify(args)).toBe(own(args));
        }
  });

  it("is the partitioner kafkajs's default partitioner is built from once the transport's kafkajs module loaded", () => {
    const loaded = nodeRequire('kafkajs/src/producer/partitioners/legacy/partitioner') as object;
    expect(Object.getOwnPropertySymbols(loaded)).toContain(
      Symbol.for('fraudstream.kafka.keyFirstPartitioner'),
    );
  });
});
