import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Topics } from '@fraudstream/contracts';
import {
  DATASET_FORMATS,
  DEFAULT_CHARGEBACK_DELAY,
  DatasetEventSource,
  RejectsWriter,
  describeChargebackDelay,
  importDataset,
  isDatasetFormat,
  parseChargebackDelay,
  type ChargebackDelayModel,
  type DatasetFormat,
  type ImportedDataset,
  type ReadProgress,
} from '@fraudstream/datasets';
import { AvroProducer, AvroSerde, createIdempotentProducer, createKafkaClient } from '@fraudstream/kafka';
import { createCardTokeniser } from '@fraudstream/pii';
import { CardIngress } from '../card-ingress';
import { runSimulation, type DayProgress, type Pacing, type RunSummary } from '../simulation.runner';
import { KafkaSimulationSink, NdjsonSimulationSink, type SimulationSink } from '../simulation.sink';
import { loadSimulatorConfig, type SimulatorConfig } from '../simulator.config';
import type { ProgressBar } from './progress-bar';
import { intArg, positiveArg } from './cli-args';

export const IMPORT_USAGE = `npm run import -- --transactions FILE [--labels FILE] --format handbook|fraudstream [options]
  --transactions FILE   the bank's transactions: .csv, .csv.gz, .ndjson[.gz], .jsonl or .parquet
  --labels FILE         labels with their own times (optional; same file types)
  --format NAME         ${DATASET_FORMATS.join(' | ')}: the column layout (docs/datasets.md)
  --label-delay MODEL   when a fraud flag's chargeback is known: fixed:<days> or uniform:<min>-<max>
                        (default ${describeChargebackDelay(DEFAULT_CHARGEBACK_DELAY)}; the handbook's protocol uses fixed:7)
  --currency CODE       currency of files without one (default EUR)
  --rejects FILE        rejected rows, one JSON line each (default var/import/<file>.rejects.ndjson)
  --from-day N          first day to publish, 0 = the day of the first transaction (default 0)
  --days N              days to publish (default: to the last transaction)
  --out DIR             write NDJSON (transactions, labels, truth) instead of Kafka
  --check               read and validate only: the summary and the rejects file, nothing published
  --day-seconds S       one day of event time per S wall seconds (Kafka; default as fast as it goes)
  --rate N              at most N transactions a second (Kafka)
  --transactions-topic T, --labels-topic T   topics (default ${Topics.transactions}, ${Topics.labels})
  --batch-size N        events per produce request (default 2000)
  --json FILE           also write the summary as JSON
Exit status: 0 imported (rejected rows included), 2 bad arguments or a file of the wrong format, 1 other errors.`;

export interface ImportCommand {
  readonly transactions: string;
  readonly labels: string | null;
  readonly format: DatasetFormat;
  readonly chargebackDelay: ChargebackDelayModel;
  readonly currency: string;
  readonly rejects: string;
  readonly fromDay: number;
  readonly days: number | null;
  readonly target:
    | { readonly kind: 'kafka' }
    | { readonly kind: 'ndjson'; readonly dir: string }
    | { readonly kind: 'check' };
  readonly pacing: Pacing;
  readonly topics: { readonly transactions: string; readonly labels: string };
  readonly batchSize: number;
  readonly json: string | null;
}

