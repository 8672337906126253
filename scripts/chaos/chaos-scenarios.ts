import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Env } from '@fraudstream/config';
import type { Label, ModelDeployment, RetrainRequest } from '@fraudstream/contracts';
import type { AvroSerde, Kafka } from '@fraudstream/kafka';
import { readTopicSnapshot } from '@fraudstream/training';
import { runCli, type AppProcess } from '../demo/app-process';
import { emptyResult, type ScenarioResult } from './chaos-report';
import { ChaosStack, MODELS_CLI } from './chaos-stack';
import {
  killService,
  ownsService,
  repositoryRoot,
  startService,
  stopService,
  type LocalService,
} from './infra-control';
import { LoadGenerator } from './load-generator';
import { ScoreObserver } from './score-observer';

/** How hard and how long: the full suite, or the smaller one `npm test` runs. */
export interface ChaosSettings {
  readonly quick: boolean;
  /** Transactions per second of the background load (bounded: at most 1000). */
  readonly rate: number;
  /** Scorer replicas in the SIGKILL scenario. */
  readonly replicas: number;
  /** SIGKILLs of a scorer in the SIGKILL scenario. */
  readonly kills: number;
  /** How long the broker and the registry stay down. */
  readonly outageSeconds: number;
  readonly partitions: number;
  readonly logDir: string;
  /** The environment the apps start from (broker, registry, log settings). */
  readonly env: Env;
}

export interface ChaosContext {
  readonly kafka: Kafka;
  readonly serde: AvroSerde;
  readonly settings: ChaosSettings;
  readonly log: (line: string) => void;
}

/** The scorer's count of feature-state gaps (apps/scorer/src/scorer.metrics.ts). */
const FEATURE_STATE_GAPS = 'fraudstream_scorer_feature_state_gaps_total';

/** Recovery a SIGKILLed scorer must meet (docs/reliability.md). */
export const SCORER_RECOVERY_LIMIT_S = 10;

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(condition: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return true;
    await delay(200);
  }
  return false;
}

/** What a scenario's fault did, for the result. */
interface FaultOutcome {
  readonly fault: string;
  readonly recoverySeconds: number | null;
  readonly expectedModel?: string;
  readonly poisonInjected?: number;
  readonly expectedLetters?: Readonly<Record<string, number>>;
  readonly recoveryLimitSeconds?: number;
  readonly ok?: boolean;
  readonly notes?: readonly string[];
}

/** A scenario whose fault runs while transactions stream through the scorers. */
interface StreamRun {
  readonly stack: ChaosStack;
  readonly load: LoadGenerator;
  readonly observer: ScoreObserver;
  readonly scorers: AppProcess[];
}

/**
 * The frame of every scenario: its own topics and registry, `replicas` scorer processes, a steady
 * load; after a warm-up the fault runs; the load goes on for a few seconds more, then stops, and
 * the scenario waits for every acknowledged transaction to be scored (or 90 s) before counting.
 */
