/*
 * The scorer replicas' partition positions, exchanged through a real Redis (RedisSharedPositions):
 * each member reads every fresh entry (its own too), a partition's entry is its last writer's, and a
 * partition whose entry was not written for the staleness window drops out.
 */
import { loadConfig } from '@fraudstream/config';
import type { PartitionPosition } from '@fraudstream/kafka';
import { featuresConfigFragment } from '@fraudstream/features';
import Redis from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisSharedPositions } from '../../apps/scorer/src/replica-positions';
import { uniqueName } from '../support/kafka-env';

const STALE_MS = 400;

const at = (partition: number, time: number, behind = true): PartitionPosition => ({
  topic: 'tx',
  partition,
  time,
  behind,
});

const sorted = (positions: readonly PartitionPosition[]): PartitionPosition[] =>
  [...positions].sort((a, b) => a.partition - b.partition);

describe(RedisSharedPositions.name, () => {
  let redis: Redis;
  const key = uniqueName('positions');

  beforeAll(() => {
    redis = new Redis(loadConfig(featuresConfigFragment).REDIS_URL);
  });

  afterAll(async () => {
    await redis.del(key);
    redis.disconnect();
  });

  it("returns every member's fresh positions, each partition's from its last writer, and drops those not written for the staleness window", async () => {
    const a = new RedisSharedPositions(redis, key, 'a', STALE_MS);
    const b = new RedisSharedPositions(redis, key, 'b', STALE_MS);
    expect(sorted(await a.exchange([at(0, 1_000), at(1, -Infinity, false)]))).toEqual([
      at(0, 1_000),
      at(1, -Infinity, false),
    ]);
    expect(sorted(await b.exchange([at(2, 2_000)]))).toEqual([
      at(0, 1_000),
      at(1, -Infinity, false),
      at(2, 2_000),
    ]);
    // Partition 1 moved to b: its entry is b's now.
    await b.exchange([at(1, 1_500), at(2, 2_500)]);
    expect(sorted(await a.exchange([at(0, 1_200)]))).toEqual([at(0, 1_200), at(1, 1_500), at(2, 2_500)]);
    // b stops writing: after the staleness window its partitions are gone, a's stays.
    await new Promise((resolve) => setTimeout(resolve, STALE_MS + 200));
    expect(await a.exchange([at(0, 1_300)])).toEqual([at(0, 1_300)]);
    // b comes back with partition 2 only: it is back at once, b's old entry of partition 1 is not.
    await b.exchange([at(2, 3_000)]);
    expect(sorted(await a.exchange([at(0, 1_400)]))).toEqual([at(0, 1_400), at(2, 3_000)]);
    // A group that stopped leaves nothing behind: the hash expires ten windows after the last exchange.
    const ttl = await redis.pttl(key);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(10 * STALE_MS);
  });
});
