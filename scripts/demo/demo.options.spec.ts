import { describe, expect, it } from 'vitest';
import { parseDemoArgs } from './demo.options';

const context = { cwd: '/repo', isTty: true, runId: 'r1' };

describe(parseDemoArgs.name, () => {
  it('streams a warm history, then the drift three days later, and leaves a tenth of the alerts to people', () => {
    const o = parseDemoArgs([], context);
    expect([o.historyDays, o.driftDay, o.days]).toEqual([44, 47, 57]);
    expect([o.headless, o.peopleShare, o.oracle]).toEqual([false, 0.1, true]);
    expect(o.reportPath).toBe('/repo/var/demo/r1/report.json');
  });

  it('takes a people share from 0 to 1 and refuses any other', () => {
    expect(parseDemoArgs(['--people-share', '0'], context).peopleShare).toBe(0);
    expect(parseDemoArgs(['--people-share', '1'], context).peopleShare).toBe(1);
    expect(() => parseDemoArgs(['--people-share', '1.5'], context)).toThrow(/--people-share/);
    expect(() => parseDemoArgs(['--people-share', 'half'], context)).toThrow(/--people-share/);
  });

  it('refuses a drift day inside the history', () => {
    expect(() => parseDemoArgs(['--history-days', '50', '--drift-day', '49'], context)).toThrow(
      /inside the history/,
    );
  });

  it('replays a file from its first day, its history watched from the day after, with no scenario', () => {
    const o = parseDemoArgs(['--transactions', 'var/data/bank.csv.gz', '--label-delay', 'fixed:7'], context);
    expect(o.file).toEqual({
      transactions: '/repo/var/data/bank.csv.gz',
      labels: null,
      format: 'handbook',
      labelDelay: 'fixed:7',
    });
    expect([o.historyDays, o.driftDay, o.days]).toEqual([44, 44, 54]);
    expect(parseDemoArgs([], context).file).toBeNull();
  });

  it('refuses file options without a file, scenario options with one, and an unknown format', () => {
    expect(() => parseDemoArgs(['--format', 'fraudstream'], context)).toThrow(/go with --transactions/);
    expect(() => parseDemoArgs(['--transactions', 'f.csv', '--scenario', 'stable'], context)).toThrow(
      /do not apply/,
    );
    expect(() => parseDemoArgs(['--transactions', 'f.csv', '--format', 'xlsx'], context)).toThrow(/--format/);
    expect(() => parseDemoArgs(['--transactions', 'f.csv', '--label-delay', 'soon'], context)).toThrow();
  });
});