async function streamScenario(
  ctx: ChaosContext,
  name: string,
  replicas: number,
  fault: (run: StreamRun) => Promise<FaultOutcome>,
  options: {
    readonly eventStepMs?: number;
    readonly warmupScored?: number;
    /** The scorers run exactly-once: a read_committed reader must see no duplicate. */
    readonly noDuplicates?: boolean;
    /** Settings of this scenario's apps on top of the suite's (e.g. the Redis feature store). */
    readonly env?: Env;
  } = {},
): Promise<ScenarioResult> {
  const started = Date.now();
  const stack = new ChaosStack(
    name,
    ctx.kafka,
    ctx.serde,
    { ...ctx.settings.env, ...options.env },
    ctx.settings.logDir,
    ctx.settings.partitions,
  );
  const observer = new ScoreObserver(ctx.kafka, ctx.serde);
  try {
    await stack.prepare();
    await observer.start(stack.topics.scores, `${stack.topics.transactions}.dlq`);
    const scorers: AppProcess[] = [];
    for (let i = 0; i < replicas; i++) scorers.push(await stack.startApp('scorer', `scorer-${i}`));
    const load = new LoadGenerator(
      stack.producer,
      stack.topics.transactions,
      `chaos-${stack.id}`,
      ctx.settings.rate,
      options.eventStepMs,
    );
    load.startStreaming();
    await until(() => observer.scoreCounts.size >= (options.warmupScored ?? ctx.settings.rate * 2), 120_000);
    ctx.log(`${name}: warmed up (${observer.scoreCounts.size} scored); applying the fault`);
    const outcome = await fault({ stack, load, observer, scorers });
    await delay(5000);
    await load.stop();
    await until(() => [...load.produced.keys()].every((id) => observer.scoreCounts.has(id)), 90_000);
    const serving = await stack.servingVersions();
    const lost = [...load.produced.keys()].filter((id) => !observer.scoreCounts.has(id)).length;
    const deadLetters = Object.fromEntries(observer.deadLetters);
    const expectedLetters = outcome.expectedLetters ?? {};
    const lettersRight =
      JSON.stringify(Object.entries(deadLetters).sort()) ===
      JSON.stringify(Object.entries(expectedLetters).sort());
    const expectedModel = outcome.expectedModel ?? 'v1';
    const modelRight = serving.length === 1 && serving[0] === expectedModel;
    const limit = outcome.recoveryLimitSeconds;
    const recoveredInTime =
      limit === undefined || (outcome.recoverySeconds !== null && outcome.recoverySeconds <= limit);
    const notes = [...(outcome.notes ?? [])];
    if (!lettersRight)
      notes.push(`dead letters ${JSON.stringify(deadLetters)}, expected ${JSON.stringify(expectedLetters)}`);
    if (!recoveredInTime) notes.push(`recovery over the ${limit} s limit`);
    const duplicatesRight = !options.noDuplicates || observer.duplicates === 0;
    if (!duplicatesRight) notes.push(`${observer.duplicates} duplicate score records on read_committed`);
    return {
      scenario: name,
      fault: outcome.fault,
      produced: load.produced.size,
      scoredDistinct: [...load.produced.keys()].filter((id) => observer.scoreCounts.has(id)).length,
      lost,
      duplicates: observer.duplicates,
      duplicatesReadUncommitted: observer.uncommittedDuplicates,
      deadLetters,
      poisonInjected: outcome.poisonInjected ?? 0,
      recoverySeconds: outcome.recoverySeconds,
      servingModel: { expected: expectedModel, actual: serving, right: modelRight },
      passed:
        lost === 0 &&
        lettersRight &&
        modelRight &&
        recoveredInTime &&
        duplicatesRight &&
        (outcome.ok ?? true),
      notes,
      seconds: (Date.now() - started) / 1000,
    };
  } finally {
    await observer.stop().catch(() => undefined);
    await stack.stop().catch(() => undefined);
  }
}

/** Waits until scoring of new transactions resumed on every partition after `from`; seconds, or null after 60 s. */
async function recovery(run: StreamRun, from: number): Promise<number | null> {
  let seconds: number | null = null;
  await until(() => (seconds = run.observer.recoverySeconds(from, run.load.produced)) !== null, 60_000);
  return seconds;
}

/** SIGKILL of a scorer replica (the next one each time), restarted at once as an orchestrator would. */
export function scorerSigkill(ctx: ChaosContext): Promise<ScenarioResult> {
  const { replicas, kills } = ctx.settings;
  return streamScenario(
    ctx,
    'scorer-sigkill',
    replicas,
    async (run) => {
      const recoveries: number[] = [];
      for (let k = 0; k < kills; k++) {
        const victim = run.scorers[k % run.scorers.length];
        if (!victim) break;
        const killedAt = Date.now();
        victim.killNow();
        await until(() => !victim.running, 10_000);
        await run.stack.restartApp(victim);
        const seconds = await recovery(run, killedAt);
        ctx.log(
          `scorer-sigkill: kill ${k + 1}/${kills}: scoring resumed on every partition after ${seconds ?? '?'} s`,
        );
        if (seconds === null)
          return { fault: 'SIGKILL', recoverySeconds: null, notes: ['scoring did not resume'] };
        recoveries.push(seconds);
        await delay(3000);
      }
      return {
        fault: `SIGKILL of a scorer ${kills}x (${replicas} replicas), restarted at once`,
        recoverySeconds: Math.max(...recoveries),
        recoveryLimitSeconds: SCORER_RECOVERY_LIMIT_S,
        notes: [`recovery per kill: ${recoveries.map((s) => s.toFixed(1)).join(', ')} s`],
      };
    },
    { noDuplicates: true },
  );
}

