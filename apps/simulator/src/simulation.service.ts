import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { parseChargebackDelay } from '@fraudstream/datasets';
import { HealthRegistry, MetricsRegistry } from '@fraudstream/observability';
import type { RetrainHoldConsumer } from './retrain-hold.consumer';
import { SimulationControl } from './simulation.control';
import { launchSimulation, type SimulateCommand } from './simulation.launcher';
import type { DayProgress } from './simulation.runner';
import { APP_CONFIG, type SimulatorConfig } from './simulator.config';
import { SIMULATED_DAY_SECONDS, simulatorMetrics } from './simulator.metrics';

/** The run SIMULATOR_AUTOSTART starts, from the app's env. */
export function commandFromConfig(config: SimulatorConfig): SimulateCommand {
  return {
    simulation: {
      seed: config.SIM_SEED,
      days: config.SIM_DAYS,
      scenario: config.SIM_SCENARIO,
      driftDay: config.SIM_DRIFT_DAY,
      driftIntensity: config.SIM_DRIFT_INTENSITY,
      customers: config.SIM_CUSTOMERS,
      terminals: config.SIM_TERMINALS,
    },
    out: null,
    file: config.SIM_FILE_TRANSACTIONS
      ? {
          transactions: config.SIM_FILE_TRANSACTIONS,
          labels: config.SIM_FILE_LABELS ?? null,
          format: config.SIM_FILE_FORMAT,
          chargebackDelay: parseChargebackDelay(config.SIM_FILE_LABEL_DELAY),
          fromDay: config.SIM_FILE_FROM_DAY,
        }
      : null,
    pacing:
      config.SIM_DAY_SECONDS > 0
        ? { kind: 'day-seconds', secondsPerDay: config.SIM_DAY_SECONDS }
        : { kind: 'max' },
    analysts: config.SIM_ANALYST_CAPACITY > 0 ? config.SIM_ANALYST_CAPACITY : null,
    investigationShare: config.SIM_ANALYST_INVESTIGATION_SHARE,
    caseDays: config.SIM_ANALYST_CASE_DAYS,
    unpacedDays: config.SIM_UNPACED_DAYS,
    holdAfterUnpaced: config.SIM_HOLD_AFTER_UNPACED,
    ...(config.SIM_ANALYST_GROUP_ID ? { analystGroupId: config.SIM_ANALYST_GROUP_ID } : {}),
    retrainHold: config.SIM_HOLD_WHILE_RETRAINING
      ? {
          retrainRequestsTopic: config.SIM_RETRAIN_REQUESTS_TOPIC,
          deploymentsTopic: config.SIM_DEPLOYMENTS_TOPIC,
          groupId: config.SIM_HOLD_GROUP_ID ?? `fraudstream-simulator-hold-${config.SIM_SEED}`,
          maxHoldMs: config.SIM_MAX_HOLD_SECONDS * 1000,
        }
      : null,
    peopleShare: config.SIM_ANALYST_PEOPLE_SHARE,
    lingerSeconds: 0,
    batchSize: 2_000,
    topics: {
      transactions: config.SIM_TRANSACTIONS_TOPIC,
      labels: config.SIM_LABELS_TOPIC,
      alerts: config.SIM_ALERTS_TOPIC,
    },
    quiet: false,
  };
}

/**
 * Runs the configured simulation in the background when SIMULATOR_AUTOSTART=true; /health reports
 * its progress (and a failure), /metrics its counts. Shutdown stops it after the current batch.
 */
@Injectable()
export class SimulationService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(SimulationService.name);
  private readonly metrics;
  private run: Promise<void> | null = null;
  private stopping = false;
  private progress: DayProgress | null = null;
  private failure: string | null = null;
  private finished = false;
  /** Event time of the last event the sink took (null before the first write). */
  private eventTime: number | null = null;
  private retrainHold: RetrainHoldConsumer | null = null;

  constructor(
    @Inject(APP_CONFIG) private readonly config: SimulatorConfig,
    private readonly control: SimulationControl,
    health: HealthRegistry,
    metrics: MetricsRegistry,
  ) {
    this.metrics = simulatorMetrics(metrics);
    health.register('simulation', () => ({
      up: this.failure === null,
      details: {
        autostart: this.config.SIMULATOR_AUTOSTART,
        finished: this.finished,
        day: this.progress ? this.progress.day + 1 : 0,
        days: this.config.SIM_DAYS,
        transactions: this.progress?.totalTransactions ?? 0,
        eventTime: this.eventTime,
        ...this.control.status(),
        ...(this.retrainHold ? { retrainHold: this.retrainHold.hold.status() } : {}),
        ...(this.failure ? { error: this.failure } : {}),
      },
    }));
  }

  onApplicationBootstrap(): void {
    if (!this.config.SIMULATOR_AUTOSTART) return;
    const command = commandFromConfig(this.config);
    this.logger.log({ msg: 'starting simulation', ...command.simulation, pacing: command.pacing });
    this.run = launchSimulation(command, {
      config: this.config,
      control: this.control,
      onRetrainHold: (hold) => (this.retrainHold = hold),
      onPosition: (eventTime) => (this.eventTime = eventTime),
      stopped: () => this.stopping,
      log: (line) => this.logger.log({ msg: line }),
      onDay: (p) => {
        this.progress = p;
        this.metrics.transactions.inc({ truth: 'fraud' }, p.frauds);
        this.metrics.transactions.inc({ truth: 'legitimate' }, p.transactions - p.frauds);
        this.metrics.chargebacks.inc(p.labels);
        this.metrics.simulatedSeconds.set((p.day + 1) * SIMULATED_DAY_SECONDS);
        this.logger.log({ msg: 'simulated day', day: p.day + 1, days: p.days, transactions: p.transactions });
      },
    }).then(
      (summary) => {
        this.finished = true;
        this.logger.log({ msg: 'simulation finished', ...summary });
      },
      (error: unknown) => {
        this.failure = error instanceof Error ? error.message : String(error);
        this.logger.error({ msg: 'simulation failed', error: this.failure });
      },
    );
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    // A paused stream wakes to see that it stops.
    this.control.wake();
    await this.run;
  }
}
