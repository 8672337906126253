import Redis from 'ioredis';
import { DAY_BUCKETS, DAY_MS, HOUR_BUCKETS, HOUR_MS } from './feature-set';
import type { FeatureBatchKeys, FeatureStateSession, FeatureStore } from './feature-store.types';
import { APPLIED_DAY, APPLIED_HOUR, WindowCounters } from './window-counters';

/** Wall-clock expiry of a day's set of labelled transaction ids (a duplicate label older than that is moot). */
const LABEL_SET_TTL_SECONDS = 40 * 24 * 3600;
const FIELD = /^([hd])(\d+)([ab])$/;

export interface RedisFeatureStoreOptions {
  /** Prefix of every key, e.g. one per feature set version or per test. */
  readonly keyPrefix?: string;
}

/**
 * Feature state in Redis, for many scorer replicas. Each card and terminal is a hash whose fields
 * are its non-empty buckets (`h<hour>a|b`, `d<day>a|b`, absolute indices): at most 108 small fields,
 * about 2-3 KB of Redis memory per entity. A batch is one pipelined HGETALL round trip to load and
 * one MULTI of HINCRBYs to persist: increments, not overwrites, so replicas sharing a terminal do
 * not lose each other's counts. Buckets that fell out of the rings are deleted when the entity is
 * next touched. Labelled transaction ids live in one set per transaction day (expires after 40 days).
 */
export class RedisFeatureStore implements FeatureStore {
  readonly kind = 'redis' as const;
  private readonly prefix: string;

  constructor(
    readonly redis: Redis,
    options: RedisFeatureStoreOptions = {},
  ) {
    this.prefix = options.keyPrefix ?? 'fs';
  }

  static connect(url: string, options: RedisFeatureStoreOptions = {}): RedisFeatureStore {
    return new RedisFeatureStore(new Redis(url, { maxRetriesPerRequest: 3, lazyConnect: false }), options);
  }

  cardKey(id: string): string {
    return `${this.prefix}:c:${id}`;
  }

  terminalKey(id: string): string {
    return `${this.prefix}:t:${id}`;
  }

  labelKey(day: number): string {
    return `${this.prefix}:l:${day}`;
  }

  async begin(keys: FeatureBatchKeys): Promise<FeatureStateSession> {
    const cardIds = [...keys.cardIds];
    const terminalIds = [...keys.terminalIds];
    const labelDays = new Map<number, string[]>();
    for (const [id, time] of keys.fraudLabels) {
      const day = Math.floor(time / DAY_MS);
      const ids = labelDays.get(day) ?? [];
      ids.push(id);
      labelDays.set(day, ids);
    }
    const pipeline = this.redis.pipeline();
    for (const id of cardIds) pipeline.hgetall(this.cardKey(id));
    for (const id of terminalIds) pipeline.hgetall(this.terminalKey(id));
    const days = [...labelDays];
    for (const [day, ids] of days) pipeline.smismember(this.labelKey(day), ...ids);
    const results = (await pipeline.exec()) ?? [];
    const reply = (i: number): unknown => {
      const entry = results[i];
      if (!entry) throw new Error(`Redis pipeline returned no reply ${i}`);
      if (entry[0]) throw entry[0];
      return entry[1];
    };
    const session = new RedisStateSession(this);
    let i = 0;
    for (const id of cardIds) session.load(this.cardKey(id), reply(i++) as Record<string, string>);
    for (const id of terminalIds) session.load(this.terminalKey(id), reply(i++) as Record<string, string>);
    for (const [, ids] of days) {
      const flags = reply(i++) as number[];
      ids.forEach((id, k) => {
        if (flags[k] === 1) session.claimed.add(id);
      });
    }
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
  readonly claimed = new Set<string>();
  private readonly newLabels = new Map<number, string[]>();

  constructor(private readonly store: RedisFeatureStore) {}

  load(key: string, hash: Record<string, string>): void {
    const parsed: { kind: string; index: number; channel: string; value: number }[] = [];
    for (const [field, value] of Object.entries(hash)) {
      const m = FIELD.exec(field);
      if (!m) continue;
      parsed.push({ kind: m[1] ?? '', index: Number(m[2]), channel: m[3] ?? '', value: Number(value) });
    }
    // Ascending order lets the rings advance as they would have in memory.
    parsed.sort((x, y) => x.index - y.index);
    const counters = new WindowCounters();
    for (const p of parsed) {
      const a = p.channel === 'a' ? p.value : 0;
      const b = p.channel === 'b' ? p.value : 0;
      if (p.kind === 'h') counters.addHour(p.index, a, b);
      else counters.addDay(p.index, a, b);
    }
    this.counters.set(key, counters);
    this.fields.set(key, Object.keys(hash));
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

  addTerminalFraud(transactionId: string, terminalId: string, transactionTime: number): void {
    if (this.claimed.has(transactionId)) return;
    this.claimed.add(transactionId);
    const day = Math.floor(transactionTime / DAY_MS);
    const ids = this.newLabels.get(day) ?? [];
    ids.push(transactionId);
    this.newLabels.set(day, ids);
    this.add(this.store.terminalKey(terminalId), transactionTime, 0, 1);
  }

  async commit(): Promise<void> {
    if (this.deltas.size === 0 && this.newLabels.size === 0) return;
    const multi = this.store.redis.multi();
    for (const [key, fields] of this.deltas) {
      for (const [field, delta] of fields) multi.hincrby(key, field, delta);
      const stale = this.staleFields(key);
      if (stale.length > 0) multi.hdel(key, ...stale);
    }
    for (const [day, ids] of this.newLabels) {
      const key = this.store.labelKey(day);
      multi.sadd(key, ...ids);
      multi.expire(key, LABEL_SET_TTL_SECONDS);
    }
    const results = (await multi.exec()) ?? [];
    for (const [error] of results) if (error) throw error;
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

  /** Loaded fields whose bucket fell out of its ring. */
  private staleFields(key: string): string[] {
    const counters = this.counters.get(key);
    if (!counters) return [];
    return (this.fields.get(key) ?? []).filter((field) => {
      const m = FIELD.exec(field);
      if (!m) return false;
      const index = Number(m[2]);
      return m[1] === 'h'
        ? index <= counters.lastHour - HOUR_BUCKETS
        : index <= counters.lastDay - DAY_BUCKETS;
    });
  }
}