/**
 * A zombie scorer: one replica frozen (SIGSTOP) mid-stream until the group gave its partitions to the
 * other (the session timeout) and their new owner fenced its transactional producers, then resumed
 * (SIGCONT) with whatever batch it held. Exactly-once, its late commits must fail: no duplicate.
 */
export function scorerZombie(ctx: ChaosContext): Promise<ScenarioResult> {
  const { kills } = ctx.settings;
  const replicas = Math.max(2, ctx.settings.replicas);
  return streamScenario(
    ctx,
    'scorer-zombie',
    replicas,
    async (run) => {
      const recoveries: number[] = [];
      for (let k = 0; k < kills; k++) {
        const victim = run.scorers[k % run.scorers.length];
        const pid = victim?.pid;
        if (!victim || pid === undefined) break;
        const frozenAt = Date.now();
        process.kill(pid, 'SIGSTOP');
        const seconds = await recovery(run, frozenAt);
        process.kill(pid, 'SIGCONT');
        ctx.log(
          `scorer-zombie: freeze ${k + 1}/${kills}: the other replica scored every partition after ${seconds ?? '?'} s; resumed`,
        );
        if (seconds === null)
          return { fault: 'SIGSTOP', recoverySeconds: null, notes: ['scoring did not resume'] };
        recoveries.push(seconds);
        await delay(3000);
      }
      return {
        fault: `SIGSTOP of a scorer until its partitions moved, then SIGCONT, ${kills}x (${replicas} replicas)`,
        recoverySeconds: Math.max(...recoveries),
        recoveryLimitSeconds: SCORER_RECOVERY_LIMIT_S,
        notes: [`takeover per freeze: ${recoveries.map((s) => s.toFixed(1)).join(', ')} s`],
      };
    },
    { noDuplicates: true },
  );
}

/**
 * Stops a local service for the outage (SIGTERM, a clean shutdown; or SIGKILL, a crash), starts it
 * again; recovery counts from its return. The scorers run exactly-once, so a read_committed reader
 * must see no duplicate across it.
 */
