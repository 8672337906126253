import { Logger } from '@nestjs/common';
import { DAY_MS, HOUR_MS, describeError } from '@fraudstream/contracts';
import Redis from 'ioredis';
import {
  HISTORY_STEP_SEPARATOR,
  appendHistoryStep,
  decodeHistoryRing,
  encodeHistoryStep,
  type CardHistoryEntry,
  type CardHistoryStep,
} from './card-history';
import { SEQUENCE_STEPS } from './feature-set';
import {
  type AppliedBatch,
  type AppliedUpdate,
  COUNTED_ID_HORIZON_DAYS,
  type CountedPlace,
  type FeatureBatchKeys,
  type FeatureBatchPartition,
  type FeatureStateSession,
  type FeatureStore,
  type QueuedLabel,
} from './feature-store.types';
import { CountedPlaces, unpackPlace } from './counted-places';
import { FeatureStateConflictError } from './features.errors';
import { APPLIED_DAY, APPLIED_HOUR, WindowCounters } from './window-counters';

/**
 * Wall-clock expiry of a day's set of labelled transaction ids (a duplicate label older than that is
 * moot), and of a terminal's label queue after its last label (its labels fell out of every window).
 */
const LABEL_SET_TTL_SECONDS = 40 * 24 * 3600;

/**
 * Wall-clock expiry of a card's or a terminal's state (its window hash, and a card's history ring)
 * after its last write: an entity silent that long has no bucket left in any window (the 38-day
 * daily ring), so its keys go instead of staying for ever (a bank's cards that are closed or
 * replaced would otherwise grow Redis without bound). The memory store keeps an entity as long as
 * the process runs: the two differ only for one silent 40 days of wall-clock time, which no replay
 * at simulated speed reaches.
 */
const ENTITY_STATE_TTL_SECONDS = 40 * 24 * 3600;

/**
 * Wall-clock expiry of a day's record of counted transactions (`<prefix>:x:<day>`): each batch
 * deletes the day before its store's horizon, and a record a quiet spell skipped goes with its TTL.
 */
const COUNTED_ID_TTL_SECONDS = 3 * 24 * 3600;

/**
 * Queues labels in one atomic call. KEYS: the label sets (one per transaction day), then one queue
 * per terminal (a hash: transaction id -> "<event_time>:<transaction_time>"). ARGV: the TTL, the
 * numbers of sets and of queues; per queue its number of labels, and per label its id, the index of
 * its set among the sets, its event time and its transaction time. A label whose transaction is in
 * its set (counted) is dropped; of two labels of one transaction the earlier event time stays.
 */
const ENQUEUE_SCRIPT = `
local ttl = ARGV[1]
local sets = tonumber(ARGV[2])
local queues = tonumber(ARGV[3])
local a = 4
for q = 1, queues do
  local key = KEYS[sets + q]
  local n = tonumber(ARGV[a])
  a = a + 1
  for i = 1, n do
    local id = ARGV[a]
    local at = ARGV[a + 2]
    if redis.call('SISMEMBER', KEYS[tonumber(ARGV[a + 1])], id) == 0 then
      local current = redis.call('HGET', key, id)
      if not current or tonumber(string.match(current, '^[^:]+')) > tonumber(at) then
        redis.call('HSET', key, id, at .. ':' .. ARGV[a + 3])
      end
    end
    a = a + 4
  end
  if redis.call('EXISTS', key) == 1 then redis.call('EXPIRE', key, ttl) end
end
return queues
`;

/**
 * Returns HGETALL of the first ARGV[1] keys (the hashes: cards, terminals, label queues) and GET of
 * the others (the cards' history rings, '' for none), in one round trip and one command (no per-key
 * client overhead).
 */
const LOAD_SCRIPT = `
local hashes = tonumber(ARGV[1])
local out = {}
for i, key in ipairs(KEYS) do
  if i <= hashes then out[i] = redis.call('HGETALL', key) else out[i] = redis.call('GET', key) or '' end
end
return out
`;

/**
 * Returns a partition's applied batches (a hash: `last` offset, then one field per batch,
 * `b<first>-<last>` -> its vectors) as a flat [field, value, ...] list, in one call: the value of a
 * batch whose last offset is below ARGV[1] (the loading batch's first offset: it cannot be served
 * from it) is returned empty, so a batch that replays nothing does not load every batch kept. A
 * field without its range (`vectors`, the one batch kept before the record held several) is returned.
 */
