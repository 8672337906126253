import 'reflect-metadata';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Logger } from '@nestjs/common';
import { loadConfig, processEnv } from '@fraudstream/config';
import { AvroSerde, createKafkaClient, kafkaConfigSchema } from '@fraudstream/kafka';
import { featuresConfigFragment } from '@fraudstream/features';
import { emptyResult, formatReport, type ChaosReport, type ScenarioResult } from './chaos-report';
import { QUICK_SCENARIOS, SCENARIOS, type ChaosSettings, type ScenarioName } from './chaos-scenarios';
import { ownsService, repositoryRoot } from './infra-control';

const USAGE = `npm run chaos -- [options]
  Fault injection against the local stack (scripts/infra.sh up): each scenario runs on its own
  topics and registry with scorer (and drift-monitor, trainer) processes from dist/, a steady load,
  and one fault; it prints a table and writes JSON. Loopback only; bounded in time and load.
  --scenarios a,b     ${Object.keys(SCENARIOS).join(', ')} (default: all)
  --quick             the smaller suite npm test runs: ${QUICK_SCENARIOS.join(', ')}, lower load
  --rate N            transactions per second of the load (default 300, quick 100; at most 1000)
  --replicas N        scorer replicas in scorer-sigkill and scorer-zombie (default 2, quick 1; the zombie at least 2)
  --kills N           SIGKILLs in scorer-sigkill, freezes in scorer-zombie (default 3, quick 1)
  --outage S          seconds the broker / the registry / Redis stay down (default 25, quick 10)
  --out FILE          JSON report (default reports/chaos.json)
Exit status: 0 when every scenario met its guarantees, 1 otherwise, 2 for bad options.`;

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])$/;

export async function runChaos(
  argv: readonly string[],
): Promise<{ code: number; report: ChaosReport | null }> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      scenarios: { type: 'string' },
      quick: { type: 'boolean', default: false },
      rate: { type: 'string' },
      replicas: { type: 'string' },
      kills: { type: 'string' },
      outage: { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return { code: 0, report: null };
  }
  const quick = values.quick ?? false;
  const names = (values.scenarios?.split(',').map((s) => s.trim()) ??
    (quick ? QUICK_SCENARIOS : Object.keys(SCENARIOS))) as ScenarioName[];
  const unknown = names.filter((n) => !(n in SCENARIOS));
  const rate = Number(values.rate ?? (quick ? 100 : 300));
  if (unknown.length > 0 || !(rate > 0 && rate <= 1000)) {
    console.error(
      `${unknown.length > 0 ? `unknown scenario ${unknown.join(', ')}` : 'rate must be in (0, 1000]'}\n\n${USAGE}`,
    );
    return { code: 2, report: null };
  }
  const config = loadConfig(kafkaConfigSchema);
  const hosts = [
    ...config.KAFKA_BROKERS.map((b) => b.slice(0, b.lastIndexOf(':'))),
    new URL(config.SCHEMA_REGISTRY_URL).hostname,
    new URL(loadConfig(featuresConfigFragment).REDIS_URL).hostname,
  ];
  if (!hosts.every((h) => LOOPBACK.test(h))) {
    console.error(
      `the chaos suite runs against a local stack only; KAFKA_BROKERS / SCHEMA_REGISTRY_URL / REDIS_URL name ${hosts.join(', ')}`,
    );
    return { code: 2, report: null };
  }
  const root = repositoryRoot();
  const out = resolve(values.out ?? join(root, 'reports', 'chaos.json'));
  const settings: ChaosSettings = {
    quick,
    rate,
    replicas: Number(values.replicas ?? (quick ? 1 : 2)),
    kills: Number(values.kills ?? (quick ? 1 : 3)),
    outageSeconds: Number(values.outage ?? (quick ? 10 : 25)),
    partitions: 3,
    logDir: join(dirname(out), 'chaos-logs'),
    env: processEnv(),
  };
  const kafka = createKafkaClient(config, 'chaos');
  const serde = AvroSerde.connect(config.SCHEMA_REGISTRY_URL);
  const ctx = { kafka, serde, settings, log: (line: string) => console.log(`[chaos] ${line}`) };
  const startedAt = new Date().toISOString();
  const results: ScenarioResult[] = [];
  // The quick suite (npm test) restarts Redis only when scripts/infra.sh started it here: a
  // machine's own Redis on the port is used by the tests, never stopped by them.
  let run = names;
  if (quick && !values.scenarios && names.includes('redis-restart') && !(await ownsService('redis'))) {
    run = names.filter((n) => n !== 'redis-restart');
    ctx.log('redis-restart: left out: the Redis answering was not started by scripts/infra.sh here');
  }
  for (const name of run) {
    ctx.log(`${name}: starting`);
    try {
      results.push(await SCENARIOS[name](ctx));
    } catch (error) {
      results.push(
        emptyResult({
          scenario: name,
          fault: 'the scenario itself failed',
          passed: false,
          notes: [error instanceof Error ? error.message : String(error)],
        }),
      );
    }
    const last = results.at(-1);
    ctx.log(`${name}: ${last?.passed ? 'passed' : 'FAILED'} in ${last?.seconds.toFixed(0)} s`);
  }
  const report: ChaosReport = {
    startedAt,
    mode: quick ? 'quick' : 'full',
    options: { ...settings, env: undefined, scenarios: run },
    scenarios: results,
    passed: results.every((r) => r.passed),
  };
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  console.log(formatReport(report));
  console.log(JSON.stringify(report));
  console.log(`report: ${out}; app logs: ${settings.logDir}`);
  return { code: report.passed ? 0 : 1, report };
}

if (require.main === module) {
  // The suite reports through its own lines; its clients' retries during the faults are expected.
  Logger.overrideLogger(['fatal']);
  runChaos(process.argv.slice(2)).then(
    ({ code }) => process.exit(code),
    (error: unknown) => {
      console.error(error instanceof Error ? (error.stack ?? error.message) : error);
      process.exit(1);
    },
  );
}