function serviceOutage(
  ctx: ChaosContext,
  service: LocalService,
  name: string,
  options: { readonly env?: Env; readonly signal?: 'SIGTERM' | 'SIGKILL' } = {},
): Promise<ScenarioResult> {
  const env = options.env ?? {};
  const signal = options.signal ?? 'SIGTERM';
  return streamScenario(
    ctx,
    name,
    1,
    async (run) => {
      if (!(await ownsService(service)))
        return {
          fault: `${service} ${signal === 'SIGKILL' ? 'kill' : 'stop'}/start`,
          recoverySeconds: null,
          ok: false,
          notes: [`skipped: the ${service} answering was not started by scripts/infra.sh here`],
        };
      await (signal === 'SIGKILL' ? killService : stopService)(service);
      const downAt = Date.now();
      // The scorers' /health must say their feature store is away while Redis is.
      const storeUp = async (): Promise<(boolean | null)[]> =>
        Promise.all(
          run.scorers.map(async (s) => {
            const store = (await s.health())?.components['feature-store'] as { up?: boolean } | undefined;
            return store?.up ?? null;
          }),
        );
      let upDuring: (boolean | null)[] = [];
      if (env.FEATURE_STORE === 'redis') {
        const probeAfterMs = Math.min(3000, (ctx.settings.outageSeconds * 1000) / 2);
        await delay(probeAfterMs);
        upDuring = await storeUp();
        await delay(ctx.settings.outageSeconds * 1000 - probeAfterMs);
      } else await delay(ctx.settings.outageSeconds * 1000);
      await startService(service);
      const backAt = Date.now();
      ctx.log(`${name}: ${service} down for ${((backAt - downAt) / 1000).toFixed(1)} s`);
      const seconds = await recovery(run, backAt);
      const firstAck = Math.min(...[...run.load.produced.values()].filter((at) => at > backAt));
      const notes = [
        `recovery counts from the moment ${service} answered again; the load's own producer had its first ack ${((firstAck - backAt) / 1000).toFixed(1)} s after it`,
      ];
      // The feature state must come back with the service that keeps it: a scorer that found its
      // store behind what it had counted says so (fraudstream_scorer_feature_state_gaps_total).
      let stateKept = true;
      let healthRight = true;
      if (env.FEATURE_STORE === 'redis') {
        const gaps = await Promise.all(run.scorers.map((s) => s.metricTotal(FEATURE_STATE_GAPS)));
        stateKept = gaps.every((g) => g === 0);
        notes.push(
          stateKept
            ? 'feature state kept across the restart (no scorer found its store behind what it counted)'
            : `feature state lost: feature-state gaps reported by the scorers ${JSON.stringify(gaps)} (is Redis persistent? scripts/infra.sh runs it with an append-only file)`,
        );
        const upAfter = await storeUp();
        healthRight = upDuring.every((up) => up === false) && upAfter.every((up) => up === true);
        notes.push(
          `/health feature-store up during the outage ${JSON.stringify(upDuring)}, after it ${JSON.stringify(upAfter)}`,
        );
      }
      return {
        fault: `${service} ${signal === 'SIGKILL' ? 'killed' : 'stopped'} (${signal}) for ${((backAt - downAt) / 1000).toFixed(0)} s mid-stream, then started`,
        recoverySeconds: seconds,
        ok: stateKept && healthRight,
        notes,
      };
    },
    { env, noDuplicates: true },
  );
}

export const brokerRestart = (ctx: ChaosContext) => serviceOutage(ctx, 'kafka', 'broker-restart');
/** The broker crashes (SIGKILL: no controlled shutdown, no flush of its logs by it), then starts. */
export const brokerKill = (ctx: ChaosContext) =>
  serviceOutage(ctx, 'kafka', 'broker-kill', { signal: 'SIGKILL' });
export const registryRestart = (ctx: ChaosContext) => serviceOutage(ctx, 'registry', 'registry-restart');
/** The scorer keeps its feature state in Redis (as with several replicas), and Redis restarts. */
export const redisRestart = (ctx: ChaosContext) =>
  serviceOutage(ctx, 'redis', 'redis-restart', { env: { FEATURE_STORE: 'redis' } });