/** Parses the import CLI's arguments; throws with a readable message on a bad one. */
export function parseImportArgs(argv: readonly string[], cwd = process.cwd()): ImportCommand {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    options: {
      transactions: { type: 'string' },
      labels: { type: 'string' },
      format: { type: 'string' },
      'label-delay': { type: 'string' },
      currency: { type: 'string' },
      rejects: { type: 'string' },
      'from-day': { type: 'string' },
      days: { type: 'string' },
      out: { type: 'string' },
      check: { type: 'boolean' },
      'day-seconds': { type: 'string' },
      rate: { type: 'string' },
      'transactions-topic': { type: 'string' },
      'labels-topic': { type: 'string' },
      'batch-size': { type: 'string' },
      json: { type: 'string' },
    },
  });
  if (!values.transactions) throw new Error('--transactions FILE is required');
  const format = values.format ?? '';
  if (!isDatasetFormat(format))
    throw new Error(`--format must be one of ${DATASET_FORMATS.join(', ')}, got "${format}"`);
  const currency = values.currency ?? 'EUR';
  if (!/^[A-Z]{3}$/.test(currency)) throw new Error(`--currency must be an ISO 4217 code, got "${currency}"`);
  const rate = positiveArg('rate', values.rate);
  const daySeconds = positiveArg('day-seconds', values['day-seconds']);
  if (rate !== undefined && daySeconds !== undefined)
    throw new Error('give --rate or --day-seconds, not both');
  if (values.out && values.check) throw new Error('give --out or --check, not both');
  const offline = values.out !== undefined || values.check === true;
  if (offline && (rate !== undefined || daySeconds !== undefined))
    throw new Error('--rate and --day-seconds pace Kafka output, not --out or --check');
  const transactions = resolve(cwd, values.transactions);
  return {
    transactions,
    labels: values.labels ? resolve(cwd, values.labels) : null,
    format,
    chargebackDelay: values['label-delay']
      ? parseChargebackDelay(values['label-delay'])
      : DEFAULT_CHARGEBACK_DELAY,
    currency,
    rejects: values.rejects
      ? resolve(cwd, values.rejects)
      : join(cwd, 'var', 'import', `${basename(transactions)}.rejects.ndjson`),
    fromDay: intArg('from-day', values['from-day'], 0),
    days: values.days === undefined ? null : intArg('days', values.days, 0, 1),
    target: values.check
      ? { kind: 'check' }
      : values.out
        ? { kind: 'ndjson', dir: resolve(cwd, values.out) }
        : { kind: 'kafka' },
    pacing:
      rate !== undefined
        ? { kind: 'rate', transactionsPerSecond: rate }
        : daySeconds !== undefined
          ? { kind: 'day-seconds', secondsPerDay: daySeconds }
          : { kind: 'max' },
    topics: {
      transactions: values['transactions-topic'] ?? Topics.transactions,
      labels: values['labels-topic'] ?? Topics.labels,
    },
    batchSize: intArg('batch-size', values['batch-size'], 2000, 1),
    json: values.json ? resolve(cwd, values.json) : null,
  };
}

/** What one import did, for the summary and `--json`. */
export interface ImportSummary {
  readonly transactions_file: string;
  readonly labels_file: string | null;
  readonly format: DatasetFormat;
  readonly label_delay: string;
  readonly rows_read: number;
  readonly label_rows_read: number;
  readonly transactions: number;
  readonly labels: number;
  readonly labels_from_flags: number;
  readonly frauds: number;
  readonly fraud_rate: number;
  readonly rejected_transactions: number;
  readonly rejected_labels: number;
  readonly rejects_file: string | null;
  readonly first_event_time: string | null;
  readonly last_event_time: string | null;
  readonly read_seconds: number;
  readonly read_rows_per_second: number;
  readonly target: string;
  readonly published: {
    readonly days: number;
    readonly transactions: number;
    readonly labels: number;
  } | null;
  readonly publish_seconds: number;
  readonly publish_transactions_per_second: number;
  readonly total_seconds: number;
}

export interface ImportHooks {
  readonly bar?: ProgressBar;
  readonly stopped?: () => boolean;
  readonly config?: SimulatorConfig;
}

const n = (v: number) => v.toLocaleString('en-US');

/** Reads, validates and then publishes (or writes, or only checks) a bank's history. */
export async function runImport(command: ImportCommand, hooks: ImportHooks = {}): Promise<ImportSummary> {
  const started = performance.now();
  const rejects = new RejectsWriter(command.rejects);
  const bar = hooks.bar;
  let dataset: ImportedDataset;
  try {
    const readStart = performance.now();
    dataset = await importDataset({
      transactions: command.transactions,
      labels: command.labels,
      format: command.format,
      chargebackDelay: command.chargebackDelay,
      defaults: { currency: command.currency, channel: 'CARD_PRESENT' },
      onReject: (r) => rejects.add(r),
      onProgress: (p: ReadProgress) => {
        const seconds = (performance.now() - readStart) / 1000;
        bar?.update(
          p.bytesRead / Math.max(1, p.totalBytes),
          `reading ${p.file}: ${n(p.rows)} rows, ${n(Math.round(p.rows / Math.max(seconds, 1e-3)))} rows/s, ${n(rejects.count)} rejected`,
        );
      },
    });
  } finally {
    rejects.close();
    bar?.done();
  }
  const s = dataset.stats;
  let published: ImportSummary['published'] = null;
  let publishSeconds = 0;
  if (command.target.kind !== 'check') {
    const source = new DatasetEventSource(dataset, {
      fromDay: command.fromDay,
      ...(command.days !== null ? { days: command.days } : {}),
    });
    const publishStart = performance.now();
    const summary = await publish(command, source, bar, hooks);
    bar?.done();
    publishSeconds = (performance.now() - publishStart) / 1000;
    published = { days: summary.days, transactions: summary.transactions, labels: summary.labels };
  }
  const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());
  const rowsTotal = s.rowsRead + s.labelRowsRead;
  return {
    transactions_file: command.transactions,
    labels_file: command.labels,
    format: command.format,
    label_delay: describeChargebackDelay(command.chargebackDelay),
    rows_read: s.rowsRead,
    label_rows_read: s.labelRowsRead,
    transactions: s.transactions,
    labels: dataset.labels.length,
    labels_from_flags: s.labelsFromFlags,
    frauds: s.frauds,
    fraud_rate: s.transactions > 0 ? s.frauds / s.transactions : 0,
    rejected_transactions: s.rejectedTransactions,
    rejected_labels: s.rejectedLabels,
    rejects_file: rejects.count > 0 ? command.rejects : null,
    first_event_time: iso(s.firstEventTime),
    last_event_time: iso(s.lastEventTime),
    read_seconds: s.seconds,
    read_rows_per_second: Math.round(rowsTotal / Math.max(s.seconds, 1e-3)),
    target:
      command.target.kind === 'kafka'
        ? `kafka ${command.topics.transactions} + ${command.topics.labels}`
        : command.target.kind === 'ndjson'
          ? command.target.dir
          : 'check only',
    published,
    publish_seconds: publishSeconds,
    publish_transactions_per_second: published
      ? Math.round(published.transactions / Math.max(publishSeconds, 1e-3))
      : 0,
    total_seconds: (performance.now() - started) / 1000,
  };
}

