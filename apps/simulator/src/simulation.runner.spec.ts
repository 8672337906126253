import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TransactionSimulator, generateDataset, type SimulationEvent } from '@fraudstream/simulation';
import { describe, expect, it } from 'vitest';
import { DAY_MS } from '@fraudstream/contracts';
import { parseSimulateArgs } from './cli/simulate.command';
import { SimulationControl } from './simulation.control';
import { SINK_STALL_MS, runSimulation } from './simulation.runner';
import { NdjsonSimulationSink, type Clock, type SimulationSink } from './simulation.sink';

const OPTIONS = { seed: 9, days: 2, customers: 30, terminals: 60 };

/** A clock that only moves when slept on (or advanced by hand). */
function fakeClock(): Clock & { sleeps: number[]; advance: (ms: number) => void } {
  let now = 1_000_000;
  const sleeps: number[] = [];
  return {
    sleeps,
    advance: (ms) => (now += ms),
    now: () => now,
    sleep: (ms) => {
      sleeps.push(ms);
      now += ms;
      return Promise.resolve();
    },
  };
}

class MemorySink implements SimulationSink {
  readonly batches: SimulationEvent[][] = [];
  write(events: readonly SimulationEvent[]): Promise<void> {
    this.batches.push([...events]);
    return Promise.resolve();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

describe(runSimulation.name, () => {
  it('sends every event, in batches of at most batchSize, as fast as possible without sleeping', async () => {
    const clock = fakeClock();
    const sink = new MemorySink();
    const summary = await runSimulation(new TransactionSimulator(OPTIONS), sink, {
      pacing: { kind: 'max' },
      batchSize: 50,
      clock,
    });
    const expected = generateDataset(OPTIONS);
    const sent = sink.batches.flat();
    expect(summary.transactions).toBe(expected.transactions.length);
    expect(sent.filter((e) => e.kind === 'transaction')).toHaveLength(expected.transactions.length);
    expect(sink.batches.every((b) => b.length <= 50)).toBe(true);
    expect(clock.sleeps).toEqual([]);
  });

  it('runs one simulated day per S wall seconds', async () => {
    const clock = fakeClock();
    const start = clock.now();
    const sim = new TransactionSimulator(OPTIONS);
    await runSimulation(sim, new MemorySink(), { pacing: { kind: 'day-seconds', secondsPerDay: 10 }, clock });
    const last = generateDataset(OPTIONS).transactions.at(-1)?.event_time ?? 0;
    // The clock was advanced to the last event's due time: 10 s per simulated day.
    expect(clock.now() - start).toBeCloseTo(((last - sim.dayStart(0)) / DAY_MS) * 10_000, -1);
    expect(clock.now() - start).toBeGreaterThan(10_000);
  });

  it('sends the first N days unpaced, then one simulated day per S wall seconds from there', async () => {
    const clock = fakeClock();
    const start = clock.now();
    const options = { ...OPTIONS, days: 3 };
    const sim = new TransactionSimulator(options);
    const sink = new MemorySink();
    const sleptBeforeDay2: number[] = [];
    await runSimulation(sim, sink, {
      pacing: { kind: 'day-seconds', secondsPerDay: 10 },
      unpacedDays: 2,
      clock,
      onDay: (p) => {
        if (p.day === 1) sleptBeforeDay2.push(...clock.sleeps);
      },
    });
    expect(sleptBeforeDay2).toEqual([]);
    const last = generateDataset(options).transactions.at(-1)?.event_time ?? 0;
    // Only day 2 is paced, from its own start.
    expect(clock.now() - start).toBeCloseTo(((last - sim.dayStart(2)) / 86_400_000) * 10_000, -1);
    expect(sink.batches.flat().filter((e) => e.kind === 'transaction')).toHaveLength(
      generateDataset(options).transactions.length,
    );
  });

  it('holds event time while paused and paces on from where it stopped', async () => {
    const clock = fakeClock();
    const start = clock.now();
    const control = new SimulationControl(() => clock.now());
    const sim = new TransactionSimulator(OPTIONS);
    const written: boolean[] = [];
    const sink: SimulationSink = {
      write: () => {
        written.push(control.paused);
        return Promise.resolve();
      },
      close: () => Promise.resolve(),
    };
    await runSimulation(sim, sink, {
      pacing: { kind: 'day-seconds', secondsPerDay: 10 },
      clock,
      control,
      onDay: (p) => {
        if (p.day !== 0) return;
        control.hold('retrain', 'a retrain request is open');
        // An hour of wall time passes before the answer comes.
        setTimeout(() => {
          clock.advance(3_600_000);
          control.release('retrain');
        }, 5);
      },
    });
    expect(written.every((paused) => !paused)).toBe(true);
    expect(control.status()).toMatchObject({ paused: false, pauses: 1, pausedSeconds: 3600 });
    const last = generateDataset(OPTIONS).transactions.at(-1)?.event_time ?? 0;
    // Paced as if the hour had not happened: event time stood still while paused.
    expect(clock.now() - start - 3_600_000).toBeCloseTo(((last - sim.dayStart(0)) / 86_400_000) * 10_000, -1);
  });

  it('sends nothing past the horizon until it moves, and counts the wait', async () => {
    const clock = fakeClock();
    const control = new SimulationControl(() => clock.now());
    const sim = new TransactionSimulator(OPTIONS);
    const noon = sim.dayStart(0) + DAY_MS / 2;
    control.setHorizon(noon, 'the drift monitor is behind');
    const sent: number[] = [];
    const statuses: ReturnType<SimulationControl['status']>[] = [];
    const sink: SimulationSink = {
      write: (events) => {
        for (const e of events)
          sent.push(e.kind === 'transaction' ? e.transaction.event_time : e.label.event_time);
        return Promise.resolve();
      },
      close: () => Promise.resolve(),
    };
    const run = runSimulation(sim, sink, { pacing: { kind: 'max' }, batchSize: 10, clock, control });
    // The stream stops at noon of day 0, however long nobody looks.
    for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
    statuses.push(control.status());
    const before = sent.length;
    expect(before).toBeGreaterThan(0);
    expect(Math.max(...sent)).toBeLessThanOrEqual(noon);
    clock.advance(2_000);
    control.setHorizon(null);
    await run;
    statuses.push(control.status());
    expect(sent.length).toBeGreaterThan(before);
    expect(Math.max(...sent)).toBeGreaterThan(sim.dayStart(1));
    expect(statuses[0]).toMatchObject({
      atHorizon: true,
      horizonWaits: 1,
      reason: 'the drift monitor is behind',
      paused: false,
    });
    expect(statuses[1]).toMatchObject({
      atHorizon: false,
      horizonWaits: 1,
      horizonWaitSeconds: 2,
      reason: null,
    });
  });

  it('paces on from where a stalled sink write left it, instead of catching up in a burst', async () => {
    const clock = fakeClock();
    const start = clock.now();
    const sim = new TransactionSimulator(OPTIONS);
    const positions: number[] = [];
    let writes = 0;
    const sink: SimulationSink = {
      write: () => {
        // The 10th write waits out a broker outage of a minute (wall time), as the Kafka sink does.
        if (++writes === 10) clock.advance(SINK_STALL_MS * 12);
        return Promise.resolve();
      },
      close: () => Promise.resolve(),
    };
    await runSimulation(sim, sink, {
      pacing: { kind: 'day-seconds', secondsPerDay: 10 },
      batchSize: 50,
      clock,
      onPosition: (t) => positions.push(t),
    });
    expect(writes).toBeGreaterThan(20);
    const last = generateDataset(OPTIONS).transactions.at(-1)?.event_time ?? 0;
    // The outage's minute is added to the run, not made up for: event time stood still through it.
    expect(clock.now() - start - SINK_STALL_MS * 12).toBeCloseTo(
      ((last - sim.dayStart(0)) / DAY_MS) * 10_000,
      -1,
    );
    // Every write reported how far the stream had come, never backwards.
    expect(positions).toHaveLength(writes);
    expect(positions.every((t, i) => i === 0 || t >= (positions[i - 1] ?? 0))).toBe(true);
  });

  it('pauses after the unpaced days until resumed, when asked to', async () => {
    const clock = fakeClock();
    const control = new SimulationControl(() => clock.now());
    const days: number[] = [];
    const sink: SimulationSink = {
      write: (events) => {
        const first = events[0];
        if (first?.kind === 'transaction')
          days.push(Math.floor((first.transaction.event_time - start) / 86_400_000));
        return Promise.resolve();
      },
      close: () => Promise.resolve(),
    };
    const sim = new TransactionSimulator(OPTIONS);
    const start = sim.dayStart(0);
    let sentAtResume = -1;
    const waking = setInterval(() => {
      if (!control.paused) return;
      sentAtResume = days.length;
      control.release('history');
      clearInterval(waking);
    }, 5);
    await runSimulation(sim, sink, {
      pacing: { kind: 'day-seconds', secondsPerDay: 10 },
      unpacedDays: 1,
      holdAfterUnpaced: true,
      control,
      clock,
    });
    clearInterval(waking);
    expect(control.status().pauses).toBe(1);
    // Everything before the pause was day 0; day 1 came after the resume.
    expect(days.slice(0, sentAtResume).every((d) => d === 0)).toBe(true);
    expect(days.slice(sentAtResume).every((d) => d === 1)).toBe(true);
    expect(days.at(-1)).toBe(1);
  });

  it('holds a rate of N transactions a second', async () => {
    const clock = fakeClock();
    const start = clock.now();
    const summary = await runSimulation(new TransactionSimulator(OPTIONS), new MemorySink(), {
      pacing: { kind: 'rate', transactionsPerSecond: 100 },
      clock,
    });
    // The last transaction is due at (n - 1) / 100 s.
    expect(clock.now() - start).toBeCloseTo(((summary.transactions - 1) / 100) * 1000, -1);
  });
});

describe(NdjsonSimulationSink.name, () => {
  it('writes byte-identical files for the same options', async () => {
    const dirs = [mkdtempSync(join(tmpdir(), 'sim-a-')), mkdtempSync(join(tmpdir(), 'sim-b-'))];
    try {
      for (const dir of dirs) {
        const sink = new NdjsonSimulationSink(dir);
        await runSimulation(new TransactionSimulator({ ...OPTIONS, days: 9 }), sink, {
          pacing: { kind: 'max' },
        });
        await sink.close();
      }
      for (const file of ['transactions.ndjson', 'labels.ndjson', 'truth.ndjson']) {
        const [a, b] = dirs.map((d) => readFileSync(join(d, file), 'utf8'));
        expect(a).toBe(b);
      }
      const expected = generateDataset({ ...OPTIONS, days: 9 });
      const lines = readFileSync(join(dirs[0] ?? '', 'labels.ndjson'), 'utf8')
        .trim()
        .split('\n');
      expect(lines.map((l) => JSON.parse(l) as unknown)).toEqual(expected.labels);
    } finally {
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe(parseSimulateArgs.name, () => {
  it('reads the documented options and refuses bad ones', () => {
    const c = parseSimulateArgs([
      '--seed',
      '7',
      '--days',
      '3',
      '--scenario',
      'fraud-rate-jump',
      '--day-seconds',
      '10',
    ]);
    expect(c.simulation).toMatchObject({ seed: 7, days: 3, scenario: 'fraud-rate-jump', driftDay: 7 });
    expect(c.pacing).toEqual({ kind: 'day-seconds', secondsPerDay: 10 });
    expect(c).toMatchObject({ investigationShare: 0.2, unpacedDays: 0, caseDays: 0 });
    expect(
      parseSimulateArgs(['--unpaced-days', '30', '--investigation-share', '0.3', '--case-days', '7']),
    ).toMatchObject({
      unpacedDays: 30,
      investigationShare: 0.3,
      caseDays: 7,
    });
    expect(() => parseSimulateArgs(['--case-days', '8'])).toThrow(/--case-days must be at most 7/);
    expect(() => parseSimulateArgs(['--investigation-share', '2'])).toThrow(/--investigation-share/);
    expect(parseSimulateArgs([]).pacing).toEqual({ kind: 'max' });
    expect(() => parseSimulateArgs(['--scenario', 'nope'])).toThrow(/--scenario must be one of/);
    expect(() => parseSimulateArgs(['--rate', '5', '--day-seconds', '1'])).toThrow(/not both/);
    expect(() => parseSimulateArgs(['--days', '-1'])).toThrow(/--days/);
    expect(() => parseSimulateArgs(['--out', 'x', '--rate', '5'])).toThrow(/Kafka output/);
    expect(() => parseSimulateArgs(['--bogus'])).toThrow();
  });
});