/** A burst of records that can never be scored, mid-stream: each must be dead-lettered with its reason. */
export function poisonBurst(ctx: ChaosContext): Promise<ScenarioResult> {
  return streamScenario(ctx, 'poison-burst', 1, async (run) => {
    const { stack, load } = run;
    const topic = stack.topics.transactions;
    const valid = await stack.serde.encode(topic, load.transaction(1_000_000));
    const random = Array.from({ length: 20 }, (_, i) =>
      Buffer.concat([
        Buffer.from([0xff]),
        Buffer.from(Array.from({ length: 40 }, (_, j) => (i * 31 + j * 17) % 256)),
      ]),
    );
    const wrongMagic = Array.from({ length: 10 }, () => Buffer.concat([Buffer.from([1]), valid.subarray(1)]));
    const unknownSchema = Array.from({ length: 10 }, () =>
      Buffer.concat([Buffer.from([0, 0x7f, 0xff, 0xff, 0xf0]), valid.subarray(5)]),
    );
    const base = load.transaction(1_000_001);
    const outOfRange = await Promise.all(
      [
        { ...base, transaction_id: 'neg', amount: -5 },
        { ...base, transaction_id: 'nan', amount: Number.NaN },
        { ...base, transaction_id: 'y3000', event_time: Date.UTC(3000, 0, 1) },
        { ...base, transaction_id: 'y2099', event_time: Date.UTC(2099, 0, 1) },
        { ...base, transaction_id: 'y1970', event_time: 1000 },
        { ...base, transaction_id: 'empty-card', card_id: '' },
        { ...base, transaction_id: 'x'.repeat(500) },
        { ...base, transaction_id: 'currency', currency: 'euros' },
        { ...base, transaction_id: 'huge-amount', amount: 1e12 },
        { ...base, transaction_id: 'blank-terminal', terminal_id: '   ' },
      ].map((t) => stack.serde.encode(topic, t)),
    );
    const huge = await stack.serde.encode(topic, {
      ...base,
      transaction_id: 'huge',
      terminal_id: 't'.repeat(1_000_000),
    });
    const poison = [...random, ...wrongMagic, ...unknownSchema, ...outOfRange, huge];
    await stack.producer.producer.send({
      topic,
      messages: poison.map((value, i) => ({ key: `poison-${i}`, value })),
    });
    // Five payments the stream already carried, sent again (an upstream that retried them): each
    // copy is a duplicate letter, its original scored once.
    const acknowledged = load.produced.size;
    const copies = Array.from({ length: 5 }, (_, k) => load.transaction(acknowledged - 1 - 3 * k));
    await stack.producer.sendMany([{ topic, records: copies.map((t) => ({ key: t.card_id, value: t })) }]);
    return {
      fault:
        'poison burst: 20 random, 10 wrong magic byte, 10 unknown schema id, 10 out-of-range values, one 1 MB record, 5 payments sent again',
      recoverySeconds: null,
      poisonInjected: poison.length + copies.length,
      expectedLetters: { decode: 30, 'unknown-schema': 10, validation: 11, duplicate: 5 },
    };
  });
}

/**
 * A model artifact altered after registration: the registry (through the models CLI) refuses to
 * promote it; and a scorer restarted after its serving version's artifact was altered comes back
 * on the previous version that verifies.
 */
export function tamperedArtifact(ctx: ChaosContext): Promise<ScenarioResult> {
  return streamScenario(ctx, 'tampered-artifact', 1, async (run) => {
    const { stack } = run;
    const notes: string[] = [];
    const artifact = join(stack.registryRoot, 'v2', 'model.onnx');
    const original = readFileSync(artifact);
    writeFileSync(artifact, Buffer.from('altered after registration'));
    const cli = await runCli(
      MODELS_CLI,
      ['promote', 'v2', '--root', stack.registryRoot],
      stack.appEnv({ LOG_LEVEL: 'error' }),
      join(stack.logDir, `${stack.name}-models-cli.log`),
    );
    const refused = cli.code === 1 && (await stack.registry.productionVersion()) === 'v1';
    notes.push(
      `models promote of the altered v2: exit ${cli.code}, registry production ${await stack.registry.productionVersion()}`,
    );

    // Deployed intact, altered afterwards: the running scorer keeps the verified bytes it loaded;
    // a restarted one replays "v2 in production", refuses the bytes and falls back to v1.
    writeFileSync(artifact, original);
    await stack.announcer.transition('v2', 'PRODUCTION', {
      actor: 'chaos',
      reason: 'promote',
      eventTime: Date.now(),
    });
    await until(async () => (await stack.servingVersions()).join() === 'v2', 30_000);
    writeFileSync(artifact, Buffer.from('altered after deployment'));
    const scorer = run.scorers[0];
    let seconds: number | null = null;
    if (scorer) {
      const killedAt = Date.now();
      scorer.killNow();
      await until(() => !scorer.running, 10_000);
      await stack.restartApp(scorer);
      seconds = await recovery(run, killedAt);
    }
    return {
      fault: 'v2 altered after registration (promote), then after deployment (scorer restart)',
      recoverySeconds: seconds,
      expectedModel: 'v1',
      ok: refused,
      notes,
    };
  });
}

