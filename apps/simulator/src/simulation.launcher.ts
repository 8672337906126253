import { AvroProducer, AvroSerde, createIdempotentProducer, createKafkaClient } from '@fraudstream/kafka';
import { DAY_MS } from '@fraudstream/contracts';
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
import { createCardTokeniser } from '@fraudstream/pii';
import { AnalystAlertsConsumer } from './analyst-alerts.consumer';
import { CardIngress } from './card-ingress';
import { RetrainHoldConsumer } from './retrain-hold.consumer';
import type { SimulationControl } from './simulation.control';
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
  /**
   * Share of the analysts' daily capacity kept for the drift monitor's INVESTIGATE alerts (score
   * alerts get the rest): the monitor's DRIFT_INVESTIGATION_SHARE.
   */
  readonly investigationShare: number;
  /**
   * Days before an alert that a confirmed fraud's case reaches on its card: the desk labels the
   * card's transactions of that span too (0: the alerted transaction only).
   */
  readonly caseDays: number;
  /** The first N days go out unpaced (a history that warms the consumers' state). */
  readonly unpacedDays: number;
  /** Then pause until resumed (over the control), so the paced part starts once consumers caught up. */
  readonly holdAfterUnpaced: boolean;
  /** The analysts' consumer group (default `fraudstream-simulator-analysts-<seed>`). */
  readonly analystGroupId?: string;
  /**
   * Hold the clock while a retrain request is being answered (requests and deployments topics,
   * the longest hold); null: never.
   */
  readonly retrainHold?: {
    readonly retrainRequestsTopic: string;
    readonly deploymentsTopic: string;
    readonly groupId: string;
    readonly maxHoldMs: number;
  } | null;
  /** Share of the alerts the desk leaves to people in the console (default 0: it answers every one it can). */
  readonly peopleShare?: number;
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
  /** The event time of the last event written, after each write (for /health). */
  readonly onPosition?: (eventTime: number) => void;
  readonly log?: (line: string) => void;
  readonly stopped?: () => boolean;
  /** Kafka settings; read from the environment when absent. */
  readonly config?: SimulatorConfig;
  /** Pauses and resumes the stream (the app's control endpoint). */
  readonly control?: SimulationControl;
  /** Told of the retrain hold when there is one (its status for /health). */
  readonly onRetrainHold?: (consumer: RetrainHoldConsumer) => void;
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
        unpacedDays: command.unpacedDays,
      });
    } finally {
      await sink.close();
    }
  }

  const config = hooks.config ?? loadSimulatorConfig();
  // Before connecting: a missing or weak key stops the run before anything is published.
  const tokeniser = createCardTokeniser(config);
  const cards =
    simulator instanceof TransactionSimulator
      ? CardIngress.forSimulator(tokeniser, simulator)
      : CardIngress.forFile(tokeniser);
  const kafka = createKafkaClient(config, 'simulator');
  const serde = AvroSerde.connect(config.SCHEMA_REGISTRY_URL);
  const producer = createIdempotentProducer(kafka);
  await producer.connect();
  const avroProducer = new AvroProducer(producer, serde);
  // The analysts may be asked about a transaction days after it (an INVESTIGATE alert names one up
  // to the monitor's look-back before its check, and the monitor may lag the stream): the truth of
  // the chargeback window's days is kept.
  const ledger = new TruthLedger(7, (tx) => cards.token(tx.card_id, tx.event_time));
  let analysts: AnalystAlertsConsumer | null = null;
  let hold: RetrainHoldConsumer | null = null;
  const sink: SimulationSink = new KafkaSimulationSink(avroProducer, cards, command.topics);
  try {
    if (command.analysts !== null) {
      analysts = new AnalystAlertsConsumer({
        kafka,
        serde,
        producer,
        avroProducer,
        desk: new AnalystDesk({
          seed: command.simulation.seed,
          capacityPerDay: command.analysts,
          investigationShare: command.investigationShare,
          peopleShare: command.peopleShare ?? 0,
          caseLookbackMs: command.caseDays * DAY_MS,
          cardHistory: (cardId, from, to) => ledger.cardTransactions(cardId, from, to),
        }),
        ledger,
        alertsTopic: command.topics.alerts,
        labelsTopic: command.topics.labels,
        groupId: command.analystGroupId ?? `fraudstream-simulator-analysts-${command.simulation.seed}`,
      });
      await analysts.start();
    }
    if (command.retrainHold && hooks.control) {
      hold = new RetrainHoldConsumer({
        kafka,
        serde,
        producer,
        control: hooks.control,
        ...command.retrainHold,
      });
      await hold.start();
      hooks.onRetrainHold?.(hold);
    }
    const summary = await runSimulation(simulator, sink, {
      pacing: command.pacing,
      batchSize: command.batchSize,
      onDay,
      stopped,
      ledger,
      unpacedDays: command.unpacedDays,
      holdAfterUnpaced: command.holdAfterUnpaced,
      ...(hooks.control ? { control: hooks.control } : {}),
      ...(hooks.onPosition ? { onPosition: hooks.onPosition } : {}),
    });
    if (analysts && command.lingerSeconds > 0 && !stopped()) {
      print(`reviewing alerts for ${command.lingerSeconds} s more`);
      await new Promise((resolve) => setTimeout(resolve, command.lingerSeconds * 1000));
    }
    if (analysts) print(`analysts gave ${analysts.verdicts.toLocaleString('en-US')} verdicts`);
    return summary;
  } finally {
    await hold?.stop();
    await analysts?.stop();
    await sink.close();
    await producer.disconnect();
  }
}