const LOAD_APPLIED_SCRIPT = `
local h = redis.call('HGETALL', KEYS[1])
local from = tonumber(ARGV[1])
local out = {}
for i = 1, #h, 2 do
  local field = h[i]
  out[#out + 1] = field
  local last = tonumber(string.match(field, '^b%d+%-(%d+)$') or '')
  if field == 'last' or last == nil or last >= from then out[#out + 1] = h[i + 1] else out[#out + 1] = '' end
end
return out
`;

/**
 * Applies a batch in one atomic call. ARGV[1] is 1 when the batch records itself in its input
 * partition's applied batches (KEYS[1], see LOAD_APPLIED_SCRIPT), else 0. Recording, ARGV[2] is the
 * `last` the batch loaded ('' for none), ARGV[3] the new `last`, ARGV[4] and ARGV[5] the batch's field
 * and vectors, ARGV[6] the number of fields to delete (batches below the committed offset), then
 * those fields: when `last` moved meanwhile (another replica applied the partition), nothing is
 * written and the reply is an error.
 * Then the number of entity keys, of label-set keys, of label queues, the label sets' TTL, the number
 * of history rings, the entities' TTL (window hashes and rings, refreshed at each write) and the
 * rings' length bound; for
 * each entity key, the number of (field, delta) pairs, of stale fields, the pairs, the stale fields
 * (HINCRBY each pair, then HDEL the fields that fell out of the rings). The label-set keys follow
 * the entity keys; then per label queue two keys (the queue, its terminal) and in ARGV its number
 * of labels, and per label its id, the index of its set among the sets, the number of fields and
 * the fields to count the fraud in: a label is counted (SADD, HINCRBY 1) only if this call takes it
 * off its queue, so a label that two replicas' batches both loaded counts once. Last, per history
 * ring a key (a card's string of encoded steps, oldest first, one a line) and in ARGV the new steps
 * as such a string: appended to the ring, which keeps its last `ringSize` lines, with its TTL. Appends,
 * not overwrites: what another replica appended meanwhile stays (docs/features.md says what holds
 * then). Last, the number of day records of counted transactions and their TTL; per record a key
 * (`<prefix>:x:<day>`) and in ARGV its number of new ids, then id and packed place for each
 * (HSET, then EXPIRE); then the number of day records to delete (those before the horizon), their
 * keys: UNLINK, so a day of a large bank's traffic is freed off Redis's main thread.
 */
const APPLY_SCRIPT = `
local k = 1
local a = 2
if ARGV[1] == '1' then
  local current = redis.call('HGET', KEYS[1], 'last')
  if (current or '') ~= ARGV[2] then
    return redis.error_reply('FEATURESTATE ' .. KEYS[1] .. ' moved from "' .. ARGV[2] .. '" to "' .. tostring(current) .. '"')
  end
  redis.call('HSET', KEYS[1], 'last', ARGV[3], ARGV[4], ARGV[5])
  local pruned = tonumber(ARGV[6])
  if pruned > 0 then redis.call('HDEL', KEYS[1], unpack(ARGV, 7, 6 + pruned)) end
  k = 2
  a = 7 + pruned
end
local entities = tonumber(ARGV[a])
local labelSets = tonumber(ARGV[a + 1])
local queues = tonumber(ARGV[a + 2])
local ttl = ARGV[a + 3]
local rings = tonumber(ARGV[a + 4])
local stateTtl = ARGV[a + 5]
local ringSize = tonumber(ARGV[a + 6])
a = a + 7
for e = 1, entities do
  local key = KEYS[k]
  k = k + 1
  local pairs = tonumber(ARGV[a])
  local stale = tonumber(ARGV[a + 1])
  a = a + 2
  for i = 1, pairs do
    redis.call('HINCRBY', key, ARGV[a], ARGV[a + 1])
    a = a + 2
  end
  if stale > 0 then
    redis.call('HDEL', key, unpack(ARGV, a, a + stale - 1))
    a = a + stale
  end
  redis.call('EXPIRE', key, stateTtl)
end
local setBase = k - 1
k = k + labelSets
local touched = {}
for q = 1, queues do
  local queue = KEYS[k]
  local terminal = KEYS[k + 1]
  k = k + 2
  local n = tonumber(ARGV[a])
  a = a + 1
  for i = 1, n do
    local id = ARGV[a]
    local set = KEYS[setBase + tonumber(ARGV[a + 1])]
    local fields = tonumber(ARGV[a + 2])
    a = a + 3
    if redis.call('HDEL', queue, id) == 1 and redis.call('SADD', set, id) == 1 then
      for f = 0, fields - 1 do redis.call('HINCRBY', terminal, ARGV[a + f], 1) end
      if fields > 0 then redis.call('EXPIRE', terminal, stateTtl) end
      touched[set] = true
    end
    a = a + fields
  end
end
for set in pairs(touched) do redis.call('EXPIRE', set, ttl) end
for r = 1, rings do
  local key = KEYS[k]
  k = k + 1
  local ring = ARGV[a]
  a = a + 1
  local current = redis.call('GET', key)
  if current and current ~= '' then ring = current .. '\\n' .. ring end
  local lines = 1
  for _ in string.gmatch(ring, '\\n') do lines = lines + 1 end
  if lines > ringSize then
    local at = 0
    for i = 1, lines - ringSize do at = string.find(ring, '\\n', at + 1, true) end
    ring = string.sub(ring, at + 1)
  end
  redis.call('SET', key, ring, 'EX', stateTtl)
end
local idDays = tonumber(ARGV[a])
local idTtl = ARGV[a + 1]
a = a + 2
for d = 1, idDays do
  local key = KEYS[k]
  k = k + 1
  local n = tonumber(ARGV[a])
  a = a + 1
  for i = 1, n do
    redis.call('HSET', key, ARGV[a], ARGV[a + 1])
    a = a + 2
  end
  redis.call('EXPIRE', key, idTtl)
end
local drops = tonumber(ARGV[a])
for d = 1, drops do
  redis.call('UNLINK', KEYS[k])
  k = k + 1
end
return k - 1
`;

