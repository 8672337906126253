import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

/*
 * The whole loop as a user runs it: `npm run demo -- --headless` with the four apps as separate
 * processes on the real broker and registry, at the demo's default size (1,000 cards, about 9,900
 * transactions a simulated day, 5 s a day, 28 days: about 3 minutes on 2 cores). The new fraud
 * pattern starts after the warm-up; the report must show no lost and no duplicated transaction,
 * drift detected after the onset, and a retrained model deployed.
 */
const ROOT = join(__dirname, '..', '..');
const DEMO = join(ROOT, 'dist', 'scripts', 'demo', 'demo.js');

interface DemoReport {
  drift_onset_day: number;
  first_drift_event_day: number | null;
  first_retrain_recommended_day: number | null;
  deployments: { version: string; event_day: number; stage: string; kind: string }[];
  drift_events: {
    day: number;
    phase: string;
    model_version: string;
    verdict: string;
    average_precision: number | null;
    roc_auc: number | null;
    retrain_recommended: boolean;
  }[];
  ap_by_day: (number | null)[];
  oracle_ap_by_day: (number | null)[];
  ap_recovery_ratio: number | null;
  produced: number;
  expected_transactions: number;
  lost: number;
  duplicates: number;
}

describe('closed loop (npm run demo)', () => {
  beforeAll(() => {
    execFileSync('npm', ['run', '-s', 'build'], { cwd: ROOT, stdio: 'inherit' });
  });

  it('streams a drift scenario through the apps, detects the drift, retrains and redeploys, losing nothing', async () => {
    const report = join(mkdtempSync(join(tmpdir(), 'demo-e2e-')), 'report.json');
    const child = spawn(
      process.execPath,
      [DEMO, '--headless', '--scenario', 'new-fraud-pattern', '--report', report, '--timeout', '400'],
      { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] },
    );
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(0);

    const r = JSON.parse(readFileSync(report, 'utf8')) as DemoReport;
    // What the monitor decided, day by day, for the failure message of any assertion below.
    const decisions = r.drift_events
      .filter((e) => e.phase === 'mature')
      .map(
        (e) =>
          `day ${e.day} ${e.model_version} ${e.verdict} AP ${e.average_precision} AUC ${e.roc_auc}` +
          (e.retrain_recommended ? ' retrain' : ''),
      )
      .join('; ');
    const deployed = r.deployments.map((d) => `${d.version}->${d.stage}@${d.event_day}`).join(', ');
    const context = `onset day ${r.drift_onset_day}; mature verdicts: ${decisions}; deployments: ${deployed}`;
    expect(r.produced).toBe(r.expected_transactions);
    expect(r.lost).toBe(0);
    expect(r.duplicates).toBe(0);
    expect(r.first_drift_event_day, context).not.toBeNull();
    expect(r.first_drift_event_day, context).toBeGreaterThanOrEqual(r.drift_onset_day);
    expect(r.first_retrain_recommended_day, context).not.toBeNull();
    expect(r.first_retrain_recommended_day, context).toBeGreaterThanOrEqual(r.drift_onset_day);
    const retrained = r.deployments.filter(
      (d) => d.kind === 'STAGE_CHANGE' && d.version !== 'v1' && ['SHADOW', 'PRODUCTION'].includes(d.stage),
    );
    expect(retrained.length, context).toBeGreaterThanOrEqual(1);
    expect(r.ap_by_day).toHaveLength(28);
    expect(r.oracle_ap_by_day.slice(r.drift_onset_day).some((ap) => ap !== null)).toBe(true);
  });
});