/** SIGKILL of the drift monitor mid-stream: it restarts from its checkpoint and consumes again. */
export function driftMonitorSigkill(ctx: ChaosContext): Promise<ScenarioResult> {
  return streamScenario(ctx, 'drift-monitor-sigkill', 1, async (run) => {
    const { stack } = run;
    const drift = await stack.startApp('drift-monitor', 'drift-monitor', {}, 90_000);
    const groupId = stack.appEnv().DRIFT_GROUP_ID ?? '';
    const committed = async (): Promise<number> => {
      const admin = ctx.kafka.admin();
      await admin.connect();
      try {
        const [group] = await admin.fetchOffsets({ groupId, topics: [stack.topics.scores] });
        return (group?.partitions ?? []).reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
      } finally {
        await admin.disconnect();
      }
    };
    await until(async () => (await committed()) > 0, 60_000);
    const killedAt = Date.now();
    drift.killNow();
    await until(() => !drift.running, 10_000);
    const atKill = await committed();
    await stack.restartApp(drift, {}, 90_000);
    const resumed = await until(async () => (await committed()) > atKill, 60_000);
    const seconds = resumed ? (Date.now() - killedAt) / 1000 : null;
    ctx.log(`drift-monitor-sigkill: committing again ${seconds ?? '?'} s after the kill`);
    return {
      fault: 'SIGKILL of the drift monitor mid-stream, restarted at once',
      recoverySeconds: seconds,
      ok: resumed,
      notes: [
        'recovery: from the kill until its group committed past the offsets it had (checkpoint restored)',
      ],
    };
  });
}

/** SIGKILL of the trainer mid-job: the restarted worker answers the request, once, and the topic holds every registry transition. */
export function trainerSigkill(ctx: ChaosContext): Promise<ScenarioResult> {
  return streamScenario(
    ctx,
    'trainer-sigkill',
    1,
    async (run) => {
      const { stack, load } = run;
      const trainer = await stack.startApp('trainer', 'trainer', {}, 150_000);
      // A window whose rows are all mature (its end is more than the 7-day chargeback window before the
      // request), one in 25 labelled fraud: a real fine-tuning run, long enough to be killed in.
      const rows = load.produced.size;
      const labels: Label[] = [];
      for (let i = 0; i < rows; i += 25) {
        const t = load.transaction(i);
        labels.push({
          transaction_id: t.transaction_id,
          card_id: t.card_id,
          terminal_id: t.terminal_id,
          is_fraud: true,
          source: 'ANALYST',
          transaction_time: t.event_time,
          event_time: t.event_time + 3_600_000,
        });
      }
      await stack.producer.sendMany([
        { topic: stack.topics.labels, records: labels.map((l) => ({ key: l.transaction_id, value: l })) },
      ]);
      const windowEnd = load.transaction(rows).event_time;
      const request: RetrainRequest = {
        request_id: `chaos-${stack.id}`,
        model_version: 'v1',
        trigger: 'MANUAL',
        reason: 'chaos',
        severity: 'LOW',
        drift_event_id: null,
        window_start: load.transaction(0).event_time,
        window_end: windowEnd,
        event_time: windowEnd + 8 * 86_400_000,
      };
      await stack.producer.sendMany([
        { topic: stack.topics.retrainRequests, records: [{ key: request.request_id, value: request }] },
      ]);
      // Mid-job: once the job has read its scores, before it answers.
      const log = join(stack.logDir, `${stack.name}-trainer.log`);
      const midJob = await until(
        () => existsSync(log) && readFileSync(log, 'utf8').includes('read scores'),
        90_000,
      );
      trainer.killNow();
      await until(() => !trainer.running, 10_000);
      // The restarted worker waits for its dead member to leave the request group (kafkajs's 60 s
      // rebalance timeout under the trainer's long session timeout, which long jobs need).
      const killedAt = Date.now();
      await stack.restartApp(trainer, {}, 150_000);
      const answers = async () =>
        (
          await readTopicSnapshot(
            ctx.kafka,
            ctx.serde,
            stack.topics.deployments,
            (v) => v as ModelDeployment,
            30_000,
          )
        ).filter((e) => e.request_id === request.request_id);
      const answered = await until(async () => (await answers()).length > 0, 180_000);
      const answeredAt = Date.now();
      const entries = await stack.registry.entriesForRequest(request.request_id);
      const ids = new Set((await answers()).map((e) => e.deployment_id));
      const announced = entries.every((e) => e.deployment_id === null || ids.has(e.deployment_id));
      const outcomes = entries
        .filter((e) => e.action !== 'REGISTERED')
        .map((e) => `${e.action}:${e.to_stage ?? '-'}`);
      return {
        fault: `SIGKILL of the trainer ${midJob ? 'after its job read the scores' : 'before the job was seen to start'}, restarted at once`,
        recoverySeconds: answered ? (answeredAt - killedAt) / 1000 : null,
        ok: answered && announced && outcomes.length === 1,
        notes: [
          `request answered: ${answered}; registry outcomes for it: ${outcomes.join(', ') || 'none'}; every one on the topic: ${announced}`,
          'recovery: from the kill until the request was answered on the deployments topic',
        ],
      };
    },
    { eventStepMs: TRAINER_EVENT_STEP_MS, warmupScored: (10 * 86_400_000) / TRAINER_EVENT_STEP_MS },
  );
}