/** A batch's vectors as bytes: float64s [count, width, then per vector its offset and values]. */
function encodeVectors(vectors: ReadonlyMap<number, readonly number[]>): Buffer {
  const entries = [...vectors];
  const width = entries[0]?.[1].length ?? 0;
  const out = new Float64Array(2 + entries.length * (1 + width));
  out[0] = entries.length;
  out[1] = width;
  let at = 2;
  for (const [offset, vector] of entries) {
    if (vector.length !== width)
      throw new Error(`vectors of ${vector.length} and ${width} values in one batch`);
    out[at++] = offset;
    out.set(vector, at);
    at += width;
  }
  return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
}

/** Adds the vectors encoded by encodeVectors() to `vectors`; returns the highest offset (-1: none). */
function decodeVectors(bytes: Buffer, vectors: Map<number, readonly number[]>): number {
  let highest = -1;
  if (bytes.length >= 16 && bytes.length % 8 === 0) {
    // Copied: a Buffer from the client need not be 8-byte aligned.
    const values = new Float64Array(new Uint8Array(bytes).buffer);
    const count = values[0] ?? 0;
    const width = values[1] ?? 0;
    if (values.length === 2 + count * (1 + width)) {
      for (let i = 0, at = 2; i < count; i++, at += 1 + width) {
        const offset = values[at] ?? Number.NaN;
        vectors.set(offset, Array.from(values.subarray(at + 1, at + 1 + width)));
        if (offset > highest) highest = offset;
      }
    }
  }
  return highest;
}

/** A batch's field in a partition's applied batches: `b<first>-<last>`. */
function batchField(vectors: ReadonlyMap<number, readonly number[]>): string {
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  for (const offset of vectors.keys()) {
    if (offset < first) first = offset;
    if (offset > last) last = offset;
  }
  return `b${first}-${last}`;
}

/** A partition's applied batches as loaded: the record, each batch's field and highest offset. */
interface LoadedApplied {
  readonly batch: AppliedBatch | null;
  /** `last` exactly as loaded ('' for none): the commit's condition. */
  readonly last: string;
  readonly fields: readonly { readonly field: string; readonly lastOffset: number }[];
}

/** Decodes LOAD_APPLIED_SCRIPT's reply. */
function decodeApplied(flat: readonly Buffer[]): LoadedApplied {
  let last: string | null = null;
  const vectors = new Map<number, readonly number[]>();
  const fields: { field: string; lastOffset: number }[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const field = flat[i]?.toString('utf8') ?? '';
    const value = flat[i + 1] ?? Buffer.alloc(0);
    if (field === 'last') {
      last = value.toString('utf8');
      continue;
    }
    const range = /^b\d+-(\d+)$/.exec(field);
    const decoded = decodeVectors(value, vectors);
    fields.push({ field, lastOffset: range ? Number(range[1]) : decoded });
  }
  if (last === null) return { batch: null, last: '', fields };
  return { batch: { lastOffset: Number(last), vectors }, last, fields };
}

