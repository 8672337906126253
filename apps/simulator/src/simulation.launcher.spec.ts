import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { ConfigError } from '@fraudstream/config';
import { TokenKeyError } from '@fraudstream/pii';
import { afterAll, describe, expect, it } from 'vitest';
import { launchSimulation } from './simulation.launcher';
import { commandFromConfig } from './simulation.service';
import { loadSimulatorConfig } from './simulator.config';

const dir = mkdtempSync(join(tmpdir(), 'fraudstream-launcher-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Three days of a handbook file; the fraud on day 1 (card 7) is charged back half a day later. */
const HANDBOOK_CSV = [
  'TRANSACTION_ID,TX_DATETIME,CUSTOMER_ID,TERMINAL_ID,TX_AMOUNT,TX_TIME_SECONDS,TX_TIME_DAYS,TX_FRAUD,TX_FRAUD_SCENARIO',
  '0,2018-04-01 08:00:00,1,10,20.00,28800,0,0,0',
  '1,2018-04-02 09:00:00,7,11,300.00,118800,1,1,1',
  '2,2018-04-02 10:00:00,2,12,15.50,122400,1,0,0',
  '3,2018-04-03 11:00:00,1,10,22.00,212400,2,0,0',
  '',
].join('\n');

const lines = (file: string) =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe(launchSimulation.name, () => {
  it("replays a bank's file from the app's SIM_FILE_* settings: its days, its truth, its chargebacks", async () => {
    const transactions = join(dir, 'bank.csv');
    writeFileSync(transactions, HANDBOOK_CSV);
    const config = loadSimulatorConfig({
      SIM_DAYS: '2',
      SIM_FILE_TRANSACTIONS: transactions,
      SIM_FILE_LABEL_DELAY: 'fixed:0.5',
      SIM_FILE_FROM_DAY: '1',
    });
    const command = commandFromConfig(config);
    expect(command.file).toMatchObject({ transactions, format: 'handbook', fromDay: 1, labels: null });

    const out = join(dir, 'out');
    const summary = await launchSimulation({ ...command, out, pacing: { kind: 'max' } });

    // Days 1 and 2 of the file (day 0 is before the window), the chargeback at its own time.
    expect(summary).toMatchObject({ days: 2, transactions: 3, frauds: 1, labels: 1 });
    expect(lines(join(out, 'transactions.ndjson')).map((t) => t.card_id)).toEqual(['7', '2', '1']);
    expect(lines(join(out, 'truth.ndjson')).map((t) => t.is_fraud)).toEqual([true, false, false]);
    const [label] = lines(join(out, 'labels.ndjson'));
    expect(label).toMatchObject({ card_id: '7', event_time: Date.parse('2018-04-02T21:00:00Z') });
  });
});

describe('the tokenisation key at the ingress', () => {
  it('stops a Kafka run with a short key before it connects, naming the variable', async () => {
    // Nothing listens on port 1: a run that tried to connect would fail differently, or hang.
    const config = loadSimulatorConfig({
      KAFKA_BROKERS: '127.0.0.1:1',
      PII_TOKEN_KEY: randomBytes(16).toString('base64'),
    });
    const run = launchSimulation({ ...commandFromConfig(config), pacing: { kind: 'max' } }, { config });
    await expect(run).rejects.toThrow(TokenKeyError);
    await expect(run).rejects.toThrow(/^PII_TOKEN_KEY holds 16 bytes; a tokenisation key needs at least 32/);
  });

  it('refuses inconsistent rotation settings at boot, listing each', () => {
    const key = randomBytes(32).toString('base64');
    const refusal = () =>
      loadSimulatorConfig({ PII_TOKEN_PREVIOUS_KEY: key, PII_TOKEN_KEY_FILE: '/run/secrets/pii-token-key' });
    expect(refusal).toThrow(ConfigError);
    expect(refusal).toThrow(/PII_TOKEN_KEY_FROM: required with a previous key/);
  });
});
