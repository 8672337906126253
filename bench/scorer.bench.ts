/*
 * Scorer throughput and latency against the real broker, in one run (docs/scorer.md):
 *   (a) passthrough: bare kafkajs consume -> produce of the raw bytes (no decode, features or scoring),
 *       the ceiling of this machine;
 *   (b) naive: eachMessage, decode, features, onnxruntime on the event loop, one produce per message;
 *   (c) the scorer app: batches, micro-batched ONNX in a worker thread, one produce per batch.
 * Then the scorer at half its measured rate, for produce-to-score latency (scored_at - ingest_time).
 *
 *   npm run bench:scorer -- --json FILE [--count N] [--naive-seconds S] [--latency-seconds S] [--rounds R] [--skip a,b] [--half-rate R]
 *     [--replicas N]   (c) and the half load with N scorer apps in one group (FEATURE_STORE=redis: they share the state)
 */
import 'reflect-metadata';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { NestFactory } from '@nestjs/core';
import type { INestApplicationContext } from '@nestjs/common';
import { Logger } from '@nestjs/common';
import Redis from 'ioredis';
import * as ort from 'onnxruntime-node';
import { loadConfig, processEnv } from '@fraudstream/config';
import {
  HOUR_MS,
  readAvroSchema,
  validateTransaction,
  valueSubject,
  type Score,
  type Transaction,
} from '@fraudstream/contracts';
import { FEATURE_NAMES, FEATURE_SET_VERSION, FeaturePipeline } from '@fraudstream/features';
import {
  AvroProducer,
  AvroSerde,
  createIdempotentProducer,
  createKafkaClient,
  ensureTopics,
  kafkaConfigSchema,
  type Kafka,
} from '@fraudstream/kafka';
import { buildMlpOnnx, randomMlpSpec, writeModelFixture } from '@fraudstream/model';
import { MetricsRegistry } from '@fraudstream/observability';
import { loadScorerConfig, type ScorerConfig } from '../apps/scorer/src/scorer.config';
import { ScorerModule } from '../apps/scorer/src/scorer.module';
import { jsonPathFromArgs, reportBench } from './support/bench-report';

const PARTITIONS = 3;
const HIDDEN = [32, 16];
/** Fetch size per partition of the passthrough and the scorer (a full fetch relayed at once must fit a produce request). */
const FETCH_BYTES = 262_144;

function numberArg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  const value = i >= 0 ? Number(process.argv[i + 1]) : Number.NaN;
  return Number.isFinite(value) && value > 0 ? value : fallback;
}

const COUNT = numberArg('--count', 60_000);
const NAIVE_SECONDS = numberArg('--naive-seconds', 8);
const LATENCY_SECONDS = numberArg('--latency-seconds', 10);
const ROUNDS = numberArg('--rounds', 2);
/** Scorer apps in one group (in this process): replicas share the feature state, so Redis. */
const REPLICAS = Math.floor(numberArg('--replicas', 1));

const T0 = Date.UTC(2026, 0, 5, 0, 0, 0);

/** `--profile DIR`: V8 CPU profiles of this process during the scorer rounds and the half-load phase only. */
function profileDir(): string | null {
  const i = process.argv.indexOf('--profile');
  return i >= 0 ? (process.argv[i + 1] ?? null) : null;
}

/** Profiles the main thread between start() and stop(name) (the scorer runs in-process). */
class PhaseProfiler {
  private session: Session | null = null;

  constructor(private readonly dir: string | null) {}

  async start(): Promise<void> {
    if (!this.dir) return;
    this.session = new Session();
    this.session.connect();
    await this.session.post('Profiler.enable');
    await this.session.post('Profiler.setSamplingInterval', { interval: 500 });
    await this.session.post('Profiler.start');
  }

  async stop(name: string): Promise<void> {
    if (!this.dir || !this.session) return;
    const { profile } = await this.session.post('Profiler.stop');
    mkdirSync(this.dir, { recursive: true });
    writeFileSync(join(this.dir, `${name}.cpuprofile`), JSON.stringify(profile));
    this.session.disconnect();
    this.session = null;
  }
}

function transaction(i: number, ingestTime: number): Transaction {
  return {
    transaction_id: `tx-${i}`,
    card_id: `card-${i % 5000}`,
    terminal_id: `term-${i % 400}`,
    amount: 5 + ((i * 7919) % 50_000) / 100,
    currency: 'EUR',
    channel: i % 4 === 0 ? 'CARD_NOT_PRESENT' : 'CARD_PRESENT',
    event_time: T0 + i * 1000,
    ingest_time: ingestTime,
  };
}