/** A bucket field, `h<hour>a` / `d<day>b`: kind, absolute index and channel, or null for a foreign field. */
function parseField(field: string): { hourly: boolean; index: number; channelA: boolean } | null {
  const kind = field.charCodeAt(0);
  const channel = field.charCodeAt(field.length - 1);
  if ((kind !== 104 && kind !== 100) || (channel !== 97 && channel !== 98) || field.length < 3) return null;
  const index = Number(field.slice(1, -1));
  if (!Number.isInteger(index)) return null;
  return { hourly: kind === 104, index, channelA: channel === 97 };
}

/** The scripts, as commands ioredis defines (EVALSHA, falling back to EVAL once per connection). */
interface ScriptCommands {
  featuresLoad(keyCount: number, ...keysAndArgs: (string | number)[]): Promise<(string[] | string)[]>;
  featuresAppliedBuffer(keyCount: number, key: string, from: number): Promise<Buffer[]>;
  featuresEnqueue(keyCount: number, ...keysAndArgs: (string | number)[]): Promise<number>;
  featuresApply(keyCount: number, ...keysAndArgs: (string | number | Buffer)[]): Promise<number>;
}

export interface RedisFeatureStoreOptions {
  /** Prefix of every key, e.g. one per feature set version or per test. */
  readonly keyPrefix?: string;
}

/**
 * One warning when the connection is lost and one line when it is back, instead of ioredis's
 * "Unhandled error event" on every reconnection attempt. Batches meanwhile fail as transient and
 * are retried by the transport (docs/reliability.md).
 */
function reportConnectionState(redis: Redis): void {
  const logger = new Logger(RedisFeatureStore.name);
  let down = false;
  redis.on('error', (error: unknown) => {
    if (down) return;
    down = true;
    logger.warn({ msg: 'Redis unreachable; feature batches wait for it', error: describeError(error) });
  });
  redis.on('ready', () => {
    if (!down) return;
    down = false;
    logger.log({ msg: 'Redis reachable again' });
  });
}

/**
 * Feature state in Redis, for many scorer replicas. Each card and terminal is a hash whose fields
 * are its non-empty buckets (`h<hour>a|b`, `d<day>a|b`, absolute indices): at most 108 small fields,
 * about 400 bytes of Redis memory per card. A batch is two round trips: one script that returns the
 * HGETALL of every touched key (and the batch's input partition's applied batches), and one script
 * that applies the increments (HINCRBY, then HDEL of stale buckets) to every touched key, the new
 * label ids, the batch's vectors as one more field of the partition's applied batches and the HDEL
 * of the batches below the committed offset, atomically, and only if that partition's `last` offset
 * is still the one loaded: increments, not overwrites, so replicas sharing a terminal do not lose
 * each other's counts, and a batch is never counted twice. The applied batches kept per partition
 * are those not yet committed when the last batch was handled (see MemoryFeatureStore for the
 * bound), about 200 bytes a vector. The scripts touch many keys, so the store needs one
 * Redis (or a primary with replicas), not a Redis Cluster. Buckets that fell out of the rings are deleted when the entity is
 * next touched, and an entity's keys expire 40 days of wall-clock time after its last write
 * (`ENTITY_STATE_TTL_SECONDS`). Labelled transaction ids live in one set per transaction day (expires after 40 days).
 * For a set with a sequence block, each card's history ring is one string beside its hash
 * (historyKey: one encodeHistoryStep() line per step, about 620 bytes full), loaded by the same
 * load script and appended by the same apply script (docs/features.md, fs-v1-seq16's "State").
 */
export class RedisFeatureStore implements FeatureStore {
  readonly kind = 'redis' as const;
  /** Each card's ring is a string beside its hash (historyKey), loaded only for batches that ask. */
  readonly keepsCardHistory = true;
  /** The prefix of every key the store writes. */
  readonly prefix: string;

  /** Whether the connection is up now (ioredis reconnects by itself; batches meanwhile are retried). */
  get reachable(): boolean {
    return this.redis.status === 'ready';
  }

  constructor(
    readonly redis: Redis,
    options: RedisFeatureStoreOptions = {},
  ) {
    this.prefix = options.keyPrefix ?? 'fs';
    // EVALSHA, with a fallback to EVAL when the server does not have the script yet.
    if (!('featuresLoad' in redis)) {
      redis.defineCommand('featuresLoad', { lua: LOAD_SCRIPT });
      redis.defineCommand('featuresApply', { lua: APPLY_SCRIPT });
      redis.defineCommand('featuresApplied', { lua: LOAD_APPLIED_SCRIPT });
      redis.defineCommand('featuresEnqueue', { lua: ENQUEUE_SCRIPT });
    }
  }

