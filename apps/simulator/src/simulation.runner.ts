import type { DayEventSource, SimulationEvent, TruthLedger } from '@fraudstream/simulation';
import { DAY_MS } from '@fraudstream/contracts';
import type { SimulationControl } from './simulation.control';
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
  /**
   * The first N simulated days go out as fast as the sink takes them, whatever the pacing: a
   * history that fills the consumers' state (the scorer's 30-day feature windows) before the paced
   * part begins. Pacing starts at day N's first event.
   */
  readonly unpacedDays?: number;
  /** Pauses the stream (event time stands still) until resumed; pacing restarts from there. */
  readonly control?: SimulationControl;
  /**
   * With `control` and unpaced days: once they are sent, pause until resumed (whoever consumes the
   * history resumes the stream when it has caught up, so the paced part starts on time).
   */
  readonly holdAfterUnpaced?: boolean;
  /** Called after each sink write with the event time of the last event written. */
  readonly onPosition?: (eventTime: number) => void;
}

/**
 * A sink write that takes this long (a broker outage the sink waits out) stalls the stream: pacing
 * restarts from there, as after a pause, instead of sending the stalled wall time's events in a
 * burst (whose event time would run ahead of every consumer rejoining after the outage).
 */
export const SINK_STALL_MS = 5_000;

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
  const unpacedDays = options.unpacedDays ?? 0;
  const control = options.control;
  const wallStart = clock.now();
  const total = { transactions: 0, frauds: 0, labels: 0 };
  let days = 0;
  // Pacing runs from an anchor (wall time, event time, transactions sent), moved to the present
  // when the unpaced days end and after every pause, so neither shortens the paced part.
  const anchor = { wall: wallStart, eventTime: simulator.dayStart(0), sent: 0 };
  /** Event time of the last event sent: where a paused stream stands. */
  let streamTime = simulator.dayStart(0);
  const reanchor = (eventTime: number) => {
    anchor.wall = clock.now();
    anchor.eventTime = eventTime;
    anchor.sent = total.transactions;
  };

  /** Wall time at which an event (the n-th transaction, or one at `eventTime`) is due. */
  const dueAt = (eventTime: number, sentTransactions: number): number => {
    switch (options.pacing.kind) {
      case 'max':
        return anchor.wall;
      case 'rate':
        return anchor.wall + ((sentTransactions - anchor.sent) / options.pacing.transactionsPerSecond) * 1000;
      case 'day-seconds':
        return anchor.wall + ((eventTime - anchor.eventTime) / DAY_MS) * options.pacing.secondsPerDay * 1000;
    }
  };

  while (simulator.hasNextDay && !options.stopped?.()) {
    const dayIndex = days;
    const events = simulator.nextDay();
    const day = { transactions: 0, frauds: 0, labels: 0 };
    let batch: SimulationEvent[] = [];
    const flush = async () => {
      if (batch.length === 0) return;
      const started = clock.now();
      await sink.write(batch);
      batch = [];
      options.onPosition?.(streamTime);
      if (dayIndex >= unpacedDays && clock.now() - started >= SINK_STALL_MS) reanchor(streamTime);
    };
    if (dayIndex === unpacedDays && unpacedDays > 0) {
      reanchor(simulator.dayStart(dayIndex));
      if (options.holdAfterUnpaced) control?.hold('history', `the first ${unpacedDays} days are sent`);
    }
    for (const event of events) {
      const eventTime = event.kind === 'transaction' ? event.transaction.event_time : event.label.event_time;
      if (control?.mustWait(eventTime)) {
        await flush();
        while (control.mustWait(eventTime) && !options.stopped?.()) await control.whenMayGo(eventTime);
        if (options.stopped?.()) break;
        reanchor(streamTime);
      }
      const due = dayIndex < unpacedDays ? clock.now() : dueAt(eventTime, total.transactions);
      if (due > clock.now()) {
        await flush();
        const wait = due - clock.now();
        if (wait > 0) await clock.sleep(wait);
        if (options.stopped?.()) break;
      }
      batch.push(event);
      streamTime = eventTime;
      if (event.kind === 'transaction') {
        day.transactions += 1;
        total.transactions += 1;
        if (event.truth.is_fraud) day.frauds += 1;
        options.ledger?.record(event.truth, event.transaction);
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
