import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TOPIC_SPECS } from '@fraudstream/contracts';
import { TokenKey, tokenWith } from '@fraudstream/pii';
import { cardId, simulatedCardNumber } from '@fraudstream/simulation';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testClients } from '../support/kafka-env';
import { readTopicsToEnd, type TopicRecord } from '../support/read-topic';

/*
 * The issue's test of tokenisation at ingress: a demo run (`npm run demo -- --headless`, every app a
 * process of its own on the real broker and registry: simulator, scorer, drift monitor, trainer,
 * console, and the base model's training) with a tokenisation key of its own, then EVERY topic of
 * the run read as raw bytes (keys, values, headers; aborted transactions and dead letters too),
 * every app's log, the demo's own output and every file the run wrote (model artifacts, the drift
 * monitor's checkpoint, the report) searched for the simulated customers' card numbers and the
 * simulator's internal card ids: none may be there. The tokens of those cards must be (so the search
 * can fail): the transactions are keyed by them and the scores, labels and checkpoint carry them.
 *
 * Small, so it runs in about two minutes: 160 cards, the 41-day history the base model needs, two
 * paced days. At this size the base model's AP means nothing; the loop's quality is the closed-loop
 * test's business.
 */
const ROOT = join(__dirname, '..', '..');
const DEMO = join(ROOT, 'dist', 'scripts', 'demo', 'demo.js');
const SEED = 7;
const CUSTOMERS = 160;

/** The text of bytes with each byte one character: ASCII (Avro strings, JSON) reads as itself. */
const text = (bytes: Buffer) => bytes.toString('latin1');

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/** The needles found in a haystack. */
const found = (haystack: string, needles: readonly string[]) => needles.filter((n) => haystack.includes(n));

describe('PII tokenisation at ingress (npm run demo)', () => {
  const keyText = randomBytes(32).toString('base64');
  const key = TokenKey.fromBase64(keyText, 'the test key');
  const pans = Array.from({ length: CUSTOMERS }, (_, i) => simulatedCardNumber(SEED, i));
  const simulatorIds = Array.from({ length: CUSTOMERS }, (_, i) => cardId(i));
  const raw = [...pans, ...simulatorIds];
  const tokens = pans.map((pan) => tokenWith(key, pan));
  let runId = '';
  let output = '';
  let runTopics: string[] = [];

  beforeAll(async () => {
    execFileSync('npm', ['run', '-s', 'build'], { cwd: ROOT, stdio: 'inherit' });
    const report = join(mkdtempSync(join(tmpdir(), 'pii-e2e-')), 'report.json');
    const child = spawn(
      process.execPath,
      [
        DEMO,
        '--headless',
        '--no-oracle',
        '--seed',
        String(SEED),
        '--customers',
        String(CUSTOMERS),
        '--terminals',
        String(2 * CUSTOMERS),
        '--history-days',
        '41',
        '--drift-day',
        '41',
        '--days',
        '43',
        '--day-seconds',
        '2',
        // Read after the run, deleted by this test.
        '--keep-topics',
        '--report',
        report,
        '--timeout',
        '600',
      ],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PII_TOKEN_KEY: keyText } },
    );
    const chunks: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => chunks.push(chunk));
    const [code] = (await once(child, 'exit')) as [number | null];
    output = text(Buffer.concat(chunks));
    runId = /fraudstream demo: run (\S+)/.exec(output)?.[1] ?? '';
    expect(code, output).toBe(0);
    expect(runId, output).not.toBe('');
  }, 900_000);

  afterAll(async () => {
    if (runTopics.length > 0) {
      const admin = testClients().kafka.admin();
      await admin.connect();
      await admin.deleteTopics({ topics: runTopics });
      await admin.disconnect();
    }
    if (runId !== '') rmSync(join(ROOT, 'var', 'demo', runId), { recursive: true, force: true });
  });

  it('leaves no card number or simulator card id on any topic, and the tokens on them', async () => {
    const { kafka } = testClients();
    const admin = kafka.admin();
    await admin.connect();
    runTopics = (await admin.listTopics()).filter((t) => t.startsWith(`demo.${runId}.`));
    await admin.disconnect();
    expect(runTopics).toHaveLength(TOPIC_SPECS.length);

    const records = await readTopicsToEnd(kafka, runTopics);
    const bytesOf = (rs: readonly TopicRecord[]) =>
      rs.map((r) => `${r.key ?? ''}\n${text(r.value)}\n${JSON.stringify(r.headers)}`).join('\n');
    const leaks = [...records].flatMap(([topic, rs]) =>
      found(bytesOf(rs), raw).map((id) => `${id} on ${topic}`),
    );
    expect(leaks).toEqual([]);

    const of = (name: string) => records.get(`demo.${runId}.${name}`) ?? [];
    const transactions = of('tx.transactions.v1');
    expect(transactions.length).toBeGreaterThan(CUSTOMERS * 41);
    // Every transaction is keyed by the token of a simulated card, and nearly every card paid.
    const keys = new Set(transactions.map((r) => r.key ?? ''));
    expect([...keys].filter((k) => !tokens.includes(k))).toEqual([]);
    expect(keys.size).toBeGreaterThan(0.9 * CUSTOMERS);
    for (const name of ['tx.scores.v1', 'fraud.alerts.v1', 'fraud.labels.v1'])
      expect(found(bytesOf(of(name)), tokens).length, name).toBeGreaterThan(0);
  });

  it("leaves no card number or simulator card id in any app's log, the demo's output or the run's files", () => {
    const dir = join(ROOT, 'var', 'demo', runId);
    const logs = readdirSync(join(dir, 'logs'));
    expect(logs).toEqual(
      expect.arrayContaining([
        'simulator.log',
        'scorer.log',
        'drift-monitor.log',
        'trainer.log',
        'console.log',
        'train-base.log',
      ]),
    );
    const files = filesUnder(dir);
    const leaks = [
      ...found(output, raw).map((id) => `${id} in the demo's output`),
      ...files.flatMap((file) => found(text(readFileSync(file)), raw).map((id) => `${id} in ${file}`)),
    ];
    expect(leaks).toEqual([]);
    // The logs say what happened (so a card number would have had somewhere to be)...
    for (const log of logs) expect(statSync(join(dir, 'logs', log)).size, log).toBeGreaterThan(0);
    // ...and the files the apps keep hold the tokens: the model artifacts and the drift monitor's
    // checkpoint are searched where card identifiers do go.
    const checkpoint = files.filter((f) => f.includes('drift-monitor'));
    expect(found(checkpoint.map((f) => text(readFileSync(f))).join('\n'), tokens).length).toBeGreaterThan(0);
    expect(files.some((f) => f.endsWith('manifest.json'))).toBe(true);
  });
});