  static connect(url: string, options: RedisFeatureStoreOptions = {}): RedisFeatureStore {
    const redis = new Redis(url, { maxRetriesPerRequest: 3, lazyConnect: false });
    reportConnectionState(redis);
    return new RedisFeatureStore(redis, options);
  }

  cardKey(id: string): string {
    return `${this.prefix}:c:${id}`;
  }

  terminalKey(id: string): string {
    return `${this.prefix}:t:${id}`;
  }

  /** A card's history ring: its last SEQUENCE_STEPS steps, oldest first, one encodeHistoryStep() line each. */
  historyKey(cardId: string): string {
    return `${this.prefix}:r:${cardId}`;
  }

  labelKey(day: number): string {
    return `${this.prefix}:l:${day}`;
  }

  /** Where the transactions of an event day were counted: transaction id -> packed place (packPlace()). */
  countedKey(day: number): string {
    return `${this.prefix}:x:${day}`;
  }

  /** A terminal's queue of labels not yet counted: transaction id -> "<event_time>:<transaction_time>". */
  labelQueueKey(terminalId: string): string {
    return `${this.prefix}:q:${terminalId}`;
  }

  async enqueueLabels(labels: readonly QueuedLabel[]): Promise<void> {
    if (labels.length === 0) return;
    const sets = new Map<string, number>();
    const queues = new Map<string, QueuedLabel[]>();
    for (const label of labels) {
      const set = this.labelKey(Math.floor(label.transaction_time / DAY_MS));
      if (!sets.has(set)) sets.set(set, sets.size + 1);
      const queue = queues.get(label.terminal_id) ?? [];
      queue.push(label);
      queues.set(label.terminal_id, queue);
    }
    const keys = [...sets.keys(), ...[...queues.keys()].map((id) => this.labelQueueKey(id))];
    const args: (string | number)[] = [LABEL_SET_TTL_SECONDS, sets.size, queues.size];
    for (const queue of queues.values()) {
      args.push(queue.length);
      for (const label of queue) {
        const set = sets.get(this.labelKey(Math.floor(label.transaction_time / DAY_MS))) ?? 0;
        args.push(label.transaction_id, set, label.event_time, label.transaction_time);
      }
    }
    await (this.redis as unknown as ScriptCommands).featuresEnqueue(keys.length, ...keys, ...args);
  }

  /** Labels queued and not yet counted, over every terminal (a scan: tests and operations). */
  async pendingLabelCount(): Promise<number> {
    let count = 0;
    let cursor = '0';
    do {
      const [next, found] = await this.redis.scan(cursor, 'MATCH', `${this.prefix}:q:*`, 'COUNT', 1000);
      for (const key of found) count += await this.redis.hlen(key);
      cursor = next;
    } while (cursor !== '0');
    return count;
  }

  /** The hash of an input partition's applied batches (`last`, then `b<first>-<last>` per batch). */
  appliedKey(partition: FeatureBatchPartition): string {
    return `${this.prefix}:o:${partition.topic}:${partition.partition}`;
  }

  /** The batches applied from a partition and kept (null: none). */
  async appliedBatch(partition: FeatureBatchPartition): Promise<AppliedBatch | null> {
    const scripts = this.redis as unknown as ScriptCommands;
    return decodeApplied(await scripts.featuresAppliedBuffer(1, this.appliedKey(partition), -1)).batch;
  }

  /** The fields of a partition's applied batches besides `last`, by first offset (tests: what pruning left). */
  async appliedFields(partition: FeatureBatchPartition): Promise<string[]> {
    const fields = await this.redis.hkeys(this.appliedKey(partition));
    const first = (field: string) => Number(/^b(\d+)-/.exec(field)?.[1] ?? -1);
    return fields.filter((f) => f !== 'last').sort((x, y) => first(x) - first(y));
  }

