/*
 * The smaller chaos suite (`npm run chaos -- --quick`), in `npm test`: a scorer SIGKILLed mid-stream,
 * a burst of poison records, a model artifact altered after registration, and Redis restarted under
 * a scorer that keeps its feature state there, each against the real local stack with scorer
 * processes from dist/. The full suite is `npm run chaos` (docs/reliability.md).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runChaos } from '../../scripts/chaos/chaos';
import { SCORER_RECOVERY_LIMIT_S } from '../../scripts/chaos/chaos-scenarios';
import { ownsService } from '../../scripts/chaos/infra-control';

const ROOT = join(__dirname, '..', '..');

describe('chaos suite (quick)', () => {
  let out: string;

  beforeAll(() => {
    execFileSync('npm', ['run', '-s', 'build'], { cwd: ROOT, stdio: 'inherit' });
    out = mkdtempSync(join(tmpdir(), 'chaos-'));
  });
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('loses nothing, dead-letters only poison, recovers a SIGKILLed scorer in time, keeps the right model and the feature state', async () => {
    const { code, report } = await runChaos(['--quick', '--out', join(out, 'chaos.json')]);
    const byName = Object.fromEntries((report?.scenarios ?? []).map((s) => [s.scenario, s]));
    for (const scenario of report?.scenarios ?? []) {
      expect(scenario.lost, scenario.scenario).toBe(0);
      expect(scenario.servingModel.right, scenario.scenario).toBe(true);
    }
    expect(byName['scorer-sigkill']?.recoverySeconds).toBeLessThanOrEqual(SCORER_RECOVERY_LIMIT_S);
    expect(byName['scorer-sigkill']?.deadLetters).toEqual({});
    expect(byName['poison-burst']?.deadLetters).toEqual({
      decode: 30,
      'unknown-schema': 10,
      validation: 11,
      duplicate: 5,
    });
    expect(byName['tampered-artifact']?.servingModel).toMatchObject({ expected: 'v1', actual: ['v1'] });
    // Redis away for 10 s: batches wait for it (nothing dead-lettered) and its state comes back with
    // it. Run whenever scripts/infra.sh started the Redis answering (npm test's own stack, as in CI).
    if (await ownsService('redis')) {
      expect(byName['redis-restart']?.deadLetters).toEqual({});
      expect(byName['redis-restart']?.notes).toContain(
        'feature state kept across the restart (no scorer found its store behind what it counted)',
      );
      // Its scorer's /health said the store was away during the outage, and back after it.
      expect(byName['redis-restart']?.notes).toContain(
        '/health feature-store up during the outage [false], after it [true]',
      );
    } else expect(byName['redis-restart']).toBeUndefined();
    expect(code).toBe(0);
  }, 600_000);
});
