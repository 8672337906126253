import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

/*
 * The whole loop as a user runs it: `npm run demo -- --headless` with the four apps as separate
 * processes on the real broker and registry, at the demo's default size (1,000 cards, about 9,900
 * transactions a simulated day; a 44-day history streamed at once, then 5 s a simulated day) with
 * the new fraud pattern three days after the history. The report must show no false alarm before
 * the onset, a retrain request within two days of it, a fine-tuned model in production with AP up
 * after it (above the base model's on the same days), and no lost or duplicated transaction.
 *
 * At three times the simulator's default intensity: at the default (the demo's) the request comes
 * two days after the onset and the fine-tuned model serves from the next day, but the AP it gains
 * over the 3 days after it (+0.03 and +0.055 in two runs) is within the day-to-day noise, and one
 * day later a promotion meets days every model finds harder (docs/demo.md), so the comparison the
 * test makes would pass or fail by timing. The prequential oracle (a fine-tuning job per day) is
 * left out: the report's arithmetic on it has its unit tests, and it would double the run.
 */
const ROOT = join(__dirname, '..', '..');
const DEMO = join(ROOT, 'dist', 'scripts', 'demo', 'demo.js');

interface DemoReport {
  drift_onset_day: number;
  history_days: number;
  false_alarms_before_onset: number;
  first_retrain_request_day: number | null;
  first_redeployment_day: number | null;
  first_redeployment: { version: string; event_day: number } | null;
  base_model: { version: string };
  deployments: { version: string; event_day: number; stage: string; kind: string; reason: string }[];
  drift_events: {
    day: number;
    decided_day: number;
    phase: string;
    model_version: string;
    verdict: string;
    average_precision: number | null;
    roc_auc: number | null;
    retrain_recommended: boolean;
  }[];
  retrain_requests: { request_id: string; trigger: string; event_day: number }[];
  investigations: number;
  ap_by_day: (number | null)[];
  ap_before_redeployment: number | null;
  ap_after_redeployment: number | null;
  static_ap_by_day: (number | null)[];
  static_ap_after_redeployment: number | null;
  days: number;
  produced: number;
  expected_transactions: number;
  lost: number;
  duplicates: number;
  serving_model: {
    version: string;
    segments: {
      rows: number;
      model: { attribute: string; value: string; rows: number; frauds: number; recall: number | null }[];
      champion: { attribute: string; value: string }[] | null;
    } | null;
  };
}

describe('closed loop (npm run demo)', () => {
  beforeAll(() => {
    execFileSync('npm', ['run', '-s', 'build'], { cwd: ROOT, stdio: 'inherit' });
  });

  it('retrains within two days of a new fraud pattern and serves a better model, with no false alarm and nothing lost', async () => {
    const report = join(mkdtempSync(join(tmpdir(), 'demo-e2e-')), 'report.json');
    const child = spawn(
      process.execPath,
      [
        DEMO,
        '--headless',
        '--no-oracle',
        '--drift-intensity',
        '3',
        // npm test points the demo at its broker (KAFKA_BROKERS): the run's topics go at the end.
        '--delete-topics',
        '--report',
        report,
        '--timeout',
        '1500',
      ],
      { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] },
    );
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(0);

    const r = JSON.parse(readFileSync(report, 'utf8')) as DemoReport;
    // What the monitor decided and what the trainer did, for the failure message of any assertion.
    const decisions = r.drift_events
      .filter((e) => e.retrain_recommended || e.phase === 'evidence')
      .map((e) => `${e.phase} day ${e.day} (decided ${e.decided_day}) ${e.model_version} ${e.verdict}`)
      .join('; ');
    const deployed = r.deployments.map((d) => `${d.version}->${d.stage}@${d.event_day}`).join(', ');
    const requests = r.retrain_requests.map((q) => `${q.request_id}@${q.event_day}`).join(', ');
    const context =
      `onset day ${r.drift_onset_day}; recommendations: ${decisions}; requests: ${requests}; ` +
      `deployments: ${deployed}; AP by day from the history's end: ${r.ap_by_day.slice(r.history_days).join(' ')}; ` +
      `the base model's on the same days: ${r.static_ap_by_day.slice(r.history_days).join(' ')}`;

    expect(r.produced).toBe(r.expected_transactions);
    expect(r.lost).toBe(0);
    expect(r.duplicates).toBe(0);
    expect(r.ap_by_day).toHaveLength(r.days);
    expect(r.false_alarms_before_onset, context).toBe(0);
    expect(r.first_retrain_request_day, context).not.toBeNull();
    expect(r.first_retrain_request_day, context).toBeGreaterThanOrEqual(r.drift_onset_day);
    expect(r.first_retrain_request_day, context).toBeLessThanOrEqual(r.drift_onset_day + 2);
    // A fine-tuned model (not the base) reached production and served better than the base model
    // would have on the same transactions: mean AP over the 3 days after it, served against the
    // base's (static_ap_by_day). The days before the redeployment are no baseline: some days are
    // harder for every model, and a first model learnt from a day of new frauds gains less than
    // that noise (one run: 0.51 on the days before, 0.48 after, from easier to harder days).
    expect(r.first_redeployment, context).not.toBeNull();
    expect(r.first_redeployment?.version, context).not.toBe(r.base_model.version);
    const promoted = r.deployments.find(
      (d) => d.version === r.first_redeployment?.version && d.stage === 'PRODUCTION',
    );
    expect(promoted?.kind, context).toBe('STAGE_CHANGE');
    expect(r.ap_after_redeployment, context).not.toBeNull();
    expect(r.static_ap_after_redeployment, context).not.toBeNull();
    expect(r.ap_after_redeployment ?? 0, context).toBeGreaterThan(r.static_ap_after_redeployment ?? 1);
    // The report shows the serving model's per-segment table: the last model promoted, each
    // attribute's segments partitioning its hold-out rows, the champion it replaced beside it.
    const lastProduction = r.deployments.filter((d) => d.stage === 'PRODUCTION').at(-1);
    expect(r.serving_model.version, context).toBe(lastProduction?.version);
    const segments = r.serving_model.segments;
    expect(segments, context).not.toBeNull();
    for (const attribute of ['age_band', 'region']) {
      const of = segments?.model.filter((m) => m.attribute === attribute) ?? [];
      expect(of.length, attribute).toBeGreaterThan(1);
      expect(of.reduce((n, m) => n + m.rows, 0)).toBe(segments?.rows);
    }
    if (r.serving_model.version !== r.base_model.version)
      expect(segments?.champion?.map((m) => `${m.attribute} ${m.value}`)).toEqual(
        segments?.model.map((m) => `${m.attribute} ${m.value}`),
      );
  }, 1_800_000);
});