  async begin(batch: FeatureBatchKeys): Promise<FeatureStateSession> {
    const cardIds = [...batch.cardIds];
    const terminalIds = [...batch.terminalIds];
    const keys = [
      ...cardIds.map((id) => this.cardKey(id)),
      ...terminalIds.map((id) => this.terminalKey(id)),
      ...terminalIds.map((id) => this.labelQueueKey(id)),
    ];
    const hashes = keys.length;
    if (batch.cardHistory) for (const id of cardIds) keys.push(this.historyKey(id));
    const pipeline = this.redis.pipeline();
    void (pipeline as unknown as ScriptCommands).featuresLoad(keys.length, ...keys, hashes);
    const appliedKey = batch.partition ? this.appliedKey(batch.partition) : null;
    if (appliedKey)
      void (pipeline as unknown as ScriptCommands).featuresAppliedBuffer(
        1,
        appliedKey,
        batch.firstOffset ?? -1,
      );
    const countedDays = [...(batch.counted ?? [])];
    for (const [day, ids] of countedDays) pipeline.hmget(this.countedKey(day), ...ids);
    const results = (await pipeline.exec()) ?? [];
    const reply = (i: number): unknown => {
      const entry = results[i];
      if (!entry) throw new Error(`Redis pipeline returned no reply ${i}`);
      if (entry[0]) throw entry[0];
      return entry[1];
    };
    const applied = appliedKey ? decodeApplied(reply(1) as Buffer[]) : null;
    const session = new RedisStateSession(this, appliedKey, applied, batch.cardHistory === true);
    const firstCounted = appliedKey ? 2 : 1;
    countedDays.forEach(([day, ids], d) =>
      session.loadCounted(day, ids, reply(firstCounted + d) as (string | null)[]),
    );
    const loaded = reply(0) as (string[] | string)[];
    const hash = (i: number): string[] => {
      const value = loaded[i];
      return Array.isArray(value) ? value : [];
    };
    const entities = cardIds.length + terminalIds.length;
    for (let k = 0; k < entities; k++) session.load(keys[k] ?? '', hash(k));
    terminalIds.forEach((id, t) => session.loadQueue(id, hash(entities + t)));
    if (batch.cardHistory)
      cardIds.forEach((id, c) => {
        const ring = loaded[hashes + c];
        session.loadHistory(id, typeof ring === 'string' ? ring : '');
      });
    return session;
  }

  /** Deletes every key of this store's prefix (tests and benchmarks). */
  async clear(): Promise<void> {
    let cursor = '0';
    do {
      const [next, found] = await this.redis.scan(cursor, 'MATCH', `${this.prefix}:*`, 'COUNT', 1000);
      if (found.length > 0) await this.redis.del(...found);
      cursor = next;
    } while (cursor !== '0');
  }

  async close(): Promise<void> {
    await this.redis.quit();
  }
}

class RedisStateSession implements FeatureStateSession {
  private readonly counters = new Map<string, WindowCounters>();
  private readonly fields = new Map<string, string[]>();
  private readonly deltas = new Map<string, Map<string, number>>();
  /** Each terminal's queued labels as loaded, in event-time order; applyDueLabels() takes them off. */
  private readonly queued = new Map<string, QueuedLabel[]>();
  /** Labels this batch took off the queues, by terminal: id, day and the bucket fields they count in. */
  private readonly taken = new Map<string, { id: string; day: number; fields: string[] }[]>();
  private readonly takenIds = new Set<string>();
  /** Each loaded card's ring as loaded, then with this batch's steps appended (as the memory store's). */
  private readonly histories = new Map<string, CardHistoryStep[]>();
  /** The steps this batch appended per card, encoded, oldest first (at most SEQUENCE_STEPS: older ones would be trimmed). */
  private readonly appended = new Map<string, string[]>();
  private pendingApplied: AppliedUpdate | null = null;
  /** Where the batch's transactions were counted, as loaded. */
  private readonly counted = new CountedPlaces();
  /** The places this batch records. */
  private readonly recorded = new CountedPlaces();
  readonly applied: AppliedBatch | null;

  constructor(
    private readonly store: RedisFeatureStore,
    private readonly appliedKey: string | null,
    private readonly loaded: LoadedApplied | null,
    private readonly historyLoaded: boolean,
  ) {
    this.applied = loaded?.batch ?? null;
  }

  recordApplied(update: AppliedUpdate): void {
    if (!this.appliedKey) throw new Error('recordApplied() in a batch that named no input partition');
    this.pendingApplied = update;
  }

  /** Loads an entity from its HGETALL reply, a flat [field, value, field, value, ...] list. */
  load(key: string, flat: readonly string[]): void {
    const parsed: { hourly: boolean; index: number; channelA: boolean; value: number }[] = [];
    const fields: string[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) {
      const field = flat[i] ?? '';
      fields.push(field);
      const p = parseField(field);
      if (p) parsed.push({ ...p, value: Number(flat[i + 1]) });
    }
    // Ascending order lets the rings advance as they would have in memory.
    parsed.sort((x, y) => x.index - y.index);
    const counters = new WindowCounters();
    for (const p of parsed) {
      const a = p.channelA ? p.value : 0;
      const b = p.channelA ? 0 : p.value;
      if (p.hourly) counters.addHour(p.index, a, b);
      else counters.addDay(p.index, a, b);
    }
    this.counters.set(key, counters);
    this.fields.set(key, fields);
  }