async function publish(
  command: ImportCommand,
  source: DatasetEventSource,
  bar: ProgressBar | undefined,
  hooks: ImportHooks,
): Promise<RunSummary> {
  let sink: SimulationSink;
  let disconnect = async () => undefined as void;
  if (command.target.kind === 'ndjson') sink = new NdjsonSimulationSink(command.target.dir);
  else {
    const config = hooks.config ?? loadSimulatorConfig();
    // Before connecting: a missing or weak key stops the import before anything is published.
    const cards = CardIngress.forFile(createCardTokeniser(config));
    const kafka = createKafkaClient(config, 'import');
    const producer = createIdempotentProducer(kafka);
    await producer.connect();
    sink = new KafkaSimulationSink(
      new AvroProducer(producer, AvroSerde.connect(config.SCHEMA_REGISTRY_URL)),
      cards,
      command.topics,
    );
    disconnect = () => producer.disconnect();
  }
  const started = performance.now();
  try {
    return await runSimulation(source, sink, {
      pacing: command.pacing,
      batchSize: command.batchSize,
      stopped: hooks.stopped,
      onDay: (p: DayProgress) => {
        const seconds = (performance.now() - started) / 1000;
        const day = new Date(source.dayStart(p.day)).toISOString().slice(0, 10);
        bar?.update(
          (p.day + 1) / Math.max(1, p.days),
          `publishing ${day}: ${n(p.totalTransactions)} transactions, ${n(Math.round(p.totalTransactions / Math.max(seconds, 1e-3)))} tx/s`,
        );
      },
    });
  } finally {
    await sink.close();
    await disconnect();
  }
}

/** The summary as lines for the terminal. */
export function summaryLines(s: ImportSummary): string[] {
  const pct = (v: number) => `${(100 * v).toFixed(3)} %`;
  const lines = [
    `read ${n(s.rows_read)} transaction rows${s.labels_file ? ` and ${n(s.label_rows_read)} label rows` : ''} in ${s.read_seconds.toFixed(1)} s (${n(s.read_rows_per_second)} rows/s)`,
    `kept ${n(s.transactions)} transactions from ${s.first_event_time ?? '-'} to ${s.last_event_time ?? '-'}, ${n(s.frauds)} frauds (${pct(s.fraud_rate)})`,
    `labels: ${n(s.labels)} (${n(s.labels_from_flags)} chargebacks from fraud flags, delay ${s.label_delay})`,
    `rejected: ${n(s.rejected_transactions)} transaction rows, ${n(s.rejected_labels)} label rows${s.rejects_file ? ` -> ${s.rejects_file}` : ''}`,
  ];
  if (s.published)
    lines.push(
      `published to ${s.target}: ${s.published.days} days, ${n(s.published.transactions)} transactions, ${n(s.published.labels)} labels in ${s.publish_seconds.toFixed(1)} s (${n(s.publish_transactions_per_second)} tx/s)`,
    );
  else lines.push('checked only: nothing published');
  lines.push(`total ${s.total_seconds.toFixed(1)} s`);
  return lines;
}
