/*
 * Exactly-once scoring across hard kills and a zombie: two scorer processes (from dist/, SCORER_EXACTLY_ONCE at its
 * default) score a steady stream; one is SIGKILLed mid-stream three times, restarted at once each time.
 * A read_committed reader (as every reader of tx.scores.v1 is) must then see exactly one score per
 * (transaction id, model version, role): none lost, none twice. The run also reports what a
 * read_uncommitted reader saw of the aborted transactions the kills left behind. The zombie test
 * freezes a replica (SIGSTOP) until the other took its partitions, then lets it resume (SIGCONT).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runChaos } from '../../scripts/chaos/chaos';

const ROOT = join(__dirname, '..', '..');

describe('scorer exactly-once across SIGKILL', () => {
  let out: string;

  beforeAll(() => {
    execFileSync('npm', ['run', '-s', 'build'], { cwd: ROOT, stdio: 'inherit' });
    out = mkdtempSync(join(tmpdir(), 'scorer-eos-'));
  });
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  /** Runs one chaos scenario on 2 replicas and expects every transaction scored exactly once. */
  async function expectExactlyOnce(scenario: string, kills: number, rate: number): Promise<void> {
    const { report } = await runChaos([
      '--scenarios',
      scenario,
      '--replicas',
      '2',
      '--kills',
      String(kills),
      '--rate',
      String(rate),
      '--out',
      join(out, `${scenario}.json`),
    ]);
    const run = report?.scenarios.find((s) => s.scenario === scenario);
    expect(run).toBeDefined();
    if (!run) return;
    expect(run.produced).toBeGreaterThan(1000);
    expect(run.lost).toBe(0);
    expect(run.duplicates).toBe(0);
    expect(run.deadLetters).toEqual({});
  }

  it('shows a read_committed reader one score per (transaction, model version, role) after SIGKILLs of one of 2 replicas', async () => {
    await expectExactlyOnce('scorer-sigkill', 3, 500);
  }, 600_000);

  it('fences a replica frozen mid-stream whose partitions moved, when it resumes with its batch (a zombie)', async () => {
    await expectExactlyOnce('scorer-zombie', 2, 300);
  }, 600_000);
});
