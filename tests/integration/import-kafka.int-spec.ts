import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DAY_MS, type Label, type Transaction } from '@fraudstream/contracts';
import { importDataset } from '@fraudstream/datasets';
import type { AvroSerde, Kafka } from '@fraudstream/kafka';
import { randomBytes } from 'node:crypto';
import { TokenKey, tokenWith } from '@fraudstream/pii';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseImportArgs, runImport } from '../../apps/simulator/src/cli/import.command';
import { parseSimulateArgs, runSimulateCommand } from '../../apps/simulator/src/cli/simulate.command';
import { loadSimulatorConfig } from '../../apps/simulator/src/simulator.config';
import { createTestTopic, testClients } from '../support/kafka-env';
import { readTopic } from '../support/read-topic';

describe('npm run import (Kafka)', () => {
  let kafka: Kafka;
  let serde: AvroSerde;
  const dir = mkdtempSync(join(tmpdir(), 'fraudstream-import-'));

  beforeAll(() => {
    ({ kafka, serde } = testClients());
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('publishes a handbook file in event-time order, labels at their chargeback time, bad rows to the rejects file', async () => {
    const csv = join(dir, 'bank.csv');
    await runSimulateCommand(
      parseSimulateArgs([
        '--handbook-csv',
        csv,
        '--days',
        '3',
        '--customers',
        '80',
        '--terminals',
        '160',
        '--quiet',
      ]),
    );
    // A small population has few frauds in 3 days: flag every 40th row as well (TX_FRAUD=1).
    const rows = readFileSync(csv, 'utf8').trimEnd().split('\n');
    writeFileSync(
      csv,
      `${rows.map((row, i) => (i > 0 && i % 40 === 0 ? row.replace(/,0,0$/, ',1,0') : row)).join('\n')}\n`,
    );
    // Two rows the contract refuses, at lines the rejects file must name.
    const lines = rows.length;
    appendFileSync(
      csv,
      '900001,2018-04-02 10:00:00,7,9,-5.00,122400,1,0,0\n900002,2018-04-31 10:00:00,7,9,5.00,0,0,0,0\n',
    );

    const tx = await createTestTopic(kafka, serde, 'import-tx', 'tx.transactions.v1.avsc', 3);
    const labels = await createTestTopic(kafka, serde, 'import-labels', 'fraud.labels.v1.avsc');
    const rejects = join(dir, 'rejects.ndjson');
    const command = parseImportArgs([
      '--transactions',
      csv,
      '--format',
      'handbook',
      '--label-delay',
      'fixed:1',
      '--rejects',
      rejects,
      '--transactions-topic',
      tx.name,
      '--labels-topic',
      labels.name,
      '--batch-size',
      '300',
    ]);
    const keyText = randomBytes(32).toString('base64');
    const summary = await runImport(command, {
      config: loadSimulatorConfig({ ...process.env, PII_TOKEN_KEY: keyText }),
    });
    const key = TokenKey.fromBase64(keyText, 'the test key');

    expect(summary.rejected_transactions).toBe(2);
    const rejected = readFileSync(rejects, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { line: number; reason: string });
    expect(rejected.map((r) => [r.line, r.reason])).toEqual([
      [lines + 1, 'invalid transaction: amount is negative'],
      [lines + 2, 'TX_DATETIME is not a time: "2018-04-31 10:00:00"'],
    ]);

    const expected = await importDataset({
      transactions: csv,
      format: 'handbook',
      chargebackDelay: { kind: 'fixed', days: 1 },
    });
    const end = Date.UTC(2018, 3, 4);
    const dueLabels = expected.labels.filter((l) => l.event_time < end);
    expect(summary.published).toEqual({
      days: 3,
      transactions: expected.transactions.length,
      labels: dueLabels.length,
    });
    expect(dueLabels.length).toBeGreaterThan(0);

    const txRecords = await readTopic(kafka, tx.name, expected.transactions.length);
    const decoded = await Promise.all(txRecords.map((r) => serde.decode<Transaction>(r.value)));
    expect(txRecords.map((r) => r.key)).toEqual(decoded.map((t) => t.card_id));
    expect(new Set(decoded.map((t) => t.transaction_id))).toEqual(
      new Set(expected.transactions.map((t) => t.transaction_id)),
    );
    // The file's customer ids are the raw identifiers: each leaves the import as its token.
    const fileCard = new Map(expected.transactions.map((t) => [t.transaction_id, t.card_id]));
    for (const t of decoded) expect(t.card_id).toBe(tokenWith(key, fileCard.get(t.transaction_id) ?? ''));
    // Per partition (per card), records are in event-time order.
    for (const partition of [0, 1, 2]) {
      const times = decoded.filter((_, i) => txRecords[i]?.partition === partition).map((t) => t.event_time);
      expect(times).toEqual([...times].sort((a, b) => a - b));
    }

    const labelRecords = await readTopic(kafka, labels.name, dueLabels.length);
    const got = await Promise.all(labelRecords.map((r) => serde.decode<Label>(r.value)));
    expect(got.map((l) => l.transaction_id)).toEqual(dueLabels.map((l) => l.transaction_id));
    for (const l of got) expect(l.event_time - l.transaction_time).toBe(DAY_MS);
    for (const l of got) expect(l.card_id).toBe(tokenWith(key, fileCard.get(l.transaction_id) ?? ''));
  });
});
