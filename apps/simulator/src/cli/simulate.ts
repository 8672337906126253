/*
 * `npm run simulate -- --seed 7 --days 1 [--scenario NAME] [--out DIR] [--rate N | --day-seconds S]`:
 * the deterministic transaction simulator, to Kafka (tx.transactions.v1, fraud.labels.v1) or to
 * NDJSON files. Progress goes to stderr, one line per simulated day.
 */
import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { SIMULATE_USAGE, parseSimulateArgs, runSimulateCommand } from './simulate.command';

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(SIMULATE_USAGE);
    return;
  }
  Logger.overrideLogger(['error', 'warn']);
  let command;
  try {
    command = parseSimulateArgs(argv);
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : String(error)}\n\n${SIMULATE_USAGE}`);
    process.exit(2);
  }
  let stopping = false;
  const stop = () => {
    if (stopping) process.exit(130);
    stopping = true;
    console.error('stopping after the current batch (Ctrl-C again to quit now)');
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  const target =
    command.handbookCsv ?? command.out ?? `Kafka ${command.topics.transactions} + ${command.topics.labels}`;
  console.error(
    `simulating ${command.simulation.days} day(s), seed ${command.simulation.seed}, scenario ${command.simulation.scenario ?? 'stable'} -> ${target}`,
  );
  const summary = await runSimulateCommand(
    command,
    (line) => console.error(line),
    () => stopping,
  );
  const rate = summary.elapsedMs > 0 ? Math.round((summary.transactions / summary.elapsedMs) * 1000) : 0;
  console.error(
    `done: ${summary.days} day(s), ${summary.transactions.toLocaleString('en-US')} transactions ` +
      `(${summary.frauds.toLocaleString('en-US')} fraud), ${summary.labels.toLocaleString('en-US')} chargebacks ` +
      `in ${(summary.elapsedMs / 1000).toFixed(1)} s (${rate.toLocaleString('en-US')} tx/s)`,
  );
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
