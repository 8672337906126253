import type { DayEventSource, SimulationEvent, TruthLedger } from '@fraudstream/simulation';
import { DAY_MS } from '@fraudstream/contracts';
import { systemClock, type Clock, type SimulationSink } from './simulation.sink';

/** How fast events go out: as fast as the sink takes them, N transactions a second, or one day per S seconds. */
export type Pacing =
  | { readonly kind: 'max' }
  | { readonly kind: 'rate'; readonly transactionsPerSecond: number }
  | { readonly kind: 'day-seconds'; readonly secondsPerDay: number };

export interface DayProgress {
  readonly day: number;
  readonly days: number;
  readonly transactions: number;
  readonly frauds: number;
  readonly labels: number;
  readonly totalTransactions: number;
  readonly elapsedMs: number;
}

export interface RunOptions {
  readonly pacing: Pacing;
  /** Most events per sink write. Default 2,000. */
  readonly batchSize?: number;
  /** Called after each simulated day. */
  readonly onDay?: (progress: DayProgress) => void;
  /** Records each transaction's truth (for the analyst desk). */
  readonly ledger?: TruthLedger;
  readonly clock?: Clock;
  /** Stops early when it returns true (shutdown). */
  readonly stopped?: () => boolean;
}

export interface RunSummary {
  readonly days: number;
  readonly transactions: number;
  readonly frauds: number;
  readonly labels: number;
  readonly elapsedMs: number;
}

/**
 * Drives a simulator (or a replayed file) into a sink, day by day, pacing the wall clock against event time or a rate.
 * Batches are cut at `batchSize` events and, when paced, whenever the next event is not due yet.
 */
export async function runSimulation(
  simulator: DayEventSource,
  sink: SimulationSink,
  options: RunOptions,
): Promise<RunSummary> {
  const clock = options.clock ?? systemClock;
  const batchSize = options.batchSize ?? 2_000;
  const wallStart = clock.now();
  const simStart = simulator.dayStart(0);
  const total = { transactions: 0, frauds: 0, labels: 0 };
  let days = 0;

  /** Wall time at which an event (the n-th transaction, or one at `eventTime`) is due. */
  const dueAt = (eventTime: number, sentTransactions: number): number => {
    switch (options.pacing.kind) {
      case 'max':
        return wallStart;
      case 'rate':
        return wallStart + (sentTransactions / options.pacing.transactionsPerSecond) * 1000;
      case 'day-seconds':
        return wallStart + ((eventTime - simStart) / DAY_MS) * options.pacing.secondsPerDay * 1000;
    }
  };

  while (simulator.hasNextDay && !options.stopped?.()) {
    const events = simulator.nextDay();
    const day = { transactions: 0, frauds: 0, labels: 0 };
    let batch: SimulationEvent[] = [];
    const flush = async () => {
      if (batch.length === 0) return;
      await sink.write(batch);
      batch = [];
    };
    for (const event of events) {
      const eventTime = event.kind === 'transaction' ? event.transaction.event_time : event.label.event_time;
      const due = dueAt(eventTime, total.transactions);
      if (due > clock.now()) {
        await flush();
        const wait = due - clock.now();
        if (wait > 0) await clock.sleep(wait);
        if (options.stopped?.()) break;
      }
      batch.push(event);
      if (event.kind === 'transaction') {
        day.transactions += 1;
        total.transactions += 1;
        if (event.truth.is_fraud) day.frauds += 1;
        options.ledger?.record(event.truth, event.transaction.event_time);
      } else {
        day.labels += 1;
      }
      if (batch.length >= batchSize) await flush();
    }
    await flush();
    total.frauds += day.frauds;
    total.labels += day.labels;
    options.onDay?.({
      day: days,
      days: simulator.days,
      ...day,
      totalTransactions: total.transactions,
      elapsedMs: clock.now() - wallStart,
    });
    days += 1;
  }
  return { days, ...total, elapsedMs: clock.now() - wallStart };
}
