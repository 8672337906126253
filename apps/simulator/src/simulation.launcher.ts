import { AvroProducer, AvroSerde, createIdempotentProducer, createKafkaClient } from '@fraudstream/kafka';
import {
  DatasetEventSource,
  importDataset,
  type ChargebackDelayModel,
  type DatasetFormat,
} from '@fraudstream/datasets';
import {
  AnalystDesk,
  TransactionSimulator,
  TruthLedger,
  type DayEventSource,
  type SimulationOptions,
} from '@fraudstream/simulation';
import { AnalystAlertsConsumer } from './analyst-alerts.consumer';
import { runSimulation, type DayProgress, type Pacing, type RunSummary } from './simulation.runner';
import {
  HandbookCsvSimulationSink,
  KafkaSimulationSink,
  NdjsonSimulationSink,
  type SimulationSink,
} from './simulation.sink';
import { loadSimulatorConfig, type SimulatorConfig } from './simulator.config';

/** What to simulate and where to send it (the CLI's arguments, or the app's env). */
export interface SimulateCommand {
  readonly simulation: SimulationOptions;
  readonly out: string | null;
  /** Write a handbook-format CSV there instead (docs/datasets.md). */
  readonly handbookCsv?: string | null;
  /** Replay a bank's file instead of simulating: `simulation.days` of its days from `fromDay` on. */
  readonly file?: FileReplay | null;
  readonly pacing: Pacing;
  /** Analyst verdicts per simulated day, or null for no analyst desk. */
  readonly analysts: number | null;
  readonly lingerSeconds: number;
  readonly batchSize: number;
  readonly topics: { readonly transactions: string; readonly labels: string; readonly alerts: string };
  readonly quiet: boolean;
}

/** A bank's file streamed in place of the simulator (the demo's `--transactions FILE`). */
export interface FileReplay {
  readonly transactions: string;
  readonly labels: string | null;
  readonly format: DatasetFormat;
  readonly chargebackDelay: ChargebackDelayModel;
  readonly fromDay: number;
}

/** The day-by-day event source of a command: the seeded simulator, or the file. */
async function eventSource(command: SimulateCommand, log: (line: string) => void): Promise<DayEventSource> {
  const file = command.file;
  if (!file) return new TransactionSimulator(command.simulation);
  let rejected = 0;
  const dataset = await importDataset({
    transactions: file.transactions,
    labels: file.labels,
    format: file.format,
    chargebackDelay: file.chargebackDelay,
    onReject: () => rejected++,
  });
  log(
    `replaying ${file.transactions}: ${dataset.stats.transactions} transactions (${rejected} rows rejected), days ${file.fromDay} to ${file.fromDay + command.simulation.days - 1}`,
  );
  return new DatasetEventSource(dataset, { fromDay: file.fromDay, days: command.simulation.days });
}

export interface LaunchHooks {
  readonly onDay?: (progress: DayProgress) => void;
  readonly log?: (line: string) => void;
  readonly stopped?: () => boolean;
  /** Kafka settings; read from the environment when absent. */
  readonly config?: SimulatorConfig;
}

/**
 * Runs a simulation to NDJSON files (`out`) or to Kafka, optionally with the analyst desk reviewing
 * alerts from the same process (it needs the simulator's ground truth). Used by the CLI and the app.
 */
export async function launchSimulation(
  command: SimulateCommand,
  hooks: LaunchHooks = {},
): Promise<RunSummary> {
  const print = hooks.log ?? (() => undefined);
  const stopped = hooks.stopped ?? (() => false);
  const onDay = hooks.onDay;
  const simulator = await eventSource(command, print);
  if (command.out || command.handbookCsv) {
    const sink = command.handbookCsv
      ? new HandbookCsvSimulationSink(command.handbookCsv, new TransactionSimulator(command.simulation))
      : new NdjsonSimulationSink(command.out ?? '.');
    try {
      return await runSimulation(simulator, sink, {
        pacing: command.pacing,
        batchSize: command.batchSize,
        onDay,
        stopped,
      });
    } finally {
      await sink.close();
    }
  }

  const config = hooks.config ?? loadSimulatorConfig();
  const kafka = createKafkaClient(config, 'simulator');
  const serde = AvroSerde.connect(config.SCHEMA_REGISTRY_URL);
  const producer = createIdempotentProducer(kafka);
  await producer.connect();
  const avroProducer = new AvroProducer(producer, serde);
  const ledger = new TruthLedger();
  let analysts: AnalystAlertsConsumer | null = null;
  const sink: SimulationSink = new KafkaSimulationSink(avroProducer, command.topics);
  try {
    if (command.analysts !== null) {
      analysts = new AnalystAlertsConsumer({
        kafka,
        serde,
        producer,
        avroProducer,
        desk: new AnalystDesk({ seed: command.simulation.seed, capacityPerDay: command.analysts }),
        ledger,
        alertsTopic: command.topics.alerts,
        labelsTopic: command.topics.labels,
        groupId: `fraudstream-simulator-analysts-${command.simulation.seed}`,
      });
      await analysts.start();
    }
    const summary = await runSimulation(simulator, sink, {
      pacing: command.pacing,
      batchSize: command.batchSize,
      onDay,
      stopped,
      ledger,
    });
    if (analysts && command.lingerSeconds > 0 && !stopped()) {
      print(`reviewing alerts for ${command.lingerSeconds} s more`);
      await new Promise((resolve) => setTimeout(resolve, command.lingerSeconds * 1000));
    }
    if (analysts) print(`analysts gave ${analysts.verdicts.toLocaleString('en-US')} verdicts`);
    return summary;
  } finally {
    await analysts?.stop();
    await sink.close();
    await producer.disconnect();
  }
}