  /** Loads where the day's transactions `ids` were counted, from the HMGET reply (null: not counted). */
  loadCounted(day: number, ids: readonly string[], places: readonly (string | null)[]): void {
    ids.forEach((id, i) => {
      const packed = Number(places[i] ?? Number.NaN);
      if (Number.isInteger(packed)) this.counted.setPacked(day, id, packed);
    });
  }

  countedAt(transactionId: string, eventTime: number): CountedPlace | null {
    const packed =
      this.recorded.packedAt(transactionId, eventTime) ?? this.counted.packedAt(transactionId, eventTime);
    return packed === undefined ? null : unpackPlace(packed);
  }

  recordCounted(transactionId: string, eventTime: number, place: CountedPlace): void {
    this.recorded.record(transactionId, eventTime, place);
  }

  /** Loads a card's history ring from its GET reply ('' for none). */
  loadHistory(cardId: string, encoded: string): void {
    this.histories.set(cardId, decodeHistoryRing(encoded));
  }

  /** Loads a terminal's label queue from its HGETALL reply. */
  loadQueue(terminalId: string, flat: readonly string[]): void {
    if (flat.length === 0) return;
    const queue: QueuedLabel[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) {
      const [eventTime, transactionTime] = (flat[i + 1] ?? '').split(':').map(Number);
      if (!Number.isFinite(eventTime) || !Number.isFinite(transactionTime)) continue;
      queue.push({
        transaction_id: flat[i] ?? '',
        terminal_id: terminalId,
        event_time: eventTime ?? 0,
        transaction_time: transactionTime ?? 0,
      });
    }
    // By event time, then id: every replica takes a terminal's labels in the same order.
    queue.sort(
      (x, y) =>
        x.event_time - y.event_time ||
        (x.transaction_id < y.transaction_id ? -1 : Number(x.transaction_id > y.transaction_id)),
    );
    this.queued.set(terminalId, queue);
  }

  card(id: string): WindowCounters {
    return this.entity(this.store.cardKey(id));
  }

  terminal(id: string): WindowCounters {
    return this.entity(this.store.terminalKey(id));
  }

  addCardTransaction(cardId: string, eventTime: number, amountCents: number): void {
    this.add(this.store.cardKey(cardId), eventTime, 1, amountCents);
  }

  addTerminalTransaction(terminalId: string, eventTime: number): void {
    this.add(this.store.terminalKey(terminalId), eventTime, 1, 0);
  }

  cardHistory(id: string): readonly CardHistoryStep[] {
    return this.loadedHistory(id);
  }

  addCardHistory(cardId: string, entry: CardHistoryEntry): void {
    const steps = this.loadedHistory(cardId);
    appendHistoryStep(steps, entry, SEQUENCE_STEPS);
    const step = steps[steps.length - 1];
    if (!step) return;
    let pending = this.appended.get(cardId);
    if (!pending) {
      pending = [];
      this.appended.set(cardId, pending);
    }
    pending.push(encodeHistoryStep(step));
    if (pending.length > SEQUENCE_STEPS) pending.shift();
  }

  /**
   * A card's ring as this batch knows it. Throws for a batch begun without `cardHistory`, or a card
   * it did not load: its ring is in Redis, and an empty one in its place would give wrong blocks and
   * wrong novelty bits without a word.
   */
  private loadedHistory(cardId: string): CardHistoryStep[] {
    if (!this.historyLoaded)
      throw new Error('card history of a batch begun without cardHistory (FeatureBatchKeys.cardHistory)');
    const steps = this.histories.get(cardId);
    if (!steps) throw new Error(`card ${cardId} was not among the cards this batch loaded`);
    return steps;
  }

  applyDueLabels(terminalId: string, time: number): void {
    const queue = this.queued.get(terminalId);
    if (!queue) return;
    while ((queue[0]?.event_time ?? Infinity) <= time) {
      const label = queue.shift();
      if (!label || this.takenIds.has(label.transaction_id)) continue;
      this.takenIds.add(label.transaction_id);
      const t = label.transaction_time;
      const applied = this.entity(this.store.terminalKey(terminalId)).add(t, 0, 1);
      const fields: string[] = [];
      if (applied & APPLIED_HOUR) fields.push(`h${Math.floor(t / HOUR_MS)}b`);
      if (applied & APPLIED_DAY) fields.push(`d${Math.floor(t / DAY_MS)}b`);
      const taken = this.taken.get(terminalId) ?? [];
      taken.push({ id: label.transaction_id, day: Math.floor(t / DAY_MS), fields });
      this.taken.set(terminalId, taken);
    }
  }