async function topic(
  kafka: Kafka,
  serde: AvroSerde,
  prefix: string,
  schemaFile: string | null,
  partitions = 1,
) {
  const name = `bench.${prefix}.${randomUUID().slice(0, 8)}`;
  const base = { retentionMs: HOUR_MS, cleanupPolicy: 'delete' as const };
  await ensureTopics(kafka, [
    { name, schemaFile, partitions, ...base },
    { name: `${name}.dlq`, schemaFile: null, partitions: 1, ...base },
  ]);
  if (schemaFile) await serde.register(valueSubject(name), readAvroSchema(schemaFile));
  return name;
}

async function produceBacklog(
  producer: AvroProducer,
  name: string,
  from: number,
  count: number,
): Promise<void> {
  const chunk = 2000;
  for (let i = from; i < from + count; i += chunk) {
    const now = Date.now();
    const records = Array.from({ length: Math.min(chunk, from + count - i) }, (_, k) => {
      const tx = transaction(i + k, now);
      return { key: tx.card_id, value: tx };
    });
    await producer.sendMany([{ topic: name, records }]);
  }
}

/**
 * Polls until `done()` reaches `target`; the rate is target / (time since `started()` first became
 * true), `started` marking the first fetched batch, so group joins are not counted.
 */
async function rateUntil(
  started: () => boolean,
  done: () => number,
  target: number,
  timeoutMs: number,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let firstAt = 0;
  for (;;) {
    if (firstAt === 0 && started()) firstAt = performance.now();
    const c = done();
    if (c >= target) return (c / (performance.now() - firstAt)) * 1000;
    if (Date.now() > deadline) throw new Error(`timed out at ${c}/${target}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** CPU time this process has used (every thread: the scorer's ONNX worker too), in ms. */
function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/** A phase's rate, and this process's CPU time per 1,000 transactions over it (less moved by other processes than the rate). */
interface PhaseResult {
  readonly rate: number;
  readonly cpuMsPer1k: number;
}

/** (a) Bare consume -> produce of raw bytes, committing after the produce is acknowledged. */
async function passthrough(kafka: Kafka, source: string, sink: string): Promise<PhaseResult> {
  const cpuStart = cpuMs();
  const producer = createIdempotentProducer(kafka);
  await producer.connect();
  const consumer = kafka.consumer({
    groupId: `bench.passthrough.${randomUUID()}`,
    maxWaitTimeInMs: 20,
    maxBytesPerPartition: FETCH_BYTES,
  });
  await consumer.connect();
  await consumer.subscribe({ topic: source, fromBeginning: true });
  let relayed = 0;
  let fetched = false;
  await consumer.run({
    autoCommit: false,
    partitionsConsumedConcurrently: PARTITIONS,
    eachBatch: async (payload) => {
      const { batch } = payload;
      fetched = true;
      await producer.sendBatch({
        acks: -1,
        topicMessages: [
          { topic: sink, messages: batch.messages.map((m) => ({ key: m.key, value: m.value })) },
        ],
      });
      payload.resolveOffset(batch.lastOffset());
      await consumer.commitOffsets([
        {
          topic: batch.topic,
          partition: batch.partition,
          offset: (BigInt(batch.lastOffset()) + 1n).toString(),
        },
      ]);
      relayed += batch.messages.length;
    },
  });
  const rate = await rateUntil(
    () => fetched,
    () => relayed,
    COUNT,
    120_000,
  );
  const cpuMsPer1k = ((cpuMs() - cpuStart) / relayed) * 1000;
  await consumer.disconnect();
  await producer.disconnect();
  return { rate, cpuMsPer1k };
}

/** (b) One message at a time on the event loop: decode, features, ONNX run, encode, produce. */
async function naive(kafka: Kafka, serde: AvroSerde, source: string, sink: string, model: Uint8Array) {
  const session = await ort.InferenceSession.create(model, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  const pipeline = new FeaturePipeline();
  const producer = new AvroProducer(createIdempotentProducer(kafka), serde);
  await producer.producer.connect();
  const consumer = kafka.consumer({ groupId: `bench.naive.${randomUUID()}`, maxWaitTimeInMs: 20 });
  await consumer.connect();
  await consumer.subscribe({ topic: source, fromBeginning: true });
  let scored = 0;
  let firstAt = 0;
  await consumer.run({
    eachMessage: async ({ message }) => {
      if (firstAt === 0) firstAt = performance.now();
      const tx = validateTransaction(await serde.decode(message.value));
      const [vector = []] = await pipeline.computeBatch([tx]);
      const input = new ort.Tensor('float32', Float32Array.from(vector), [1, vector.length]);
      const output = await session.run({ features: input });
      const score = Number((output.score?.data as Float32Array)[0]);
      const record: Score = {
        transaction_id: tx.transaction_id,
        card_id: tx.card_id,
        terminal_id: tx.terminal_id,
        amount: tx.amount,
        event_time: tx.event_time,
        ingest_time: tx.ingest_time,
        scored_at: Date.now(),
        score,
        threshold: 0.5,
        is_alert: score >= 0.5,
        model_version: 'naive',
        role: 'CHAMPION',
        feature_set_version: FEATURE_SET_VERSION,
        features: vector,
      };
      await producer.sendMany([{ topic: sink, records: [{ key: tx.card_id, value: record }] }]);
      scored++;
    },
  });
  const deadline = Date.now() + NAIVE_SECONDS * 1000;
  while (Date.now() < deadline && scored < COUNT) await new Promise((resolve) => setTimeout(resolve, 50));
  const rate = (scored / (performance.now() - firstAt)) * 1000;
  await consumer.disconnect();
  await producer.producer.disconnect();
  await session.release();
  return rate;
}

/** Deletes the feature state the rounds left in Redis (their key prefixes). */
async function deleteKeys(url: string, prefixes: readonly string[]): Promise<void> {
  const redis = new Redis(url);
  try {
    for (const prefix of prefixes) {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
        if (keys.length > 0) await redis.del(...keys);
        cursor = next;
      } while (cursor !== '0');
    }
  } finally {
    redis.disconnect();
  }
}

function counterValue(registry: MetricsRegistry, name: string, topicName: string): number {
  const metric = registry.registry.getSingleMetric(name) as unknown as
    { hashMap?: Record<string, { value: number; labels: Record<string, string> }> } | undefined;
  let total = 0;
  for (const entry of Object.values(metric?.hashMap ?? {}))
    if (entry.labels.topic === topicName) total += entry.value;
  return total;
}

/** A histogram's count, sum and cumulative bucket counts (all label sets together). */
interface HistogramSnapshot {
  readonly count: number;
  readonly sum: number;
  readonly buckets: ReadonlyMap<number, number>;
}

async function histogramSnapshot(registry: MetricsRegistry, name: string): Promise<HistogramSnapshot> {
  const metric = registry.registry.getSingleMetric(name);
  let count = 0;
  let sum = 0;
  const buckets = new Map<number, number>();
  // A histogram's values carry the series name (`_bucket`, `_sum`, `_count`); prom-client's type omits it.
  const values = (metric ? (await metric.get()).values : []) as readonly {
    metricName?: string;
    value: number;
    labels: Record<string, string | number | undefined>;
  }[];
  for (const v of values) {
    if (v.metricName === `${name}_count`) count += v.value;
    else if (v.metricName === `${name}_sum`) sum += v.value;
    else if (v.metricName === `${name}_bucket`) {
      const le = Number(v.labels.le);
      buckets.set(le, (buckets.get(le) ?? 0) + v.value);
    }
  }
  return { count, sum, buckets };
}

/**
 * What a histogram recorded between two snapshots: the count, the mean and the upper bound of the
 * bucket holding the p50 and the p99 (the histograms keep buckets, not samples), scaled by `unit`.
 */
function histogramDelta(before: HistogramSnapshot, after: HistogramSnapshot, unit: number) {
  const count = after.count - before.count;
  const bound = (p: number): number => {
    for (const [le, n] of [...after.buckets].sort(([a], [b]) => a - b))
      if (n - (before.buckets.get(le) ?? 0) >= (p / 100) * count) return le * unit;
    return Number.NaN;
  };
  return {
    count,
    mean: count > 0 ? Number((((after.sum - before.sum) / count) * unit).toFixed(2)) : Number.NaN,
    p50_bucket: bound(50),
    p99_bucket: bound(99),
  };
}

/** The transport's histograms of the exactly-once commits and of the fetched batches. */
async function transportSnapshot(registry: MetricsRegistry) {
  return {
    transaction: await histogramSnapshot(registry, 'fraudstream_kafka_transaction_duration_seconds'),
    batches: await histogramSnapshot(registry, 'fraudstream_kafka_transaction_size_batches'),
    batch: await histogramSnapshot(registry, 'fraudstream_kafka_batch_duration_seconds'),
  };
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] ?? Number.NaN;
}

/** Reads every score record of `name` and returns scored_at - ingest_time (ms) of those with index >= from. */
async function latencies(kafka: Kafka, serde: AvroSerde, name: string, from: number, expected: number) {
  const consumer = kafka.consumer({ groupId: `bench.latency.${randomUUID()}`, maxWaitTimeInMs: 50 });
  await consumer.connect();
  await consumer.subscribe({ topic: name, fromBeginning: true });
  const values: number[] = [];
  let seen = 0;
  await consumer.run({
    eachMessage: async ({ message }) => {
      seen++;
      const score = await serde.decode<Score>(message.value);
      if (Number(score.transaction_id.slice(3)) >= from) values.push(score.scored_at - score.ingest_time);
    },
  });
  const deadline = Date.now() + 60_000;
  while (seen < expected && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  await consumer.disconnect();
  return values.sort((a, b) => a - b);
}

/** Most records the paced producer sends in one request (a few hundred KiB of transactions). */
const PACED_SLICE = 2000;

/** Child process: produces `count` transactions from index `from` at `rate` per second. */
async function paced(name: string, rate: number, count: number, from: number): Promise<void> {
  const kafkaConfig = loadConfig(kafkaConfigSchema);
  const kafka = createKafkaClient(kafkaConfig, 'bench-paced');
  const producer = new AvroProducer(
    createIdempotentProducer(kafka),
    AvroSerde.connect(kafkaConfig.SCHEMA_REGISTRY_URL),
  );
  await producer.producer.connect();
  const started = performance.now();
  for (let sent = 0; sent < count;) {
    // Caught up in slices: after a stall (a GC pause, the profiler starting) one request of all the
    // records due would hold a partition batch over the broker's message.max.bytes (1 MiB).
    const target = Math.min(count, Math.round(((performance.now() - started) / 1000) * rate));
    const due = Math.min(target, sent + PACED_SLICE);
    if (due > sent) {
      const now = Date.now();
      const records = Array.from({ length: due - sent }, (_, k) => {
        const tx = transaction(from + sent + k, now);
        return { key: tx.card_id, value: tx };
      });
      await producer.sendMany([{ topic: name, records }]);
      sent = due;
    }
    if (sent === target) await new Promise((resolve) => setTimeout(resolve, 5));
  }
  await producer.producer.disconnect();
}

async function main(): Promise<void> {
  const pacedArg = process.argv.indexOf('--paced');
  if (pacedArg >= 0) {
    const [name = '', rate, count, from] = process.argv.slice(pacedArg + 1);
    return paced(name, Number(rate), Number(count), Number(from));
  }
  Logger.overrideLogger(['error', 'warn']);
  if (REPLICAS > 1 && processEnv().FEATURE_STORE !== 'redis')
    throw new Error('--replicas needs FEATURE_STORE=redis: replicas share the feature state there');
  const jsonPath = jsonPathFromArgs(process.argv, 'scorer');
  // Other processes on the machine skew every number: the load average goes into the report.
  const loadStart = loadavg()[0] ?? 0;
  const kafkaConfig = loadConfig(kafkaConfigSchema);
  const kafka = createKafkaClient(kafkaConfig, 'bench-scorer');
  const serde = AvroSerde.connect(kafkaConfig.SCHEMA_REGISTRY_URL);
  const root = mkdtempSync(join(tmpdir(), 'bench-scorer-'));
  const spec = randomMlpSpec(FEATURE_NAMES.length, HIDDEN, 7);
  const fixture = writeModelFixture(root, {
    version: 'bench-v1',
    featureNames: FEATURE_NAMES,
    featureSetVersion: FEATURE_SET_VERSION,
    spec,
    threshold: 0.9,
  });

  const source = await topic(kafka, serde, 'tx', 'tx.transactions.v1.avsc', PARTITIONS);
  const rawSink = await topic(kafka, serde, 'passthrough', null, PARTITIONS);
  const naiveSink = await topic(kafka, serde, 'naive-scores', 'tx.scores.v1.avsc', PARTITIONS);
  const scores = await topic(kafka, serde, 'scores', 'tx.scores.v1.avsc', PARTITIONS);
  const alerts = await topic(kafka, serde, 'alerts', 'fraud.alerts.v1.avsc');
  const labels = await topic(kafka, serde, 'labels', 'fraud.labels.v1.avsc');
  const deployments = await topic(kafka, serde, 'deployments', 'ml.model-deployments.v1.avsc');

  const producer = new AvroProducer(createIdempotentProducer(kafka), serde);
  await producer.producer.connect();
  console.log(`producing ${COUNT} transactions to ${source} (${PARTITIONS} partitions)`);
  await produceBacklog(producer, source, 0, COUNT);

  // `--skip a,b` leaves phases out (profiling one of them).
  const skipArg = process.argv.indexOf('--skip');
  const skip = new Set(skipArg >= 0 ? (process.argv[skipArg + 1] ?? '').split(',') : []);
  console.log(`(b) naive eachMessage scoring (at most ${NAIVE_SECONDS} s)`);
  const naiveRate = skip.has('b')
    ? Number.NaN
    : await naive(kafka, serde, source, naiveSink, buildMlpOnnx(spec));

  // (a) and (c) alternate for ROUNDS rounds, each keeping its best: other processes on a shared
  // machine slow whichever phase they overlap, and the ratio should compare the two at their best.
  // Each scorer round reads the backlog again under a fresh consumer group.
  let passthroughRate = Number.NaN;
  let scorerRate = 0;
  let passthroughCpu = Number.NaN;
  let scorerCpu = Number.NaN;
  let apps: INestApplicationContext[] = [];
  const keyPrefixes: string[] = [];
  let config: ScorerConfig | undefined;
  let produced: () => number = () => 0;
  const profiler = new PhaseProfiler(profileDir());
  for (let round = 1; round <= ROUNDS; round++) {
    if (!skip.has('a')) {
      console.log(`(a) passthrough, round ${round}`);
      const { rate, cpuMsPer1k } = await passthrough(kafka, source, rawSink);
      passthroughRate = Number.isNaN(passthroughRate) ? rate : Math.max(passthroughRate, rate);
      passthroughCpu = Number.isNaN(passthroughCpu) ? cpuMsPer1k : Math.min(passthroughCpu, cpuMsPer1k);
    }
    console.log(`(c) scorer, round ${round}`);
    for (const running of apps) await running.close();
    // Each round counts the same transactions again: a fresh feature state (in Redis, its own keys).
    const keyPrefix = `bench:scorer:${randomUUID().slice(0, 8)}`;
    keyPrefixes.push(keyPrefix);
    config = loadScorerConfig({
      ...processEnv(),
      TRANSACTIONS_TOPIC: source,
      SCORES_TOPIC: scores,
      ALERTS_TOPIC: alerts,
      LABELS_TOPIC: labels,
      DEPLOYMENTS_TOPIC: deployments,
      SCORER_GROUP_ID: `bench.scorer.${randomUUID()}`,
      SCORER_LABELS_GROUP_ID: `bench.scorer-labels.${randomUUID()}`,
      SCORER_DEPLOYMENTS_REPLAY_TIMEOUT_MS: '5000',
      MODEL_PATH: fixture.artifactUri,
      SCORER_MAX_BYTES_PER_PARTITION: String(FETCH_BYTES),
      FEATURE_STORE_KEY_PREFIX: keyPrefix,
      LOG_LEVEL: 'warn',
    });
    const roundConfig = config;
    apps = await Promise.all(
      Array.from({ length: REPLICAS }, async () => {
        const started = await NestFactory.createApplicationContext(ScorerModule.forRoot(roundConfig), {
          logger: ['error', 'warn'],
        });
        await started.init();
        return started;
      }),
    );
    const registries = apps.map((a) => a.get(MetricsRegistry));
    produced = () =>
      registries.reduce(
        (n, registry) => n + counterValue(registry, 'fraudstream_scorer_records_produced_total', scores),
        0,
      );
    // The transport counts a batch as consumed when it is fetched, before it is handled.
    const consumed = () =>
      registries.some(
        (registry) => counterValue(registry, 'fraudstream_kafka_messages_consumed_total', source) > 0,
      );
    await profiler.start();
    const cpuStart = cpuMs();
    scorerRate = Math.max(scorerRate, await rateUntil(consumed, produced, COUNT, 120_000));
    const cpuMsPer1k = ((cpuMs() - cpuStart) / produced()) * 1000;
    scorerCpu = Number.isNaN(scorerCpu) ? cpuMsPer1k : Math.min(scorerCpu, cpuMsPer1k);
    await profiler.stop(`scorer-backlog-round-${round}`);
  }
  const app = apps[0];
  if (!app || !config) throw new Error('no scorer round ran');

  // `--half-rate R` fixes the paced rate (comparing builds at the same load).
  const halfRate = numberArg('--half-rate', scorerRate / 2);
  console.log(`half load: ${halfRate.toFixed(0)} tx/s for ${LATENCY_SECONDS} s`);
  const halfCount = Math.round(halfRate * LATENCY_SECONDS);
  // The load comes from a separate process, as producers are in production, not from the scorer's event loop.
  await profiler.start();
  const registry = app.get(MetricsRegistry);
  const transportBefore = await transportSnapshot(registry);
  const child = fork(__filename, ['--paced', source, String(halfRate), String(halfCount), String(COUNT)], {
    stdio: 'inherit',
  });
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`paced producer exited with ${code}`);
  const deadline = Date.now() + 60_000;
  while (produced() < COUNT + halfCount && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  await profiler.stop('scorer-half-load');
  const transportAfter = await transportSnapshot(registry);
  for (const running of apps) await running.close();
  if (config.FEATURE_STORE === 'redis') await deleteKeys(config.REDIS_URL, keyPrefixes);
  await producer.producer.disconnect();

  // The first second of the paced phase is left out: it overlaps the end of the backlog.
  const warm = COUNT + Math.round(halfRate);
  const lat = await latencies(kafka, serde, scores, warm, ROUNDS * COUNT + halfCount);
  rmSync(root, { recursive: true, force: true });

  const results = {
    load_average_1m_start: Number(loadStart.toFixed(2)),
    load_average_1m_end: Number((loadavg()[0] ?? 0).toFixed(2)),
    passthrough_tx_per_s: Math.round(passthroughRate),
    naive_tx_per_s: Math.round(naiveRate),
    scorer_tx_per_s: Math.round(scorerRate),
    ratio: Number((scorerRate / passthroughRate).toFixed(3)),
    // CPU time of this process per 1,000 transactions (best round of each): what a phase costs the
    // machine's cores, which other processes move less than they move the rates.
    passthrough_cpu_ms_per_1k_tx: Number(passthroughCpu.toFixed(1)),
    scorer_cpu_ms_per_1k_tx: Number(scorerCpu.toFixed(1)),
    cpu_ratio: Number((passthroughCpu / scorerCpu).toFixed(3)),
    p50_ms_half_load: percentile(lat, 50),
    p99_ms_half_load: percentile(lat, 99),
    half_load_tx_per_s: Math.round(halfRate),
    // The transport's own histograms over the half-load phase (bucket bounds, not samples, for p50/p99).
    half_load_transaction_ms: histogramDelta(transportBefore.transaction, transportAfter.transaction, 1000),
    half_load_batches_per_transaction: histogramDelta(transportBefore.batches, transportAfter.batches, 1),
    half_load_batch_ms: histogramDelta(transportBefore.batch, transportAfter.batch, 1000),
    latency_samples: lat.length,
    transactions: COUNT,
    rounds: ROUNDS,
    partitions: PARTITIONS,
    replicas: REPLICAS,
    feature_store: config.FEATURE_STORE,
    align_replicas: config.FEATURE_STORE === 'redis' && config.SCORER_ALIGN_REPLICAS,
    max_event_time_skew_ms: config.SCORER_MAX_EVENT_TIME_SKEW_MS,
    model_hidden_units: HIDDEN,
    max_batch_size: config.SCORER_MAX_BATCH_SIZE,
    max_wait_ms: config.SCORER_MAX_WAIT_MS,
    exactly_once: config.SCORER_EXACTLY_ONCE,
    group_commit: config.SCORER_EXACTLY_ONCE && config.SCORER_GROUP_COMMIT,
    goal_ratio_met: scorerRate / passthroughRate >= 0.6,
    goal_p99_met: percentile(lat, 99) <= 50,
  };
  reportBench('scorer benchmark', jsonPath, results);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.exit(1);
  },
);
