/*
 * The scorer replicas' partition positions, exchanged through a real Redis (RedisSharedPositions):
 * each member reads the others' and never its own, a partition's entry is its last writer's, and a
 * member that stopped writing drops out after the staleness window.
 */
import { loadConfig } from '@fraudstream/config';
import { featuresConfigFragment } from '@fraudstream/features';
import Redis from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisSharedPositions } from '../../apps/scorer/src/replica-positions';
import { uniqueName } from '../support/kafka-env';

const STALE_MS = 400;

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

  it("returns the other members' positions, never the member's own, and drops a member silent for the staleness window", async () => {
    const a = new RedisSharedPositions(redis, key, 'a', STALE_MS);
    const b = new RedisSharedPositions(redis, key, 'b', STALE_MS);
    expect(
      await a.exchange([
        { topic: 'tx', partition: 0, time: 1_000, behind: true },
        { topic: 'tx', partition: 1, time: -Infinity, behind: false },
      ]),
    ).toEqual([]);
    const seenByB = await b.exchange([{ topic: 'tx', partition: 2, time: 2_000, behind: true }]);
    expect([...seenByB].sort((x, y) => x.partition - y.partition)).toEqual([
      { topic: 'tx', partition: 0, time: 1_000, behind: true },
      { topic: 'tx', partition: 1, time: -Infinity, behind: false },
    ]);
    // Partition 1 moved to b: its entry is b's now, so a reads it back as another member's.
    await b.exchange([
      { topic: 'tx', partition: 1, time: 1_500, behind: true },
      { topic: 'tx', partition: 2, time: 2_500, behind: true },
    ]);
    const seenByA = await a.exchange([{ topic: 'tx', partition: 0, time: 1_200, behind: true }]);
    expect([...seenByA].sort((x, y) => x.partition - y.partition)).toEqual([
      { topic: 'tx', partition: 1, time: 1_500, behind: true },
      { topic: 'tx', partition: 2, time: 2_500, behind: true },
    ]);
    // b stops writing: after the staleness window a no longer sees it.
    await new Promise((resolve) => setTimeout(resolve, STALE_MS + 200));
    expect(await a.exchange([{ topic: 'tx', partition: 0, time: 1_300, behind: true }])).toEqual([]);
    // b comes back with partition 2 only: a sees it again at once, and not b's old entry of partition 1.
    await b.exchange([{ topic: 'tx', partition: 2, time: 3_000, behind: true }]);
    expect(await a.exchange([])).toEqual([{ topic: 'tx', partition: 2, time: 3_000, behind: true }]);
  });
});