/** What the demo's report says of its run (scripts/demo/demo-report.ts), as far as this scenario reads it. */
interface LoopReport {
  readonly produced: number;
  readonly scored: number;
  readonly lost: number;
  readonly duplicates: number;
  readonly interrupted: boolean;
  readonly drift_onset_day: number | null;
  readonly first_retrain_request_day: number | null;
  readonly first_redeployment_day: number | null;
  readonly serving_model: { readonly version: string } | null;
}

/** The demo's time after its history is scored before the broker stops (its live days). */
const LOOP_FAULT_AFTER_HISTORY_MS = 12_000;

/**
 * The whole closed loop under a broker restart: the default demo (headless, no oracle run) with
 * the broker stopped for the outage once its history is scored (SIGTERM; or SIGKILL, a crash), then
 * started. Nothing may be lost
 * or scored twice, and the loop must still close: a retrain request answered by a fine-tuned model
 * in production. About 5 minutes; in the full suite only.
 */
async function loopBrokerOutage(
  ctx: ChaosContext,
  name: string,
  signal: 'SIGTERM' | 'SIGKILL',
): Promise<ScenarioResult> {
  const verb = signal === 'SIGKILL' ? 'kill' : 'stop';
  const started = Date.now();
  const result = (fields: Partial<ScenarioResult> & Pick<ScenarioResult, 'fault' | 'passed' | 'notes'>) =>
    emptyResult({
      scenario: name,
      servingModel: { expected: 'a fine-tuned version', actual: [], right: false },
      seconds: (Date.now() - started) / 1000,
      ...fields,
    });
  if (!(await ownsService('kafka')))
    return result({
      fault: `kafka ${verb}/start under the demo`,
      passed: false,
      notes: ['skipped: the kafka answering was not started by scripts/infra.sh here'],
    });
  mkdirSync(ctx.settings.logDir, { recursive: true });
  const reportPath = join(ctx.settings.logDir, `${name}-report.json`);
  const log = openSync(join(ctx.settings.logDir, `${name}-demo.log`), 'w');
  const demo = spawn(
    process.execPath,
    [
      join(repositoryRoot(), 'dist', 'scripts', 'demo', 'demo.js'),
      '--headless',
      '--no-oracle',
      '--report',
      reportPath,
    ],
    { env: { ...ctx.settings.env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let historyScored = false;
  let tail = '';
  for (const stream of [demo.stdout, demo.stderr]) {
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      writeSync(log, chunk);
      // The line may arrive cut across two chunks.
      tail = (tail + chunk).slice(-4096);
      if (tail.includes('history scored')) historyScored = true;
    });
  }
  const exited = once(demo, 'exit') as Promise<[number | null]>;
  let code: number | null = null;
  let outage = 0;
  try {
    if (!(await until(() => historyScored || demo.exitCode !== null, 15 * 60_000)) || !historyScored)
      return result({
        fault: `kafka ${verb}/start under the demo`,
        passed: false,
        notes: [`the demo did not score its history in 15 minutes (see ${name}-demo.log)`],
      });
    await delay(LOOP_FAULT_AFTER_HISTORY_MS);
    await (signal === 'SIGKILL' ? killService : stopService)('kafka');
    const downAt = Date.now();
    await delay(ctx.settings.outageSeconds * 1000);
    await startService('kafka');
    outage = (Date.now() - downAt) / 1000;
    ctx.log(`${name}: kafka down for ${outage.toFixed(1)} s; waiting for the demo to end`);
    const ended = await Promise.race([exited, delay(20 * 60_000).then(() => null)]);
    if (!ended) demo.kill('SIGTERM');
    code = ended ? ended[0] : null;
  } finally {
    if (demo.exitCode === null && demo.signalCode === null) demo.kill('SIGTERM');
    closeSync(log);
  }
  const fault = `kafka ${signal === 'SIGKILL' ? 'killed' : 'stopped'} (${signal}) for ${outage.toFixed(0)} s under the demo, ${LOOP_FAULT_AFTER_HISTORY_MS / 1000} s after its history was scored, then started`;
  if (!existsSync(reportPath))
    return result({ fault, passed: false, notes: [`the demo exited ${code} without a report`] });
  const report = JSON.parse(readFileSync(reportPath, 'utf8')) as LoopReport;
  const closed =
    report.first_retrain_request_day !== null &&
    report.first_redeployment_day !== null &&
    report.serving_model !== null &&
    report.serving_model.version !== 'v1';
  return result({
    fault,
    produced: report.produced,
    scoredDistinct: report.scored,
    lost: report.lost,
    duplicates: report.duplicates,
    servingModel: {
      expected: 'a fine-tuned version',
      actual: report.serving_model ? [report.serving_model.version] : [],
      right: closed,
    },
    passed: code === 0 && !report.interrupted && report.lost === 0 && report.duplicates === 0 && closed,
    notes: [
      `demo exit ${code}; onset day ${report.drift_onset_day}, first retrain request day ${report.first_retrain_request_day}, fine-tuned model in production day ${report.first_redeployment_day}`,
      "lost and duplicates are the demo's own counts (its reader keeps where each score was read)",
    ],
  });
}

export const loopBrokerRestart = (ctx: ChaosContext) =>
  loopBrokerOutage(ctx, 'loop-broker-restart', 'SIGTERM');
/** The same with the broker crashing (SIGKILL): an unclean shutdown under the whole loop. */
export const loopBrokerKill = (ctx: ChaosContext) => loopBrokerOutage(ctx, 'loop-broker-kill', 'SIGKILL');

/** A minute of event time per transaction: the trainer scenario's window spans ten days. */
const TRAINER_EVENT_STEP_MS = 60_000;

export const SCENARIOS = {
  'scorer-sigkill': scorerSigkill,
  'scorer-zombie': scorerZombie,
  'broker-restart': brokerRestart,
  'broker-kill': brokerKill,
  'registry-restart': registryRestart,
  'redis-restart': redisRestart,
  'poison-burst': poisonBurst,
  'tampered-artifact': tamperedArtifact,
  'drift-monitor-sigkill': driftMonitorSigkill,
  'trainer-sigkill': trainerSigkill,
  'loop-broker-restart': loopBrokerRestart,
  'loop-broker-kill': loopBrokerKill,
} as const;

export type ScenarioName = keyof typeof SCENARIOS;

/**
 * The smaller suite of `npm test`: a scorer SIGKILL, the poison burst, the tampered artifact and a
 * Redis restart under a scorer that keeps its feature state there.
 */
export const QUICK_SCENARIOS: readonly ScenarioName[] = [
  'scorer-sigkill',
  'poison-burst',
  'tampered-artifact',
  'redis-restart',
];
