/*
 * `npm run import -- --transactions FILE [--labels FILE] --format handbook|fraudstream`: a bank's
 * history, validated row by row with the stream's validators, published to tx.transactions.v1 and
 * fraud.labels.v1 in event-time order (or written as NDJSON, or only checked). Progress on stderr,
 * the summary at the end. docs/datasets.md.
 */
import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { Logger } from '@nestjs/common';
import { DatasetError } from '@fraudstream/datasets';
import { IMPORT_USAGE, parseImportArgs, runImport, summaryLines } from './import.command';
import { ProgressBar } from './progress-bar';

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(IMPORT_USAGE);
    return 0;
  }
  Logger.overrideLogger(['error', 'warn']);
  let command;
  try {
    command = parseImportArgs(argv);
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : String(error)}\n\n${IMPORT_USAGE}`);
    return 2;
  }
  let stopping = false;
  const stop = () => {
    if (stopping) process.exit(130);
    stopping = true;
    console.error('\nstopping after the current batch (Ctrl-C again to quit now)');
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  const bar = new ProgressBar((text) => process.stderr.write(text), process.stderr.isTTY === true);
  try {
    const summary = await runImport(command, { bar, stopped: () => stopping });
    for (const line of summaryLines(summary)) console.error(line);
    if (command.json) writeFileSync(command.json, `${JSON.stringify(summary, null, 2)}\n`);
    return stopping ? 130 : 0;
  } catch (error) {
    if (error instanceof DatasetError) {
      console.error(`\n${error.message}`);
      return 2;
    }
    throw error;
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.exit(1);
  },
);
