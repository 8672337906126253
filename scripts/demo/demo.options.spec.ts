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
});