  async commit(): Promise<void> {
    const record = this.appliedKey && this.pendingApplied ? this.pendingApplied : null;
    if (
      this.deltas.size === 0 &&
      this.taken.size === 0 &&
      this.appended.size === 0 &&
      this.recorded.byDay.size === 0 &&
      !record
    )
      return;
    const keys: string[] = [];
    const args: (string | number | Buffer)[] = [];
    if (record && this.appliedKey) {
      // Whole batches go once their last offset is below the committed one.
      const pruned = (this.loaded?.fields ?? []).filter((f) => f.lastOffset < record.keepFrom);
      keys.push(this.appliedKey);
      args.push(
        1,
        this.loaded?.last ?? '',
        String(record.lastOffset),
        batchField(record.vectors),
        encodeVectors(record.vectors),
        pruned.length,
        ...pruned.map((f) => f.field),
      );
    } else args.push(0);
    const sets = new Map<number, number>();
    for (const labels of this.taken.values()) {
      for (const { day } of labels) if (!sets.has(day)) sets.set(day, sets.size + 1);
    }
    args.push(
      this.deltas.size,
      sets.size,
      this.taken.size,
      LABEL_SET_TTL_SECONDS,
      this.appended.size,
      ENTITY_STATE_TTL_SECONDS,
      SEQUENCE_STEPS,
    );
    for (const [key, fields] of this.deltas) {
      const stale = this.staleFields(key);
      keys.push(key);
      args.push(fields.size, stale.length);
      for (const [field, delta] of fields) args.push(field, delta);
      for (const field of stale) args.push(field);
    }
    for (const day of sets.keys()) keys.push(this.store.labelKey(day));
    for (const [terminalId, labels] of this.taken) {
      keys.push(this.store.labelQueueKey(terminalId), this.store.terminalKey(terminalId));
      args.push(labels.length);
      for (const { id, day, fields } of labels) args.push(id, sets.get(day) ?? 0, fields.length, ...fields);
    }
    for (const [cardId, steps] of this.appended) {
      keys.push(this.store.historyKey(cardId));
      args.push(steps.join(HISTORY_STEP_SEPARATOR));
    }
    args.push(this.recorded.byDay.size, COUNTED_ID_TTL_SECONDS);
    let newest = Number.NEGATIVE_INFINITY;
    for (const [day, ids] of this.recorded.byDay) {
      keys.push(this.store.countedKey(day));
      args.push(ids.size);
      for (const [id, packed] of ids) args.push(id, packed);
      if (day > newest) newest = day;
    }
    // The day that fell out of the horizon as this batch's newest day began (days go one by one).
    const drop =
      this.recorded.byDay.size > 0 ? [this.store.countedKey(newest - COUNTED_ID_HORIZON_DAYS - 1)] : [];
    args.push(drop.length);
    keys.push(...drop);
    try {
      await (this.store.redis as unknown as ScriptCommands).featuresApply(keys.length, ...keys, ...args);
    } catch (error) {
      if (error instanceof Error && error.message.includes('FEATURESTATE')) {
        throw new FeatureStateConflictError(
          'the input partition was applied by another replica since this batch loaded it',
          { cause: error },
        );
      }
      throw error;
    }
  }

  private entity(key: string): WindowCounters {
    let counters = this.counters.get(key);
    if (!counters) {
      counters = new WindowCounters();
      this.counters.set(key, counters);
    }
    return counters;
  }

  private add(key: string, time: number, a: number, b: number): void {
    const applied = this.entity(key).add(time, a, b);
    if (applied === 0) return;
    let fields = this.deltas.get(key);
    if (!fields) {
      fields = new Map();
      this.deltas.set(key, fields);
    }
    const bump = (field: string, delta: number) => {
      if (delta !== 0) fields.set(field, (fields.get(field) ?? 0) + delta);
    };
    if (applied & APPLIED_HOUR) {
      const hour = Math.floor(time / HOUR_MS);
      bump(`h${hour}a`, a);
      bump(`h${hour}b`, b);
    }
    if (applied & APPLIED_DAY) {
      const day = Math.floor(time / DAY_MS);
      bump(`d${day}a`, a);
      bump(`d${day}b`, b);
    }
  }

  /** Loaded fields whose ring slot now holds another bucket. */
  private staleFields(key: string): string[] {
    const counters = this.counters.get(key);
    if (!counters) return [];
    return (this.fields.get(key) ?? []).filter((field) => {
      const p = parseField(field);
      if (!p) return false;
      return p.hourly ? !counters.holdsHour(p.index) : !counters.holdsDay(p.index);
    });
  }
}
