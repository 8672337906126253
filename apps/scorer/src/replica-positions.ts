import type { PartitionPosition, SharedPositions } from '@fraudstream/kafka';
import type Redis from 'ioredis';

/**
 * Writes the member's positions (one hash field per partition: `<member>|<written at>|<time>|<behind>`,
 * the written-at from the server's clock) and returns every field written within the staleness
 * window (the member's own too: those of partitions it owned before a rebalance are the last known
 * until their new owner writes). Fields older than ten windows are deleted (partitions nobody owns
 * any more), and the hash itself expires ten windows after the last exchange (a group that stopped).
 * KEYS[1]: the hash; ARGV: member, staleness ms, then field and `<time>|<behind>` pairs.
 */
const EXCHANGE_SCRIPT = `
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local member = ARGV[1]
local stale = tonumber(ARGV[2])
for i = 3, #ARGV, 2 do
  redis.call('HSET', KEYS[1], ARGV[i], member .. '|' .. now .. '|' .. ARGV[i + 1])
end
redis.call('PEXPIRE', KEYS[1], stale * 10)
local fields = redis.call('HGETALL', KEYS[1])
local fresh = {}
for i = 1, #fields, 2 do
  local owner, at, position = string.match(fields[i + 1], '^([^|]*)|(%d+)|(.*)$')
  local age = owner and now - tonumber(at) or stale * 10 + 1
  if age > stale * 10 then
    redis.call('HDEL', KEYS[1], fields[i])
  elseif age <= stale then
    table.insert(fresh, fields[i])
    table.insert(fresh, position)
  end
end
return fresh
`;

/** The script, as the command ioredis defines (EVALSHA, falling back to EVAL once per connection). */
interface ExchangeCommand {
  alignmentExchange(keyCount: number, key: string, ...args: string[]): Promise<string[]>;
}

/**
 * The scorer replicas' partition positions in the Redis that holds their shared feature state
 * (one hash per consumer group), so that they hold their partitions in step with one another: a
 * replica catching up on a backlog does not score the terminals' payments ahead of the others.
 * A partition whose entry was not written for `staleMs` (its owner dead, or frozen) is left out
 * (the alignment then waits for its next owner's entry).
 */
export class RedisSharedPositions implements SharedPositions {
  constructor(
    private readonly redis: Redis,
    private readonly key: string,
    private readonly member: string,
    private readonly staleMs: number,
  ) {
    if (!('alignmentExchange' in redis)) redis.defineCommand('alignmentExchange', { lua: EXCHANGE_SCRIPT });
  }

  async exchange(own: readonly PartitionPosition[]): Promise<PartitionPosition[]> {
    const args = [this.member, String(this.staleMs)];
    for (const p of own) args.push(`${p.topic}:${p.partition}`, `${p.time}|${p.behind ? 1 : 0}`);
    const reply = await (this.redis as unknown as ExchangeCommand).alignmentExchange(1, this.key, ...args);
    const positions: PartitionPosition[] = [];
    for (let i = 0; i + 1 < reply.length; i += 2) {
      const field = reply[i] ?? '';
      const [time, behind] = (reply[i + 1] ?? '').split('|');
      const colon = field.lastIndexOf(':');
      const partition = Number(field.slice(colon + 1));
      if (colon < 1 || !Number.isInteger(partition)) continue;
      positions.push({ topic: field.slice(0, colon), partition, time: Number(time), behind: behind === '1' });
    }
    return positions;
  }
}
